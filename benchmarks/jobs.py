"""45 viewer exports queued: does ``GET /me`` stay fast, and does the memory come back?

The scenario of issue 16: 45 viewers each ask for the A3 PNG map of a plan at once, while an
operator's screen keeps calling ``GET /api/v1/me``. The script copies a planned SQLite store,
starts ``fonet serve`` on a free 127.0.0.1 port (collectors off), creates 45 viewer tokens and
one for the probe, records the server's memory (the resident set of the server and every
process it started), sends the 45 exports at once, asks ``GET /me`` every 0.25 s (whether or
not the previous answer came, as a screen on a timer does; a new connection when the others
are busy) until
every export has finished, then waits for the memory to settle.

Targets: ``GET /me`` p99 under 0.5 s; memory back within 200 MB of the start once the jobs
are done; every export succeeded.

The client (this script) runs in its own process. ``--legacy`` drives a server of the code
before exports were jobs (``GET /plans/{id}/exports/png`` answering the file) for the
"before" figure: run it with ``--server-path`` pointing at a checkout of that code and a
store made by it.

Usage: .venv/bin/python benchmarks/jobs.py [--db-url sqlite:///PATH] [--exports 45]
       [--format png] [--legacy --server-path DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from benchmarks.serving import copy_store, start_server  # noqa: E402
from fonet.config import Settings  # noqa: E402
from fonet.store import transaction  # noqa: E402
from fonet.store.models import Plan  # noqa: E402

TARGET_P99_S = 0.5
TARGET_MEMORY_MB = 200


def prepare(db_url: str, folder: Path, tokens: int, *, upgrade: bool
            ) -> tuple[str, int, list[str], str]:
    """Copy the store; create the viewers' tokens and the probe's; return URL, plan, tokens."""
    from api.auth import create_token

    url, eng = copy_store(db_url, folder, upgrade=upgrade)
    with transaction(eng) as s:
        plan_id = s.scalar(select(func.max(Plan.id)))
        if plan_id is None:
            sys.exit(f"{db_url} holds no plan: run `fonet plan` first")
        viewers = [create_token(s, "viewer", f"bench-viewer-{i}")[1] for i in range(tokens)]
        probe = create_token(s, "viewer", "bench-probe")[1]
    eng.dispose()
    return url, plan_id, viewers, probe






def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
    total_kb = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        stack.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            pass
    return total_kb / 1024


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="fonet-bench-jobs-") as tmp:
        url, plan_id, viewers, probe = prepare(args.db_url, Path(tmp), args.exports,
                                               upgrade=not args.legacy)
        env = {"FONET_JOBS_DIR": str(Path(tmp) / "jobs")}
        proc, base = start_server(url, Path(tmp) / "serve.log", args.server_path, env)
        try:
            with httpx.Client(base_url=base, timeout=600) as c:
                me = {"Authorization": f"Bearer {probe}"}
                for _ in range(20):  # warm up
                    c.get("/api/v1/me", headers=me).raise_for_status()
                time.sleep(1.0)
                rss0 = tree_rss_mb(proc.pid)
                print(f"server: {'legacy ' if args.legacy else ''}{base}, plan {plan_id}; "
                      f"memory at start {rss0:.0f} MB")
                results: list[str] = []
                peak = [rss0]
                lock = threading.Lock()

                def export(token: str) -> None:
                    h = {"Authorization": f"Bearer {token}"}
                    path = f"/api/v1/plans/{plan_id}/exports/{args.format}"
                    try:
                        with httpx.Client(base_url=base, timeout=900) as cc:
                            if args.legacy:
                                r = cc.get(path, headers=h)
                                ok = r.status_code == 200 and len(r.content) > 10_000
                                out = "succeeded" if ok else f"HTTP {r.status_code}"
                            else:
                                r = cc.post(path, headers=h)
                                if r.status_code != 202:
                                    out = f"HTTP {r.status_code}: {r.text[:120]}"
                                else:
                                    job = r.json()
                                    while job["state"] in ("queued", "running"):
                                        time.sleep(1.0)
                                        job = cc.get(job["links"]["self"], headers=h).json()
                                    out = job["state"]
                                    if out == "succeeded":
                                        f = cc.get(job["links"]["result"], headers=h)
                                        if f.status_code != 200 or len(f.content) < 10_000:
                                            out = f"result HTTP {f.status_code}"
                                    else:
                                        out += f": {job.get('error')}"
                    except httpx.HTTPError as exc:
                        out = f"{type(exc).__name__}: {exc}"
                    with lock:
                        results.append(out)

                threads = [threading.Thread(target=export, args=(t,), daemon=True)
                           for t in viewers]
                t0 = time.perf_counter()
                for t in threads:
                    t.start()
                lat: list[float] = []
                errors = [0]

                pc = httpx.Client(base_url=base, timeout=900,
                                  limits=httpx.Limits(max_connections=500))

                def probe() -> None:
                    s0 = time.perf_counter()
                    try:
                        if pc.get("/api/v1/me", headers=me).status_code != 200:
                            errors[0] += 1
                    except httpx.HTTPError:
                        errors[0] += 1
                    with lock:
                        lat.append(time.perf_counter() - s0)

                # an operator's screen asks on a timer, whether or not the last answer came
                probes: list[threading.Thread] = []
                while any(t.is_alive() for t in threads):
                    p = threading.Thread(target=probe, daemon=True)
                    p.start()
                    probes.append(p)
                    peak.append(tree_rss_mb(proc.pid))
                    time.sleep(args.probe_every_s)
                for p in probes:
                    p.join(timeout=900)
                pc.close()
                wall = time.perf_counter() - t0
                settle_deadline = time.monotonic() + args.settle_s
                rss1 = tree_rss_mb(proc.pid)
                while time.monotonic() < settle_deadline and rss1 - rss0 > TARGET_MEMORY_MB:
                    time.sleep(1.0)
                    rss1 = tree_rss_mb(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    ok = sum(1 for r in results if r == "succeeded")
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else lat * 99
    print(f"{args.exports} {args.format} exports by {args.exports} viewers: {ok} succeeded "
          f"in {wall:.1f} s; others: {sorted(set(r for r in results if r != 'succeeded'))[:3]}")
    print(f"GET /me every {args.probe_every_s:g} s while they ran: {len(lat)} requests, "
          f"{errors[0]} errors, p50 "
          f"{q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms "
          f"(target p99 < {TARGET_P99_S * 1000:.0f} ms)")
    print(f"memory: start {rss0:.0f} MB, peak {max(peak):.0f} MB, after {rss1:.0f} MB "
          f"(+{rss1 - rss0:.0f} MB; target within {TARGET_MEMORY_MB} MB)")
    met = q[98] < TARGET_P99_S and rss1 - rss0 <= TARGET_MEMORY_MB and ok == args.exports
    print("targets:", "met" if met else "NOT met")
    return 0 if met else 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db-url", default=Settings().db_url)
    ap.add_argument("--exports", type=int, default=45)
    ap.add_argument("--format", default="png")
    ap.add_argument("--settle-s", type=float, default=60.0,
                    help="how long to wait for the memory to come back after the jobs")
    ap.add_argument("--probe-every-s", type=float, default=0.25,
                    help="how often the probe asks GET /me (each on its own connection)")
    ap.add_argument("--legacy", action="store_true",
                    help="drive the old API (GET /exports answering the file)")
    ap.add_argument("--server-path", help="run the server from this source tree")
    args = ap.parse_args()
    sys.exit(run(args))


if __name__ == "__main__":
    main()
