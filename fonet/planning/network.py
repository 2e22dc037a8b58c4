"""The route graph priced for planning: install method and cost per edge, fast distances."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from fonet.planning.profile import Profile

NOMINAL_CORES = 24
"""Cable size used to price edges while routing (sizes are fixed after demand is known)."""


def edge_method(data: dict, profile: Profile) -> str:
    """Return the cheapest install method an edge allows under the profile."""
    allowed = tuple(data.get("install_methods") or ())
    restricted = profile.methods.allowed_by_road_class.get(data.get("road_class") or "")
    if restricted:
        allowed = tuple(m for m in allowed if m in restricted) or tuple(restricted)
    if not allowed:
        allowed = ("aerial",)
    costs = profile.methods.cost_idr_per_m
    return min(allowed, key=lambda m: costs[m])


def priced_graph(g: nx.Graph, profile: Profile) -> nx.Graph:
    """Set ``method``, ``cost_per_m`` and ``cost`` (IDR for a nominal cable) on every edge.

    An edge along built cable (see :mod:`fonet.planning.brownfield`) costs the splicing of
    reused cores where it has spare cores, else an overlaid cable (no trench, no poles). The
    graph is modified in place and returned.
    """
    nominal = _nominal(profile)
    m = profile.methods
    min_spare = min(profile.demand.cores_per_site.values() or [2]) or 2
    for _, _, d in g.edges(data=True):
        method = edge_method(d, profile)
        d["method"] = method
        if d.get("built") and d.get("spare_cores", 0) >= min_spare:
            d["cost_per_m"] = m.reuse_cost_idr_per_m
        elif d.get("built"):
            d["cost_per_m"] = m.overlay_cost_idr_per_m + m.cable_cost_idr_per_m_by_cores[nominal]
        else:
            d["cost_per_m"] = profile.method_cost(method, nominal)
        d["cost"] = d["length_m"] * d["cost_per_m"]
    return g


def _nominal(profile: Profile) -> int:
    sizes = profile.demand.core_sizes
    return NOMINAL_CORES if NOMINAL_CORES in sizes else sizes[0]


class Distances:
    """Shortest-path distances over a graph, computed with scipy for many sources at once."""

    def __init__(self, g: nx.Graph, weight: str = "cost") -> None:
        self.nodes = list(g.nodes)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        rows, cols, vals = [], [], []
        for u, v, d in g.edges(data=True):
            w = max(float(d[weight]), 1e-9)
            rows += [self.index[u], self.index[v]]
            cols += [self.index[v], self.index[u]]
            vals += [w, w]
        n = len(self.nodes)
        self.matrix = csr_matrix((vals, (rows, cols)), shape=(n, n))

    def subset(self, nodes: Sequence) -> Distances:
        """Distances over the part of the graph spanned by ``nodes`` (a slice of the matrix)."""
        out = Distances.__new__(Distances)
        out.nodes = list(nodes)
        out.index = {n: i for i, n in enumerate(out.nodes)}
        idx = np.array([self.index[n] for n in out.nodes])
        out.matrix = self.matrix[idx][:, idx].tocsr()
        return out

    def from_sources(self, sources: Sequence) -> np.ndarray:
        """Return a ``len(sources) x n`` array of distances (``inf`` where unreachable)."""
        idx = [self.index[s] for s in sources]
        return np.atleast_2d(dijkstra(self.matrix, directed=False, indices=idx))

    def between(self, sources: Sequence, targets: Iterable) -> np.ndarray:
        """Return the ``len(sources) x len(targets)`` distance matrix."""
        cols = [self.index[t] for t in targets]
        return self.from_sources(sources)[:, cols]

    def _positions(self, u: object, v: object) -> list[int]:
        """Positions of the entries (u, v) and (v, u) in the matrix's data."""
        m = self.matrix
        out: list[int] = []
        for a, b in ((self.index[u], self.index[v]), (self.index[v], self.index[u])):
            lo, hi = m.indptr[a], m.indptr[a + 1]
            hits = np.nonzero(m.indices[lo:hi] == b)[0]
            out.extend(int(lo + h) for h in hits)
        return out

    def path(self, source: object, target: object, data: np.ndarray | None = None) -> list:
        """Least-cost node path from ``source`` to ``target`` (weights ``data`` if given)."""
        m = self.matrix if data is None else csr_matrix(
            (data, self.matrix.indices, self.matrix.indptr), shape=self.matrix.shape)
        s, t = self.index[source], self.index[target]
        _, pred = dijkstra(m, directed=False, indices=[s], return_predecessors=True)
        pred = pred[0]
        if s != t and pred[t] < 0:
            raise ValueError(f"no path from {source!r} to {target!r}")
        out = [t]
        while out[-1] != s:
            out.append(int(pred[out[-1]]))
        return [self.nodes[i] for i in reversed(out)]

    def penalise(self, data: np.ndarray, u: object, v: object, factor: float) -> None:
        """Make edge (u, v) dearer in ``data`` (a copy of the matrix's data): w * factor + 1."""
        for pos in self._positions(u, v):
            data[pos] = self.matrix.data[pos] * factor + 1.0
