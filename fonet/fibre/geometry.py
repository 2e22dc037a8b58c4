"""Geometry of the fibre layer in EPSG:4326: cable lines, closure and ODF points."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring
from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import StateError
from fonet.store.fibre import CableSegment, FibreCable, Odf
from fonet.store.models import RouteEdge, RouteNode, Site


def _oriented(edge: RouteEdge, geom: LineString, u: RouteNode) -> LineString:
    """Return the edge's line running from its ``u`` node."""
    a, b = geom.coords[0], geom.coords[-1]
    if abs(a[0] - u.lon) + abs(a[1] - u.lat) > abs(b[0] - u.lon) + abs(b[1] - u.lat):
        return LineString(list(geom.coords)[::-1])
    return geom


def cable_lines(session: Session, cable_ids: Iterable[int] | None = None
                ) -> dict[int, LineString]:
    """Each cable's line (lon/lat), from the parts of the route edges it runs along."""
    q = select(CableSegment).order_by(CableSegment.cable_id, CableSegment.seq)
    if cable_ids is not None:
        q = q.where(CableSegment.cable_id.in_(list(cable_ids)))
    segs: dict[int, list[CableSegment]] = defaultdict(list)
    for s in session.scalars(q):
        segs[s.cable_id].append(s)
    edge_ids = {s.route_edge_id for ss in segs.values() for s in ss}
    edges: dict[int, RouteEdge] = {}
    ids = sorted(edge_ids)
    for k in range(0, len(ids), 500):
        edges.update({e.id: e for e in session.scalars(
            select(RouteEdge).where(RouteEdge.id.in_(ids[k:k + 500])))})
    node_ids = sorted({e.u for e in edges.values()})
    nodes: dict[int, RouteNode] = {}
    for k in range(0, len(node_ids), 500):
        nodes.update({n.id: n for n in session.scalars(
            select(RouteNode).where(RouteNode.id.in_(node_ids[k:k + 500])))})
    out = {}
    for cid, ss in segs.items():
        coords: list[tuple[float, float]] = []
        for s in ss:
            e = edges[s.route_edge_id]
            geom = shapely.from_wkb(e.geometry_wkb)
            if not isinstance(geom, LineString):
                raise StateError(f"route edge {e.id} is a {geom.geom_type}, not a line")
            line = _oriented(e, geom, nodes[e.u])
            if s.from_node_id != e.u:
                line = LineString(list(line.coords)[::-1])
            if e.length_m > 0:
                part = substring(line, s.start_m / e.length_m, s.end_m / e.length_m,
                                 normalized=True)
            else:
                part = line
            raw = list(part.coords) if part.geom_type == "LineString" else [part.coords[0]]
            pts = [(float(p[0]), float(p[1])) for p in raw]
            coords.extend(pts if not coords or coords[-1] != pts[0] else pts[1:])
        if len(coords) == 1:
            coords.append(coords[0])
        out[cid] = LineString(coords)
    return out


def odf_points(session: Session) -> dict[int, Point]:
    """Each ODF's point: its site."""
    return {oid: Point(lon, lat) for oid, lon, lat in session.execute(
        select(Odf.id, Site.lon, Site.lat).join(Site, Site.id == Odf.site_id))}


def cables_on_route_edge(session: Session, route_edge_id: int) -> list[FibreCable]:
    """Return the cables laid along a route edge (a trench may hold several)."""
    return list(session.scalars(select(FibreCable).join(
        CableSegment, CableSegment.cable_id == FibreCable.id)
        .where(CableSegment.route_edge_id == route_edge_id).distinct()))
