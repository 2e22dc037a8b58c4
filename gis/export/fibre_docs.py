"""Field documents of the fibre layer: splice sheets (PDF, ``.xlsx``) and cable schematics.

The contents come from :mod:`fonet.fibre.sheets`; files are written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fonet.errors import InputError
from gis.export.files import atomic_files

COLOUR_HEX = {
    "blue": "#1f5fbf", "orange": "#f28c1c", "green": "#2e9e3e", "brown": "#7b4a1e",
    "slate": "#708090", "white": "#ffffff", "red": "#d62728", "black": "#111111",
    "yellow": "#f5d40f", "violet": "#8a3fbf", "rose": "#f4a6c0", "aqua": "#2ec4c4",
}
SHEET_COLUMNS = ("tray", "in cable", "in fibre", "in tube", "in colour", "out cable",
                 "out fibre", "out tube", "out colour", "circuit", "loss dB")


def _hex(colour: str) -> str:
    return COLOUR_HEX.get(colour.split("/")[0], "#cccccc")


def sheet_rows(sheet: dict[str, Any]) -> list[list[Any]]:
    """Return the splice sheet as table rows (see :data:`SHEET_COLUMNS`)."""
    return [[r["tray"], r["in"]["cable"], r["in"]["fibre"], r["in"]["tube_colour"],
             r["in"]["colour"], r["out"]["cable"], r["out"]["fibre"], r["out"]["tube_colour"],
             r["out"]["colour"], r["circuit"] or "", r["loss_db"]] for r in sheet["splices"]]


def write_splice_sheet(sheet: dict[str, Any], out: Path) -> Path:
    """Write a closure's splice sheet as ``.pdf`` or ``.xlsx`` (by the file's suffix)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".xlsx"):
        raise InputError(str(out), "a splice sheet is written as .pdf or .xlsx")
    with atomic_files([out]) as (tmp,):
        if suffix == ".xlsx":
            _sheet_xlsx(sheet, tmp)
        else:
            _sheet_pdf(sheet, tmp)
    return out


def _sheet_xlsx(sheet: dict[str, Any], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "splices"
    ws.append([f"Closure {sheet['closure']}", sheet["kind"], sheet["status"],
               f"{sheet['lat']:.6f}, {sheet['lon']:.6f}", f"{sheet['trays']} tray(s)"])
    ws.append(["cables"] + [f"{c['code']} ({c['cores']}c {c['tube_layout']}, {c['end']} end)"
                            for c in sheet["cables"]])
    ws.append([])
    ws.append(list(SHEET_COLUMNS))
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for row in sheet_rows(sheet):
        ws.append(row)
        r = ws.max_row
        for col in (4, 5, 8, 9):
            colour = str(ws.cell(r, col).value)
            ws.cell(r, col).fill = PatternFill("solid", fgColor=_hex(colour)[1:])
            if colour.split("/")[0] in ("black", "blue", "brown", "violet", "red"):
                ws.cell(r, col).font = Font(color="FFFFFF")
    for letter, width in zip("ABCDEFGHIJK", (6, 28, 9, 12, 12, 28, 9, 12, 12, 40, 8),
                          strict=True):
        ws.column_dimensions[letter].width = width
    wb.save(path)


def _pdf_pages(title: str, header: list[str], rows: list[list[Any]], path: Path,
               colour_cols: tuple[int, ...], widths: list[float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    per_page = 40
    with PdfPages(path) as pdf:
        for start in range(0, max(1, len(rows)), per_page):
            chunk = rows[start:start + per_page]
            fig = plt.figure(figsize=(11.69, 8.27))  # A4 landscape
            fig.text(0.03, 0.96, title, fontsize=12, weight="bold", va="top")
            ax = fig.add_axes((0.03, 0.03, 0.94, 0.88))
            ax.axis("off")
            if chunk:
                table = ax.table(cellText=[[str(v) for v in r] for r in chunk],
                                 colLabels=header, loc="upper left", colWidths=widths)
                table.auto_set_font_size(False)
                table.set_fontsize(6.5)
                for i, r in enumerate(chunk, start=1):
                    for col in colour_cols:
                        table[i, col].set_facecolor(_hex(str(r[col])))
                        if str(r[col]).split("/")[0] in ("black", "blue", "brown", "violet",
                                                         "red"):
                            table[i, col].get_text().set_color("white")
            else:
                ax.text(0, 1, "no splices", va="top")
            pdf.savefig(fig)
            plt.close(fig)


def _sheet_pdf(sheet: dict[str, Any], path: Path) -> None:
    cables = "; ".join(f"{c['code']} {c['cores']}c ({c['end']} end)" for c in sheet["cables"])
    title = (f"Splice sheet — closure {sheet['closure']} ({sheet['kind']}, {sheet['status']}) "
             f"at {sheet['lat']:.6f}, {sheet['lon']:.6f}\n{cables}")
    _pdf_pages(title, list(SHEET_COLUMNS), sheet_rows(sheet), path, (3, 4, 7, 8),
               [0.04, 0.15, 0.05, 0.08, 0.08, 0.15, 0.05, 0.08, 0.08, 0.19, 0.05])


def write_schematic(schematic: dict[str, Any], out: Path) -> Path:
    """Write a cable's schematic (its fibres by tube and where each goes) as ``.pdf``/``.png``."""
    out = Path(out)
    if out.suffix.lower() not in (".pdf", ".png"):
        raise InputError(str(out), "a cable schematic is written as .pdf or .png")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fibres = [f for t in schematic["tubes"] for f in t["fibres"]]
    height = max(4.0, 0.22 * len(fibres) + 1.5)
    fig = plt.figure(figsize=(11.69, height))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.set_xlim(0, 100)
    ax.set_ylim(-len(fibres) - 3, 2)
    ax.axis("off")
    ax.text(0, 1.2, f"Cable {schematic['cable']} — {schematic['cores']} cores "
                    f"({schematic['tube_layout']}, {schematic['colour_standard']}), "
                    f"{schematic['length_m']:.0f} m, {schematic['status']}",
            fontsize=10, weight="bold")
    ax.text(30, 0, f"A: {schematic['a_end']}", ha="right", fontsize=8, weight="bold")
    ax.text(70, 0, f"Z: {schematic['z_end']}", ha="left", fontsize=8, weight="bold")
    for i, f in enumerate(fibres, start=1):
        y = -i
        ax.plot([31, 69], [y, y], color=_hex(f["colour"]), lw=2.5,
                linestyle="-" if f["state"] == "in_use" else ":")
        ax.add_patch(plt.Rectangle((31, y - 0.35), 2, 0.7, color=_hex(f["tube_colour"])))
        ax.text(50, y + 0.15, f"{f['fibre']} {f['tube_colour']}/{f['colour']} "
                              f"{f['state']} {f['circuit'] or ''}", ha="center", fontsize=6)
        ax.text(30, y, f["a"] or "—", ha="right", va="center", fontsize=6)
        ax.text(70, y, f["z"] or "—", ha="left", va="center", fontsize=6)
    with atomic_files([out]) as (tmp,):
        fig.savefig(tmp, format=out.suffix[1:].lower())
    plt.close(fig)
    return out
