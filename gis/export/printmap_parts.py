"""Map furniture for the printed plan: scale bar, north arrow, graticule, inset, approval block.

Also the disclaimer.

Everything is measured in the map's own metres (UTM 49S), never in degrees.
"""

from __future__ import annotations

import json
import math
import textwrap
from importlib import resources
from typing import Any

import matplotlib.patheffects as pe
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle
from pyproj import Transformer
from shapely.geometry import MultiPolygon, shape
from shapely.geometry.base import BaseGeometry

from gis.export import labels as lb

MM_PER_INCH = 25.4
NICE_SCALES = (10_000, 12_500, 15_000, 20_000, 25_000, 50_000, 75_000, 100_000, 125_000,
               150_000, 175_000, 200_000, 225_000, 250_000, 300_000, 400_000, 500_000)
HALO = [pe.withStroke(linewidth=2.2, foreground="white")]


def nice_scale(extent_w_m: float, extent_h_m: float, box_w_mm: float, box_h_mm: float) -> int:
    """Return the largest round scale denominator at which the extent fits the box."""
    need = max(extent_w_m / (box_w_mm / 1000), extent_h_m / (box_h_mm / 1000))
    for s in NICE_SCALES:
        if s >= need:
            return s
    return int(math.ceil(need / 100_000) * 100_000)


def nice_length_m(max_m: float) -> float:
    """Largest 1, 2, 2.5 or 5 × 10ⁿ metres not above ``max_m``."""
    exp = 10 ** math.floor(math.log10(max_m))
    for f in (5, 2.5, 2, 1):
        if f * exp <= max_m:
            return f * exp
    return exp


def _km(m: float, lang: str) -> str:
    digits = 0 if m % 1000 == 0 else 1 if m % 100 == 0 else 2
    return lb.number(m / 1000, digits, lang)


def scale_bar(ax: Axes, x0: float, y0: float, length_m: float, lang: str, *,
              segments: int = 4) -> None:
    """Draw an alternating black and white scale bar of ``length_m`` from (x0, y0), in metres."""
    h = length_m * 0.025
    step = length_m / segments
    for i in range(segments):
        ax.add_patch(Rectangle((x0 + i * step, y0), step, h, facecolor="black" if i % 2 == 0
                               else "white", edgecolor="black", linewidth=0.6, zorder=30))
    for i in (0, segments // 2, segments):
        ax.text(x0 + i * step, y0 + h * 1.6, _km(i * step, lang), ha="center", va="bottom",
                fontsize=7, zorder=30, path_effects=HALO)
    ax.text(x0 + length_m + step * 0.25, y0 + h / 2, "km", ha="left", va="center", fontsize=7,
            zorder=30, path_effects=HALO)


def north_arrow(ax: Axes, x: float, y: float, size_m: float, lang: str) -> None:
    """Draw a north arrow with its tip at (x, y) in map metres (grid north ≈ true north here)."""
    half = size_m * 0.28
    ax.add_patch(Polygon([(x, y), (x - half, y - size_m), (x, y - size_m * 0.72)],
                         closed=True, facecolor="black", edgecolor="black", lw=0.8, zorder=30))
    ax.add_patch(Polygon([(x, y), (x + half, y - size_m), (x, y - size_m * 0.72)],
                         closed=True, facecolor="white", edgecolor="black", lw=0.8, zorder=30))
    ax.text(x, y + size_m * 0.12, lb.text("north", lang), ha="center", va="bottom",
            fontsize=13, fontweight="bold", zorder=30, path_effects=HALO)


def _dms(value: float, pos: str, neg: str) -> str:
    hemi = pos if value >= 0 else neg
    v = abs(value)
    d = int(v)
    m = round((v - d) * 60)
    if m == 60:
        d, m = d + 1, 0
    return f"{d}°{m:02d}′ {hemi}"


def graticule(ax: Axes, crs: str, lang: str, step_deg: float = 5 / 60) -> None:
    """Label the map frame with longitudes and latitudes every ``step_deg`` (5′ by default)."""
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    to_xy = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    lon0, lat_b = to_ll.transform(x0, y0)
    lon1, _ = to_ll.transform(x1, y0)
    _, lat_t = to_ll.transform(x0, y1)
    east, west = ("BT", "BB") if lang == "id" else ("E", "W")
    north, south = ("LU", "LS") if lang == "id" else ("N", "S")
    xt, xl = [], []
    lon = math.ceil(lon0 / step_deg) * step_deg
    while lon <= lon1:
        xt.append(to_xy.transform(lon, lat_b)[0])
        xl.append(_dms(lon, east, west))
        lon += step_deg
    yt, yl = [], []
    lat = math.ceil(lat_b / step_deg) * step_deg
    while lat <= lat_t:
        yt.append(to_xy.transform(lon0, lat)[1])
        yl.append(_dms(lat, north, south))
        lat += step_deg
    ax.set_xticks(xt, xl, fontsize=6.5)
    ax.set_yticks(yt, yl, fontsize=6.5, rotation=90, va="center")
    ax.tick_params(direction="in", length=4, width=0.6, top=True, right=True,
                   labeltop=True, labelright=True)
    for t in ax.get_yticklabels(which="both"):
        t.set_rotation(90)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)



def _locator_shapes() -> list[dict[str, Any]]:
    """East Java and the regency, simplified, shipped beside this module (MIT source)."""
    raw = resources.files("gis.export").joinpath("jatim_outline.json").read_text("utf-8")
    return json.loads(raw)["features"]


def locator_inset(fig: Figure, rect: tuple[float, float, float, float],
                  regency: BaseGeometry, name: str, lang: str) -> Axes:
    """Draw East Java with the regency filled, in ``rect`` (figure fractions l, b, w, h).

    Parameters
    ----------
    fig
        The sheet.
    rect
        Where the inset goes, in figure fractions.
    regency
        The regency in lon/lat (the plan's own boundary, so the inset matches the map).
    name
        The regency's name, pointed at.
    lang
        Language of the caption.
    """
    ax = fig.add_axes(rect)
    feats = _locator_shapes()
    province = shape(next(f for f in feats if f["properties"]["level"] == "province")["geometry"])
    for part in getattr(province, "geoms", [province]):
        ax.fill(*part.exterior.xy, facecolor="#e6e6e6", edgecolor="#555555", linewidth=0.5,
                zorder=1)
    for part in getattr(regency, "geoms", [regency]):
        ax.fill(*part.exterior.xy, facecolor="#d55e00", edgecolor="black", linewidth=0.6,
                zorder=3, gid="locator-regency")
    # frame the mainland and Madura; small far islands (Bawean, Kangean) fall outside
    parts = list(getattr(province, "geoms", [province]))
    big = max(p.area for p in parts)
    minx, miny, maxx, maxy = MultiPolygon([p for p in parts if p.area >= 0.05 * big]).bounds
    ax.set_xlim(minx - 0.1, maxx + 0.1)
    ax.set_ylim(miny - 0.1, maxy + 0.1)
    ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)), adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#f4f8fb")
    c = regency.centroid
    ax.annotate(name, (c.x, c.y), xytext=(14, 16),
                textcoords="offset points", fontsize=6.5, fontweight="bold",
                arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "black"}, zorder=5,
                path_effects=HALO)
    ax.text(0.02, 0.04, lb.text("province", lang), transform=ax.transAxes, fontsize=6.5,
            style="italic", color="#333333")
    ax.set_title(lb.text("locator", lang), fontsize=8, fontweight="bold", loc="left", pad=3)
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
    return ax


def approval_block(fig: Figure, left_mm: float, bottom_mm: float, width_mm: float,
                   height_mm: float, page_mm: tuple[float, float], lang: str) -> None:
    """Three signature boxes: prepared, checked and approved by (name, signature, date)."""
    W, H = page_mm
    fig.text(left_mm / W, (bottom_mm + height_mm + 1.5) / H, lb.text("approval", lang),
             fontsize=8.5, fontweight="bold", va="bottom")
    roles = ("prepared_by", "checked_by", "approved_by")
    w = width_mm / len(roles)
    for i, role in enumerate(roles):
        x = left_mm + i * w
        fig.add_artist(Rectangle((x / W, bottom_mm / H), w / W, height_mm / H, fill=False,
                                 lw=0.6, color="black", gid="approval-box"))
        fig.text((x + 1.5) / W, (bottom_mm + height_mm - 1.5) / H, lb.text(role, lang),
                 fontsize=6.5, fontweight="bold", va="top")
        fig.text((x + 1.5) / W, (bottom_mm + 1.2) / H, lb.text("name_sign_date", lang),
                 fontsize=5, va="bottom", color="#555555")


def disclaimer(fig: Figure, left_mm: float, top_mm: float, width_chars: int,
               page_mm: tuple[float, float], lang: str) -> float:
    """Draw the disclaimer paragraph; return the height it took in millimetres."""
    W, H = page_mm
    fig.text(left_mm / W, top_mm / H, lb.text("disclaimer_title", lang), fontsize=8.5,
             fontweight="bold", va="top")
    lines = textwrap.wrap(lb.text("disclaimer", lang), width=width_chars)
    fig.text(left_mm / W, (top_mm - 4.5) / H, "\n".join(lines), fontsize=6.3, va="top",
             linespacing=1.3, style="italic", gid="disclaimer")
    return 4.5 + 2.9 * len(lines)
