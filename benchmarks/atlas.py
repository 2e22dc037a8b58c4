"""The masterplan atlas timed: wall and CPU seconds per page, beside the A3 sheet alone.

Loads the regency into a fresh SQLite store (``FONET_DATA_DIR``), plans it with the default
profile, then writes the A3 sheet (PDF) and the atlas (21 pages) and prints wall and CPU time,
pages and size. There is no target; the baselines are the A3 sheet alone, and the atlas before
its layers were drawn as collections (GeoDataFrame.plot redraws the whole figure after every
call): 35.8 s of user CPU for `fonet export -f atlas` (21 pages, start-up and loading included,
about 3 s of it).

Usage: .venv/bin/python benchmarks/atlas.py [--repeat 1] [--lang id]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pikepdf  # noqa: E402

from fonet.store import make_engine, transaction  # noqa: E402
from gis.export import export_plan  # noqa: E402

BASELINE_CPU_S = 32.8
"""CPU seconds of the 21-page atlas when every layer was drawn with GeoDataFrame.plot (35.8 s
for the whole command less about 3 s of start-up and loading)."""


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _timed(label: str, fn) -> tuple[float, float]:  # noqa: ANN001
    w0, c0 = time.perf_counter(), _cpu()
    fn()
    wall, cpu = time.perf_counter() - w0, _cpu() - c0
    print(f"{label:<28} wall {wall:6.1f} s   cpu {cpu:6.1f} s", flush=True)
    return wall, cpu


def main() -> None:
    """Plan the regency and time the sheet and the atlas."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--lang", default="id")
    args = ap.parse_args()
    from fonet.planning.plan import run_plan
    from fonet.planning.profile import load_profile
    from gis.load import init_store

    data = Path(os.environ.get("FONET_DATA_DIR", "../shared/data/mojokerto"))
    tmp = Path(tempfile.mkdtemp(prefix="fonet-bench-atlas-"))
    try:
        eng = make_engine(f"sqlite:///{tmp / 'fonet.db'}")
        init_store(eng, data)
        with transaction(eng) as s:
            plan_id = run_plan(s, load_profile())["plan_id"]
        export_plan(eng, plan_id, "pdf", tmp / "warm.pdf", lang=args.lang)  # imports, fonts
        for i in range(args.repeat):
            _, sheet_cpu = _timed("A3 sheet (1 page)", lambda: export_plan(
                eng, plan_id, "pdf", tmp / "sheet.pdf", lang=args.lang))
            _, one_cpu = _timed("atlas, one kecamatan page", lambda: export_plan(
                eng, plan_id, "atlas", tmp / "pacet.pdf", lang=args.lang, kecamatan="Pacet"))
            wall, cpu = _timed("atlas (whole)", lambda: export_plan(
                eng, plan_id, "atlas", tmp / "annex.pdf", lang=args.lang))
            with pikepdf.open(tmp / "annex.pdf") as pdf:
                pages = len(pdf.pages)
            size = (tmp / "annex.pdf").stat().st_size
            print(f"run {i + 1}: {pages} pages, {size / 1e6:.1f} MB, "
                  f"{wall / pages:.2f} s wall and {cpu / pages:.2f} s CPU per page; "
                  f"atlas CPU {cpu:.1f} s vs baseline {BASELINE_CPU_S:.0f} s "
                  f"({cpu / BASELINE_CPU_S:.2f}x); sheet {sheet_cpu:.1f} s, "
                  f"one kecamatan page {one_cpu:.1f} s")
        eng.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
