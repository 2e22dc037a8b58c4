"""Fibre layer on the regency: design a plan, check it, trace every link.

Prints the time of ``fonet fibre design`` (first run and an idempotent re-run), of
``fonet fibre check`` and of tracing every circuit, and the worst gap between a trace's loss and
the plan's loss budget for its link (the issue's limit: 0.01 dB). Run from the repository::

    .venv/bin/python benchmarks/fibre.py [--db PATH]

Without ``--db`` a fresh SQLite store is made in a temporary folder from the packaged regency
data (``fonet init`` and ``fonet plan``, about a minute).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from fonet.config import Settings
from fonet.fibre.design import design
from fonet.fibre.integrity import check
from fonet.fibre.trace import trace_circuit
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import make_engine, reader, transaction
from fonet.store.models import Link, Plan

LOSS_LIMIT_DB = 0.01


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, help="an SQLite store with the regency loaded")
    args = ap.parse_args()
    if args.db is None:
        from gis.load import init_store

        folder = Path(tempfile.mkdtemp(prefix="fonet-fibre-bench-"))
        args.db = folder / "fonet.db"
        eng = make_engine(f"sqlite:///{args.db}")
        init_store(eng, Settings().regency_dir)
    else:
        eng = make_engine(f"sqlite:///{args.db}")
    with reader(eng) as s:
        pid = s.scalar(select(Plan.id).order_by(Plan.id.desc()))
    if pid is None:
        with transaction(eng) as s:
            pid = run_plan(s, load_profile()).plan_id
    timings = {}
    for run in ("design (first run)", "design (re-run)"):
        t0 = time.perf_counter()
        with transaction(eng) as s:
            result = design(s, pid)
        timings[run] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with reader(eng) as s:
        violations = check(s)
    timings["check"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    worst = 0.0
    with reader(eng) as s:
        links = s.scalars(select(Link).where(Link.plan_id == pid)).all()
        for link in links:
            tr = trace_circuit(s, link)
            if tr["plan_loss"] is not None:
                worst = max(worst, abs(tr["loss_db"] - tr["plan_loss"]["loss_db"]))
    timings[f"trace all {len(links)} links"] = time.perf_counter() - t0
    print(f"plan {pid}: {result.cables} cables, {result.closures} closures, {result.odfs} "
          f"ODFs, {result.fibres} fibres, {result.splices} splices, {result.circuits} "
          f"circuits, {len(result.unassigned)} unassigned, {len(violations)} violations")
    for what, secs in timings.items():
        print(f"{what:<28} {secs:8.2f} s")
    print(f"worst |trace loss - plan loss| {worst:.4f} dB (limit {LOSS_LIMIT_DB} dB)")
    eng.dispose()


if __name__ == "__main__":
    main()
