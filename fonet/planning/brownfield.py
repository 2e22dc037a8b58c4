"""The network that exists: built cable on the route graph, for plans that build on it.

Spans whose status is ``built`` or ``under_construction`` (imported as-built, or committed from
a plan) are the existing network. On the route graph each edge they follow gets ``built``, the
cores laid along it and the spare cores (cores laid minus cores in use: a committed plan's
``cores_needed``, an as-built file's ``cores_used``). Priced for planning
(:func:`fonet.planning.network.priced_graph`), an edge with spare cores costs the splicing of
reused cores only, a built edge without spare cores a new cable without trench or poles.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.store.models import Span

EXISTING = ("built", "under_construction")


def mark_built(session: Session, g: nx.Graph) -> int:
    """Put the existing network on the route graph (in place); return the edges marked."""
    by_id = {d["edge_id"]: (u, v) for u, v, d in g.edges(data=True)}
    cores: dict[int, int] = defaultdict(int)
    used: dict[int, int] = defaultdict(int)
    for edge_id, n, attrs in session.execute(
            select(Span.route_edge_id, Span.cores, Span.attrs)
            .where(Span.status.in_(EXISTING))):
        attrs = attrs or {}
        cores[edge_id] += int(n)
        used[edge_id] += int(attrs.get("cores_used", attrs.get("cores_needed", 0)) or 0)
    marked = 0
    for edge_id, n in cores.items():
        uv = by_id.get(edge_id)
        if uv is None:
            continue
        d = g.edges[uv]
        d["built"] = True
        d["built_cores"] = n
        d["spare_cores"] = max(0, n - used[edge_id])
        marked += 1
    return marked


def existing_bridges(g: nx.Graph) -> list[tuple[int, int]]:
    """Route edges of the built network whose cut splits it (bridges of the built edges)."""
    built: nx.Graph[int] = nx.Graph()
    built.add_edges_from((u, v) for u, v, d in g.edges(data=True) if d.get("built"))
    if built.number_of_edges() == 0:
        return []
    # types-networkx has bridges() yield nodes; it yields edges (node pairs)
    pairs: list[tuple[int, int]] = [
        (min(e), max(e)) for e in nx.bridges(built)]  # type: ignore[call-overload]
    return sorted(pairs)
