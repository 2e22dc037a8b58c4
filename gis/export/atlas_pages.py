"""The pages of the masterplan atlas other than the A3 overview.

- :func:`kecamatan_page`: one kecamatan at a large scale — its villages by coverage status,
  its sites by kind with their names, its access trees, the rings through it — with a table of
  its sites (path, loss against the budget, status) and its bill of materials.
- :func:`ring_schematic_page`: every backbone ring as a loop from the core POP through its hubs,
  each hop with its length.
- :func:`contents_page`: the table of contents.

Every page is A3 landscape with the same frame, header and page number (:func:`page_frame`).
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from gis.export import labels as lb
from gis.export import mapdraw as md
from gis.export.layers import PlanLayers
from gis.export.placement import (
    Candidate,
    Placer,
    figure_renderer,
    marker_boxes,
    point_candidates,
)
from gis.export.printmap_parts import (
    HALO,
    MM_PER_INCH,
    nice_length_m,
    nice_scale,
    north_arrow,
    scale_bar,
)
from gis.export.styles import plan_styles

A3_MM = (420.0, 297.0)
MARGIN_MM = 8.0
PANEL_X_MM = 262.0
KIND_MARKERS = {"kecamatan_office": ("D", 22), "village_office": ("o", 16), "opd": ("^", 24),
                "school": ("v", 12), "other": ("o", 10), "closure": ("x", 10)}
"""Marker and size (pt²) of access sites by kind on a kecamatan page."""


def _fx(x_mm: float) -> float:
    return x_mm / A3_MM[0]


def _fy(y_mm: float) -> float:
    return y_mm / A3_MM[1]


def page_frame(title: str, pl: PlanLayers, lang: str, page: int, pages: int) -> Figure:
    """Start an A3 landscape page: border, running header and page number."""
    W, H = A3_MM
    fig = plt.figure(figsize=(W / MM_PER_INCH, H / MM_PER_INCH))
    fig.add_artist(plt.Rectangle((_fx(MARGIN_MM), _fy(MARGIN_MM)), 1 - 2 * _fx(MARGIN_MM),
                                 1 - 2 * _fy(MARGIN_MM), fill=False, lw=1.6, color="black"))
    fig.text(_fx(14), _fy(H - 12), title, fontsize=15, fontweight="bold", va="top")
    fig.text(_fx(W - 14), _fy(H - 12), lb.text("title", lang), fontsize=8, ha="right",
             va="top", color="#333333")
    fig.text(_fx(W - 14), _fy(H - 16.5), f"{lb.text('plan', lang)} #{pl.plan_id} "
                                         f"“{pl.name}”", fontsize=7, ha="right", va="top",
             color="#333333")
    fig.add_artist(Line2D([_fx(14), _fx(W - 14)], [_fy(H - 22)] * 2, lw=0.8, color="black"))
    page_number(fig, lang, page, pages)
    return fig


def page_number(fig: Figure, lang: str, page: int, pages: int) -> None:
    """Write "Halaman n dari N" at the foot of the page, right, inside the frame."""
    fig.text(_fx(A3_MM[0] - 12), _fy(MARGIN_MM + 1.2), lb.text("page_of", lang).format(
        n=page, total=pages), fontsize=7.5, ha="right", va="bottom", gid="page-number")


def contents_page(pl: PlanLayers, lang: str, entries: Sequence[tuple[int, str, str]],
                  page: int, pages: int) -> Figure:
    """Draw the table of contents: page number, title and a short description per entry."""
    t = lambda key: lb.text(key, lang)  # noqa: E731
    fig = page_frame(t("contents"), pl, lang, page, pages)
    W, H = A3_MM
    y = H - 32
    fig.text(_fx(20), _fy(y), lb.subtitle(pl, lang), fontsize=9, va="top", color="#333333")
    y -= 10
    half = (len(entries) + 1) // 2 if len(entries) > 14 else len(entries)
    for i, (num, title, note) in enumerate(entries):
        col = 0 if i < half else 1
        yy = y - (i if col == 0 else i - half) * 9.0
        x = 20 + col * 195
        fig.text(_fx(x), _fy(yy), title, fontsize=9.5, fontweight="bold", va="top")
        fig.text(_fx(x), _fy(yy - 4.2), note, fontsize=7, va="top", color="#444444")
        fig.add_artist(Line2D([_fx(x + 95), _fx(x + 170)], [_fy(yy - 2.8)] * 2, lw=0.5,
                              ls=(0, (1, 2)), color="#777777"))
        fig.text(_fx(x + 180), _fy(yy), str(num), fontsize=9.5, ha="right", va="top",
                 gid="toc-page")
    return fig


def ring_schematic_page(pl: PlanLayers, lang: str, page: int, pages: int) -> Figure:
    """Each ring drawn as a loop: the POP on top, hubs clockwise, hops labelled in km."""
    t = lambda key: lb.text(key, lang)  # noqa: E731
    fig = page_frame(t("ring_schematic"), pl, lang, page, pages)
    W, H = A3_MM
    rings = [r.model_dump() for r in pl.summary.rings]
    styles = {c.value: c.symbol.color for c in plan_styles(pl, lang)["rings"].categories}
    sites = pl.layers["sites"].set_index("code")
    hubs = pl.layers["hubs"].set_index("code")
    pop_code = pl.summary.pop.code if pl.summary.pop else None
    n = max(len(rings), 1)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    cell_w, cell_h = (W - 40) / cols, (H - 60) / rows
    for i, r in enumerate(rings):
        cx_mm = 20 + cell_w * (i % cols + 0.5)
        cy_mm = H - 35 - cell_h * (i // cols + 0.5)
        size = min(cell_w, cell_h) - 12
        ax = fig.add_axes((_fx(cx_mm - size / 2), _fy(cy_mm - size / 2), _fx(size), _fy(size)))
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.6, 1.6)
        ax.set_aspect("equal")
        ax.axis("off")
        color = styles.get(str(r["ring"]), "black")
        members = list(r.get("members", []))
        legs = list(r.get("legs_m", []))
        ax.add_patch(Circle((0, 0), 1.0, fill=False, lw=3.2, color=color, zorder=1))
        angles = [math.pi / 2 - 2 * math.pi * j / len(members) for j in range(len(members))]
        pts = [(math.cos(a), math.sin(a)) for a in angles]
        for code, (x, y) in zip(members, pts, strict=True):
            is_pop = code == pop_code
            ax.scatter([x], [y], s=260 if is_pop else 90, marker="*" if is_pop else "s",
                       c=lb.POP_COLOR if is_pop else lb.HUB_COLOR,
                       edgecolors="white" if is_pop else lb.HUB_EDGE, linewidths=0.9,
                       zorder=3)
            name = md.short_name(str(sites["name"].get(code, code)))
            kec = hubs["kecamatan"].get(code) if code in hubs.index else None
            label = f"POP · {name}" if is_pop else name
            if kec and not is_pop:
                label += f"\n({kec})"
            ax.text(x * 1.28, y * 1.22, label, ha="center", va="center", fontsize=6.8,
                    fontweight="bold" if is_pop else "normal", zorder=4, path_effects=HALO)
        for j, length in enumerate(legs):
            a0 = math.pi / 2 - 2 * math.pi * j / len(members)
            a1 = math.pi / 2 - 2 * math.pi * (j + 1) / len(members)
            am = (a0 + a1) / 2
            ax.text(0.78 * math.cos(am), 0.78 * math.sin(am),
                    f"{lb.number(length / 1000, 1, lang)} km", ha="center", va="center",
                    fontsize=6.3, color="#222222", zorder=4)
        km = r.get("km", sum(legs) / 1000)
        ax.text(0, 0.08, f"{t('ring')} {int(r['ring']) + 1}", ha="center", va="center",
                fontsize=12, fontweight="bold", color=color)
        ax.text(0, -0.14, f"{len(members) - 1} hub · {lb.number(km, 1, lang)} km",
                ha="center", va="center", fontsize=7.5)
    fig.text(_fx(20), _fy(18), t("ring_note"), fontsize=7, style="italic", va="bottom")
    return fig


def _cable_kind(kind: str, lang: str) -> str:
    """``12c aerial`` → ``Kabel 12 inti, udara (tiang) (km)``."""
    m = re.match(r"(\d+)c\s+(.*)", kind)
    if not m:
        return f"{lb.text('cable_word', lang)} {kind} (km)"
    return (f"{lb.text('cable_word', lang)} {m.group(1)} {lb.text('cores', lang).lower()}, "
            f"{lb.install_method(m.group(2), lang)} (km)")


def _site_rows(pl: PlanLayers, code: str, lang: str) -> pd.DataFrame:
    """Return the sites a kecamatan's hub serves (hub and POP included), with loss and budget."""
    sites = pl.layers["sites"]
    s = sites[(sites["plan_kecamatan_code"] == code) & (sites["plan_role"] != "none")].copy()
    budget = pl.layers["villages"].set_index("office_code")["budget_db"].dropna()
    default = float(budget.median()) if len(budget) else None
    s["budget_db"] = [budget.get(c, default) for c in s["code"]]
    order = {"pop": 0, "hub": 1, "access": 2}
    kinds = {"kecamatan_office": 0, "opd": 1, "village_office": 2, "school": 3}
    s["_o"] = s["plan_role"].map(order).fillna(3)
    s["_k"] = s["kind"].map(kinds).fillna(4)
    s["_n"] = [md.short_name(n) for n in s["name"]]
    return s.sort_values(["_o", "_k", "_n"])


def _kec_map(fig: Figure, pl: PlanLayers, L: dict[str, gpd.GeoDataFrame], code: str,
             lang: str, borders: list[Any] | None) -> int:
    """Draw the kecamatan map in the left part of the page; return its scale."""
    t = lambda key: lb.text(key, lang)  # noqa: E731
    styles = plan_styles(pl, lang)
    kec = L["kecamatan"]
    geom = kec[kec["code"] == code].geometry.iloc[0]
    minx, miny, maxx, maxy = geom.bounds
    pad = 700.0
    ext_w, ext_h = maxx - minx + 2 * pad, maxy - miny + 2 * pad
    box = (16.0, 16.0, PANEL_X_MM - 24.0, A3_MM[1] - 44.0)
    scale = nice_scale(ext_w, ext_h, box[2], box[3])
    w_mm, h_mm = ext_w / scale * 1000, ext_h / scale * 1000
    # fill the box: show the neighbourhood around the kecamatan at the same scale
    w_mm, h_mm = box[2], box[3]
    ext_w, ext_h = w_mm * scale / 1000, h_mm * scale / 1000
    ax = fig.add_axes((_fx(box[0]), _fy(box[1]), _fx(w_mm), _fy(h_mm)))
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - ext_w / 2, cx + ext_w / 2)
    ax.set_ylim(cy - ext_h / 2, cy + ext_h / 2)
    ax.set_aspect("equal")
    ax.set_facecolor("#f3f3f3")
    villages = L["villages"]
    inside = villages[villages["kecamatan_code"] == code]
    others = villages[villages["kecamatan_code"] != code]
    others = others.cx[cx - ext_w / 2:cx + ext_w / 2, cy - ext_h / 2:cy + ext_h / 2]
    md.fill(ax, others.geometry, facecolor="#e9e9e9", edgecolor="#c8c8c8", linewidth=0.25,
            zorder=1)
    md.draw_villages(ax, inside, edge_lw=0.4)
    md.draw_borders(ax, kec, L["boundary"], borders=borders)
    md.lines(ax, [geom], color="black", linewidth=1.6, zorder=6, gid="kecamatan-outline")
    spans = L["spans"]
    md.draw_access(ax, spans[spans["kecamatan_code"] == code], styles, width_mm=0.45)
    md.draw_rings(ax, L["rings"], styles, width_mm=1.3)
    sites = L["sites"]
    acc = sites[(sites["plan_kecamatan_code"] == code) & (sites["plan_role"] == "access")]
    colls = []
    for kind, part in acc.groupby("kind"):
        marker, size = KIND_MARKERS.get(str(kind), ("o", 12))
        colls.append(ax.scatter(part.geometry.x, part.geometry.y, s=size, marker=marker,
                                c=lb.OFFICE_COLOR, edgecolors="white", linewidths=0.5,
                                zorder=11, gid=f"site-{kind}"))
    colls += md.draw_hubs(ax, L["hubs"], hub_size=60, pop_size=280)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bar = nice_length_m((x1 - x0) * 0.25)
    scale_bar(ax, x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.03, bar, lang)
    stext = ax.text(x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.075,
                    f"{t('scale')} 1:{lb.number(scale, 0, lang)}", fontsize=8,
                    fontweight="bold", zorder=30, path_effects=HALO)
    north_arrow(ax, x1 - (x1 - x0) * 0.05, y1 - (y1 - y0) * 0.04, (y1 - y0) * 0.06, lang)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    renderer = figure_renderer(fig)
    placer = Placer(ax, renderer)
    for c in colls:
        placer.add_obstacles(marker_boxes(ax, c, renderer))
    placer.add_artist_obstacle(stext)
    md.label_kecamatan(placer, kec[kec["code"] == code], fontsize=11)
    md.label_hubs(placer, L["hubs"], lang, fontsize=7.5, gap_pt=6)
    for s in acc.itertuples():
        placer.place(md.short_name(s.name), point_candidates(s.geometry.x, s.geometry.y, 3.5),
                     fontsize=6.2, color="#111111", zorder=25, path_effects=HALO,
                     gid="site-label")
    # neighbouring kecamatan names, in grey, where they fit
    for k in kec[kec["code"] != code].itertuples():
        p = k.geometry.representative_point()
        if x0 < p.x < x1 and y0 < p.y < y1:
            placer.place(k.name.upper(), [Candidate(p.x, p.y)], fontsize=8,
                         color="#8a8a8a", fontweight="bold", zorder=23, path_effects=HALO,
                         gid="neighbour-label")
    return scale


def _table(fig: Figure, left_mm: float, top_mm: float, header: Sequence[str],
           rows: Sequence[Sequence[str]], xs: Sequence[float], *, size: float = 6.6,
           step: float = 3.7, bold_last: bool = False, left_cols: int = 1) -> float:
    """Draw a simple ruled table.

    The first ``left_cols`` columns are text, left-aligned at ``xs``; the others numbers,
    right-aligned at ``xs``. Returns the height below the table, in millimetres from the foot.
    """
    width = xs[-1]
    align = ["left" if i < left_cols else "right" for i in range(len(xs))]
    for x, h, ha in zip(xs, header, align, strict=True):
        fig.text(_fx(left_mm + x), _fy(top_mm), h, fontsize=size - 0.3, fontweight="bold",
                 va="bottom", ha=ha, linespacing=1.05)
    fig.add_artist(Line2D([_fx(left_mm), _fx(left_mm + width)], [_fy(top_mm - 0.8)] * 2,
                          lw=0.7, color="black"))
    y = top_mm - step - 0.4
    for i, row in enumerate(rows):
        last = bold_last and i == len(rows) - 1
        if i % 2 == 1:
            fig.add_artist(plt.Rectangle((_fx(left_mm), _fy(y - 0.8)), _fx(width),
                                         _fy(step), color="#f0f0f0", lw=0, zorder=-1))
        for x, v, ha in zip(xs, row, align, strict=True):
            fig.text(_fx(left_mm + x), _fy(y), v, fontsize=size, va="bottom", ha=ha,
                     fontweight="bold" if last else "normal")
        y -= step
    fig.add_artist(Line2D([_fx(left_mm), _fx(left_mm + width)], [_fy(y + step - 0.9)] * 2,
                          lw=0.7, color="black"))
    return y


def kecamatan_page(pl: PlanLayers, L: dict[str, gpd.GeoDataFrame], code: str, lang: str,
                   page: int, pages: int, *, borders: list[Any] | None = None) -> Figure:
    """Draw one kecamatan: map on the left; facts, sites and bill of materials on the right.

    ``L`` holds the layers in UTM 49S; ``borders`` the kecamatan borders
    (:func:`gis.export.mapdraw.kecamatan_borders`), computed once for a whole atlas.
    """
    t = lambda key: lb.text(key, lang)  # noqa: E731
    n = lambda v, d=0: "–" if v is None or pd.isna(v) else lb.number(v, d, lang)  # noqa: E731
    kec = pl.layers["kecamatan"].set_index("code")
    k = kec.loc[code]
    fig = page_frame(f"{t('kecamatan')} {k['name']}", pl, lang, page, pages)
    W, H = A3_MM
    scale = _kec_map(fig, pl, L, code, lang, borders)
    x = PANEL_X_MM
    y = H - 30
    hub_rings = {int(r) for r in str(pl.layers["hubs"].set_index("code")["rings"].get(
        k["hub_code"], "") or "").split(",") if r != ""}
    geom = L["kecamatan"].set_index("code").geometry.loc[code]
    rings = sorted(hub_rings | {int(r.ring) for r in L["rings"].itertuples()
                                if r.geometry is not None and r.geometry.intersects(geom)})
    facts = [(t("code"), f"{code} (BPS {k['code_bps'] or '–'})"),
             (t("hub_of"), md.short_name(str(k["hub_name"])) if k["hub_name"] else "–"),
             (t("ring"), ", ".join(f"{r + 1}" + (f" ({t('hub').lower()})" if r in hub_rings
                                                  else "") for r in rings) or "–"),
             (t("villages"), f"{n(k['villages'])}: {n(k['villages_built'])} "
                             f"{t('built').lower()}, {n(k['villages_planned'])} "
                             f"{t('planned').lower()}, {n(k['villages_not_covered'])} "
                             f"{t('not_covered').lower()}"),
             (t("area_km2"), n(k["area_km2"], 1)),
             (t("scale"), f"1:{lb.number(scale, 0, lang)}")]
    for label, value in facts:
        fig.text(_fx(x), _fy(y), label, fontsize=7.5, va="top", color="#333333")
        fig.text(_fx(x + 30), _fy(y), value, fontsize=7.5, va="top", fontweight="bold")
        y -= 4.0
    y -= 3
    fig.text(_fx(x), _fy(y), t("sites_table"), fontsize=10, fontweight="bold", va="top")
    rows_df = _site_rows(pl, code, lang)
    rows = []
    for s in rows_df.itertuples():
        over = bool(s.over_budget)
        role = "POP" if s.plan_role == "pop" else "hub" if s.plan_role == "hub" else \
            lb.site_kind(s.kind, lang)
        rows.append([textwrap.shorten(md.short_name(s.name), 24, placeholder="…"), role,
                     t(s.status), n(None if s.path_m is None else s.path_m / 1000, 2),
                     n(s.loss_1550_db, 1), n(s.budget_db, 1),
                     t("yes") if over else t("no")])
    header = [t("name"), t("kind"), t("status"), "km", f"{t('loss')}\n1550 nm",
              f"{t('budget')}\ndB", t("over_short")]
    y = _table(fig, x, y - 11, header, rows, [0, 36, 68, 104, 118, 131, 144], size=6.3,
               step=3.4, left_cols=3)
    y -= 6
    fig.text(_fx(x), _fy(y), t("bom_title"), fontsize=10, fontweight="bold", va="top")
    fig_kec = pl.summary.per_kecamatan.get(code)
    bom = fig_kec.model_dump() if fig_kec else {}
    brow = [[_cable_kind(kind, lang), n(km, 2)] for kind, km in
            sorted((bom.get("cable_km") or {}).items())]
    brow += [[t("poles"), n(bom.get("poles"))], [t("handholes"), n(bom.get("handholes"))],
             [t("closures"), n(bom.get("closures"))],
             [t("terminations"), n(bom.get("terminations"))],
             [t("cable_cost"), lb.idr(bom.get("cable_cost_idr") or 0, lang)],
             [t("hardware_cost"), lb.idr(bom.get("hardware_cost_idr") or 0, lang)],
             [t("cost"), lb.idr(bom.get("cost_idr") or 0, lang)]]
    _table(fig, x, y - 8, [t("item"), t("amount")], brow, [0, 70], size=6.8, step=3.6,
           bold_last=True)
    _page_legend(fig, pl, lang, x + 80, y - 8)
    return fig


def _page_legend(fig: Figure, pl: PlanLayers, lang: str, left_mm: float, top_mm: float) -> None:
    from matplotlib.patches import Patch

    t = lambda key: lb.text(key, lang)  # noqa: E731
    styles = plan_styles(pl, lang)
    handles: list[Any] = [Patch(facecolor=lb.STATUS_COLORS[s], edgecolor="#a0a0a0", label=t(s))
                          for s in lb.STATUSES]
    handles += [Line2D([], [], color=c.symbol.color, lw=1.3 * md.PT_PER_MM,
                       label=f"{t('ring')} {c.label.split()[-1]}")
                for c in styles["rings"].categories]
    handles += [Line2D([], [], color=lb.ACCESS_COLOR, lw=1.0, label=t("access")),
                Line2D([], [], ls="", marker="*", ms=10, color=lb.POP_COLOR, mec="white",
                       label=t("pop")),
                Line2D([], [], ls="", marker="s", ms=6, color=lb.HUB_COLOR, mec=lb.HUB_EDGE,
                       label=t("hub"))]
    for kind in ("kecamatan_office", "village_office", "opd", "school"):
        marker, size = KIND_MARKERS[kind]
        handles.append(Line2D([], [], ls="", marker=marker, ms=math.sqrt(size),
                              color=lb.OFFICE_COLOR, mec="white",
                              label=_upper_first(lb.site_kind(kind, lang))))
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(_fx(left_mm), _fy(top_mm)),
               fontsize=6.5, frameon=False, title=t("legend"), alignment="left",
               title_fontproperties={"weight": "bold", "size": 8}, borderaxespad=0,
               labelspacing=0.35, handlelength=2.0)


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]
