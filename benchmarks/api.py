"""100 concurrent readers of the NOC state against a running ``fonet serve``.

The NOC state (``GET /api/v1/noc/state``: links with live state and open alarms) is what
every operator screen polls. The script copies a planned SQLite store, gives every link of
its newest plan a live state (a tenth down, a tenth degraded) and opens an alarm per down
link, starts ``fonet serve`` on a free 127.0.0.1 port, then runs READERS httpx async clients
that each read the state REQUESTS times back to back, and prints p50 / p99 / max latency,
the request rate and the errors (target: 0).

Usage: .venv/bin/python benchmarks/api.py [--db-url sqlite:///PATH] [--readers 100]
       [--requests 20] [--base http://127.0.0.1:PORT --token TOKEN]

Without --base a server is started on a copy of --db-url (default: FONET_DB_URL), which
must hold a plan (`fonet init && fonet plan`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from fonet.config import Settings  # noqa: E402
from fonet.store import make_engine, transaction  # noqa: E402
from fonet.store.models import Link, Plan  # noqa: E402
from fonet.store.observed import LinkState  # noqa: E402


def prepare(db_url: str, folder: Path) -> tuple[str, str, dict[str, int]]:
    """Copy the store, give the newest plan's links live states and alarms; make a token."""
    from api.auth import create_token
    from fonet.noc.alarms import raise_alarm

    src = Path(make_url(db_url).database).expanduser()
    dst = folder / "bench.db"
    shutil.copy(src, dst)
    url = f"sqlite:///{dst}"
    eng = make_engine(url)
    rng = random.Random(1)
    counts = {"up": 0, "down": 0, "degraded": 0}
    now = datetime.now(UTC)
    with transaction(eng) as s:
        plan_id = s.scalar(select(func.max(Plan.id)))
        if plan_id is None:
            sys.exit(f"{db_url} holds no plan: run `fonet plan` first")
        links = list(s.scalars(select(Link).where(Link.plan_id == plan_id)))
        for link in links:
            r = rng.random()
            state = "down" if r < 0.1 else "degraded" if r < 0.2 else "up"
            counts[state] += 1
            s.merge(LinkState(link_id=link.id, state=state, reasons=[f"benchmark: {state}"],
                              since=now, updated_at=now))
            if state == "down":
                raise_alarm(s, f"bench:link_down:{link.name}", kind="link_down",
                            severity="major", object_type="link", object_name=link.name,
                            message=f"{link.name} down", now=now)
        _, token = create_token(s, "viewer", "benchmark")
    eng.dispose()
    return url, token, counts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, FONET_DB_URL=url, FONET_COLLECTORS="false")
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port),
                             "--log-level", "warning"], env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"fonet serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    sys.exit("fonet serve did not start")


async def reader(client: httpx.AsyncClient, n: int, lat: list[float], errors: list[str]
                 ) -> None:
    for _ in range(n):
        t0 = time.perf_counter()
        try:
            r = await client.get("/api/v1/noc/state")
            if r.status_code != 200:
                errors.append(f"HTTP {r.status_code}: {r.text[:200]}")
                continue
            if not r.content.startswith(b'{"at":'):  # parsed once above; here checked only
                errors.append(f"unexpected body: {r.content[:100]!r}")
                continue
        except httpx.HTTPError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        lat.append(time.perf_counter() - t0)


async def run(base: str, token: str, readers: int, requests: int) -> None:
    limits = httpx.Limits(max_connections=readers, max_keepalive_connections=readers)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                 limits=limits, timeout=60) as client:
        first = (await client.get("/api/v1/noc/state")).json()
        print(f"NOC state: {len(first['links'])} links {first['counts']}, "
              f"{len(first['alarms'])} open alarms, "
              f"{len((await client.get('/api/v1/noc/state')).content) / 1024:.0f} KiB")
        lat: list[float] = []
        errors: list[str] = []
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        await asyncio.gather(*(reader(client, requests, lat, errors) for _ in range(readers)))
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else lat * 99
    print(f"{readers} readers x {requests} requests: {len(lat)} ok, {len(errors)} errors, "
          f"{wall:.2f} s, {len(lat) / wall:.0f} requests/s")
    print(f"latency p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, "
          f"max {lat[-1] * 1000:.1f} ms")
    client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(f"client CPU {client_cpu:.1f} s ({client_cpu / max(len(lat), 1) * 1000:.1f} ms per "
          f"request) on {os.cpu_count()} CPUs shared with the server")
    for e in errors[:5]:
        print("error:", e)
    print("target: 0 errors —", "met" if not errors else "NOT met")


def _cpu_s(pid: int) -> float:
    """CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db-url", default=Settings().db_url)
    ap.add_argument("--readers", type=int, default=100)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--base", help="URL of a running server (then --token too)")
    ap.add_argument("--token")
    args = ap.parse_args()
    if args.base:
        if not args.token:
            ap.error("--base needs --token")
        asyncio.run(run(args.base, args.token, args.readers, args.requests))
        return
    with tempfile.TemporaryDirectory(prefix="fonet-bench-") as tmp:
        url, token, counts = prepare(args.db_url, Path(tmp))
        print(f"store: copy of {args.db_url}; link states {counts}")
        proc, base = start_server(url, Path(tmp) / "serve.log")
        server_pid_cpu = _cpu_s(proc.pid)
        try:
            asyncio.run(run(base, token, args.readers, args.requests))
            print(f"server CPU during the run {_cpu_s(proc.pid) - server_pid_cpu:.1f} s")
        finally:
            proc.terminate()
            proc.wait(timeout=15)


if __name__ == "__main__":
    main()
