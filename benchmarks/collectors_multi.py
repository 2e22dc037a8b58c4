"""Three collectors share one PostgreSQL store; one is killed in the middle.

A ring of DEVICES simulated devices (2 optical ports each, one link to each neighbour) is
served by snmpsim (AGENTS responder processes). COLLECTORS `fonet collectors run
--distributed` processes poll them every INTERVAL seconds through procrastinate's queue in
the store. After half the run the first collector is killed with SIGKILL (its jobs stay
"doing"); the others must take its devices over.

Figures (from the store's poll ledger and samples, beside the goal):
- devices polled in each cycle (goal: every device, every cycle, the kill's cycle included);
- the longest gap between two polls of any device, in intervals (goal: <= 2);
- duplicate samples: samples beyond one per interface per stored poll (goal: 0), and polls
  of one device closer than half an interval (a poll the killed collector held, taken over
  late in its cycle, and the next cycle's poll on time);
- cycles whose link states and alarms were evaluated, and how often (goal: once each).

Usage: .venv/bin/python benchmarks/collectors_multi.py [--devices 240] [--interval 10]
       [--cycles 12] [--url postgresql+psycopg://...]   (the store is emptied first)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text  # noqa: E402

from collectors.client import poll_once  # noqa: E402
from collectors.simulate import (  # noqa: E402
    ACCESS_MBPS,
    PROFILES,
    SimDevice,
    SimLink,
    SimPort,
    Simulation,
)
from collectors.simulate_agents import SnmpsimAgents, probes_for, write_data  # noqa: E402
from fonet.devices import add_device, attach_link, device_targets, upsert_interfaces  # noqa: E402
from fonet.store import make_engine, reader, transaction, upgrade  # noqa: E402
from fonet.store import models as m  # noqa: E402
from fonet.store.observed import DevicePollCycle, EvaluatedCycle, InterfaceSample  # noqa: E402
from fonet.telemetry import InterfaceSample as Port  # noqa: E402

DEFAULT_URL = os.environ.get(
    "FONET_BENCH_PG_URL", "postgresql+psycopg://fonet:fonet-test@127.0.0.1:5432/fonet_bench_18b")


def ring(n: int) -> Simulation:
    """Return ``n`` devices in a ring, two up ports each, a link to each neighbour."""
    devices = {}
    for k in range(n):
        name = f"olt-{k:03d}"
        devices[name] = SimDevice(name=name, community=f"ring-{k:03d}", site_id=k,
                                  site_code=f"S{k:03d}", role="olt", number=k)
    links = []
    for k in range(n):
        a, z = f"olt-{k:03d}", f"olt-{(k + 1) % n:03d}"
        link = f"ring-{k:03d}"
        for dev, idx, port in ((a, 2, "sfp2"), (z, 1, "sfp1")):
            devices[dev].ports.append(SimPort(
                if_index=(int(dev[4:]) + 1) * 1000 + idx, name=port, link_name=link,
                speed_mbps=ACCESS_MBPS, state="up", in_rate_bps=2e8, out_rate_bps=1e8,
                tx_power_dbm=2.0, rx_power_dbm=-14.0))
        links.append(SimLink(link, a, "sfp2", z, "sfp1", 6.0, "up"))
    return Simulation(plan_id=0, devices=devices, links=links, cut_span_id=None,
                      cut_links=[], degraded_links=[], min_rx_power_dbm=-27.0)


def reset(url: str) -> None:
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS fonet_queue CASCADE; "
                          "DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(eng)
    eng.dispose()


def register(url: str, sim: Simulation, ports: dict[str, int]) -> None:
    eng = make_engine(url)
    with transaction(eng) as s:
        for dev in sim.devices.values():
            row = add_device(s, dev.name, "127.0.0.1", port=ports[dev.name],
                             community=dev.community, profiles=PROFILES)
            upsert_interfaces(s, row, [Port(if_index=p.if_index, name=p.name, descr=p.name,
                                            alias=p.link_name, high_speed_mbps=p.speed_mbps)
                                       for p in dev.ports])
        for link in sim.links:
            attach_link(s, link.name, f"{link.a_device}:{link.a_port}",
                        f"{link.z_device}:{link.z_port}")
    eng.dispose()


def warm_up(url: str) -> None:
    """Ask every device once: snmpsim reads a data file on its first request, slowly."""
    eng = make_engine(url)
    with reader(eng) as s:
        targets = device_targets(s)
    eng.dispose()
    answered = sum(p.reachable for p in poll_once(targets, timeout_s=5, retries=2))
    print(f"warm-up: {answered}/{len(targets)} devices answer")


def start(url: str, interval: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, FONET_DB_URL=url)
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "collectors", "run", "--distributed", "--interval",
         str(interval), "--groups", "default", "--timeout", "2", "--retries", "1"],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=240)
    ap.add_argument("--agents", type=int, default=3)
    ap.add_argument("--collectors", type=int, default=3)
    ap.add_argument("--interval", type=int, default=10)
    ap.add_argument("--cycles", type=int, default=12)
    ap.add_argument("--url", default=DEFAULT_URL)
    args = ap.parse_args()
    interval = args.interval
    work = Path(tempfile.mkdtemp(prefix="fonet-multi-"))
    sim = ring(args.devices)
    placed = write_data(sim, work / "data", agents=args.agents)
    agents = SnmpsimAgents([work / "data" / f"agent-{k}" for k in range(args.agents)],
                           work / "agents")
    procs: list[subprocess.Popen] = []
    with agents:
        agent_ports = agents.start(probes_for(sim, placed, args.agents))
        reset(args.url)
        register(args.url, sim, {name: agent_ports[k] for name, k in placed.items()})
        warm_up(args.url)
        logs = [work / f"collector-{k}.log" for k in range(args.collectors)]
        eng = make_engine(args.url)
        try:
            # the victim first, so that its worker is the first registered in the queue
            procs = [start(args.url, interval, logs[0])]
            victim = None
            while victim is None:
                with eng.connect() as conn:
                    victim = conn.scalar(text(
                        "SELECT min(id) FROM fonet_queue.procrastinate_workers"))
                time.sleep(0.1)
            procs += [start(args.url, interval, log) for log in logs[1:]]
            started = time.time()
            half = started + args.cycles * interval / 2
            while time.time() < half:
                time.sleep(0.2)
            held: list = []
            while not held and time.time() < half + 2 * interval:  # kill it while it polls
                with eng.connect() as conn:
                    held = list(conn.execute(text(
                        "SELECT id FROM fonet_queue.procrastinate_jobs WHERE status = 'doing' "
                        "AND task_name = 'fonet.poll' AND worker_id = :w"), {"w": victim}))
            os.killpg(procs[0].pid, signal.SIGKILL)
            procs[0].wait()
            killed = time.time()
            print(f"collector 0 killed while it held {len(held)} polls")
            while time.time() < started + args.cycles * interval:
                time.sleep(0.2)
        finally:
            for p in procs:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGTERM)
            for p in procs:
                p.wait(timeout=60)
            eng.dispose()
    report(args, sim, started, killed, procs, logs)


def report(args: argparse.Namespace, sim: Simulation, started: float, killed: float,
           procs: list[subprocess.Popen], logs: list[Path]) -> None:
    interval = args.interval
    eng = make_engine(args.url)
    with reader(eng) as s:
        ledger = [(n, c.timestamp(), p.timestamp(), who) for n, c, p, who in s.execute(
            select(m.Device.name, DevicePollCycle.cycle_start, DevicePollCycle.polled_at,
                   DevicePollCycle.collector)
            .join(DevicePollCycle, DevicePollCycle.device_id == m.Device.id))]
        samples = dict(s.execute(
            select(m.Device.name, func.count(InterfaceSample.id))
            .join(m.Interface, m.Interface.device_id == m.Device.id)
            .join(InterfaceSample, InterfaceSample.interface_id == m.Interface.id)
            .group_by(m.Device.name)).all())
        evaluated = Counter(c.timestamp() for c in s.scalars(select(EvaluatedCycle.cycle_start)))
    eng.dispose()
    n = len(sim.devices)
    per_cycle = Counter(c for _, c, _, _ in ledger)
    cycles = sorted(per_cycle)
    full = [c for c in cycles if c >= started and c + interval <= time.time()]
    kill_cycle = killed // interval * interval
    print(f"{n} devices ({2 * n} interfaces, {n} links) on {args.agents} snmpsim agents, "
          f"{args.collectors} collectors, interval {interval} s, {args.cycles} cycles; "
          f"collector 0 killed (SIGKILL) {killed - started:.1f} s in")
    print("devices polled per cycle (goal: all; a poll the killed collector held and that is "
          "taken over after its cycle ended counts for the next cycle):")
    for c in cycles:
        mark = "  <- kill" if c == kill_cycle else ""
        who = Counter(w for _, cc, _, w in ledger if cc == c)
        print(f"  {time.strftime('%H:%M:%S', time.gmtime(c))}  {per_cycle[c]:4d}/{n}  "
              f"by {', '.join(str(v) for _, v in sorted(who.items()))}{mark}")
    complete = sum(per_cycle[c] == n for c in full)
    print(f"complete cycles: {complete}/{len(full)} (those that began after the start and "
          f"ended before the stop)")
    times = defaultdict(list)
    for name, _, polled, _ in ledger:
        times[name].append(polled)
    gap = gap_after = 0.0
    for ts in times.values():
        ts.sort()
        for a, b in zip(ts, ts[1:], strict=False):
            gap = max(gap, (b - a) / interval)
            if b > killed:
                gap_after = max(gap_after, (b - a) / interval)
    unpolled = [name for name in sim.devices if not times.get(name)]
    print(f"longest gap of any device: {gap:.2f} intervals overall, {gap_after:.2f} across "
          f"the kill (goal: <= 2); devices never polled: {len(unpolled)}")
    polls = Counter(name for name, _, _, _ in ledger)
    extra = sum(max(0, samples.get(name, 0) - 2 * polls[name]) for name in sim.devices)
    close = sum(1 for ts in times.values() for a, b in zip(ts, ts[1:], strict=False)
                if b - a < interval / 2)
    print(f"duplicate samples: {extra} (samples beyond one per interface per stored poll; "
          f"goal: 0); polls of one device less than half an interval apart: {close} (a poll "
          f"taken over late, then the next cycle's on time; not duplicates)")
    twice = sum(1 for v in evaluated.values() if v > 1)
    span = [c for c in evaluated if started <= c <= max(evaluated)]
    expected = int((max(span) - min(span)) / interval) + 1 if span else 0
    print(f"link state and alarm evaluations: {len(evaluated)} cycles, {twice} twice, "
          f"{expected - len(span)} skipped between the first and the last (goal: 0 and 0)")
    taken = sum(log.read_text(errors="replace").count("of a dead collector is queued again")
                for log in logs[1:])
    print(f"polls of the killed collector taken over: {taken}; exit codes of the others: "
          f"{[p.returncode for p in procs[1:]]}")


if __name__ == "__main__":
    main()
