"""The networkx view of the route graph, built from the store (the store stays the truth)."""

from __future__ import annotations

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.store.models import RouteEdge, RouteNode


def route_graph(session: Session, *, geometry: bool = False,
                bbox: tuple[float, float, float, float] | None = None) -> nx.Graph:
    """Build the route graph as an undirected :class:`networkx.Graph`.

    Parameters
    ----------
    session
        An open session.
    geometry
        Also decode each edge's WKB into a shapely ``geometry`` attribute (slower).
    bbox
        Only the nodes inside ``(min_lon, min_lat, max_lon, max_lat)`` and the edges between
        them (one regency of a store holding a province).

    Returns
    -------
    networkx.Graph
        Nodes are route node ids with ``kind``, ``lon``, ``lat``, ``site_id``; edges carry
        ``edge_id``, ``kind``, ``length_m``, ``road_class``, ``install_methods`` (a tuple).
        Where two edges join the same nodes, the shorter is kept (the longer can never be
        on a least-cost route).
    """
    g: nx.Graph[int] = nx.Graph()
    nodes = select(RouteNode.id, RouteNode.kind, RouteNode.lon, RouteNode.lat, RouteNode.site_id,
                   RouteNode.ref)
    if bbox is not None:
        nodes = nodes.where(RouteNode.lon.between(bbox[0], bbox[2]),
                            RouteNode.lat.between(bbox[1], bbox[3]))
    for n in session.execute(nodes):
        g.add_node(n.id, kind=n.kind, lon=n.lon, lat=n.lat, site_id=n.site_id, ref=n.ref)
    cols = [RouteEdge.id, RouteEdge.u, RouteEdge.v, RouteEdge.kind, RouteEdge.length_m,
            RouteEdge.road_class, RouteEdge.install_methods]
    if geometry:
        cols.append(RouteEdge.geometry_wkb)
    edges = select(*cols)
    if bbox is not None:
        inside = nodes.with_only_columns(RouteNode.id).scalar_subquery()
        edges = edges.where(RouteEdge.u.in_(inside), RouteEdge.v.in_(inside))
    for e in session.execute(edges):
        if g.has_edge(e.u, e.v) and g.edges[e.u, e.v]["length_m"] <= e.length_m:
            continue
        attrs = dict(edge_id=e.id, kind=e.kind, length_m=e.length_m, road_class=e.road_class,
                     install_methods=tuple(e.install_methods.split(",")))
        if geometry:
            from fonet.geo import from_wkb

            attrs["geometry"] = from_wkb(e.geometry_wkb)
        g.add_edge(e.u, e.v, **attrs)
    return g


def site_nodes(g: nx.Graph) -> dict[int, int]:
    """Map site id to its route node id in a graph from :func:`route_graph`."""
    return {d["site_id"]: n for n, d in g.nodes(data=True) if d.get("site_id") is not None}


def annotate_link_states(g: nx.Graph, session: Session) -> nx.Graph:
    """Put the live state of every link on the route edges its spans ride.

    Each such edge gets ``link_states``: ``{link name: state}``; the graph is changed in place
    and returned.
    """
    from fonet.store.models import Link, LinkSpan, Span
    from fonet.store.observed import LinkState

    rows = session.execute(
        select(Link.name, LinkState.state, Span.route_edge_id)
        .join(LinkState, LinkState.link_id == Link.id)
        .join(LinkSpan, LinkSpan.link_id == Link.id)
        .join(Span, Span.id == LinkSpan.span_id)
    )
    by_edge: dict[int, dict[str, str]] = {}
    for name, state, edge_id in rows:
        by_edge.setdefault(edge_id, {})[name] = state
    for _, _, d in g.edges(data=True):
        if d["edge_id"] in by_edge:
            d["link_states"] = by_edge[d["edge_id"]]
    return g
