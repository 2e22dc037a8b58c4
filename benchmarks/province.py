"""Plan a whole province on Dask with 1 and 2 workers: wall time, speed-up, peak memory.

Every regency of the province is one task (:func:`gis.province_plan.plan_province`); the
provincial backbone is planned after them in the client. The store is a copy of a store that
already holds the province (``fonet init --province 35``), taken afresh for each run so both
plan the same thing.

Run (about 3 minutes for East Java on 2 cores, after the store is built)::

    fonet data fetch --province 35 --from-dir ../shared/data/jatim-raw --out /tmp/jatim
    FONET_DB_URL=sqlite:////tmp/jatim.db fonet init --province 35 --data-dir /tmp/jatim
    .venv/bin/python benchmarks/province.py /tmp/jatim.db --province 35
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BASELINE = {1: None, 2: None}
"""No earlier figures: the province was not planned before this benchmark."""


def run(store: Path, province: str, workers: int) -> dict:
    """Plan the province on a fresh copy of ``store`` with ``workers`` local workers."""
    from fonet.store import make_engine

    with tempfile.TemporaryDirectory(prefix="fonet-province-") as tmp:
        db = Path(tmp) / "fonet.db"
        src = make_engine(f"sqlite:///{store}")
        with src.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        src.dispose()
        shutil.copyfile(store, db)
        from gis.province_plan import plan_province

        t0 = time.perf_counter()
        result = plan_province(f"sqlite:///{db}", province, workers=workers)
        result["wall_s"] = round(time.perf_counter() - t0, 1)
    return result


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", type=Path, help="SQLite store holding the province (not changed)")
    ap.add_argument("--province", default="35")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    print(f"province {args.province}, store {args.store}, {os.cpu_count()} cores")
    runs = {}
    for n in args.workers:
        r = run(args.store, args.province, n)
        runs[n] = r
        task_s = sum(t["seconds"] for t in r["tasks"].values())
        cpu_s = sum(t["cpu_s"] for t in r["tasks"].values())
        b = r["backbone"]
        print(f"\n{n} worker(s): wall {r['wall_s']} s, of which {r['task_phase_s']:.1f} s "
              f"planning the regencies (tasks {task_s:.1f} s wall, {cpu_s:.1f} s CPU: "
              f"{cpu_s / r['task_phase_s']:.2f} cores busy on average; load average "
              f"{os.getloadavg()[0]:.1f}), "
              f"{len(r['regencies'])} regencies, villages {r['villages_connected']}/"
              f"{r['villages_total']}; backbone from {b['core']}: {len(b['rings'])} rings, "
              f"{b['corridors']} corridors, {b['route_km']} km, two-edge-connected "
              f"{b['two_edge_connected']}, {len(b['single_points_of_failure'])} SPOFs, "
              f"unreached {b['unreached'] or 'none'}")
        for w in r["workers"]:
            print(f"  worker pid {w['pid']}: peak RSS {w['peak_rss_mb']} MB, "
                  f"{len(w['regencies'])} regencies")
        longest = max(r["tasks"].items(), key=lambda kv: kv[1]["seconds"])
        print(f"  longest task: {longest[0]} {longest[1]['seconds']} s; baseline: "
              f"{BASELINE.get(n) or 'none'}")
    if 1 in runs and len(runs) > 1:
        one = runs[1]["wall_s"]
        for n, r in sorted(runs.items()):
            print(f"speed-up with {n} worker(s): {one / r['wall_s']:.2f}x")
        tasks = runs[1]["tasks"].values()
        wall = sum(t["seconds"] for t in tasks)
        cpu = sum(t["cpu_s"] for t in tasks)
        longest = max(t["cpu_s"] for t in tasks)
        fixed = max(0.0, one - wall)
        est = fixed + max(cpu / 16, longest)
        print(f"16 workers on 16 free cores by this measure: about {est:.0f} s (the "
              f"{fixed:.0f} s outside the tasks with 1 worker, then its {cpu:.0f} s of task CPU "
              f"over 16 workers, bounded by the longest task, {longest:.1f} s CPU); tasks "
              f"got {cpu / wall:.0%} of a core with 1 worker")

if __name__ == "__main__":
    main()
