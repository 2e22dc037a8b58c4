"""Drawing a plan's layers on a map axes, shared by the A3 sheet and the atlas pages.

Layers are expected in UTM 49S (metres). Boundaries are drawn once: a border two kecamatan
share is one line (:func:`kecamatan_borders`), so its dashes are regular, and the regency
boundary is drawn on its own. Shapes are drawn as one matplotlib collection per style (not
through GeoDataFrame.plot, which redraws the whole figure after every call).
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.path import Path
from shapely.geometry.polygon import orient

from gis.export import labels as lb
from gis.export.placement import Placer, point_candidates, polygon_candidates
from gis.export.printmap_parts import HALO, MM_PER_INCH

PT_PER_MM = 72 / MM_PER_INCH
PDF_RC: Any = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.family": "DejaVu Sans",
          "pdf.compression": 9}
"""Matplotlib settings for print: fonts embedded as TrueType (Type 42), never Type 3."""
KEC_DASH = (0, (4, 1.5))
_PREFIX = re.compile(r"^(Kantor\s+(Desa|Kelurahan|Kecamatan)\s+)", re.I)


def short_name(name: str) -> str:
    """``Kantor Desa Baureno`` → ``Baureno``: the place, for a label beside a marker."""
    return _PREFIX.sub("", name).strip() or name


def polygon_paths(geoms: Any) -> list[Path]:
    """One matplotlib path per polygon (holes included, filled by the non-zero rule)."""
    paths = []
    for g in geoms:
        for p in getattr(g, "geoms", [g]):
            if p.is_empty or p.geom_type != "Polygon":
                continue
            p = orient(p, 1.0)
            rings = [p.exterior, *p.interiors]
            paths.append(Path.make_compound_path(*[Path(np.asarray(r.coords)[:, :2],
                                                        closed=True) for r in rings]))
    return paths


def line_parts(geoms: Any) -> list[np.ndarray]:
    """Every LineString part of ``geoms`` (lines, multilines, polygon outlines) as an array."""
    out: list[np.ndarray] = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        if g.geom_type in ("Polygon", "MultiPolygon"):
            g = g.boundary
        for part in getattr(g, "geoms", [g]):
            if part.geom_type == "LineString" and not part.is_empty:
                out.append(np.asarray(part.coords)[:, :2])
            elif hasattr(part, "geoms"):
                out.extend(line_parts([part]))
    return out


def fill(ax: Axes, geoms: Any, *, facecolor: str, edgecolor: str, linewidth: float,
         zorder: float, **kw: Any) -> PathCollection:
    """Fill polygons as one collection."""
    coll = PathCollection(polygon_paths(geoms), facecolors=facecolor, edgecolors=edgecolor,
                          linewidths=linewidth, zorder=zorder, **kw)
    ax.add_collection(coll, autolim=False)
    return coll


def lines(ax: Axes, geoms: Any, *, color: str, linewidth: Any, zorder: float,
          **kw: Any) -> LineCollection:
    """Draw lines (or polygon outlines) as one collection."""
    parts = line_parts(geoms)
    if np.ndim(linewidth) and len(linewidth) == len(list(geoms)):
        # one width per feature: repeat it for each of the feature's parts
        widths = [w for g, w in zip(geoms, linewidth, strict=True)
                  for _ in line_parts([g])]
    else:
        widths = linewidth
    coll = LineCollection(parts, colors=color, linewidths=widths, zorder=zorder,
                          capstyle="round", joinstyle="round", **kw)
    ax.add_collection(coll, autolim=False)
    return coll


def draw_villages(ax: Axes, villages: gpd.GeoDataFrame, *, edge_lw: float = 0.25) -> None:
    """Fill the villages by coverage status."""
    for status in lb.STATUSES:
        part = villages[villages["status"] == status]
        if len(part):
            fill(ax, part.geometry, facecolor=lb.STATUS_COLORS[status], edgecolor="#a0a0a0",
                 linewidth=edge_lw, zorder=2, gid=f"villages-{status}")


BORDER_TOLERANCE_M = 25.0
"""Two kecamatan outlines closer than this are one border (the source polygons do not share
their vertices exactly); 25 m is 0.1 mm on the A3 sheet."""


def kecamatan_borders(kecamatan: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None, *,
                      tolerance_m: float = BORDER_TOLERANCE_M) -> list[shapely.LineString]:
    """Return every kecamatan border once, as long lines, the regency boundary left out.

    A shared border is kept from one side only: each kecamatan's outline is added less what is
    already drawn (buffered by ``tolerance_m``), then the pieces are merged into chains.
    """
    drawn = shapely.Polygon()
    if boundary is not None and len(boundary):
        drawn = shapely.union_all(list(boundary.geometry.boundary)).buffer(tolerance_m)
    parts = []
    for geom in kecamatan.sort_values("code").geometry:
        new = geom.boundary.difference(drawn)
        if not new.is_empty:
            parts.append(new)
            drawn = drawn.union(new.buffer(tolerance_m))
    merged = shapely.line_merge(shapely.union_all(parts)) if parts else shapely.LineString()
    return [p for p in getattr(merged, "geoms", [merged])
            if p.geom_type == "LineString" and p.length > 2 * tolerance_m]


def draw_borders(ax: Axes, kecamatan: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None, *,
                 kec_mm: float = 0.35, boundary_mm: float = 0.7,
                 borders: list[shapely.LineString] | None = None) -> None:
    """Draw kecamatan borders (dashed, once each) and the regency boundary.

    ``borders`` are :func:`kecamatan_borders`, when the caller has them already.
    """
    if borders is None:
        borders = kecamatan_borders(kecamatan, boundary)
    for line in borders:
        x, y = line.xy
        ax.plot(x, y, color=lb.KECAMATAN_EDGE, linewidth=kec_mm * PT_PER_MM,
                linestyle=KEC_DASH, zorder=4, gid="kecamatan-border")
    if boundary is not None and len(boundary):
        lines(ax, boundary.geometry, color=lb.BOUNDARY_EDGE, linewidth=boundary_mm * PT_PER_MM,
              zorder=5, gid="regency-boundary")


def draw_access(ax: Axes, spans: gpd.GeoDataFrame, styles: dict[str, Any], *,
                width_mm: float) -> None:
    """Access cables, thicker for larger cables, shaded by phase."""
    for c in styles["spans"].categories:
        part = spans[spans["category"] == c.value]
        if len(part) and c.value.startswith("access"):
            width = (part["cable_size"].fillna(12).astype(float) / 12) ** 0.5 * width_mm
            lines(ax, list(part.geometry), color=c.symbol.color,
                  linewidth=list(width * PT_PER_MM), zorder=7, gid="access")


def draw_rings(ax: Axes, rings: gpd.GeoDataFrame, styles: dict[str, Any], *,
               width_mm: float) -> None:
    """Backbone rings, each in its own colour."""
    for c in styles["rings"].categories:
        part = rings[rings["ring"].astype(str) == c.value]
        if len(part):
            lines(ax, list(part.geometry), color=c.symbol.color,
                  linewidth=width_mm * PT_PER_MM, zorder=9, gid=f"ring-{c.value}")


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
    x0, x1 = placer.ax.get_xlim()
    y0, y1 = placer.ax.get_ylim()
    for h in hubs.sort_values("role", key=lambda r: r != "pop").itertuples():
        if not (x0 < h.geometry.x < x1 and y0 < h.geometry.y < y1):
            continue  # off this map: no label hanging outside the frame
        pop = h.role == "pop"
        text = f"POP · {short_name(h.name)}" if pop else short_name(h.name)
        placer.place(text, point_candidates(h.geometry.x, h.geometry.y,
                                            gap_pt * (1.6 if pop else 1.0)),
                     required=pop, fontsize=fontsize * (1.15 if pop else 1.0),
                     fontweight="bold" if pop else "normal", style="normal" if pop else "italic",
                     color="black", zorder=26, path_effects=HALO,
                     gid="pop-label" if pop else "hub-label")
