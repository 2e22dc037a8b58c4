"""Latency of the live stream: a link-state change stored by another process, to a client.

Copies a planned store (--db-url, default FONET_DB_URL; it must hold a plan: `fonet init &&
fonet plan`), starts ``fonet serve`` on it and opens ``GET /api/v1/events`` as a viewer. Then it
stores --changes link-state changes one after another, the way the collectors do, each at a
random moment of the event hub's 0.3 s polling period, and times each from its commit to its
arrival at the client. Prints the median, p90 and max against the target: every change on
the operator's screen within 1 s of being stored.

Usage: .venv/bin/python benchmarks/events.py [--db-url sqlite:///PATH] [--changes 40]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402

from fonet.config import Settings  # noqa: E402
from fonet.store import make_engine, transaction  # noqa: E402
from fonet.store.models import Link  # noqa: E402
from fonet.store.observed import LinkState, LinkStateChange  # noqa: E402

TARGET_S = 1.0


def _bench_api():  # noqa: ANN202
    """benchmarks/api.py (its store preparation and server start), loaded by path."""
    spec = importlib.util.spec_from_file_location("bench_api", HERE / "api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def listen(client: httpx.Client, url: str, token: str, arrivals: queue.Queue) -> None:
    """Put (arrival time, change id) of every link_state event on ``arrivals``."""
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with client.stream("GET", url, headers=headers) as r:
            event, data = "", ""
            for line in r.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif line == "":
                    if event == "link_state" and data:
                        arrivals.put((time.perf_counter(), json.loads(data)["change_id"]))
                    elif event == "hello":
                        arrivals.put((time.perf_counter(), 0))
                    event, data = "", ""
    except (httpx.HTTPError, RuntimeError):  # the server stopped: the stream ends
        return


def store_change(engine, link_id: int, to: str) -> tuple[int, float]:  # noqa: ANN001
    """Store one link-state change; return its id and the time of the commit."""
    with transaction(engine) as s:
        state = s.get(LinkState, link_id)
        now = datetime.now(UTC)
        change = LinkStateChange(link_id=link_id, at=now, from_state=state.state if state else None,
                                 to_state=to, reasons=[f"benchmark: {to}"])
        s.add(change)
        if state is None:
            s.add(LinkState(link_id=link_id, state=to, reasons=[], since=now, updated_at=now))
        else:
            state.state, state.since = to, now
        s.flush()
        change_id = change.id
    return change_id, time.perf_counter()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db-url", default=Settings().db_url)
    ap.add_argument("--changes", type=int, default=40)
    args = ap.parse_args()
    bench_api = _bench_api()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="fonet-bench-") as tmp:
        url, token, _ = bench_api.prepare(args.db_url, Path(tmp))
        proc, base = bench_api.start_server(url, Path(tmp) / "serve.log")
        eng = make_engine(url)
        arrivals: queue.Queue = queue.Queue()
        client = httpx.Client(timeout=httpx.Timeout(5, read=60))
        threading.Thread(target=listen, args=(client, base + "/api/v1/events", token, arrivals),
                         daemon=True).start()
        try:
            arrivals.get(timeout=30)  # hello: the stream is open
            with transaction(eng) as s:
                link_ids = list(s.scalars(select(Link.id).order_by(Link.id).limit(10)))
            delays = []
            for k in range(args.changes):
                time.sleep(rng.uniform(0, 0.3))  # a random phase of the hub's polling
                change_id, committed = store_change(eng, link_ids[k % len(link_ids)],
                                                    ("down", "up")[k % 2])
                while True:
                    at, got = arrivals.get(timeout=30)
                    if got == change_id:
                        delays.append(at - committed)
                        break
        finally:
            client.close()
            proc.terminate()  # an open stream may hold up a graceful stop: then kill
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            eng.dispose()
    delays.sort()
    p90 = delays[int(0.9 * (len(delays) - 1))]
    print(f"{len(delays)} link-state changes, commit to client: median "
          f"{statistics.median(delays) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, max "
          f"{delays[-1] * 1000:.0f} ms; target every change within {TARGET_S:g} s -> "
          f"{'MET' if delays[-1] <= TARGET_S else 'NOT MET'}")


if __name__ == "__main__":
    main()
