"""How long an SNMP answer takes on this machine, to choose the client's timeout and retries.

A fleet (default 300 devices x 8 interfaces, about the regency's 322) is served by snmpsim on
127.0.0.1 and polled by the fonet client as ``fonet serve`` polls it (64 devices at once,
multi-column GETBULK), with a long timeout and no retries so that every answer's real delay is
seen. The figures are the delays of single requests (send to answer): median, 99th and 99.9th
percentile and maximum, per cycle, with everything sharing the machine's cores (the simulator
too). With ``--concurrency 2`` (one request in flight per simulator process) they are the
agent's and the client's own time; with 64 in flight they include the simulator's queue, which a
real fleet (one agent per device) does not have. The default timeout must sit well above the
worst delay seen here; the default retries are chosen for a lossy radio link (see the README).

Usage: .venv/bin/python benchmarks/timeouts.py [--devices 300] [--cycles 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from poll import device_file, start_simulators, wait_ready  # noqa: E402

from collectors.client import DEFAULT_RETRIES, DEFAULT_TIMEOUT_S, SnmpClient  # noqa: E402
from fonet.telemetry import DeviceTarget  # noqa: E402


class TimedClient(SnmpClient):
    """The fonet client, recording the delay of every request."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.delays: list[float] = []

    async def _bulk(self, target, non_repeaters, max_rep, oids):
        started = time.perf_counter()
        try:
            return await super()._bulk(target, non_repeaters, max_rep, oids)
        finally:
            self.delays.append(time.perf_counter() - started)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def cycles(targets: list[DeviceTarget], count: int, concurrency: int) -> list[dict]:
    client = TimedClient(concurrency=concurrency, timeout_s=30.0, retries=0)
    out = []
    try:
        await client.prepare(targets)
        for _ in range(count):
            client.delays.clear()
            started = time.perf_counter()
            polls = await client.poll(targets)
            wall = time.perf_counter() - started
            out.append({"wall_s": wall, "failed": sum(not p.reachable for p in polls),
                        "requests": list(client.delays)})
    finally:
        client.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=300)
    parser.add_argument("--interfaces", type=int, default=8)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--simulators", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=64)
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
            results = asyncio.run(cycles(targets, args.cycles, args.concurrency))
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait()
    print(f"{args.devices} devices x {args.interfaces} interfaces, concurrency "
          f"{args.concurrency}, {args.simulators} simulators, timeout 30 s, no retries")
    for n, r in enumerate(results, 1):
        req = r["requests"]
        print(f"cycle {n}: {r['wall_s']:.1f} s wall, {r['failed']} failed, {len(req)} requests; "
              f"request delay p50 {statistics.median(req) * 1000:.0f} ms, "
              f"p99 {pct(req, 0.99) * 1000:.0f} ms, p99.9 {pct(req, 0.999) * 1000:.0f} ms, "
              f"max {max(req) * 1000:.0f} ms")
    worst = max(max(r["requests"]) for r in results)
    print(f"worst request delay {worst * 1000:.0f} ms; default timeout {DEFAULT_TIMEOUT_S:g} s "
          f"({DEFAULT_TIMEOUT_S / worst:.1f}x the worst), retries {DEFAULT_RETRIES}")


if __name__ == "__main__":
    main()
