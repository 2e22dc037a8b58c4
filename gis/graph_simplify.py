"""Clip road segments to an area and merge them into a junction-to-junction graph.

The input is the node-to-node :class:`~gis.osm_read.Segments` table; the
output keeps only the nodes a route planner needs:

- junctions (three or more road segments meet),
- dead ends (one segment, including the points where the clip cuts a road),
- class changes (exactly two segments of different ``highway`` classes:
  the chain is *not* merged across them, so every edge has one class),
- one node of each isolated ring (a closed road with no junction), which
  becomes a self-loop.

Every other node has exactly two segments of the same class and is merged
away. Lengths are geodesic (WGS84 ellipsoid, ``pyproj.Geod``), summed over
the original segments.
"""

from __future__ import annotations

from collections import defaultdict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from gis.osm_read import Segments

__all__ = ["HIGHWAY_RANK", "clip_segments", "simplify_segments"]

#: Rank of the road ``highway`` classes, most important first (these are also
#: the classes imported by default). Where two OSM ways share a segment the
#: higher class names the merged segment; other classes rank after all of them.
HIGHWAY_RANK: dict[str, int] = {
    name: rank
    for rank, name in enumerate(
        [
            "motorway",
            "motorway_link",
            "trunk",
            "trunk_link",
            "primary",
            "primary_link",
            "secondary",
            "secondary_link",
            "tertiary",
            "tertiary_link",
            "unclassified",
            "residential",
            "living_street",
            "service",
            "track",
        ]
    )
}

_GEOD = Geod(ellps="WGS84")
_T_EPS = 1e-9


def clip_segments(segments: Segments, area: BaseGeometry) -> Segments:
    """Keep the parts of the segments inside ``area``.

    Segments inside are kept as they are, segments outside are dropped and
    segments crossing the boundary are cut; each cut point becomes a new node
    with a negative id (-1, -2, ...), a dead end of the road graph.

    Parameters
    ----------
    segments : Segments
        The road segments, lon/lat.
    area : shapely.Polygon or shapely.MultiPolygon
        The clip area, lon/lat.

    Returns
    -------
    Segments
        The clipped segments; the node table holds exactly the nodes they use.
    """
    table, nodes = segments.table, segments.nodes
    if table.empty:
        return segments
    coords = _segment_coords(table, nodes)
    lines = np.asarray(shapely.linestrings(coords))  # one LineString per row of coords
    shapely.prepare(area)
    touching = shapely.intersects(area, lines)
    inside = touching & shapely.contains(area, lines)
    crossing = np.flatnonzero(touching & ~inside)

    new_rows: list[tuple[int, int, int, str, str | None]] = []
    new_nodes: list[tuple[int, float, float]] = []
    for i, piece in zip(crossing, shapely.intersection(lines[crossing], area), strict=True):
        start, end = coords[i]
        direction = end - start
        row = table.iloc[i]
        for part in shapely.get_parts(piece):
            if part.geom_type != "LineString" or part.length == 0.0:
                continue  # a touching point
            part_xy = shapely.get_coordinates(part)
            t = (part_xy - start) @ direction / (direction @ direction)
            ends = []
            for k, at_node, node in (
                (int(np.argmin(t)), t.min() <= _T_EPS, row["u"]),
                (int(np.argmax(t)), t.max() >= 1.0 - _T_EPS, row["v"]),
            ):
                if at_node:
                    ends.append(int(node))
                else:
                    node_id = -(len(new_nodes) + 1)
                    new_nodes.append((node_id, part_xy[k, 0], part_xy[k, 1]))
                    ends.append(node_id)
            new_rows.append((ends[0], ends[1], row["way_id"], row["highway"], row["name"]))

    kept = table[inside]
    if new_rows:
        kept = pd.concat([kept, pd.DataFrame(new_rows, columns=table.columns)], ignore_index=True)
        added = pd.DataFrame(
            [(x, y) for _, x, y in new_nodes],
            columns=["x", "y"],
            index=pd.Index([n for n, _, _ in new_nodes], dtype=np.int64, name="node_id"),
        )
        nodes = pd.concat([nodes, added])
    kept = kept.astype({"u": np.int64, "v": np.int64, "way_id": np.int64}).reset_index(drop=True)
    used = pd.unique(np.concatenate([kept["u"].to_numpy(), kept["v"].to_numpy()]))
    return Segments(table=kept, nodes=nodes.loc[used].sort_index())


def simplify_segments(segments: Segments) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, int]:
    """Merge degree-2 chains of same-class segments into edges.

    Parameters
    ----------
    segments : Segments
        The road segments, lon/lat.

    Returns
    -------
    nodes : geopandas.GeoDataFrame
        ``node_id`` (int64) and ``geometry`` (Point), EPSG:4326.
    edges : geopandas.GeoDataFrame
        ``u``, ``v``, ``length_m``, ``highway``, ``name``, ``osm_ids``,
        ``geometry`` (LineString from ``u`` to ``v``), EPSG:4326.
    components : int
        Number of connected components.

    Notes
    -----
    Segments that two OSM ways share (the same node pair) are kept once,
    with the higher class and the ids of both ways. Parallel edges between
    the same two nodes always differ in geometry after that and are all kept
    (e.g. the two sides of a block, the two carriageways of a divided road).
    A self-loop is dropped only when its length is zero.
    """
    table = _dedupe(segments.table)
    nodes = segments.nodes
    coords = _segment_coords(table, nodes)
    seg_length = _GEOD.inv(coords[:, 0, 0], coords[:, 0, 1], coords[:, 1, 0], coords[:, 1, 1])[2]

    u = table["u"].tolist()
    v = table["v"].tolist()
    highway = table["highway"].tolist()
    name = [n if isinstance(n, str) else None for n in table["name"].tolist()]
    way_ids = table["way_ids"].tolist()
    seg_length = seg_length.tolist()

    rows = []
    sequences = []
    for chain_nodes, chain_segs in _walk_chains(u, v, highway):
        length_m = float(sum(seg_length[s] for s in chain_segs))
        if chain_nodes[0] == chain_nodes[-1] and length_m == 0.0:
            continue
        names = _ordered_unique(name[s] for s in chain_segs if name[s] is not None)
        ids = _ordered_unique(w for s in chain_segs for w in way_ids[s])
        rows.append(
            (
                chain_nodes[0],
                chain_nodes[-1],
                length_m,
                highway[chain_segs[0]],
                "; ".join(names) if names else None,
                ",".join(str(w) for w in ids),
            )
        )
        sequences.append(chain_nodes)

    edges = pd.DataFrame(rows, columns=["u", "v", "length_m", "highway", "name", "osm_ids"])
    edges = edges.astype({"u": np.int64, "v": np.int64, "length_m": np.float64})
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    flat = np.fromiter((n for s in sequences for n in s), dtype=np.int64, count=int(lengths.sum()))
    xy = nodes[["x", "y"]].to_numpy()[nodes.index.get_indexer(flat)]
    geometry = shapely.linestrings(xy, indices=np.repeat(np.arange(len(sequences)), lengths))
    edge_gdf = gpd.GeoDataFrame(edges, geometry=geometry, crs="EPSG:4326")

    node_ids = np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
    node_xy = nodes[["x", "y"]].to_numpy()[nodes.index.get_indexer(node_ids)]
    node_gdf = gpd.GeoDataFrame(
        {"node_id": node_ids},
        geometry=shapely.points(node_xy),
        crs="EPSG:4326",
    )
    return node_gdf, edge_gdf, _count_components(node_ids, edges["u"], edges["v"])


def _count_components(node_ids: np.ndarray, u: pd.Series, v: pd.Series) -> int:
    """Count the connected components; ``node_ids`` is sorted and holds every end."""
    rows = np.searchsorted(node_ids, u.to_numpy())
    cols = np.searchsorted(node_ids, v.to_numpy())
    size = len(node_ids)
    adjacency = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    count, _ = connected_components(adjacency, directed=False)
    return int(count)


def _segment_coords(table: pd.DataFrame, nodes: pd.DataFrame) -> np.ndarray:
    """Return an (n, 2, 2) array: per segment, the lon/lat of u and of v."""
    xy = nodes[["x", "y"]].to_numpy()
    index = nodes.index
    return np.stack([xy[index.get_indexer(table["u"])], xy[index.get_indexer(table["v"])]], axis=1)


def _dedupe(table: pd.DataFrame) -> pd.DataFrame:
    """Keep one segment per node pair (highest class) with the ids of all its ways."""
    low = np.minimum(table["u"].to_numpy(), table["v"].to_numpy())
    high = np.maximum(table["u"].to_numpy(), table["v"].to_numpy())
    rank = table["highway"].map(HIGHWAY_RANK).fillna(len(HIGHWAY_RANK)).to_numpy()
    order = np.lexsort((table["way_id"].to_numpy(), rank, high, low))
    table = table.iloc[order].reset_index(drop=True)
    low, high = low[order], high[order]
    key = pd.MultiIndex.from_arrays([low, high])
    duplicate = key.duplicated(keep="first")
    way_ids = [(w,) for w in table["way_id"].tolist()]
    if duplicate.any():
        shared = key.duplicated(keep=False)
        groups = pd.Series(table["way_id"].to_numpy()[shared]).groupby(
            [low[shared], high[shared]], sort=False
        )
        merged = {k: tuple(dict.fromkeys(g.tolist())) for k, g in groups}
        for i in np.flatnonzero(shared & ~duplicate):
            way_ids[i] = merged[(low[i], high[i])]
    table = table.assign(way_ids=way_ids)
    return table[~duplicate].reset_index(drop=True)


def _walk_chains(
    u: list[int], v: list[int], highway: list[str]
) -> list[tuple[list[int], list[int]]]:
    """Split the segments into chains between kept nodes.

    Returns a list of ``(node ids, segment indices)``; each chain runs from
    its first node id to its last, both kept nodes.
    """
    incident: dict[int, list[int]] = defaultdict(list)
    for i, (a, b) in enumerate(zip(u, v, strict=True)):
        incident[a].append(i)
        incident[b].append(i)
    through = {
        node
        for node, segs in incident.items()
        if len(segs) == 2 and highway[segs[0]] == highway[segs[1]]
    }
    visited = bytearray(len(u))

    def walk(start: int, seg: int) -> tuple[list[int], list[int]]:
        chain_nodes, chain_segs = [start], []
        node = start
        while True:
            visited[seg] = 1
            chain_segs.append(seg)
            node = v[seg] if u[seg] == node else u[seg]
            chain_nodes.append(node)
            if node not in through:
                break
            first, second = incident[node]
            seg = second if first == seg else first
            if visited[seg]:  # back at the start of an isolated ring
                break
        return chain_nodes, chain_segs

    chains = []
    for node in sorted(incident):
        if node in through:
            continue
        for seg in incident[node]:
            if not visited[seg]:
                chains.append(walk(node, seg))
    for seg in range(len(u)):  # isolated rings: every node is a through node
        if not visited[seg]:
            chains.append(walk(u[seg], seg))
    return chains


def _ordered_unique(values) -> list:
    return list(dict.fromkeys(values))
