"""Poll a simulated fleet with the fonet client and with net-snmp, side by side.

A fleet of DEVICES x 8 interfaces is served by snmpsim (one data file per
device = one community; several responder processes on several ports). The
fonet client polls IF-MIB (sysUpTime + 12 columns) with multi-column GETBULK;
net-snmp's ``snmpbulkget`` reads the same OIDs, one process per request, with
the same request split (the simulator caps answers at 64 variable bindings).

Figures: devices/s, varbinds/s, client CPU per varbind (process CPU time of
this process for fonet, children's CPU time for net-snmp), and whether the
targets hold: fonet CPU/varbind <= 2x net-snmp's, and 1,000 devices x 8
interfaces inside a 60 s cycle on one core (extrapolated from client CPU when
the simulator, sharing the machine, is the slower party). Last, a cycle of
--dead unreachable devices beside live ones (0.5 s timeout, 1 retry): dead
devices are waited for side by side, so the cycle should take about one
device's 2 x 0.5 s, not the dead count times that (target: under 5 s).

Usage: .venv/bin/python benchmarks/poll.py [--devices 200] [--cycles 3] [--dead 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.client import SnmpClient  # noqa: E402
from fonet.telemetry import DeviceTarget  # noqa: E402

IF, IFX = "1.3.6.1.2.1.2.2.1", "1.3.6.1.2.1.31.1.1.1"
UPTIME = "1.3.6.1.2.1.1.3"
# Same columns as collectors/profiles/if_mib.yaml, in two requests of <= 64 varbinds.
NETSNMP_REQUESTS = [
    (1, [UPTIME] + [f"{IF}.{c}" for c in (2, 7, 8, 9, 14, 20)] + [f"{IFX}.1"]),
    (0, [f"{IFX}.{c}" for c in (6, 10, 15, 18, 19)]),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def device_file(k: int, interfaces: int) -> str:
    rows = [("1.3.6.1.2.1.1.1.0", "4", f"bench device {k}"),
            ("1.3.6.1.2.1.1.3.0", "67", str(100000 + k))]
    for i in range(1, interfaces + 1):
        rows += [
            (f"{IF}.2.{i}", "4", f"port {i}"), (f"{IF}.7.{i}", "2", "1"),
            (f"{IF}.8.{i}", "2", "1"), (f"{IF}.9.{i}", "67", "100"),
            (f"{IF}.14.{i}", "65", "0"), (f"{IF}.20.{i}", "65", "0"),
            (f"{IFX}.1.{i}", "4", f"xe-0/0/{i}"),
            (f"{IFX}.6.{i}", "70:numeric", f"rate={1000 * i}"),
            (f"{IFX}.10.{i}", "70:numeric", f"rate={900 * i}"),
            (f"{IFX}.15.{i}", "66", "10000"), (f"{IFX}.18.{i}", "4", f"to site {i}"),
            (f"{IFX}.19.{i}", "67", "0"),
        ]
    rows.sort(key=lambda r: tuple(int(x) for x in r[0].split(".")))
    return "".join(f"{o}|{t}|{v}\n" for o, t, v in rows)


def start_simulators(data: Path, cache: Path, count: int) -> tuple[list, list[int]]:
    exe = Path(sys.executable).with_name("snmpsim-command-responder")
    env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
    procs, ports = [], []
    for n in range(count):
        port = free_port()
        procs.append(subprocess.Popen(
            [str(exe), f"--data-dir={data}", f"--cache-dir={cache}/{n}",
             f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--logging-method=null"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        ports.append(port)
    return procs, ports


async def fonet_cycles(targets: list[DeviceTarget], cycles: int, concurrency: int) -> dict:
    # Generous timeouts: the simulator shares the machine and answers slowly.
    client = SnmpClient(concurrency=concurrency, timeout_s=10.0, retries=3)
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        polls = await client.poll(targets)
        setup = {"cpu": time.process_time() - cpu0, "wall": time.perf_counter() - wall0}
        bad = [p for p in polls if not p.reachable or p.error]
        if len(bad) > len(targets) // 20:
            raise SystemExit(f"warm-up: {len(bad)} devices failed, e.g. {bad[0].error}")
        cpu0, wall0 = time.process_time(), time.perf_counter()
        varbinds = devices = failed = 0
        for _ in range(cycles):
            polls = await client.poll(targets)
            varbinds += sum(p.varbinds for p in polls)
            devices += sum(1 for p in polls if p.reachable and len(p.interfaces) == 8)
            failed += sum(1 for p in polls if not p.reachable)
        return {"cpu": time.process_time() - cpu0, "wall": time.perf_counter() - wall0,
                "varbinds": varbinds, "devices": devices, "failed": failed, "setup": setup}
    finally:
        client.close()


async def dead_cycle(live: list[DeviceTarget], dead: int) -> dict:
    """One cycle of ``dead`` silent devices among ``live`` ones, 0.5 s timeout, 1 retry."""
    silent = [DeviceTarget(f"dead{k}", "127.0.0.1", 9, community="x") for k in range(dead)]
    client = SnmpClient(timeout_s=0.5, retries=1)
    try:
        wall0 = time.perf_counter()
        polls = await client.poll(silent + live)
        wall = time.perf_counter() - wall0
    finally:
        client.close()
    return {"wall": wall, "dead": dead, "live": len(live),
            "live_ok": sum(1 for p in polls[dead:] if p.reachable),
            "dead_failed": sum(1 for p in polls[:dead] if not p.reachable)}


def netsnmp_cycle(targets: list[DeviceTarget], workers: int) -> dict:
    exe = shutil.which("snmpbulkget")
    if exe is None:
        return {}

    def one(target: DeviceTarget) -> int:
        total = 0
        for non_rep, oids in NETSNMP_REQUESTS:
            out = subprocess.run(
                [exe, "-v2c", "-c", target.community, "-m", "", "-On", "-Oq", "-r1", "-t5",
                 f"-Cn{non_rep}", "-Cr8", target.address, *oids],
                capture_output=True, text=True, check=False).stdout
            total += out.count("\n")
        return total

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        varbinds = sum(pool.map(one, targets))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu": cpu, "wall": time.perf_counter() - wall0, "varbinds": varbinds,
            "devices": len(targets)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--interfaces", type=int, default=8)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--simulators", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--dead", type=int, default=8, help="unreachable devices in the last "
                        "cycle (0: no such cycle)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fonet-bench-") as tmp:
        data, cache = Path(tmp, "data"), Path(tmp, "cache")
        data.mkdir()
        for k in range(args.devices):
            (data / f"dev{k:05d}.snmprec").write_text(device_file(k, args.interfaces))
        procs, ports = start_simulators(data, cache, args.simulators)
        try:
            targets = [DeviceTarget(f"dev{k:05d}", "127.0.0.1", ports[k % len(ports)],
                                    community=f"dev{k:05d}") for k in range(args.devices)]
            wait_ready(targets[: len(ports)])
            fonet = asyncio.run(fonet_cycles(targets, args.cycles, args.concurrency))
            net = netsnmp_cycle(targets, workers=16)
            dead = asyncio.run(dead_cycle(targets[:4], args.dead)) if args.dead else None
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait()
    report(args, fonet, net)
    if dead is not None:
        print(f"cycle with {dead['dead']} dead devices (0.5 s timeout, 1 retry) beside "
              f"{dead['live']} live: {dead['wall']:.2f} s; {dead['live_ok']}/{dead['live']} live "
              f"answered, {dead['dead_failed']}/{dead['dead']} dead reported; target < 5 s -> "
              f"{'MET' if dead['wall'] < 5 else 'NOT MET'}")


def wait_ready(targets: list[DeviceTarget]) -> None:
    deadline = time.monotonic() + 120  # first start indexes every data file
    while time.monotonic() < deadline:
        client_polls = asyncio.run(_probe(targets))
        if all(p.reachable for p in client_polls):
            return
        time.sleep(0.5)
    raise SystemExit("simulators did not come up")


async def _probe(targets: list[DeviceTarget]):
    client = SnmpClient(timeout_s=1.0, retries=0)
    try:
        return await client.poll(targets)
    finally:
        client.close()


def report(args, fonet: dict, net: dict) -> None:
    n, cycles = args.devices, args.cycles
    f_vb_cpu = fonet["cpu"] / fonet["varbinds"]
    f_dev_cpu = fonet["cpu"] / (n * cycles)
    print(f"fleet: {n} devices x {args.interfaces} interfaces, {args.simulators} snmpsim "
          f"processes, {os.cpu_count()} CPUs, {cycles} measured cycles")
    print(f"fonet first cycle (engine/target set-up + poll): wall {fonet['setup']['wall']:.2f} s, "
          f"CPU {fonet['setup']['cpu']:.2f} s; measured cycles: {fonet['devices']} complete "
          f"device polls, {fonet['failed']} failed")
    print("                     devices/s  varbinds/s  CPU/varbind  CPU/device  varbinds/device")
    print(f"fonet (pysnmp 7)    {n * cycles / fonet['wall']:10.1f}  "
          f"{fonet['varbinds'] / fonet['wall']:10.0f}  {f_vb_cpu * 1e6:8.1f} us  "
          f"{f_dev_cpu * 1e3:7.2f} ms  {fonet['varbinds'] / (n * cycles):10.1f}")
    if net:
        n_vb_cpu = net["cpu"] / net["varbinds"]
        print(f"net-snmp snmpbulkget{n / net['wall']:10.1f}  {net['varbinds'] / net['wall']:10.0f}"
              f"  {n_vb_cpu * 1e6:8.1f} us  {net['cpu'] / n * 1e3:7.2f} ms  "
              f"{net['varbinds'] / n:10.1f}")
        ratio = f_vb_cpu / n_vb_cpu
        verdict = "MET" if ratio <= 2.0 else "NOT MET"
        print(f"target 1, client CPU/varbind <= 2x net-snmp: {ratio:.2f}x -> {verdict}")
    else:
        print("net-snmp snmpbulkget not installed: comparison skipped")
    cpu_1000 = f_dev_cpu * 1000
    wall_1000 = 1000 / (n * cycles / fonet["wall"])
    print(f"target 2, 1000 devices x 8 interfaces in 60 s on one core: client CPU "
          f"{cpu_1000:.1f} s per cycle (extrapolated from {n} devices); measured wall rate "
          f"gives {wall_1000:.1f} s")
    if wall_1000 > 60 >= cpu_1000:
        print("  the simulator (sharing this machine) is the bottleneck: wall time is bound by "
              "snmpsim, the client itself needs only the CPU figure above")
    print(f"  -> {'MET' if cpu_1000 <= 60 else 'NOT MET'} (client CPU), "
          f"{'MET' if wall_1000 <= 60 else 'NOT MET'} (measured wall rate)")


if __name__ == "__main__":
    main()
