"""CSV tables of a plan: the bill of materials and the coverage per kecamatan.

``--out masterplan`` (or ``masterplan.csv``) writes ``masterplan_bom.csv`` and
``masterplan_coverage.csv``; ``--out DIR/`` (an existing folder, or a path ending in ``/``)
writes ``DIR/bom.csv`` and ``DIR/coverage.csv``.

Under ``--lang id`` the files are for a spreadsheet with Indonesian regional settings: ``;``
between fields, a decimal comma, a UTF-8 byte-order mark and Indonesian headers. Under
``--lang en``: ``,``, a decimal point and the English (machine) column names.

The rows of the bill of materials (the kecamatan and the backbone) add up to the total row in
every column: shared items are allocated (:mod:`fonet.planning.bill`).
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from fonet.planning.result import BomFigures
from gis.export import labels as lb
from gis.export.files import atomic_files
from gis.export.layers import PlanLayers

BOM_FIXED = ["scope", "kecamatan_code", "name", "hub_code", "sites"]
BOM_TAIL = ["cable_km", "poles", "handholes", "closures", "drum_joints", "terminations",
            "transceivers", "cable_cost_idr", "hardware_cost_idr", "optics_cost_idr", "cost_idr"]
HEADERS_ID = {
    "scope": "cakupan", "kecamatan_code": "kode_kecamatan", "name": "nama",
    "hub_code": "kode_hub", "sites": "jumlah_lokasi", "cable_km": "kabel_km",
    "poles": "tiang", "handholes": "handhole", "closures": "closure",
    "drum_joints": "sambungan_haspel", "terminations": "terminasi_odf",
    "transceivers": "transceiver", "cable_cost_idr": "biaya_kabel_idr",
    "hardware_cost_idr": "biaya_perangkat_idr", "optics_cost_idr": "biaya_optik_idr",
    "cost_idr": "biaya_total_idr", "kecamatan_code_bps": "kode_kecamatan_bps",
    "villages": "desa", "villages_built": "desa_terhubung", "villages_planned":
    "desa_direncanakan", "villages_not_covered": "desa_belum_terjangkau",
    "coverage_pct": "cakupan_persen", "hub_name": "nama_hub", "sites_served":
    "lokasi_terlayani", "max_loss_1310_db": "redaman_maks_1310_db",
    "max_loss_1550_db": "redaman_maks_1550_db", "sites_over_budget": "lokasi_melebihi_anggaran",
    "phase": "tahap",
}
SCOPE_ID = {"kecamatan": "kecamatan", "backbone": "tulang_punggung", "total": "jumlah",
            "phase": "tahap"}


def header(column: str, lang: str) -> str:
    """Return the column's header in ``lang`` (cable columns: ``kabel_km_12c_aerial``)."""
    if lang != "id":
        return column
    if column.startswith("cable_km_"):
        return "kabel_km_" + column.removeprefix("cable_km_")
    return HEADERS_ID.get(column, column)
COVERAGE_COLUMNS = ["kecamatan_code", "kecamatan_code_bps", "name", "villages",
                    "villages_built", "villages_planned", "villages_not_covered",
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
    kec = pl.layers["kecamatan"].set_index("code")
    n_served = served_sites(pl)["plan_kecamatan_code"].value_counts()
    blocks: list[tuple[tuple[Any, ...], BomFigures]] = [
        (("kecamatan", code, kec["name"].get(code, code), b.hub, int(n_served.get(code, 0))), b)
        for code, b in sorted(summary.per_kecamatan.items())]
    blocks.append((("backbone", None, lb.text("backbone_row", lang), None, None),
                   summary.backbone))
    blocks.append((("total", None, lb.text("total", lang), None, int(n_served.sum())),
                   summary.bill_of_materials))
    kinds = sorted({k for _, b in blocks for k in b.cable_km}, key=_kind_key)
    columns = BOM_FIXED + [_cable_column(k) for k in kinds] + BOM_TAIL
    rows = []
    for fixed, b in blocks:
        row: dict[str, Any] = dict(zip(BOM_FIXED, fixed, strict=True))
        for k in kinds:
            row[_cable_column(k)] = round(b.cable_km.get(k, 0.0), 3)
        row["cable_km"] = b.cable_km_total
        for col in BOM_TAIL[1:]:
            value = getattr(b, col)
            row[col] = sum(value.values()) if isinstance(value, dict) else value
        rows.append(row)
    return columns, rows


def phase_rows(pl: PlanLayers, lang: str = "id") -> tuple[list[str], list[dict[str, Any]]]:
    """Bill of materials per build phase, then the total; the rows add up to the total."""
    summary = pl.summary
    blocks = [((("phase", None, f"{lb.text('phase', lang)} {p}", None, None)), b)
              for p, b in sorted(summary.per_phase.items(), key=lambda kv: int(kv[0]))]
    blocks.append((("total", None, lb.text("total", lang), None, None),
                   summary.bill_of_materials))
    kinds = sorted({k for _, b in blocks for k in b.cable_km}, key=_kind_key)
    columns = BOM_FIXED + [_cable_column(k) for k in kinds] + BOM_TAIL
    rows = []
    for fixed, b in blocks:
        row: dict[str, Any] = dict(zip(BOM_FIXED, fixed, strict=True))
        for k in kinds:
            row[_cable_column(k)] = round(b.cable_km.get(k, 0.0), 3)
        row["cable_km"] = b.cable_km_total
        for col in BOM_TAIL[1:]:
            value = getattr(b, col)
            row[col] = sum(value.values()) if isinstance(value, dict) else value
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
            "villages": len(v), "villages_built": k.villages_built,
            "villages_planned": k.villages_planned,
            "villages_not_covered": k.villages_not_covered, "coverage_pct": k.coverage_pct,
            "hub_code": k.hub_code, "hub_name": k.hub_name, "sites_served": len(s),
            "max_loss_1310_db": _max(s["loss_1310_db"]),
            "max_loss_1550_db": _max(s["loss_1550_db"]),
            "sites_over_budget": int(s["over_budget"].sum())})
    cov = pl.coverage.total
    rows.append({
        "kecamatan_code": None, "kecamatan_code_bps": None, "name": lb.text("total", lang),
        "villages": cov.villages, "villages_built": cov.built, "villages_planned": cov.planned,
        "villages_not_covered": cov.not_covered, "coverage_pct": cov.coverage_pct,
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


def _cell(value: Any, lang: str, column: str) -> Any:
    if value is None:
        return ""
    if column == "scope" and lang == "id":
        return SCOPE_ID.get(value, value)
    if lang == "id" and isinstance(value, float):
        return repr(value).replace(".", ",") if value == value else ""
    if isinstance(value, bool):
        return ("ya" if value else "tidak") if lang == "id" else value
    return value


def _write(path: Path, columns: list[str], rows: list[dict[str, Any]], lang: str) -> None:
    """Write a table: Indonesian spreadsheet conventions under ``id`` (see the module doc)."""
    indonesian = lang == "id"
    with path.open("w", newline="", encoding="utf-8-sig" if indonesian else "utf-8") as f:
        w = csv.writer(f, delimiter=";" if indonesian else ",")
        w.writerow([header(c, lang) for c in columns])
        for row in rows:
            w.writerow([_cell(row.get(c), lang, c) for c in columns])


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
        _write(tmp_bom, columns, bom, lang)
        _write(tmp_cov, COVERAGE_COLUMNS, coverage_rows(pl, lang), lang)
    return targets
