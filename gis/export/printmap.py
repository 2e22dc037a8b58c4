"""The printed masterplan: an A3 landscape sheet (PNG or PDF) drawn in UTM 49S.

The map frame holds the regency at a round scale with a scale bar, a north arrow, a
graticule and kecamatan names; the panel on the right holds the title, the legend, the plan's
statistics, a table per kecamatan, the data sources and the dates.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from shapely.geometry import Polygon as ShapelyPolygon  # noqa: E402

from fonet.geo import UTM49S  # noqa: E402
from gis.export import labels as lb  # noqa: E402
from gis.export import mapdraw as md  # noqa: E402
from gis.export.files import atomic_files  # noqa: E402
from gis.export.layers import PlanLayers  # noqa: E402
from gis.export.placement import (  # noqa: E402
    Placer,
    figure_renderer,
    marker_boxes,
    polygon_candidates,
)
from gis.export.printmap_parts import (  # noqa: E402
    HALO,
    MM_PER_INCH,
    approval_block,
    disclaimer,
    graticule,
    locator_inset,
    nice_length_m,
    nice_scale,
    north_arrow,
    scale_bar,
)
from gis.export.styles import plan_styles  # noqa: E402
from gis.export.tables import coverage_rows  # noqa: E402

A3_MM = (420.0, 297.0)
MARGIN_MM = 8.0
MAP_BOX_MM = (16.0, 16.0, 180.0, 264.0)
"""Room for the map frame: left, bottom, width, height in millimetres."""
PANEL_X_MM = 208.0
TABLE_X_MM = PANEL_X_MM + 92.0
PT_PER_MM = 72 / MM_PER_INCH


def _fig_axes(fig: Figure, left: float, bottom: float, w: float, h: float):  # noqa: ANN202
    W, H = A3_MM
    return fig.add_axes((left / W, bottom / H, w / W, h / H))


def _draw_map(fig: Figure, pl: PlanLayers, lang: str) -> int:
    """Draw the map frame; return its scale denominator."""
    t = lambda key: lb.text(key, lang)  # noqa: E731
    styles = plan_styles(pl, lang)
    L = {k: v.to_crs(UTM49S) for k, v in pl.layers.items()}
    minx, miny, maxx, maxy = L["boundary"].total_bounds
    pad = 1500.0
    ext_w, ext_h = maxx - minx + 2 * pad, maxy - miny + 2 * pad
    left, bottom, box_w, box_h = MAP_BOX_MM
    scale = nice_scale(ext_w, ext_h, box_w, box_h)
    w_mm, h_mm = ext_w / scale * 1000, ext_h / scale * 1000
    ax = _fig_axes(fig, left + (box_w - w_mm) / 2, bottom + (box_h - h_mm) / 2, w_mm, h_mm)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - ext_w / 2, cx + ext_w / 2)
    ax.set_ylim(cy - ext_h / 2, cy + ext_h / 2)
    ax.set_aspect("equal")
    ax.set_facecolor("#f3f3f3")

    md.draw_villages(ax, L["villages"])
    boundary = L["boundary"].geometry.iloc[0]
    kota_labels = []
    for hole in getattr(boundary, "interiors", []):
        poly = ShapelyPolygon(hole)
        ax.fill(*poly.exterior.xy, facecolor="#e0e0e0", edgecolor="#9e9e9e", hatch="////",
                linewidth=0.3, zorder=2)
        kota_labels.append(poly)
    md.draw_borders(ax, L["kecamatan"], L["boundary"])
    md.draw_access(ax, L["spans"], styles, width_mm=0.25)
    md.draw_rings(ax, L["rings"], styles, width_mm=0.9)
    sites = L["sites"]
    acc = sites[(sites["plan_role"] == "access") & (sites["status"] != "not_covered")]
    ax.scatter(acc.geometry.x, acc.geometry.y, s=5, c=lb.OFFICE_COLOR, edgecolors="white",
               linewidths=0.3, zorder=11)
    markers = md.draw_hubs(ax, L["hubs"], hub_size=30, pop_size=190)

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bar = nice_length_m((x1 - x0) * 0.3)
    scale_bar(ax, x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.03, bar, lang)
    scale_text = ax.text(x0 + (x1 - x0) * 0.05,
                         y0 + (y1 - y0) * 0.015 + bar * 0.06 + (y1 - y0) * 0.035,
                         f"{t('scale')} 1:{lb.number(scale, 0, lang)}", fontsize=8,
                         fontweight="bold", zorder=30, path_effects=HALO)
    north_arrow(ax, x1 - (x1 - x0) * 0.08, y1 - (y1 - y0) * 0.05, (y1 - y0) * 0.06, lang)
    graticule(ax, UTM49S, lang)
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(1.0)

    renderer = figure_renderer(fig)
    placer = Placer(ax, renderer)
    for coll in markers:
        placer.add_obstacles(marker_boxes(ax, coll, renderer))
    placer.add_artist_obstacle(scale_text)
    for poly in kota_labels:
        placer.place(t("kota"), polygon_candidates(poly), required=True, fontsize=5.5,
                     style="italic", color="#555555", zorder=25, path_effects=HALO,
                     gid="kota-label")
    md.label_kecamatan(placer, L["kecamatan"], fontsize=7.5)
    md.label_hubs(placer, L["hubs"], lang, fontsize=5.5, gap_pt=4.5)
    return scale


def _legend(fig: Figure, pl: PlanLayers, lang: str, top_mm: float) -> float:
    t = lambda key: lb.text(key, lang)  # noqa: E731
    styles = plan_styles(pl, lang)
    counts = pl.layers["villages"]["status"].value_counts()
    W, H = A3_MM
    fig.text(PANEL_X_MM / W, top_mm / H, t("legend"), fontsize=11, fontweight="bold", va="top")
    cov = [Patch(facecolor=lb.STATUS_COLORS[s], edgecolor="#a0a0a0",
                 label=f"{t(s)} ({int(counts.get(s, 0))})") for s in lb.STATUSES]
    net = [Line2D([], [], color=c.symbol.color, lw=0.9 * PT_PER_MM,
                  label=f"{t('rings_folder')}, {c.label}") for c in styles["rings"].categories]
    net += [Line2D([], [], color=c.symbol.color, lw=c.symbol.width_mm * PT_PER_MM,
                   label=c.label) for c in styles["spans"].categories
            if c.value.startswith("access")]
    net += [Line2D([], [], ls="", marker="*", ms=12, color=lb.POP_COLOR, mec="white",
                   label=t("pop")),
            Line2D([], [], ls="", marker="s", ms=5.5, color=lb.HUB_COLOR, mec=lb.HUB_EDGE,
                   mew=0.8, label=t("hub")),
            Line2D([], [], ls="", marker="o", ms=3.5, color=lb.OFFICE_COLOR, mec="white",
                   label=t("access_site"))]
    bounds = [Line2D([], [], color=lb.BOUNDARY_EDGE, lw=0.7 * PT_PER_MM, label=t("boundary")),
              Line2D([], [], color=lb.KECAMATAN_EDGE, lw=0.35 * PT_PER_MM, ls=md.KEC_DASH,
                     label=t("kecamatan_border")),
              Patch(facecolor="white", edgecolor="#a0a0a0", lw=0.5, label=t("village_border")),
              Patch(facecolor="#e0e0e0", edgecolor="#9e9e9e", hatch="////", label=t("kota"))]
    y = top_mm - 6
    for title, handles in ((t("coverage"), cov), (t("network"), net), (None, bounds)):
        leg = fig.legend(handles=handles, loc="upper left",
                         bbox_to_anchor=(PANEL_X_MM / W, y / H), title=title,
                         title_fontproperties={"weight": "bold", "size": 8}, fontsize=7.5,
                         frameon=False, alignment="left", handlelength=2.4, borderaxespad=0,
                         borderpad=0.2, labelspacing=0.45)
        bb = leg.get_window_extent(figure_renderer(fig)).transformed(
            fig.dpi_scale_trans.inverted())
        y -= bb.height * MM_PER_INCH + 2.5
    return y


def _stats(fig: Figure, pl: PlanLayers, lang: str, top_mm: float) -> float:
    t = lambda key: lb.text(key, lang)  # noqa: E731
    s = pl.summary
    n = lambda v, d=0: lb.number(v, d, lang)  # noqa: E731
    cov = pl.coverage.total
    lines = [(t("villages"), f"{n(cov.reached)} / {n(cov.villages)} "
                             f"({n(cov.coverage_pct, 1)} %)"),
             (t("offices"), f"{n(s.offices_connected)} / {n(s.offices_total)}")]
    if s.opd_total:
        lines.append((t("opd"), f"{n(s.opd_connected)} / {n(s.opd_total)}"))
    if s.schools_connected:
        lines.append((t("schools"), n(s.schools_connected)))
    lines += [(t("hubs"), f"{len(s.hubs)} / {len(s.rings)}"),
              (t("route_km"), f"{n(s.route_km, 1)} km"),
              (t("cable_km"), f"{n(s.cable_km, 1)} km"),
              (t("cost"), lb.idr(s.cost_idr, lang))]
    if s.max_loss_db is not None:
        lines.append((t("max_loss"), f"{n(s.max_loss_db, 1)} dB"))
    lines.append((t("over_budget"), n(len(s.sites_over_budget))))
    W, H = A3_MM
    fig.text(PANEL_X_MM / W, top_mm / H, t("statistics"), fontsize=11, fontweight="bold",
             va="top")
    y = top_mm - 6.5
    for label, value in lines:
        fig.text(PANEL_X_MM / W, y / H, label, fontsize=8.5, va="top")
        fig.text((PANEL_X_MM + 80) / W, y / H, value, fontsize=8.5, va="top", fontweight="bold",
                 ha="right")
        y -= 4.6
    return y


def _kec_table(fig: Figure, pl: PlanLayers, lang: str, left_mm: float, top_mm: float) -> float:
    t = lambda key: lb.text(key, lang)  # noqa: E731
    n = lambda v, d=0: lb.number(v, d, lang)  # noqa: E731
    W, H = A3_MM
    fig.text(left_mm / W, top_mm / H, t("per_kecamatan"), fontsize=11, fontweight="bold",
             va="top")
    kec = pl.layers["kecamatan"].set_index("code")
    cols = [t("kecamatan"), t("desa"), t("built"), t("planned"),
            t("not_covered").replace(" ", "\n", 1), t("cable").replace(" ", "\n", 1),
            t("cost_short").replace(" ", "\n", 1)]
    xs = [0, 34, 50, 68, 84, 95, 106]
    width = xs[-1]
    y = top_mm - 12
    for x, c in zip(xs, cols, strict=True):
        fig.text((left_mm + x) / W, y / H, c, fontsize=6.3, fontweight="bold", va="bottom",
                 ha="left" if x == 0 else "right", linespacing=1.1)
    rule = lambda yy, lw: fig.add_artist(Line2D(  # noqa: E731
        [left_mm / W, (left_mm + width) / W], [yy / H] * 2, lw=lw, color="black"))
    rule(y - 0.9, 0.7)
    y -= 4.3
    for i, r in enumerate(coverage_rows(pl, lang)):
        code = r["kecamatan_code"]
        total = code is None
        if total:
            k_cable = pl.summary.cable_km
            k_cost = pl.summary.cost_idr
            rule(y + 3.3, 0.5)
            name = f"{r['name']} *"
        else:
            k_cable, k_cost = kec.loc[code, "cable_km"], kec.loc[code, "cost_idr"] or 0
            name = r["name"]
            if i % 2 == 0:
                fig.add_artist(plt.Rectangle((left_mm / W, (y - 0.9) / H), width / W, 4.0 / H,
                                             color="#f0f0f0", lw=0, zorder=-1))
        vals = [name, n(r["villages"]), n(r["villages_built"]), n(r["villages_planned"]),
                n(r["villages_not_covered"]), n(k_cable, 1), n(k_cost / 1e6, 0)]
        for x, v in zip(xs, vals, strict=True):
            fig.text((left_mm + x) / W, y / H, v, fontsize=7, va="bottom",
                     ha="left" if x == 0 else "right", fontweight="bold" if total else "normal")
        y -= 4.0
    rule(y + 2.8, 0.7)
    bb = pl.summary.backbone
    fig.text(left_mm / W, (y - 0.5) / H,
             f"* {t('total_note')} ({n(bb.cable_km_total, 1)} km, "
             f"{lb.idr(bb.cost_idr, lang)})", fontsize=6.3, va="top", style="italic")
    return y - 5


def _rings_table(fig: Figure, pl: PlanLayers, lang: str, top_mm: float) -> None:
    t = lambda key: lb.text(key, lang)  # noqa: E731
    n = lambda v, d=0: lb.number(v, d, lang)  # noqa: E731
    W, H = A3_MM
    styles = {c.value: c.symbol.color for c in plan_styles(pl, lang)["rings"].categories}
    fig.text(PANEL_X_MM / W, top_mm / H, t("rings_table"), fontsize=11, fontweight="bold",
             va="top")
    xs = [0, 24, 40, 54, 78]
    y = top_mm - 10
    for x, c in zip(xs, [t("ring"), "Hub", "km", t("cores"), t("cost_short")], strict=True):
        fig.text((PANEL_X_MM + x) / W, y / H, c, fontsize=6.3, fontweight="bold", va="bottom",
                 ha="left" if x == 0 else "right")
    fig.add_artist(Line2D([PANEL_X_MM / W, (PANEL_X_MM + 78) / W], [(y - 0.9) / H] * 2,
                          lw=0.7, color="black"))
    y -= 4.3
    for r in pl.layers["rings"].itertuples():
        fig.add_artist(Line2D([(PANEL_X_MM + 0.5) / W, (PANEL_X_MM + 6) / W], [(y + 1) / H] * 2,
                              lw=2.5, color=styles.get(str(r.ring), "black")))
        vals = [f"{t('ring')} {r.ring + 1}", n(r.hubs), n(r.length_m / 1000, 1), n(r.cores),
                n(r.cost_idr / 1e6)]
        for x, v in zip(xs, vals, strict=True):
            fig.text((PANEL_X_MM + x + (8 if x == 0 else 0)) / W, y / H, v, fontsize=6.5,
                     va="bottom", ha="left" if x == 0 else "right")
        y -= 3.6


def _notes(fig: Figure, pl: PlanLayers, lang: str, left_mm: float, top_mm: float) -> None:
    t = lambda key: lb.text(key, lang)  # noqa: E731
    W, H = A3_MM
    fig.text(left_mm / W, top_mm / H, t("notes"), fontsize=11, fontweight="bold", va="top")
    lines = [t("note_built"), t("note_planned"), t("note_not_covered"), t("note_approx")]
    over = pl.summary.sites_over_budget
    if over:
        lines.append(f"{t('note_over')}: {', '.join(over[:6])}"
                     + (f" (+{len(over) - 6})" if len(over) > 6 else ""))
    y = top_mm - 6.5
    for line in lines:
        wrapped = textwrap.wrap("· " + line, width=88, subsequent_indent="  ")
        fig.text(left_mm / W, y / H, "\n".join(wrapped), fontsize=6.5, va="top",
                 linespacing=1.3)
        y -= 3.0 * len(wrapped) + 1.2


def _footer(fig: Figure, pl: PlanLayers, lang: str, scale: int) -> None:
    t = lambda key: lb.text(key, lang)  # noqa: E731
    W, H = A3_MM
    src = [t("src_boundaries")]
    if pl.summary.schools_connected:
        src.append(t("src_schools"))
    if "road" in pl.edge_kinds:
        src.append(t("src_roads"))
    if "corridor" in pl.edge_kinds:
        src.append(t("src_corridors"))
    src += [t("src_sites"), t("src_plan")]
    y = 52.0
    fig.text(PANEL_X_MM / W, y / H, t("sources"), fontsize=8.5, fontweight="bold", va="top")
    y -= 4.5
    for line in src:
        wrapped = textwrap.wrap("· " + line, width=74, subsequent_indent="  ")
        fig.text(PANEL_X_MM / W, y / H, "\n".join(wrapped), fontsize=6.3, va="top",
                 linespacing=1.25)
        y -= 2.75 * len(wrapped) + 0.7
    made = pl.created_at.date().isoformat() if pl.created_at else "–"
    y -= 1.5
    for line in (t("projection"),
                 f"{t('scale')} 1:{lb.number(scale, 0, lang)} (A3)",
                 f"{t('plan')} #{pl.plan_id} “{pl.name}”, {t('plan_date')} {made} · "
                 f"{t('printed')} {date.today().isoformat()}"):
        fig.text(PANEL_X_MM / W, y / H, line, fontsize=6.5, va="top")
        y -= 3.4


def render_map(pl: PlanLayers, lang: str = "id") -> Figure:
    """Draw the plan on an A3 landscape figure and return it."""
    with matplotlib.rc_context(md.PDF_RC):
        return _render_map(pl, lang)


def _render_map(pl: PlanLayers, lang: str) -> Figure:
    t = lambda key: lb.text(key, lang)  # noqa: E731
    W, H = A3_MM
    fig = plt.figure(figsize=(W / MM_PER_INCH, H / MM_PER_INCH))
    fig.add_artist(plt.Rectangle((MARGIN_MM / W, MARGIN_MM / H), 1 - 2 * MARGIN_MM / W,
                                 1 - 2 * MARGIN_MM / H, fill=False, lw=1.6, color="black"))
    fig.add_artist(Line2D([(PANEL_X_MM - 6) / W] * 2, [MARGIN_MM / H, 1 - MARGIN_MM / H],
                          lw=0.8, color="black"))
    scale = _draw_map(fig, pl, lang)
    fig.text(PANEL_X_MM / W, (H - 15) / H, t("title"), fontsize=17, fontweight="bold",
             va="top", wrap=True)
    fig.text(PANEL_X_MM / W, (H - 24) / H, lb.subtitle(pl, lang), fontsize=9.5, va="top",
             color="#333333")
    fig.add_artist(Line2D([PANEL_X_MM / W, (W - 14) / W], [(H - 30) / H] * 2, lw=0.8,
                          color="black"))
    y = _legend(fig, pl, lang, H - 35)
    y = _stats(fig, pl, lang, y - 2)
    _rings_table(fig, pl, lang, y - 4)
    y = _kec_table(fig, pl, lang, TABLE_X_MM, H - 35)
    _notes(fig, pl, lang, TABLE_X_MM, y - 4)
    _footer(fig, pl, lang, scale)
    _furniture(fig, pl, lang)
    return fig


def _furniture(fig: Figure, pl: PlanLayers, lang: str) -> None:
    """Locator inset, disclaimer and approval block in the lower right of the panel."""
    W, H = A3_MM
    b = pl.layers["boundary"]
    if len(b):
        locator_inset(fig, (TABLE_X_MM / W, 62 / H, 106 / W, 42 / H), b.geometry.iloc[0],
                      str(b["name"].iloc[0]), lang)
    disclaimer(fig, TABLE_X_MM, 53, 92, A3_MM, lang)
    approval_block(fig, TABLE_X_MM, 14.5, 106, 15, A3_MM, lang)


def write_map(pl: PlanLayers, out: Path, *, fmt: str = "pdf", lang: str = "id",
              dpi: int = 200) -> list[Path]:
    """Render the A3 map to ``out`` as PDF or PNG (``dpi`` for PNG), atomically.

    Returns
    -------
    list of Path
        ``[out]``.
    """
    fig = render_map(pl, lang)
    try:
        with atomic_files([out]) as (tmp,), matplotlib.rc_context(md.PDF_RC):
            meta = ({"Title": lb.text("title", lang), "Creator": "fonet"} if fmt == "pdf"
                    else {"Title": lb.text("title", lang), "Software": "fonet"})
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
    finally:
        plt.close(fig)
    return [out]
