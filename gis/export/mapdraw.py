"""Drawing a plan's layers on a map axes, shared by the A3 sheet and the atlas pages.

Layers are expected in UTM 49S (metres). Boundaries are drawn once: the kecamatan borders are
the union of their outlines (a border two kecamatan share is one line, so its dashes are
regular) less the regency boundary, which is drawn on its own.
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection

from gis.export import labels as lb
from gis.export.placement import Placer, point_candidates, polygon_candidates
from gis.export.printmap_parts import HALO, MM_PER_INCH

PT_PER_MM = 72 / MM_PER_INCH
PDF_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.family": "DejaVu Sans",
          "pdf.compression": 9}
"""Matplotlib settings for print: fonts embedded as TrueType (Type 42), never Type 3."""
KEC_DASH = (0, (4, 1.5))
_PREFIX = re.compile(r"^(Kantor\s+(Desa|Kelurahan|Kecamatan)\s+)", re.I)


def short_name(name: str) -> str:
    """``Kantor Desa Baureno`` → ``Baureno``: the place, for a label beside a marker."""
    return _PREFIX.sub("", name).strip() or name


def draw_villages(ax: Axes, villages: gpd.GeoDataFrame, *, edge_lw: float = 0.25) -> None:
    """Fill the villages by coverage status."""
    for status in lb.STATUSES:
        part = villages[villages["status"] == status]
        if len(part):
            part.plot(ax=ax, color=lb.STATUS_COLORS[status], edgecolor="#a0a0a0",
                      linewidth=edge_lw, zorder=2)


def kecamatan_borders(kecamatan: gpd.GeoDataFrame,
                      boundary: gpd.GeoDataFrame | None) -> shapely.Geometry:
    """Every kecamatan border once: shared borders merged, the regency boundary left out."""
    lines = shapely.union_all(list(kecamatan.geometry.boundary))
    if boundary is not None and len(boundary):
        outer = shapely.union_all(list(boundary.geometry.boundary))
        lines = lines.difference(outer.buffer(1.0))
    return shapely.line_merge(lines) if not lines.is_empty else lines


def _plot_lines(ax: Axes, geom: shapely.Geometry, **kw: Any) -> None:
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "LineString" and not part.is_empty:
            x, y = part.xy
            ax.plot(x, y, **kw)
        elif hasattr(part, "geoms"):
            _plot_lines(ax, part, **kw)


def draw_borders(ax: Axes, kecamatan: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None, *,
                 kec_mm: float = 0.35, boundary_mm: float = 0.7) -> None:
    """Draw kecamatan borders (dashed, once each) and the regency boundary."""
    _plot_lines(ax, kecamatan_borders(kecamatan, boundary), color=lb.KECAMATAN_EDGE,
                linewidth=kec_mm * PT_PER_MM, linestyle=KEC_DASH, zorder=4,
                gid="kecamatan-border")
    if boundary is not None and len(boundary):
        _plot_lines(ax, shapely.union_all(list(boundary.geometry.boundary)),
                    color=lb.BOUNDARY_EDGE, linewidth=boundary_mm * PT_PER_MM, zorder=5,
                    gid="regency-boundary")


def draw_access(ax: Axes, spans: gpd.GeoDataFrame, styles: dict[str, Any], *,
                width_mm: float) -> None:
    """Access cables, thicker for larger cables, shaded by phase."""
    for c in styles["spans"].categories:
        part = spans[spans["category"] == c.value]
        if len(part) and c.value.startswith("access"):
            width = (part["cable_size"].fillna(12).astype(float) / 12) ** 0.5 * width_mm
            part.plot(ax=ax, color=c.symbol.color, linewidth=width * PT_PER_MM, zorder=7,
                      capstyle="round")


def draw_rings(ax: Axes, rings: gpd.GeoDataFrame, styles: dict[str, Any], *,
               width_mm: float) -> None:
    """Backbone rings, each in its own colour."""
    for c in styles["rings"].categories:
        part = rings[rings["ring"].astype(str) == c.value]
        if len(part):
            part.plot(ax=ax, color=c.symbol.color, linewidth=width_mm * PT_PER_MM, zorder=9,
                      capstyle="round")


def draw_hubs(ax: Axes, hubs: gpd.GeoDataFrame, *, hub_size: float,
              pop_size: float) -> list[PathCollection]:
    """Hubs (white squares outlined in black) and the core POP (black star)."""
    out = []
    for role, marker, size, edge, lw in (("hub", "s", hub_size, lb.HUB_EDGE, 0.8),
                                         ("pop", "*", pop_size, "white", 0.7)):
        h = hubs[hubs["role"] == role]
        color = lb.HUB_COLOR if role == "hub" else lb.POP_COLOR
        out.append(ax.scatter(h.geometry.x, h.geometry.y, s=size, marker=marker, c=color,
                              edgecolors=edge, linewidths=lw, zorder=27,
                              gid=f"{role}-marker"))
    return out


def label_kecamatan(placer: Placer, kecamatan: gpd.GeoDataFrame, *, fontsize: float,
                    only: str | None = None) -> None:
    """Name every kecamatan inside its polygon, clear of markers and other labels."""
    for k in kecamatan.itertuples():
        if only is not None and k.code != only:
            continue
        placer.place(k.name.upper(), polygon_candidates(k.geometry), required=True,
                     fontsize=fontsize, fontweight="bold", color="#2b2b2b", zorder=24,
                     path_effects=HALO, gid="kecamatan-label")


def label_hubs(placer: Placer, hubs: gpd.GeoDataFrame, lang: str, *, fontsize: float,
               gap_pt: float) -> None:
    """Label the core POP and each hub beside its marker where there is room."""
    for h in hubs.sort_values("role", key=lambda r: r != "pop").itertuples():
        pop = h.role == "pop"
        text = f"POP · {short_name(h.name)}" if pop else short_name(h.name)
        placer.place(text, point_candidates(h.geometry.x, h.geometry.y,
                                            gap_pt * (1.6 if pop else 1.0)),
                     required=pop, fontsize=fontsize * (1.15 if pop else 1.0),
                     fontweight="bold" if pop else "normal", style="normal" if pop else "italic",
                     color="black", zorder=26, path_effects=HALO,
                     gid="pop-label" if pop else "hub-label")
