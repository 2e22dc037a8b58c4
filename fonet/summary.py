"""What the store holds, in figures (``fonet summary``)."""

from __future__ import annotations

from typing import Any

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.graph import route_graph
from fonet.store.models import Area, RouteEdge, Site


def summary(session: Session) -> dict[str, Any]:
    """Return counts of areas, sites and the route graph.

    Returns
    -------
    dict
        ``villages``, ``kecamatan``, ``schools``, ``sites_by_kind``, ``route_nodes``,
        ``route_edges``, ``route_km`` (all edges, drops included), ``route_km_by_kind``,
        ``route_components`` and ``component_sizes`` (largest first).
    """
    levels = dict(session.execute(select(Area.level, func.count()).group_by(Area.level)).all())
    kinds = dict(session.execute(select(Site.kind, func.count()).group_by(Site.kind)).all())
    km = {k: round(v / 1000, 3) for k, v in session.execute(
        select(RouteEdge.kind, func.sum(RouteEdge.length_m)).group_by(RouteEdge.kind)).all()}
    g = route_graph(session)
    comps = sorted((len(c) for c in nx.connected_components(g)), reverse=True)
    snaps = [s for s in session.scalars(select(Site.snap_m)) if s is not None]
    return {
        "villages": levels.get("village", 0),
        "kecamatan": levels.get("kecamatan", 0),
        "schools": kinds.get("school", 0),
        "sites_by_kind": dict(sorted(kinds.items())),
        "route_nodes": g.number_of_nodes(),
        "route_edges": session.scalar(select(func.count()).select_from(RouteEdge)) or 0,
        "route_km": round(sum(km.values()), 3),
        "route_km_by_kind": km,
        "route_components": len(comps),
        "component_sizes": comps[:10],
        "snap_m_max": round(max(snaps), 1) if snaps else None,
    }
