"""Least-cost routes between two sites or points, with route-diverse alternatives."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx

from fonet.errors import InputError
from fonet.planning.hubs import ENTRY_TOLERANCE_M


@dataclass
class Route:
    """A route through the graph."""

    nodes: list[int]
    edge_ids: list[int]
    length_m: float
    cost_idr: float


def _route(g: nx.Graph, nodes: list[int]) -> Route:
    edges = [g.edges[u, v] for u, v in itertools.pairwise(nodes)]
    return Route(nodes, [e["edge_id"] for e in edges], sum(e["length_m"] for e in edges),
                 sum(e["cost"] for e in edges))


def diverse_routes(g: nx.Graph, source: int, target: int, k: int = 1,
                   weight: str = "cost") -> list[Route]:
    """Return up to ``k`` routes from ``source`` to ``target`` that share no edge.

    The set has the least total weight among all sets of that many edge-disjoint routes
    (a minimum-cost flow, as in Suurballe's algorithm), so the cheapest single route is not
    allowed to block a cheaper pair. Routes are returned cheapest first; fewer than ``k`` come
    back when the graph has no more edge-disjoint routes.

    Parameters
    ----------
    g
        Undirected graph with the ``weight`` attribute on every edge.
    source, target
        End nodes.
    k
        How many routes.
    weight
        Edge attribute to minimise.
    """
    if source == target:
        raise InputError("route", "the two ends are the same place")
    if not nx.has_path(g, source, target):
        raise InputError("route", "the two ends are not connected by the route graph")
    if k == 1:
        return [_route(g, nx.dijkstra_path(g, source, target, weight=weight))]
    scale = 100.0  # integer costs for the network simplex, centimetre-rupiah precision
    k = min(k, len(nx.minimum_edge_cut(g, source, target)))
    d: nx.DiGraph[int] = nx.DiGraph()
    for u, v, data in g.edges(data=True):
        w = round(data[weight] * scale)
        d.add_edge(u, v, capacity=1, weight=w)
        d.add_edge(v, u, capacity=1, weight=w)
    d.nodes[source]["demand"] = -k
    d.nodes[target]["demand"] = k
    flow = nx.min_cost_flow(d)
    used = {(u, v) for u, out in flow.items() for v, f in out.items() if f > 0}
    # opposite flows on one edge cancel
    used = {(u, v) for u, v in used if (v, u) not in used}
    routes = []
    for _ in range(k):
        path = [source]
        while path[-1] != target:
            nxt = next(v for (u, v) in used if u == path[-1])
            used.discard((path[-1], nxt))
            path.append(nxt)
        routes.append(_route(g, _simplify(path)))
    return sorted(routes, key=lambda r: r.cost_idr)


def _simplify(path: list[int]) -> list[int]:
    """Remove loops from a walk (a flow path may pass a node twice)."""
    out: list[int] = []
    seen: dict[int, int] = {}
    for n in path:
        if n in seen:
            del out[seen[n] + 1:]
            seen = {x: i for i, x in enumerate(out)}
        else:
            seen[n] = len(out)
            out.append(n)
    return out


def _endpoint(session, g: nx.Graph, text: str) -> tuple[int, dict]:  # noqa: ANN001
    """Resolve a site code or ``lon,lat`` to a route node."""
    from sqlalchemy import select

    from fonet.errors import NotFoundError
    from fonet.geo import distance_m
    from fonet.graph import site_nodes
    from fonet.store.models import Site

    parts = text.split(",")
    if len(parts) == 2:
        try:
            position: tuple[float, float] | None = (float(parts[0]), float(parts[1]))
        except ValueError:
            position = None  # a site code with a comma
        if position is not None:
            lon, lat = position
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise InputError("route", f"{text!r} is not a lon,lat position")
            best = min((n for n, d in g.nodes(data=True) if d["kind"] != "site"),
                       key=lambda n: (g.nodes[n]["lon"] - lon) ** 2
                       + ((g.nodes[n]["lat"] - lat) ** 2))
            snap = distance_m(lon, lat, g.nodes[best]["lon"], g.nodes[best]["lat"])
            return best, {"point": [lon, lat], "snap_m": round(snap, 1)}
    site = session.scalar(select(Site).where(Site.code == text))
    if site is None:
        raise NotFoundError(f"no site with code {text!r} (give a site code or lon,lat)")
    node = site_nodes(g).get(site.id)
    if node is None or g.degree(node) == 0:
        raise InputError("route", f"site {site.code} is not joined to the route graph")
    # route from the site itself: its building entry is part of every route, and a site with
    # one entry has no two routes that share no route edge
    entry = next(iter(g.neighbors(node)))
    drop = g.edges[node, entry]
    info = {"site": site.code, "name": site.name, "drop_m": round(drop["length_m"], 1),
            "entries": g.degree(node)}
    if g.degree(node) == 1 and drop["length_m"] <= ENTRY_TOLERANCE_M:
        return entry, info  # the site stands on its route node: no entry line to share
    return node, info


def route_between(session, a: str, b: str, *, k: int = 1, profile=None) -> dict:  # noqa: ANN001
    """Least-cost route(s) between two sites or points, priced with the planning profile.

    Parameters
    ----------
    session
        An open session.
    a, b
        Site codes or ``lon,lat`` positions (a position joins the nearest route node).
    k
        How many edge-disjoint routes.
    profile
        Planning profile (default profile when ``None``).

    Returns
    -------
    dict
        ``from``, ``to``, ``least_cost`` (the cheapest route) and ``routes``: up to ``k``
        routes that share no route edge, building entries (drops) included, of least total
        cost, cheapest first (for ``k`` = 1, the least-cost route); each with ``length_m``,
        ``cost_idr``, ``edge_ids`` and ``coordinates``. A site with a single building entry
        has one route-diverse route only. ``shared_edge_ids`` is empty for ``k`` > 1 routes.
    """
    from fonet.graph import route_graph
    from fonet.planning.network import priced_graph
    from fonet.planning.profile import load_profile

    if k < 1:
        raise InputError("--k", "must be at least 1")
    g = priced_graph(route_graph(session), profile or load_profile())
    src, src_info = _endpoint(session, g, a)
    dst, dst_info = _endpoint(session, g, b)
    if src == dst:
        routes = [Route([src], [], 0.0, 0.0)]
        least = routes[0]
    else:
        least = diverse_routes(g, src, dst, 1)[0]
        routes = diverse_routes(g, src, dst, k) if k > 1 else [least]
    shared = sorted(set.intersection(*(set(r.edge_ids) for r in routes))) if len(routes) > 1 \
        else []
    def as_dict(r: Route) -> dict:
        return {"length_m": round(r.length_m, 1), "cost_idr": round(r.cost_idr),
                "edge_ids": r.edge_ids,
                "coordinates": [[g.nodes[n]["lon"], g.nodes[n]["lat"]] for n in r.nodes]}

    return {
        "from": src_info,
        "to": dst_info,
        "requested": k,
        "least_cost": as_dict(least),
        "routes": [as_dict(r) for r in routes],
        "shared_edge_ids": shared,
    }
