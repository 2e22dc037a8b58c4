"""``fonet demo`` timed: time to up, a full poll cycle of the regency, the steady schedule.

Starts ``fonet demo`` (fresh store, plan, one snmpsim device per planned site, service and
collectors in one process) and measures:

- time to the URL line and to "ready" (every device polled once, every link evaluated after
  that, i.e. the first full poll cycle stored); target: under 60 s;
- the first cycle inside the demo (the start sweep): first to last device poll, from the store;
- a full poll cycle of every simulated device from this process (fresh client, cold then warm),
  with its client CPU, and the store work for those polls (on a copy of the demo's store);
- the steady schedule over ``--watch`` seconds: the longest gap between two polls of a device
  and the links whose state is ``unknown`` (stale) at the end; target: every device polled
  every ``--interval`` (60 s);
- time to stop on SIGINT, and whether any process is left.

Usage: .venv/bin/python benchmarks/demo.py [--interval 60] [--watch 150] [--agents 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from collectors.client import SnmpClient  # noqa: E402
from collectors.service import StoreSink  # noqa: E402
from fonet.devices import device_targets  # noqa: E402
from fonet.store import make_engine, reader  # noqa: E402
from fonet.store.models import Interface  # noqa: E402
from fonet.store.observed import InterfaceSample, LinkState  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def parse(t: object) -> datetime:
    return t if isinstance(t, datetime) else datetime.fromisoformat(str(t))


def cycle(targets: list, concurrency: int) -> tuple[list, list[tuple[float, float]]]:
    async def main() -> tuple[list, list[tuple[float, float]]]:
        client = SnmpClient(concurrency=concurrency, timeout_s=2.0)
        t, c = time.perf_counter(), cpu_s()
        await client.prepare(targets)
        figures = [(time.perf_counter() - t, cpu_s() - c)]
        polls = []
        for _ in range(2):
            t, c = time.perf_counter(), cpu_s()
            polls = await client.poll(targets)
            figures.append((time.perf_counter() - t, cpu_s() - c))
        client.close()
        return polls, figures

    return asyncio.run(main())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interval", type=float, default=60.0)
    ap.add_argument("--watch", type=float, default=150.0,
                    help="seconds of steady polling to watch after ready")
    ap.add_argument("--agents", type=int, default=2)
    ap.add_argument("--data-dir", default=None,
                    help="regency data directory (default: FONET_DATA_DIR, else the packaged data)")
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="fonet-demo-bench-"))
    db = folder / "demo.db"
    port = free_port()
    err = (folder / "demo.err").open("w")
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "demo", "--port", str(port), "--interval",
         str(args.interval), "--db", str(db), "--agents", str(args.agents),
         *(["--data-dir", args.data_dir] if args.data_dir else [])], cwd=REPO,
        stdout=subprocess.PIPE, stderr=err, text=True,
        start_new_session=True)
    marks: dict[str, float] = {}
    lines: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.rstrip())
            for key in ("URL:", "ready:"):
                if line.startswith(key):
                    marks[key] = time.monotonic() - t0

    threading.Thread(target=read, daemon=True).start()
    try:
        while "ready:" not in marks:
            if proc.poll() is not None:
                raise SystemExit(f"fonet demo exited: {(folder / 'demo.err').read_text()}")
            if time.monotonic() - t0 > 600:
                raise SystemExit("fonet demo was not ready within 600 s")
            time.sleep(0.1)
        sim = json.loads((folder / "demo.db.agents" / "simulation.json").read_text())
        print(f"devices {sim['devices']}, ports {sim['ports']}, links {sim['links']}, "
              f"agents {args.agents}, interval {args.interval:g} s, CPUs {os.cpu_count()}")
        print(f"time to URL printed: {marks['URL:']:.1f} s")
        print(f"time to up (first full poll cycle stored): {marks['ready:']:.1f} s "
              f"[target < 60 s: {'met' if marks['ready:'] < 60 else 'NOT met'}]")
        print(f"  {lines[-1]}")

        eng = make_engine(f"sqlite:///{db}")
        with reader(eng) as s:
            first = (select(Interface.device_id, func.min(InterfaceSample.polled_at).label("t"))
                     .join(Interface, Interface.id == InterfaceSample.interface_id)
                     .group_by(Interface.device_id).subquery())
            lo, hi = s.execute(select(func.min(first.c.t), func.max(first.c.t))).one()
            targets = device_targets(s)
        print(f"first cycle in the demo (start sweep): first to last device poll "
              f"{(parse(hi) - parse(lo)).total_seconds():.1f} s")

        polls, figs = cycle(targets, 8 * args.agents)
        answered = sum(p.reachable for p in polls)
        varbinds = sum(p.varbinds for p in polls)
        print(f"full poll cycle from a second client ({answered}/{len(polls)} answered, "
              f"{varbinds} varbinds warm), demo polling alongside:")
        print(f"  configure targets {figs[0][0]:.1f} s (CPU {figs[0][1]:.1f} s); cold cycle "
              f"{figs[1][0]:.1f} s (CPU {figs[1][1]:.1f} s); warm cycle {figs[2][0]:.1f} s "
              f"(CPU {figs[2][1]:.1f} s) [target < {args.interval:g} s: "
              f"{'met' if figs[2][0] < args.interval else 'NOT met'}]")
        copy = folder / "copy.db"
        with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        copy_eng = make_engine(f"sqlite:///{copy}")
        sink = StoreSink(copy_eng, interval_s=args.interval)
        t = time.perf_counter()
        sink.work(polls, False)
        store_s = time.perf_counter() - t
        t = time.perf_counter()
        sink.work([], True, [p.name for p in polls])
        eval_s = time.perf_counter() - t
        copy_eng.dispose()
        print(f"  store work for that cycle: {store_s:.1f} s to store {len(polls)} polls, "
              f"{eval_s:.1f} s for one evaluation of every link and alarm")

        time.sleep(args.watch)
        with reader(eng) as s:
            rows = s.execute(select(Interface.device_id, InterfaceSample.polled_at)
                             .join(Interface, Interface.id == InterfaceSample.interface_id)
                             .order_by(Interface.device_id, InterfaceSample.polled_at)).all()
            stale = s.scalar(select(func.count()).select_from(LinkState)
                             .where(LinkState.state == "unknown"))
        times: dict[int, list[datetime]] = {}
        for dev, at in rows:
            at = parse(at)
            if not times.get(dev) or (at - times[dev][-1]).total_seconds() > 0.5:
                times.setdefault(dev, []).append(at)
        gaps = [(b - a).total_seconds() for ts in times.values() for a, b in pairwise(ts)]
        late = sum(1 for g in gaps if g > args.interval * 1.1 + 1)
        print(f"steady schedule over {args.watch:g} s: {len(gaps)} poll gaps, longest "
              f"{max(gaps):.1f} s, {late} over interval + 10 % jitter; links unknown (stale) "
              f"at the end: {stale}")
        eng.dispose()
    finally:
        t = time.monotonic()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
        stop_s = time.monotonic() - t
        err.close()
    agents = [a["pid"] for a in sim["agents"]] if "sim" in locals() else []
    left = [p for p in agents if Path(f"/proc/{p}").exists()
            and Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    print(f"stop on SIGINT: {stop_s:.1f} s, exit code {code}, agents left: {left or 'none'}")


if __name__ == "__main__":
    main()
