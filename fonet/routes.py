"""The route graph in the store: writing corridors and roads, and joining sites to them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fonet.errors import StateError
from fonet.geo import _transformer, geodesic_length_m, to_wkb
from fonet.store.models import RouteEdge, RouteNode, Site, Span

UNDERGROUND_ONLY = {"motorway", "motorway_link", "trunk", "trunk_link"}
"""Road classes along which no new poles may stand (toll roads and national trunk roads)."""


def default_install_methods(kind: str, road_class: str | None = None) -> str:
    """Return the install methods a new edge allows, comma-separated.

    Parameters
    ----------
    kind
        ``road``, ``corridor`` or ``drop``.
    road_class
        OSM ``highway`` value for roads.
    """
    if kind == "road" and road_class in UNDERGROUND_ONLY:
        return "underground,existing_duct"
    return "aerial,underground,existing_duct" if kind == "road" else "aerial,underground"


@dataclass
class NodeRecord:
    """A route node to write; ``key`` is any hashable used by edges to refer to it."""

    key: object
    kind: str
    lon: float
    lat: float
    ref: str | None = None


@dataclass
class EdgeRecord:
    """A route edge to write, between two node keys; geometry in lon/lat from u to v."""

    u: object
    v: object
    kind: str
    geometry: LineString
    length_m: float | None = None
    road_class: str | None = None
    install_methods: str | None = None
    name: str | None = None
    ref: str | None = None


def replace_route_graph(
    session: Session, nodes: Iterable[NodeRecord], edges: Iterable[EdgeRecord]
) -> dict[str, int]:
    """Replace the route graph (all but site nodes) and re-join every site to it.

    Refuses while any span rides the current graph, since replacing it would orphan planned cable.
    """
    if session.scalar(select(func.count()).select_from(Span)):
        raise StateError(
            "plans ride the current route graph; delete them before replacing the graph"
        )
    session.execute(delete(RouteEdge))
    session.execute(delete(RouteNode))
    return add_route_graph(session, nodes, edges)


def add_route_graph(
    session: Session, nodes: Iterable[NodeRecord], edges: Iterable[EdgeRecord]
) -> dict[str, int]:
    """Add a route graph beside the one stored (another regency's) and join new sites to it.

    Parameters
    ----------
    session
        A session inside the caller's transaction.
    nodes, edges
        The graph to add; edge ends refer to the node keys given here.

    Returns
    -------
    dict
        ``route_nodes``, ``route_edges`` added and ``drops`` (sites joined).
    """
    node_rows = []
    for n in nodes:
        row = RouteNode(kind=n.kind, lon=n.lon, lat=n.lat, ref=n.ref)
        node_rows.append((n.key, row))
    session.add_all(r for _, r in node_rows)
    session.flush()
    ids = {key: row.id for key, row in node_rows}
    edge_rows = []
    for e in edges:
        length = e.length_m if e.length_m is not None else geodesic_length_m(e.geometry)
        edge_rows.append(
            RouteEdge(
                u=ids[e.u], v=ids[e.v], kind=e.kind, length_m=length, road_class=e.road_class,
                install_methods=e.install_methods or default_install_methods(e.kind, e.road_class),
                name=e.name, ref=e.ref, geometry_wkb=to_wkb(e.geometry),
            )
        )
    session.add_all(edge_rows)
    session.flush()
    attached = attach_sites(session, node_ids=ids.values())
    return {"route_nodes": len(node_rows), "route_edges": len(edge_rows), "drops": attached}


def attach_sites(session: Session, sites: Iterable[Site] | None = None, *,
                 node_ids: Iterable[int] | None = None) -> int:
    """Join sites to their nearest route node by a ``drop`` edge and store the snap distance.

    Parameters
    ----------
    session
        A session inside the caller's transaction.
    sites
        The sites to join; by default every site not yet joined.
    node_ids
        Join only to these route nodes (a regency's own graph); by default to any.

    Returns
    -------
    int
        How many sites were joined.
    """
    if sites is None:
        joined = select(RouteNode.site_id).where(RouteNode.site_id.is_not(None))
        sites = list(session.scalars(select(Site).where(Site.id.not_in(joined))))
    else:
        sites = list(sites)
    if not sites:
        return 0
    query = select(RouteNode.id, RouteNode.lon, RouteNode.lat).where(RouteNode.kind != "site")
    if node_ids is not None:
        query = query.where(RouteNode.id.in_(list(node_ids)))
    targets = session.execute(query).all()
    if not targets:
        raise StateError("the route graph is empty: there is nothing to join sites to")
    fwd = _transformer("EPSG:4326", "EPSG:32749")
    tx, ty = fwd.transform(np.array([t.lon for t in targets]), np.array([t.lat for t in targets]))
    tree = shapely.STRtree(shapely.points(tx, ty))
    sx, sy = fwd.transform(np.array([s.lon for s in sites]), np.array([s.lat for s in sites]))
    nearest = tree.query_nearest(shapely.points(sx, sy), all_matches=False)[1]
    for site, idx in zip(sites, nearest, strict=True):
        target = targets[int(idx)]
        node = RouteNode(kind="site", lon=site.lon, lat=site.lat, ref=site.code, site_id=site.id)
        session.add(node)
        session.flush()
        geom = LineString([(site.lon, site.lat), (target.lon, target.lat)])
        length = geodesic_length_m(geom)
        site.snap_m = length
        session.add(
            RouteEdge(u=node.id, v=target.id, kind="drop", length_m=length,
                      install_methods=default_install_methods("drop"), ref=site.code,
                      geometry_wkb=to_wkb(geom))
        )
    session.flush()
    return len(sites)
