"""Label placement without collisions: a greedy pass over candidate positions.

Every marker drawn on a map is an obstacle (its box in display pixels, measured with the
figure's renderer); every label is tried at its candidate positions in order and keeps the first
whose box stays inside the map frame and clear of every obstacle and every label placed before
it. A label with no free position takes the candidate with the least overlap (``required``), or
is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

HAlign = Literal["left", "center", "right"]
VAlign = Literal["bottom", "baseline", "center", "center_baseline", "top"]
OFFSETS_PT = ((1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1))
"""Directions tried around a point label: NE, SE, NW, SW, E, W, N, S."""


@dataclass(frozen=True)
class Candidate:
    """A position to try: anchor in data coordinates, offset in points, alignment."""

    x: float
    y: float
    dx_pt: float = 0.0
    dy_pt: float = 0.0
    ha: HAlign = "center"
    va: VAlign = "center"


def marker_boxes(ax: Axes, coll: PathCollection, renderer: RendererBase) -> list[Bbox]:
    """Boxes in display pixels of the markers of a scatter collection (edge included)."""
    offsets = np.asarray(coll.get_offsets(), dtype=float)
    if not len(offsets):
        return []
    sizes = np.resize(np.asarray(coll.get_sizes(), dtype=np.float64), len(offsets))
    lws = np.resize(np.asarray(coll.get_linewidth(), dtype=np.float64), len(offsets))
    px = renderer.points_to_pixels(1.0)
    centres = coll.get_offset_transform().transform(offsets)
    boxes = []
    for (cx, cy), s, lw in zip(centres, sizes, lws, strict=True):
        half = (np.sqrt(s) / 2 + lw / 2) * px
        boxes.append(Bbox.from_extents(cx - half, cy - half, cx + half, cy + half))
    return boxes


def point_candidates(x: float, y: float, gap_pt: float) -> list[Candidate]:
    """Return sixteen positions around a point, eight at ``gap_pt`` points, corners first.

    The other eight are twice as far, for crowded places.
    """
    out = []
    for gap in (gap_pt, 2 * gap_pt):
        for ux, uy in OFFSETS_PT:
            ha: HAlign = "left" if ux > 0 else "right" if ux < 0 else "center"
            va: VAlign = "bottom" if uy > 0 else "top" if uy < 0 else "center"
            out.append(Candidate(x, y, ux * gap, uy * gap, ha, va))
    return out


def polygon_candidates(geom: BaseGeometry, n: int = 14, keep: int = 40) -> list[Candidate]:
    """Return positions inside a polygon, its pole of inaccessibility first.

    Then come the deepest points of an ``n`` × ``n`` grid over it (deepest = farthest from its
    boundary).
    """
    parts = getattr(geom, "geoms", [geom])
    main = max(parts, key=lambda g: g.area)
    pole = polylabel(main, tolerance=max(main.length / 2000, 1e-9))
    out = [Candidate(pole.x, pole.y)]
    minx, miny, maxx, maxy = main.bounds
    xs = np.linspace(minx, maxx, n + 2)[1:-1]
    ys = np.linspace(miny, maxy, n + 2)[1:-1]
    import shapely

    gx, gy = np.meshgrid(xs, ys)
    pts = np.asarray(shapely.points(gx.ravel(), gy.ravel()))
    inside = pts[shapely.contains(main, pts)]
    depth = shapely.distance(main.exterior, inside)
    for i in np.argsort(-depth)[:keep]:
        out.append(Candidate(float(inside[i].x), float(inside[i].y)))
    return out


class Placer:
    """Greedy collision-free placement of labels on one axes.

    Parameters
    ----------
    ax
        The map axes (labels are added to it).
    renderer
        The figure's renderer, to measure text.
    pad_px
        Clearance kept around every box.
    """

    def __init__(self, ax: Axes, renderer: RendererBase, pad_px: float = 3.0) -> None:
        self.ax = ax
        self.renderer = renderer
        self.pad = pad_px
        self.obstacles: list[Bbox] = []
        self.frame = ax.get_window_extent(renderer)

    def add_obstacles(self, boxes: Iterable[Bbox]) -> None:
        """Keep labels off these boxes (display pixels)."""
        self.obstacles.extend(boxes)

    def add_artist_obstacle(self, artist: Text) -> None:
        """Keep labels off an artist already drawn (a text, the scale bar label, ...)."""
        self.obstacles.append(artist.get_window_extent(self.renderer))

    def _overlap(self, box: Bbox) -> float:
        grown = box.expanded(1, 1).padded(self.pad)
        total = 0.0
        for ob in self.obstacles:
            w = min(grown.x1, ob.x1) - max(grown.x0, ob.x0)
            h = min(grown.y1, ob.y1) - max(grown.y0, ob.y0)
            if w > 0 and h > 0:
                total += w * h
        f = self.frame
        outside = (max(f.x0 - box.x0, 0) + max(box.x1 - f.x1, 0)) * box.height + (
            max(f.y0 - box.y0, 0) + max(box.y1 - f.y1, 0)) * box.width
        return total + outside * 10

    def place(self, label: str, candidates: Sequence[Candidate], *, required: bool = False,
              **text_kw: object) -> Text | None:
        """Add ``label`` at the first candidate free of collisions and return it.

        Parameters
        ----------
        label
            The text.
        candidates
            Positions in order of preference.
        required
            If no candidate is free, use the one with the least overlap instead of leaving the
            label out.
        **text_kw
            Passed to :meth:`matplotlib.axes.Axes.annotate` (font size, weight, colour, ...).

        Returns
        -------
        Text or None
            The label, or ``None`` if it was left out.
        """
        best: tuple[float, Candidate] | None = None
        art = self.ax.annotate(label, (candidates[0].x, candidates[0].y), xytext=(0, 0),
                               textcoords="offset points", annotation_clip=False,
                               **text_kw)  # type: ignore[arg-type]
        for c in candidates:
            self._move(art, c)
            box = art.get_window_extent(self.renderer)
            cost = self._overlap(box)
            if cost == 0:
                self.obstacles.append(box)
                return art
            if best is None or cost < best[0]:
                best = (cost, c)
        if required and best is not None:
            self._move(art, best[1])
            self.obstacles.append(art.get_window_extent(self.renderer))
            return art
        art.remove()
        return None

    @staticmethod
    def _move(art: Text, c: Candidate) -> None:
        art.xy = (c.x, c.y)  # type: ignore[attr-defined]
        art.set_position((c.dx_pt, c.dy_pt))
        art.set_horizontalalignment(c.ha)
        art.set_verticalalignment(c.va)


def figure_renderer(fig: Figure) -> RendererBase:
    """Return the renderer of a figure drawn on an Agg canvas (to measure text)."""
    return fig.canvas.get_renderer()  # type: ignore[attr-defined]


def boxes_intersect(a: Bbox, b: Bbox) -> bool:
    """Return True if two boxes share area (touching edges do not count)."""
    return min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.y1, b.y1) > max(a.y0, b.y0)
