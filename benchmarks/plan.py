"""Time the coverage plan of the whole regency: offices only, then with the schools.

Loads the regency (FONET_DATA_DIR, or --data-dir) into a temporary SQLite store, then runs
the default plan (304 villages, 18 kecamatan, every office) and the plan with the 633 schools,
each --repeat times, and prints the wall time of each run beside its target (offices: 10 s,
schools: 20 s on the 2-core reference machine). The tests check what the plan is; how fast
it is made is measured here.

Usage: .venv/bin/python benchmarks/plan.py [--data-dir DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fonet.config import Settings  # noqa: E402
from fonet.planning.plan import run_plan  # noqa: E402
from fonet.planning.profile import load_profile  # noqa: E402
from fonet.store import make_engine, transaction  # noqa: E402
from gis.load import init_store  # noqa: E402

TARGETS_S = {"offices": 10.0, "schools": 20.0}


def field(result: object, name: str) -> object:
    """A field of the plan result, a mapping or a record."""
    return result[name] if isinstance(result, dict) else getattr(result, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="regency data directory (default: FONET_DATA_DIR)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data_dir = args.data_dir or Settings().data_dir
    profile = load_profile()
    with tempfile.TemporaryDirectory(prefix="fonet-bench-") as tmp:
        eng = make_engine(f"sqlite:///{Path(tmp) / 'plan.db'}")
        t0 = time.perf_counter()
        init_store(eng, data_dir)
        print(f"regency from {data_dir} loaded in {time.perf_counter() - t0:.1f} s")
        for label, schools in (("offices", False), ("schools", True)):
            walls = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                with transaction(eng) as s:
                    r = run_plan(s, profile, include_schools=schools)
                walls.append(time.perf_counter() - t0)
            target = TARGETS_S[label]
            print(f"plan with {label}: {field(r, 'villages_connected')} villages, "
                  f"{field(r, 'offices_connected')} offices"
                  + (f", {field(r, 'schools_connected')} schools" if schools else "")
                  + f"; wall median {statistics.median(walls):.2f} s, max {max(walls):.2f} s "
                  f"over {len(walls)} runs; target {target:g} s -> "
                  f"{'MET' if max(walls) <= target else 'NOT MET'}")
        eng.dispose()


if __name__ == "__main__":
    main()
