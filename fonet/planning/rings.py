"""The backbone: the core POP and the hubs on rings whose two directions share no route edge.

Hubs are split into "petals" by their bearing from the POP (at most ``max_hubs_per_ring`` a
petal); each petal is a ring POP → hubs → POP in the order of least total cost (exact for small
petals, Christofides otherwise). Legs are routed one after the other on the priced graph with
the edges already on the ring made prohibitively dear, so a ring reuses a route edge only where
the graph leaves no other way: such an edge is a bridge of the backbone and is reported as a
single point of failure.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx

from fonet.planning.hubs import PlanSiteRef
from fonet.planning.network import Distances

REUSE_PENALTY = 1e6
"""Factor on the cost of a route edge already on the ring being routed."""


@dataclass
class Ring:
    """One backbone ring: its members in order (POP first) and the route path of each leg."""

    members: list[PlanSiteRef]
    legs: list[list[int]] = field(default_factory=list)
    """Node paths between consecutive members (the last leg returns to the POP)."""

    def edges(self) -> list[tuple[int, int]]:
        """Route edges of the ring, in order, as ``(u, v)`` pairs (with repeats)."""
        return [(a, b) for leg in self.legs for a, b in itertools.pairwise(leg)]


def _bearing(g: nx.Graph, a: int, b: int) -> float:
    na, nb = g.nodes[a], g.nodes[b]
    dx = (nb["lon"] - na["lon"]) * math.cos(math.radians(na["lat"]))
    return math.atan2(nb["lat"] - na["lat"], dx)


def petals(
    g: nx.Graph, pop: PlanSiteRef, hubs: Sequence[PlanSiteRef], max_per_ring: int
) -> list[list[PlanSiteRef]]:
    """Split hubs into groups of contiguous bearing from the POP, as even in size as possible."""
    others = [h for h in hubs if h.ring_node != pop.ring_node]
    if not others:
        return []
    ordered = sorted(others, key=lambda h: _bearing(g, pop.entry, h.entry))
    # start the sweep at the widest angular gap so no petal straddles it
    angles = [_bearing(g, pop.entry, h.entry) for h in ordered]
    gaps = [(angles[(i + 1) % len(angles)] - angles[i]) % (2 * math.pi)
            for i in range(len(angles))]
    start = (max(range(len(gaps)), key=gaps.__getitem__) + 1) % len(ordered)
    ordered = ordered[start:] + ordered[:start]
    count = math.ceil(len(ordered) / max_per_ring)
    size = len(ordered) / count
    return [ordered[round(i * size): round((i + 1) * size)] for i in range(count)]


def _tour(members: Sequence[PlanSiteRef], cost: dict[tuple[int, int], float]) -> list[int]:
    """Order members 1.. around a cycle starting and ending at member 0."""
    n = len(members)
    if n <= 2:
        return list(range(n))
    if n <= 8:
        best = min(itertools.permutations(range(1, n)),
                   key=lambda p: sum(cost[a, b] for a, b in
                                     itertools.pairwise((0, *p, 0))))
        return [0, *best]
    k = nx.complete_graph(n)
    for a, b in k.edges:
        k.edges[a, b]["weight"] = cost[a, b]
    cycle = nx.approximation.traveling_salesman_problem(k, cycle=True, weight="weight")
    i = cycle.index(0)
    cycle = cycle[i:-1] + cycle[:i]
    # the approximation may pass a member twice: shortcut the repeats (the costs are
    # shortest-path lengths, so a shortcut never costs more)
    return list(dict.fromkeys(cycle))


def build_ring(g: nx.Graph, members: Sequence[PlanSiteRef], weight: str = "cost",
               dist: Distances | None = None) -> Ring:
    """Order the members and route each leg, avoiding edges already on the ring.

    Rings pass each member at its :attr:`~fonet.planning.hubs.PlanSiteRef.ring_node`: into
    the building itself where its entry is a real line. A building with one entry makes the
    ring use that drop both ways: it is then a bridge, reported as a single point of failure.
    With ``dist`` (the graph's :class:`~fonet.planning.network.Distances` by ``weight``) the
    searches run in scipy, much faster on road graphs of tens of thousands of nodes.
    """
    n = len(members)
    lengths = {}
    if dist is not None:
        ends = [m.ring_node for m in members]
        d = dist.between(ends, ends)
        lengths = {(i, j): float(d[i, j]) for i in range(n) for j in range(n)}
    else:
        for i in range(n):
            sp = nx.single_source_dijkstra_path_length(g, members[i].ring_node, weight=weight)
            for j in range(n):
                lengths[i, j] = sp.get(members[j].ring_node, math.inf)
    order = _tour(members, lengths)
    ring = Ring(members=[members[i] for i in order])
    used: set[frozenset] = set()
    seq = [*ring.members, ring.members[0]]
    if dist is not None:
        data = dist.matrix.data.copy()
        for a, b in itertools.pairwise(seq):
            path = dist.path(a.ring_node, b.ring_node, data)
            for u, v in itertools.pairwise(path):
                if frozenset((u, v)) not in used:
                    used.add(frozenset((u, v)))
                    dist.penalise(data, u, v, REUSE_PENALTY)
            ring.legs.append(path)
        return ring

    def w(u: int, v: int, d: dict) -> float:
        base = d[weight]
        return base * REUSE_PENALTY + 1.0 if frozenset((u, v)) in used else base

    seq = [*ring.members, ring.members[0]]
    for a, b in itertools.pairwise(seq):
        path = nx.dijkstra_path(g, a.ring_node, b.ring_node, weight=w)
        used.update(frozenset(e) for e in itertools.pairwise(path))
        ring.legs.append(path)
    return ring


def backbone_bridges(g: nx.Graph, rings: Sequence[Ring]) -> list[tuple[int, int]]:
    """Return the route edges whose cut splits the backbone (its bridges)."""
    b: nx.Graph[int] = nx.Graph()
    for ring in rings:
        counts: dict[frozenset[int], int] = {}
        for u, v in ring.edges():
            key = frozenset((u, v))
            counts[key] = counts.get(key, 0) + 1
        for u, v in ring.edges():
            b.add_edge(u, v)
        # an edge a single ring rides twice is a bridge of that ring even if the union
        # graph happens to offer a way round through another ring
        for key, c in counts.items():
            if c > 1:
                u, v = key
                b.edges[u, v]["reused"] = True
    # types-networkx has bridges() yield nodes; it yields edges (node pairs)
    bridges = ({frozenset(e) for e in nx.bridges(b)}  # type: ignore[call-overload]
               if b.number_of_edges() else set())
    bridges |= {frozenset((u, v)) for u, v, d in b.edges(data=True) if d.get("reused")}
    return sorted(tuple(sorted(e)) for e in bridges)
