"""The monthly availability report as CSV or PDF (see :mod:`fonet.noc.availability`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from fonet.noc.availability import CAUSES

CSV_COLUMNS = ("level", "date", "code", "name", "kind", "kecamatan", "availability_pct",
               "monitored_s", "down_s", "unknown_s", *(f"down_{c}_s" for c in CAUSES),
               "outages")


def _rows(result: dict[str, Any], daily: bool) -> list[dict[str, Any]]:
    rows = []
    for level, items in (("site", result["sites"]), ("link", result["links"])):
        for r in items:
            base = {"level": level, "code": r.get("code", r.get("name")),
                    "name": r.get("name"), "kind": r.get("kind"),
                    "kecamatan": r.get("kecamatan", "")}
            causes = r["downtime_by_cause"]
            rows.append({**base, "date": result["month"],
                         "availability_pct": r["availability_pct"],
                         "monitored_s": r["monitored_s"], "down_s": r["down_s"],
                         "unknown_s": r["unknown_s"],
                         **{f"down_{c}_s": causes.get(c, 0) for c in CAUSES},
                         "outages": len(r["outages"])})
            if daily:
                for d in r.get("days", []):
                    rows.append({**base, "date": d["date"],
                                 "availability_pct": d["availability_pct"],
                                 "monitored_s": round(d["available_s"] + d["down_s"], 3),
                                 "down_s": d["down_s"], "unknown_s": d["unknown_s"]})
    return rows


def availability_csv(result: dict[str, Any], *, daily: bool = False) -> str:
    """Return the report as CSV: one row per site and link for the month (and per day)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _rows(result, daily):
        writer.writerow({k: ("" if row.get(k) is None else row.get(k, "")) for k in CSV_COLUMNS})
    return buf.getvalue()


def _fmt_pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f} %"


def _fmt_h(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def availability_pdf(result: dict[str, Any], path: str | Path) -> Path:
    """Write the report as an A4 PDF: summary and the worst ten, then every site by kecamatan.

    Written under a temporary name and renamed when complete.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    out = Path(path)
    tmp = out.with_name(out.name + ".part")
    sites = result["sites"]
    monitored = [s for s in sites if s["availability_pct"] is not None]
    down_by_cause: dict[str, float] = {}
    for s in sites:
        for c, v in s["downtime_by_cause"].items():
            down_by_cause[c] = down_by_cause.get(c, 0.0) + v
    with PdfPages(tmp) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.08, 0.95, f"Availability of served sites - {result['month']}", fontsize=16,
                 weight="bold")
        mean = (sum(s["availability_pct"] for s in monitored) / len(monitored)
                if monitored else None)
        lines = [f"Plan {result['plan_id']}; month in {result['tz']}, {result['start']} to "
                 f"{result['end']} (counted until {result['counted_until']})",
                 f"Sites monitored: {len(monitored)} of {len(sites)}; mean availability "
                 f"{_fmt_pct(mean)}",
                 "Downtime by root cause (site-hours): " + (", ".join(
                     f"{c} {_fmt_h(v)}" for c, v in sorted(down_by_cause.items())) or "none")]
        for k, text in enumerate(lines):
            fig.text(0.08, 0.91 - 0.025 * k, text, fontsize=8.5)
        worst = result["worst"]
        ax = fig.add_axes((0.38, 0.45, 0.55, 0.35))
        if worst:
            labels = [f"{w['code']} {w['name'][:22]}" for w in worst][::-1]
            ax.barh(labels, [w["availability_pct"] for w in worst][::-1], color="#c0392b")
            low = min(w["availability_pct"] for w in worst)
            ax.set_xlim(max(0.0, low - (100 - low) * 0.2 - 0.01), 100)
            ax.tick_params(labelsize=7)
        ax.set_title("The worst ten of the month (availability, %)", fontsize=10)
        fig.text(0.08, 0.38, "Availability = time up / time monitored; downtime is attributed "
                             "to its root cause (fibre cut, device, power, the link itself).",
                 fontsize=7.5)
        pdf.savefig(fig)
        plt.close(fig)
        per_page = 48
        for start in range(0, len(sites), per_page):
            chunk = sites[start:start + per_page]
            fig = plt.figure(figsize=(8.27, 11.69))
            ax = fig.add_axes((0.04, 0.03, 0.92, 0.92))
            ax.axis("off")
            cells = [[s["kecamatan"] or "", s["code"], s["name"][:28], s["kind"],
                      _fmt_pct(s["availability_pct"]), _fmt_h(s["down_s"]),
                      ", ".join(f"{c} {_fmt_h(v)}" for c, v in s["downtime_by_cause"].items())]
                     for s in chunk]
            table = ax.table(cellText=cells, colLabels=["kecamatan", "code", "name", "kind",
                                                        "availability", "down", "causes"],
                             loc="upper center", cellLoc="left")
            table.auto_set_font_size(False)
            table.set_fontsize(6)
            table.scale(1, 1.05)
            pdf.savefig(fig)
            plt.close(fig)
    tmp.replace(out)
    return out
