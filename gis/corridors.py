"""The corridor graph: the route graph used when no road network has been imported.

Two villages that share a border are joined through the midpoint of that shared border: an edge
from each village's inner point to a node on the border. The village polygons are simplified and
neither tile exactly nor meet exactly, so "sharing a border" is measured with a tolerance.
Villages no border chain reaches (islands: Bawean, the Kangean islands of Sumenep) are joined
to the nearest village of the rest by a straight ``crossing`` corridor, so the graph is one
connected whole and every village can be planned.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from fonet.geo import to_lonlat, to_metric
from fonet.routes import EdgeRecord, NodeRecord

TOUCH_TOLERANCE_M = 30.0
"""Gap or overlap between two village polygons still counted as a shared border."""
MIN_SHARED_BORDER_M = 50.0
"""Shorter shared borders (corners) do not make two villages neighbours."""


def _longest_piece(geom: BaseGeometry) -> LineString | None:
    lines = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, LineString)]
    if isinstance(geom, MultiLineString) or len(lines) > 1:
        merged = shapely.line_merge(shapely.unary_union(lines))
        lines = [g for g in getattr(merged, "geoms", [merged]) if isinstance(g, LineString)]
    lines = [g for g in lines if not g.is_empty]
    return max(lines, key=lambda g: g.length) if lines else None


def corridor_graph(
    villages: list[tuple[str, BaseGeometry, tuple[float, float]]],
    *,
    tolerance_m: float = TOUCH_TOLERANCE_M,
    min_shared_m: float = MIN_SHARED_BORDER_M,
) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """Derive corridor nodes and edges from village polygons.

    Parameters
    ----------
    villages
        ``(code, polygon in lon/lat, (lon, lat) of the inner point)`` per village.
    tolerance_m
        Gap or overlap (metres) still counted as touching.
    min_shared_m
        Minimum length (metres) of a shared border.

    Returns
    -------
    nodes, edges
        Records for :func:`fonet.routes.replace_route_graph`: one node per village (key: its
        code), one per shared border (key: the pair of codes), and two edges per shared border.
    """
    codes = [c for c, _, _ in villages]
    metric = [to_metric(g) for _, g, _ in villages]
    tree = shapely.STRtree(metric)
    nodes = [NodeRecord(key=c, kind="corridor", lon=p[0], lat=p[1], ref=c) for c, _, p in villages]
    inner = {c: p for c, _, p in villages}
    edges: list[EdgeRecord] = []
    pairs = tree.query(metric, predicate="dwithin", distance=tolerance_m)
    for i, j in zip(*pairs, strict=True):
        i, j = int(i), int(j)
        if i >= j:
            continue
        a, b = metric[i], metric[j]
        shared = a.boundary.intersection(b.buffer(tolerance_m))
        if shared.is_empty or shared.length < min_shared_m:
            continue
        piece = _longest_piece(shared)
        if piece is None:
            continue
        mid = to_lonlat(piece.interpolate(0.5, normalized=True))
        key = (codes[i], codes[j])
        nodes.append(NodeRecord(key=key, kind="corridor", lon=mid.x, lat=mid.y,
                                ref=f"{codes[i]}|{codes[j]}"))
        for c in key:
            edges.append(
                EdgeRecord(u=c, v=key, kind="corridor",
                           geometry=LineString([inner[c], (mid.x, mid.y)]),
                           ref=f"{c} -> border {codes[i]}|{codes[j]}")
            )
    edges += crossings(villages, edges)
    return nodes, edges


def crossings(villages: list[tuple[str, BaseGeometry, tuple[float, float]]],
              edges: list[EdgeRecord]) -> list[EdgeRecord]:
    """Return the straight corridors that join the graph's separate parts (islands).

    The part holding the most villages is the mainland; each other part, nearest first, is
    joined by one edge between the closest pair of village inner points (measured in UTM 49S)
    of it and the parts already joined.

    Parameters
    ----------
    villages
        As for :func:`corridor_graph`.
    edges
        The border corridors (their ends are village codes or border keys).

    Returns
    -------
    list of EdgeRecord
        One ``corridor`` edge named ``crossing`` per part joined (none for a connected graph).
    """
    g: nx.Graph = nx.Graph()
    g.add_nodes_from(c for c, _, _ in villages)
    g.add_edges_from((e.u, e.v) for e in edges)
    parts = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(map(str, c))))
    if len(parts) < 2:
        return []
    inner = {c: p for c, _, p in villages}
    xy = {c: to_metric(shapely.Point(p)) for c, p in inner.items()}

    def points(part: set) -> tuple[list[str], np.ndarray]:
        keys = sorted(k for k in part if isinstance(k, str) and k in xy)
        return keys, np.array([(xy[k].x, xy[k].y) for k in keys])

    joined_keys, joined_xy = points(parts[0])
    rest = [points(p) for p in parts[1:]]
    out: list[EdgeRecord] = []
    while rest:
        best = None
        for n, (keys, pts) in enumerate(rest):
            d = np.hypot(pts[:, None, 0] - joined_xy[None, :, 0],
                         pts[:, None, 1] - joined_xy[None, :, 1])
            i, j = np.unravel_index(int(np.argmin(d)), d.shape)
            if best is None or d[i, j] < best[0]:
                best = (float(d[i, j]), n, keys[i], joined_keys[j])
        assert best is not None
        _, n, a, b = best
        out.append(EdgeRecord(u=a, v=b, kind="corridor", name="crossing",
                              geometry=LineString([inner[a], inner[b]]),
                              ref=f"{a} -> {b} (crossing: no shared border)"))
        keys, pts = rest.pop(n)
        joined_keys += keys
        joined_xy = np.vstack([joined_xy, pts])
    return out
