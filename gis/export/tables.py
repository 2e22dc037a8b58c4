"""CSV tables of a plan: the bill of materials and the coverage per kecamatan.

``--out masterplan`` (or ``masterplan.csv``) writes ``masterplan_bom.csv`` and
``masterplan_coverage.csv``; ``--out DIR/`` (an existing folder, or a path ending in ``/``)
writes ``DIR/bom.csv`` and ``DIR/coverage.csv``. Column names are the same in every language;
the ``name`` column of the backbone and total rows follows ``--lang``.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from gis.export import labels as lb
from gis.export.files import atomic_files
from gis.export.layers import PlanLayers

BOM_FIXED = ["scope", "kecamatan_code", "name", "hub_code", "sites"]
BOM_TAIL = ["cable_km", "poles", "handholes", "closures", "terminations", "cable_cost_idr",
            "hardware_cost_idr", "cost_idr"]
COVERAGE_COLUMNS = ["kecamatan_code", "kecamatan_code_bps", "name", "villages",
                    "villages_connected", "villages_planned", "villages_not_covered",
                    "coverage_pct", "hub_code", "hub_name", "sites_served", "max_loss_1310_db",
                    "max_loss_1550_db", "sites_over_budget"]


def csv_targets(out: Path) -> tuple[Path, Path]:
    """Return the bill-of-materials and coverage file paths for ``--out``."""
    if out.is_dir() or str(out).endswith(os.sep):
        return out / "bom.csv", out / "coverage.csv"
    stem = out.with_suffix("") if out.suffix.lower() == ".csv" else out
    return stem.with_name(stem.name + "_bom.csv"), stem.with_name(stem.name + "_coverage.csv")


def _cable_column(kind: str) -> str:
    """``"12c aerial"`` → ``cable_km_12c_aerial``."""
    return "cable_km_" + kind.replace(" ", "_")


def _kind_key(kind: str) -> tuple[str, int, str]:
    """Order cable kinds by method, then size: ``12c aerial`` before ``48c aerial``."""
    m = re.match(r"(\d+)c\s+(.*)", kind)
    return (m.group(2), int(m.group(1)), kind) if m else (kind, 0, kind)


def bom_rows(pl: PlanLayers, lang: str = "id") -> tuple[list[str], list[dict[str, Any]]]:
    """Bill of materials: one row per kecamatan (access), the backbone, and the whole plan.

    The ``total`` row is the plan's own bill of materials; its cable and cost columns are the
    sum of the rows above it.
    """
    summary = pl.summary
    per_kec = summary.get("per_kecamatan", {})
    kec = pl.layers["kecamatan"].set_index("code")
    n_served = served_sites(pl)["plan_kecamatan_code"].value_counts()
    blocks: list[tuple[tuple[str, str | None, str, Any, int | None], dict[str, Any]]]
    blocks = [(("kecamatan", code, kec["name"].get(code, code), b.get("hub"),
                int(n_served.get(code, 0))), b) for code, b in sorted(per_kec.items())]
    blocks.append((("backbone", None, lb.text("backbone_row", lang), None, None),
                   summary.get("backbone", {})))
    total = summary.get("bill_of_materials", {})
    blocks.append((("total", None, lb.text("total", lang), None, int(n_served.sum())), total))
    kinds = sorted({k for _, b in blocks for k in (b.get("cable_km") or {})}, key=_kind_key)
    columns = BOM_FIXED + [_cable_column(k) for k in kinds] + BOM_TAIL
    rows = []
    for fixed, b in blocks:
        row: dict[str, Any] = dict(zip(BOM_FIXED, fixed, strict=True))
        cable = b.get("cable_km") or {}
        for k in kinds:
            row[_cable_column(k)] = round(cable.get(k, 0.0), 3)
        row["cable_km"] = round(sum(cable.values()), 3)
        for col in BOM_TAIL[1:]:
            row[col] = b.get(col)
        rows.append(row)
    return columns, rows


def coverage_rows(pl: PlanLayers, lang: str = "id") -> list[dict[str, Any]]:
    """Village coverage per kecamatan, then a total row for the regency."""
    villages = pl.layers["villages"]
    served = served_sites(pl)
    rows = []
    for k in pl.layers["kecamatan"].itertuples():
        v = villages[villages["kecamatan_code"] == k.code]
        s = served[served["plan_kecamatan_code"] == k.code]
        rows.append({
            "kecamatan_code": k.code, "kecamatan_code_bps": k.code_bps, "name": k.name,
            "villages": len(v), "villages_connected": k.villages_connected,
            "villages_planned": k.villages_planned,
            "villages_not_covered": k.villages_not_covered, "coverage_pct": k.coverage_pct,
            "hub_code": k.hub_code, "hub_name": k.hub_name, "sites_served": len(s),
            "max_loss_1310_db": _max(s["loss_1310_db"]),
            "max_loss_1550_db": _max(s["loss_1550_db"]),
            "sites_over_budget": int(s["over_budget"].sum())})
    n = {c: sum(r[c] for r in rows) for c in ("villages", "villages_connected",
                                              "villages_planned", "villages_not_covered")}
    rows.append({
        "kecamatan_code": None, "kecamatan_code_bps": None, "name": lb.text("total", lang), **n,
        "coverage_pct": round(100 * (n["villages_connected"] + n["villages_planned"])
                              / n["villages"], 1) if n["villages"] else 0.0,
        "hub_code": None, "hub_name": None, "sites_served": len(served),
        "max_loss_1310_db": _max(served["loss_1310_db"]),
        "max_loss_1550_db": _max(served["loss_1550_db"]),
        "sites_over_budget": int(served["over_budget"].sum())})
    return rows


def served_sites(pl: PlanLayers) -> pd.DataFrame:
    """Return the sites the plan reaches (core POP, hubs and access sites), without geometry."""
    sites = pl.layers["sites"]
    return pd.DataFrame(sites[(sites["plan_role"] != "none") & (sites["status"] != "not_covered")]
                        .drop(columns="geometry"))


def _max(values: pd.Series) -> float | None:
    m = values.max()
    return None if pd.isna(m) else round(float(m), 3)


def _write(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)


def write_csv(pl: PlanLayers, out: Path, *, lang: str = "id") -> list[Path]:
    """Write the bill of materials and the coverage table of ``pl`` (see the module doc).

    Returns
    -------
    list of Path
        The two CSV files, written together or not at all.
    """
    targets = list(csv_targets(out))
    columns, bom = bom_rows(pl, lang)
    with atomic_files(targets) as (tmp_bom, tmp_cov):
        _write(tmp_bom, columns, bom)
        _write(tmp_cov, COVERAGE_COLUMNS, coverage_rows(pl, lang))
    return targets
