"""100 concurrent readers of the NOC view against a running ``fonet serve``.

The NOC view of the web map reads the NOC state (``/noc/state``), the links with their live
state as GeoJSON (``/links/geojson``), the open alarms (``/alarms?open=true``) and the located
cut (``/noc/cut``), and every operator screen reads them again and again. The script copies a
planned SQLite store, gives every link of its newest plan a live state (a tenth down, a tenth
degraded) and opens an alarm per down link, starts ``fonet serve`` on a free 127.0.0.1 port
(in its own process: the client is this script), then runs READERS httpx async clients, each
with its own viewer token, that each read the NOC view's requests REQUESTS times back to back
the way a browser does (gzip accepted; revalidating with ``If-None-Match`` when the server
gave an ``ETag``), and prints p50 / p99 / max latency, the request rate and the errors
(target: 0).

Usage: .venv/bin/python benchmarks/api.py [--db-url sqlite:///PATH] [--readers 100]
       [--requests 20] [--only noc/state] [--server-path DIR]
       [--base http://127.0.0.1:PORT --token TOKEN]

Without --base a server is started on a copy of --db-url (default: FONET_DB_URL), which
must hold a plan (`fonet init && fonet plan`); the copy is upgraded to this code's schema
unless --server-path runs the server from another source tree (the "before" figure: a
checkout of older code and a store made by it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from benchmarks.serving import copy_store, start_server  # noqa: E402
from fonet.config import Settings  # noqa: E402
from fonet.store import transaction  # noqa: E402
from fonet.store.models import Link, Plan  # noqa: E402
from fonet.store.observed import LinkState  # noqa: E402


def prepare(db_url: str, folder: Path, readers: int = 1, *, upgrade: bool = True
            ) -> tuple[str, list[str], dict[str, int], int]:
    """Copy the store, give the newest plan's links live states and alarms; make tokens."""
    from api.auth import create_token
    from fonet.noc.alarms import raise_alarm

    url, eng = copy_store(db_url, folder, upgrade=upgrade)
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
        tokens = [create_token(s, "viewer", f"benchmark-{i}")[1] for i in range(readers)]
    eng.dispose()
    return url, tokens, counts, plan_id






def view_paths(plan_id: int) -> list[str]:
    """The requests the NOC view of the web map makes (and makes again on every event)."""
    return ["/api/v1/noc/state", "/api/v1/links/geojson", "/api/v1/alarms?open=true&limit=200",
            f"/api/v1/noc/cut?plan_id={plan_id}"]


async def reader(client: httpx.AsyncClient, token: str, paths: list[str], n: int,
                 lat: dict[str, list[float]], errors: list[str], sizes: dict[str, int]
                 ) -> None:
    """Read ``paths`` ``n`` times, as a browser: gzip, and revalidate what has an ETag."""
    etags: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    for _ in range(n):
        for path in paths:
            h = dict(headers)
            if path in etags:
                h["If-None-Match"] = etags[path]
            t0 = time.perf_counter()
            try:
                r = await client.get(path, headers=h)
                if r.status_code == 304:
                    pass
                elif r.status_code != 200:
                    errors.append(f"{path}: HTTP {r.status_code}: {r.text[:200]}")
                    continue
                elif not r.content.startswith(b"{"):
                    errors.append(f"{path}: unexpected body: {r.content[:100]!r}")
                    continue
                else:
                    sizes[path] = int(r.headers.get("content-length", len(r.content)))
                    if "etag" in r.headers:
                        etags[path] = r.headers["etag"]
            except httpx.HTTPError as exc:
                errors.append(f"{path}: {type(exc).__name__}: {exc}")
                continue
            lat.setdefault(path, []).append(time.perf_counter() - t0)


def _q(values: list[float]) -> tuple[float, float, float]:
    values = sorted(values)
    q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
    return q[49] * 1000, q[98] * 1000, values[-1] * 1000


async def run(base: str, tokens: list[str], readers: int, requests: int, paths: list[str],
              warmup: int = 1) -> None:
    limits = httpx.Limits(max_connections=readers, max_keepalive_connections=readers)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        first = (await client.get("/api/v1/noc/state",
                                  headers={"Authorization": f"Bearer {tokens[0]}"})).json()
        print(f"NOC state: {len(first['links'])} links {first['counts']}, "
              f"{len(first['alarms'])} open alarms")
        lat: dict[str, list[float]] = {}
        errors: list[str] = []
        sizes: dict[str, int] = {}
        if warmup:  # every screen logs in and loads the view once before it polls
            await asyncio.gather(*(reader(client, tokens[i % len(tokens)], paths, warmup, {},
                                          errors, {}) for i in range(readers)))
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        await asyncio.gather(*(reader(client, tokens[i % len(tokens)], paths, requests, lat,
                                      errors, sizes) for i in range(readers)))
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    every = [x for v in lat.values() for x in v]
    n = len(every)
    print(f"{readers} readers x {requests} rounds of {len(paths)} requests: {n} ok, "
          f"{len(errors)} errors, {wall:.2f} s, {n / wall:.0f} requests/s")
    for path in paths:
        if path in lat:
            p50, p99, mx = _q(lat[path])
            print(f"  {path:<40} p50 {p50:8.1f} ms  p99 {p99:8.1f} ms  max {mx:8.1f} ms  "
                  f"({sizes.get(path, 0) / 1024:.0f} KiB on the wire)")
    p50, p99, mx = _q(every)
    print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {mx:.1f} ms")
    client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(f"client CPU {client_cpu:.1f} s ({client_cpu / max(n, 1) * 1000:.1f} ms per "
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
    ap.add_argument("--requests", type=int, default=20, help="rounds per reader")
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed rounds per reader first (the screens load the view)")
    ap.add_argument("--only", action="append", help="read only this path (repeatable), "
                                                   "e.g. noc/state")
    ap.add_argument("--server-path", help="run the server from this source tree")
    ap.add_argument("--base", help="URL of a running server (then --token too)")
    ap.add_argument("--token")
    args = ap.parse_args()

    def paths(plan_id: int) -> list[str]:
        every = view_paths(plan_id)
        if not args.only:
            return every
        return [p for p in every if any(o in p for o in args.only)]

    if args.base:
        if not args.token:
            ap.error("--base needs --token")
        asyncio.run(run(args.base, [args.token], args.readers, args.requests, paths(1),
                        args.warmup))
        return
    with tempfile.TemporaryDirectory(prefix="fonet-bench-") as tmp:
        url, tokens, counts, plan_id = prepare(args.db_url, Path(tmp), args.readers,
                                               upgrade=not args.server_path)
        print(f"store: copy of {args.db_url}; link states {counts}; server "
              f"{args.server_path or 'this checkout'}")
        proc, base = start_server(url, Path(tmp) / "serve.log", args.server_path)
        server_pid_cpu = _cpu_s(proc.pid)
        try:
            asyncio.run(run(base, tokens, args.readers, args.requests, paths(plan_id),
                            args.warmup))
            print(f"server CPU during the run {_cpu_s(proc.pid) - server_pid_cpu:.1f} s")
        finally:
            proc.terminate()
            proc.wait(timeout=15)


if __name__ == "__main__":
    main()
