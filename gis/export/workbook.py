"""The plan as an Excel workbook (openpyxl, MIT) for the regency office.

Sheets: the bill of materials per kecamatan with the backbone and the total, the bill per
build phase, the coverage per kecamatan, the loss budget of every served site (path, loss at
1310 and 1550 nm, the transceiver class and its budget), the deferred targets of a budgeted
phase, and the unit prices. Numbers are stored as numbers, with number formats (thousands
grouping, three decimals for km, rupiah) that Excel shows with the reader's regional
separators; headers and sheet names follow ``--lang``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gis.export import labels as lb
from gis.export.files import atomic_files
from gis.export.layers import PlanLayers
from gis.export.tables import (
    COVERAGE_COLUMNS,
    SCOPE_ID,
    bom_rows,
    coverage_rows,
    header,
    phase_rows,
    served_sites,
)

SHEETS = {
    "bom": {"id": "Rincian biaya", "en": "Bill of materials"},
    "phases": {"id": "Per tahap", "en": "By phase"},
    "coverage": {"id": "Cakupan", "en": "Coverage"},
    "loss": {"id": "Redaman per lokasi", "en": "Loss per site"},
    "deferred": {"id": "Ditunda", "en": "Deferred"},
    "prices": {"id": "Harga satuan", "en": "Unit prices"},
}
LOSS_COLUMNS = ["code", "name", "kind", "plan_kecamatan_code", "hub_code", "phase", "path_m",
                "loss_1310_db", "loss_1550_db", "transceiver", "budget_db", "over_budget"]
EXTRA_ID = {"code": "kode", "kind": "jenis", "plan_kecamatan_code": "kode_kecamatan",
            "path_m": "panjang_jalur_m", "loss_1310_db": "redaman_1310_db",
            "loss_1550_db": "redaman_1550_db", "budget_db": "anggaran_daya_db",
            "over_budget": "melebihi_anggaran", "priority": "prioritas",
            "marginal_cost_idr": "biaya_marjinal_idr", "item": "item",
            "unit_price_idr": "harga_satuan_idr"}


def _h(column: str, lang: str) -> str:
    if lang == "id" and column in EXTRA_ID:
        return EXTRA_ID[column]
    return header(column, lang)


def _format(column: str, lang: str) -> str | None:
    if column.endswith("_idr"):
        return '"Rp" #,##0' if lang == "id" else "#,##0"
    if column.startswith("cable_km") or column.endswith("_km"):
        return "#,##0.000"
    if column.endswith("_db"):
        return "0.00"
    if column.endswith("_m"):
        return "#,##0"
    if column.endswith("_pct"):
        return "0.0"
    return None


def _sheet(wb: Any, title: str, columns: list[str], rows: list[dict[str, Any]],
           lang: str) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet(title)
    ws.append([_h(c, lang) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        out = []
        for c in columns:
            v: Any = row.get(c)
            if v is not None and hasattr(v, "item"):  # numpy scalars
                v = v.item()
            if v is not None and v != v:  # NaN
                v = None
            if c == "scope" and lang == "id" and isinstance(v, str):
                v = SCOPE_ID.get(v, v)
            out.append(v)
        ws.append(out)
    for j, c in enumerate(columns, start=1):
        fmt = _format(c, lang)
        width = max(10, min(40, len(_h(c, lang)) + 2))
        ws.column_dimensions[ws.cell(1, j).column_letter].width = width
        if fmt:
            for i in range(2, len(rows) + 2):
                ws.cell(i, j).number_format = fmt
    ws.freeze_panes = "A2"


def write_xlsx(pl: PlanLayers, out: Path, *, lang: str = "id") -> list[Path]:
    """Write the plan's workbook to ``out`` (``.xlsx`` added when missing).

    Returns
    -------
    list of Path
        The workbook, written whole or not at all.
    """
    from openpyxl import Workbook

    target = out if out.suffix.lower() == ".xlsx" else out.with_name(out.name + ".xlsx")
    wb = Workbook()
    wb.remove(wb.active)
    columns, rows = bom_rows(pl, lang)
    _sheet(wb, SHEETS["bom"][lang], columns, rows, lang)
    columns, rows = phase_rows(pl, lang)
    _sheet(wb, SHEETS["phases"][lang], columns, rows, lang)
    _sheet(wb, SHEETS["coverage"][lang], COVERAGE_COLUMNS, coverage_rows(pl, lang), lang)
    served = served_sites(pl)
    served = served[served["plan_role"] == "access"].sort_values(["plan_kecamatan_code",
                                                                   "code"])
    _sheet(wb, SHEETS["loss"][lang], LOSS_COLUMNS, served.to_dict("records"), lang)
    deferred = [d.model_dump() for d in pl.summary.targets_deferred]
    _sheet(wb, SHEETS["deferred"][lang], ["code", "kind", "priority", "marginal_cost_idr"],
           deferred, lang)
    prices = [{"item": k, "unit_price_idr": v} for k, v in pl.summary.unit_prices.items()]
    _sheet(wb, SHEETS["prices"][lang], ["item", "unit_price_idr"], prices, lang)
    wb.properties.title = f"fonet {pl.name} ({lb.text('total', lang)})"
    with atomic_files([target]) as (tmp,):
        wb.save(tmp)
    return [target]
