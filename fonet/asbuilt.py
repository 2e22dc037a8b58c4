"""As-built cable: snapping built fibre onto the route graph and storing it as inventory.

Readers in :mod:`gis.asbuilt` turn a file into the records below. :func:`import_network`
checks them against the store and writes, in the caller's transaction:

- for each cable line, a ``built`` (or ``under_construction``) span along every route edge it
  follows. The line follows the route graph where route edges run within ``tolerance_m`` of it
  along their whole length and join its two ends; where it does not (it leaves the roads or
  corridors), the line itself becomes a new route edge of kind ``cable`` between its ends,
  each end joined to the nearest route node within the tolerance or made a new node. An end
  at a building (a site's own node, with no road node near) makes the cable a further entry
  into that building: a ring can then reach it by two diverse entries;
- closures and ODFs (points) as sites of kind ``closure`` and ``odf``.

A line with neither end near the route graph and no route edge along it is reported as not
snapped and not stored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString
from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import InputError
from fonet.geo import _transformer, geodesic_length_m, to_metric, to_wkb
from fonet.inventory import AreaLocator, SiteRecord, add_sites
from fonet.store.models import INSTALL_METHODS, RouteEdge, RouteNode, Site, Span

STATUSES = ("built", "under_construction")
POINT_KINDS = ("closure", "odf")


@dataclass
class CableRecord:
    """A built cable read from a file (line in lon/lat)."""

    id: str
    geometry: LineString
    cores: int
    install_method: str = "aerial"
    status: str = "built"
    owner: str | None = None
    year: int | None = None
    cores_used: int = 0
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class AsBuilt:
    """What an as-built file holds: cables and points (closures, ODFs)."""

    cables: list[CableRecord]
    points: list[SiteRecord]


def check_records(session: Session, rec: AsBuilt, source: str, locator: AreaLocator) -> None:
    """Raise :class:`InputError` at the first fault: ids, cores, methods, statuses, places."""
    ids = Counter([c.id for c in rec.cables] + [p.code for p in rec.points])
    for key, n in ids.items():
        if n > 1:
            raise InputError(source, "duplicate id in the file", feature=key, field="id")
    known = set(session.scalars(select(Site.code).where(
        Site.code.in_([p.code for p in rec.points]))))
    existing = {s.attrs.get("asbuilt_id") for s in session.scalars(
        select(Span).where(Span.plan_id.is_(None)))}
    for c in rec.cables:
        if c.id in existing:
            raise InputError(source, "a cable with this id was imported already", feature=c.id,
                             field="id")
        if c.cores <= 0:
            raise InputError(source, f"cores must be a positive count, got {c.cores}",
                             feature=c.id, field="cores")
        if not 0 <= c.cores_used <= c.cores:
            raise InputError(source, f"cores_used must be between 0 and cores ({c.cores}), "
                             f"got {c.cores_used}", feature=c.id, field="cores_used")
        if c.install_method not in INSTALL_METHODS:
            raise InputError(source, f"unknown install method {c.install_method!r}; known: "
                             f"{', '.join(INSTALL_METHODS)}", feature=c.id,
                             field="install_method")
        if c.status not in STATUSES:
            raise InputError(source, f"unknown status {c.status!r}; as-built cable is "
                             f"{' or '.join(STATUSES)}", feature=c.id, field="status")
        for x, y in c.geometry.coords:
            if not locator.contains(x, y):
                raise InputError(source, f"point ({x:.6f}, {y:.6f}) lies outside the regency "
                                 f"(outer boundary plus {locator.buffer_m / 1000:g} km)",
                                 feature=c.id)
    for p in rec.points:
        if p.code in known:
            raise InputError(source, "a site with this code exists already", feature=p.code,
                             field="id")
        if p.kind not in POINT_KINDS:
            raise InputError(source, f"a point is a {' or '.join(POINT_KINDS)}, not "
                             f"{p.kind!r}", feature=p.code, field="kind")


def _graph(session: Session) -> tuple[nx.Graph, dict[int, tuple[float, float]],
                                       dict[int, tuple[float, float]]]:
    g: nx.Graph[int] = nx.Graph()
    xy: dict[int, tuple[float, float]] = {}
    site_xy: dict[int, tuple[float, float]] = {}
    rows = session.execute(select(RouteNode.id, RouteNode.lon, RouteNode.lat, RouteNode.kind))
    ids, lon, lat, kinds = [], [], [], []
    for r in rows:
        ids.append(r.id)
        lon.append(r.lon)
        lat.append(r.lat)
        kinds.append(r.kind)
    fwd = _transformer("EPSG:4326", "EPSG:32749")
    xs, ys = fwd.transform(np.array(lon), np.array(lat))
    for i, nid in enumerate(ids):
        (site_xy if kinds[i] == "site" else xy)[nid] = (float(xs[i]), float(ys[i]))
    for e in session.execute(select(RouteEdge.id, RouteEdge.u, RouteEdge.v, RouteEdge.kind,
                                    RouteEdge.length_m, RouteEdge.geometry_wkb)):
        if e.kind == "drop":
            continue
        g.add_edge(e.u, e.v, edge_id=e.id, length_m=e.length_m, wkb=e.geometry_wkb)
    return g, xy, site_xy


def _nearest(xy: dict[int, tuple[float, float]], tree: shapely.STRtree, ids: list[int],
             x: float, y: float, tol: float) -> int | None:
    idx = tree.query_nearest(shapely.Point(x, y), max_distance=tol, all_matches=False)
    return ids[int(idx[0])] if len(idx) else None


def import_network(session: Session, rec: AsBuilt, source: str, *,
                   tolerance_m: float = 30.0) -> dict[str, Any]:
    """Check and store an as-built network (see the module doc); nothing is written on error.

    Returns
    -------
    dict
        ``cables``, ``spans``, ``snapped_km``, ``new_route_edges``, ``new_km``, ``points``,
        and ``not_snapped``: the ids of the lines that touch the route graph nowhere.
    """
    from fonet.geo import from_wkb

    locator = AreaLocator.from_session(session)
    check_records(session, rec, source, locator)
    g, xy, site_xy = _graph(session)
    ids = list(xy)
    tree = shapely.STRtree([shapely.Point(*xy[i]) for i in ids])
    site_ids = list(site_xy)
    site_tree = shapely.STRtree([shapely.Point(*site_xy[i]) for i in site_ids])

    def snap(x: float, y: float) -> int | None:
        # a building's own node when no road node is near: the cable is a further entry
        # into that building
        node = _nearest(xy, tree, ids, x, y, tolerance_m)
        if node is None and site_ids:
            node = _nearest(site_xy, site_tree, site_ids, x, y, tolerance_m)
        return node

    edges = [(u, v, d) for u, v, d in g.edges(data=True)]
    edge_tree = shapely.STRtree([to_metric(from_wkb(d["wkb"])) for _, _, d in edges])
    out: dict[str, Any] = {"cables": 0, "spans": 0, "snapped_km": 0.0, "new_route_edges": 0,
                           "new_km": 0.0, "points": 0, "not_snapped": []}
    spans = []
    for c in rec.cables:
        line = to_metric(c.geometry)
        a, b = line.coords[0], line.coords[-1]
        ua = snap(a[0], a[1])
        ub = snap(b[0], b[1])
        corridor = line.buffer(tolerance_m)
        along: nx.Graph[int] = nx.Graph()
        for i in edge_tree.query(corridor, predicate="contains"):
            u, v, d = edges[int(i)]
            along.add_edge(u, v, **d)
        path = None
        if ua is not None and ub is not None and ua != ub and along.has_node(ua) \
                and along.has_node(ub) and nx.has_path(along, ua, ub):
            path = nx.dijkstra_path(along, ua, ub, weight="length_m")
        attrs = {"asbuilt_id": c.id, "owner": c.owner, "year": c.year,
                 "cores_used": c.cores_used, "source": source, **c.attrs}
        if path is not None:
            for u, v in zip(path, path[1:], strict=False):
                d = g.edges[u, v]
                spans.append(Span(plan_id=None, route_edge_id=d["edge_id"], a_node_id=u,
                                  z_node_id=v, length_m=d["length_m"], cores=c.cores,
                                  install_method=c.install_method, status=c.status,
                                  role="asbuilt", attrs=attrs))
                out["snapped_km"] += d["length_m"] / 1000
            out["cables"] += 1
            continue
        if ua is None and ub is None and along.number_of_edges() == 0:
            out["not_snapped"].append(c.id)
            continue
        ends = []
        for end, node in ((c.geometry.coords[0], ua), (c.geometry.coords[-1], ub)):
            if node is None:
                row = RouteNode(kind="road", lon=end[0], lat=end[1], ref=f"asbuilt:{c.id}")
                session.add(row)
                session.flush()
                node = row.id
            ends.append(node)
        length = geodesic_length_m(c.geometry)
        edge = RouteEdge(u=ends[0], v=ends[1], kind="cable", length_m=length,
                         install_methods=c.install_method, ref=f"asbuilt:{c.id}",
                         name=c.owner, geometry_wkb=to_wkb(c.geometry))
        session.add(edge)
        session.flush()
        spans.append(Span(plan_id=None, route_edge_id=edge.id, a_node_id=ends[0],
                          z_node_id=ends[1], length_m=length, cores=c.cores,
                          install_method=c.install_method, status=c.status, role="asbuilt",
                          attrs=attrs))
        out["new_route_edges"] += 1
        out["new_km"] += length / 1000
        out["cables"] += 1
    session.add_all(spans)
    if rec.points:
        add_sites(session, rec.points, source)
        from fonet.routes import attach_sites

        attach_sites(session)
    session.flush()
    out["spans"] = len(spans)
    out["points"] = len(rec.points)
    out["snapped_km"] = round(out["snapped_km"], 3)
    out["new_km"] = round(out["new_km"], 3)
    return out
