"""The month's availability report for the whole regency, and OTDR reading and locating.

Copies a planned SQLite store (``--db-url``, default ``FONET_DB_URL``; it must hold a plan:
``fonet init && fonet plan``), gives every link of the newest plan a month of state history
(OUTAGES random outages per link, 10 min to 6 h each, a tenth of them cuts of a whole access
span with their alarms grouped under a ``fibre_cut``), then times:

- ``availability()`` for the month, per link and per served site with per-day figures;
- ``read_sor`` on the four real instrument files (tests/data/otdr);
- ``otdr locate`` along the longest access link.

Targets (none is stated by the issue; these are the operator's): the month's report of the
whole regency in under 10 s on this 2-core machine, a trace read in under 0.1 s, a locate in
under 0.5 s.

Usage: .venv/bin/python benchmarks/availability.py [--db-url sqlite:///PATH] [--outages 6]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from fonet.config import Settings  # noqa: E402
from fonet.noc.availability import availability  # noqa: E402
from fonet.noc.topology import load_topology  # noqa: E402
from fonet.otdr import locate_break, read_sor  # noqa: E402
from fonet.store import make_engine, reader, transaction  # noqa: E402
from fonet.store.models import Site  # noqa: E402
from fonet.store.observed import Alarm, LinkStateChange  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "otdr"


def history(url: str, outages: int, seed: int = 13) -> tuple[int, int]:
    """Store a month (November 2026, WIB) of link-state changes and link_down alarms."""
    rng = random.Random(seed)
    start = datetime(2026, 10, 31, 17, tzinfo=UTC)
    eng = make_engine(url)
    changes = alarms = 0
    with transaction(eng) as s:
        topo = load_topology(s)
        links = [lk for lk in topo.links.values() if lk.id > 0]
        for lk in links:
            s.add(LinkStateChange(link_id=lk.id, at=start - timedelta(days=1), to_state="up",
                                  reasons=[]))
            t = start
            for _ in range(outages):
                t += timedelta(seconds=rng.uniform(0, 30 * 86400 / outages * 0.9))
                dur = timedelta(seconds=rng.uniform(600, 6 * 3600))
                s.add(LinkStateChange(link_id=lk.id, at=t, from_state="up", to_state="down",
                                      reasons=["bench"]))
                s.add(LinkStateChange(link_id=lk.id, at=t + dur, from_state="down",
                                      to_state="up", reasons=[]))
                root = None
                if rng.random() < 0.1:
                    root = Alarm(key=f"fibre_cut:bench:{lk.id}:{t.timestamp()}",
                                 kind="fibre_cut", severity="critical", object_type="span",
                                 object_name="bench", message="bench", details={},
                                 raised_at=t, cleared_at=t + dur)
                    s.add(root)
                    s.flush()
                s.add(Alarm(key=f"link_down:{lk.name}", kind="link_down", severity="major",
                            object_type="link", object_name=lk.name, message="bench",
                            details={}, raised_at=t, cleared_at=t + dur,
                            parent_id=root.id if root else None))
                changes += 2
                alarms += 1
                t += dur
    eng.dispose()
    return changes, alarms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db-url", default=os.environ.get("FONET_DB_URL", Settings().db_url))
    ap.add_argument("--outages", type=int, default=6)
    args = ap.parse_args()
    src = Path(make_url(args.db_url).database or "")
    folder = Path(tempfile.mkdtemp(prefix="fonet-bench-avail-"))
    dst = folder / "fonet.db"
    shutil.copy(src, dst)
    url = f"sqlite:///{dst}"
    t0 = time.perf_counter()
    changes, alarms = history(url, args.outages)
    print(f"history: {changes} state changes, {alarms} alarms stored in "
          f"{time.perf_counter() - t0:.1f} s")
    eng = make_engine(url)
    with reader(eng) as s:
        t0 = time.perf_counter()
        result = availability(s, "2026-11", now=datetime(2026, 12, 5, tzinfo=UTC))
        seconds = time.perf_counter() - t0
        print(f"availability 2026-11: {len(result['links'])} links, {len(result['sites'])} "
              f"sites with per-day figures in {seconds:.2f} s (target < 10 s)")
        worst = result["worst"][0]
        print(f"  worst site {worst['code']}: {worst['availability_pct']:.3f} %")
        reads = []
        for f in sorted(DATA.glob("*.[sS][oO][rR]")):
            t0 = time.perf_counter()
            trace = read_sor(f)
            reads.append(time.perf_counter() - t0)
            print(f"  read {f.name}: {len(trace.points)} points, end of fibre "
                  f"{trace.end_of_fibre_m:.2f} m")
        print(f"read_sor: worst {max(reads) * 1000:.1f} ms per file (target < 100 ms)")
        topo = load_topology(s)
        longest = max((lk for lk in topo.links.values() if lk.kind == "access"),
                      key=lambda lk: sum(topo.spans[sp].length_m for sp in lk.span_ids))
        hub = s.scalar(select(Site.code).where(Site.id == longest.a_site_id))
        t0 = time.perf_counter()
        out = locate_break(s, link=longest.name, from_=hub, distance_m=3200.0)
        seconds = time.perf_counter() - t0
        print(f"otdr locate on {longest.name} ({len(longest.span_ids)} spans): "
              f"{seconds * 1000:.0f} ms (target < 500 ms), span {out['span']['span_id']}, "
              f"+- {out['uncertainty_m']} m")
    eng.dispose()
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
