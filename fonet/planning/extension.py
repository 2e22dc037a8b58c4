"""Extension phases within a budget: which target sites to connect this year.

The problem is a budgeted prize-collecting Steiner tree: connect to the network (root nodes,
one group per hub) a set of target sites of greatest total priority whose route cost (edge
weights) plus fixed cost per site (termination, transceivers) stays within the budget.

:func:`select_greedy` grows one tree per group, each step adding the affordable target of best
priority per marginal rupiah along its least-cost path from the tree (edges already in the tree
are free), for three exponents of the cost in the ratio, keeping the best. :func:`select_exact`
solves small instances to optimality with a single-commodity flow mixed-integer program (HiGHS
through :func:`scipy.optimize.milp`); ``benchmarks/extension.py`` measures the gap between the
two on generated instances.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra

EXACT_MAX_ARCS = 4000
"""Largest instance (directed arcs) :func:`select_exact` accepts."""


@dataclass(frozen=True)
class Candidate:
    """A target site that may be connected."""

    key: Any
    group: Any
    """The group (hub) whose tree it joins."""
    node: Any
    prize: float
    fixed_cost: float = 0.0


@dataclass
class Choice:
    """The targets chosen, their estimated cost, and the marginal cost of the others."""

    chosen: list[Any]
    cost: float
    prize: float
    method: str
    optimal: bool = False
    marginal: dict[Any, float | None] = field(default_factory=dict)
    edges: dict[Any, set[tuple[Any, Any]]] = field(default_factory=dict)


class _Csr:
    def __init__(self, g: nx.Graph, weight: str) -> None:
        self.nodes = list(g.nodes)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        rows, cols, vals = [], [], []
        for u, v, d in g.edges(data=True):
            w = max(float(d[weight]), 1e-9)
            rows += [self.index[u], self.index[v]]
            cols += [self.index[v], self.index[u]]
            vals += [w, w]
        n = len(self.nodes)
        self.m = csr_matrix((vals, (rows, cols)), shape=(n, n))

    def from_(self, idx: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        d, p, _ = dijkstra(self.m, directed=False, indices=list(idx), min_only=True,
                           return_predecessors=True)
        return d, p


def _greedy_once(c: _Csr, roots: Mapping[Any, Sequence[Any]],
                 cands: Sequence[Candidate], budget: float, power: float) -> Choice:
    state = {}
    for grp, nodes in roots.items():
        state[grp] = c.from_([c.index[n] for n in nodes])
    left = list(cands)
    chosen: list[Hashable] = []
    edges: dict[Hashable, set] = {grp: set() for grp in roots}
    spent = prize = 0.0
    while left:
        best, best_score, best_m = None, -1.0, 0.0
        for cand in left:
            if cand.group not in state:
                continue
            d = state[cand.group][0][c.index[cand.node]]
            if not math.isfinite(d):
                continue
            m = d + cand.fixed_cost
            if spent + m > budget * (1 + 1e-12):
                continue
            score = cand.prize / max(m, 1e-9) ** power
            if score > best_score or (score == best_score and m < best_m):
                best, best_score, best_m = cand, score, m
        if best is None:
            break
        dist, pred = state[best.group]
        path = [c.index[best.node]]
        while pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        for a, b in zip(path, path[1:], strict=False):
            edges[best.group].add((c.nodes[b], c.nodes[a]))
        nd, np_ = c.from_(path)
        better = nd < dist
        dist[better] = nd[better]
        pred[better] = np_[better]
        spent += best_m
        prize += best.prize
        chosen.append(best.key)
        left.remove(best)
    marginal: dict[Hashable, float | None] = {}
    for cand in left:
        d = state[cand.group][0][c.index[cand.node]] if cand.group in state else math.inf
        marginal[cand.key] = d + cand.fixed_cost if math.isfinite(d) else None
    return Choice(chosen, spent, prize, "greedy", False, marginal, edges)


def select_greedy(g: nx.Graph, roots: Mapping[Any, Sequence[Any]],
                  candidates: Sequence[Candidate], budget: float, *,
                  weight: str = "cost") -> Choice:
    """Choose targets within ``budget`` by priority per marginal cost (see the module doc).

    Parameters
    ----------
    g
        Graph with ``weight`` on every edge (non-negative).
    roots
        Per group, the nodes already in its tree (a hub's node, the network it reaches).
    candidates
        The targets, each with its group, node, prize and fixed cost.
    budget
        Most the chosen targets may cost (route cost plus fixed costs).
    weight
        Edge attribute of the route cost.

    Returns
    -------
    Choice
        Chosen keys in the order added, their cost and prize, the marginal cost of each left
        out (None where it cannot be reached), and the tree edges per group.
    """
    c = _Csr(g, weight)
    best = None
    for power in (1.0, 0.5, 2.0):
        ch = _greedy_once(c, roots, candidates, budget, power)
        if best is None or (ch.prize, -ch.cost) > (best.prize, -best.cost):
            best = ch
    assert best is not None
    return best


def select_exact(g: nx.Graph, roots: Sequence[Hashable], candidates: Sequence[Candidate],
                 budget: float, *, weight: str = "cost", time_limit_s: float = 60.0
                 ) -> Choice:
    """Choose targets within ``budget`` for the greatest prize, by a mixed-integer program.

    One group: every candidate joins a tree grown from ``roots``. Variables per directed arc
    ``x`` (used) and ``f`` (flow), per candidate ``y`` (chosen); the roots send one unit of
    flow to each chosen candidate along used arcs; the cost of the used arcs plus the fixed
    costs stays within the budget. Ties between equal prizes go to the cheaper tree.

    Returns
    -------
    Choice
        ``optimal`` is True when the solver proved the choice optimal.

    Raises
    ------
    ValueError
        When the instance has more than :data:`EXACT_MAX_ARCS` arcs.
    """
    arcs = [(u, v, float(d[weight])) for u, v, d in g.edges(data=True)]
    arcs += [(v, u, w) for u, v, w in arcs]
    if len(arcs) > EXACT_MAX_ARCS:
        raise ValueError(f"{len(arcs)} arcs: the exact mode takes at most {EXACT_MAX_ARCS}")
    nodes = list(g.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    na, nt = len(arcs), len(candidates)
    nv = 2 * na + nt  # x, f, y
    big = max(1, nt)
    root_set = set(roots)
    total_w = sum(w for _, _, w in arcs) or 1.0
    eps = 1e-6 * min((c.prize for c in candidates if c.prize > 0), default=1.0) / total_w
    cost = np.zeros(nv)
    cost[:na] = [eps * w for _, _, w in arcs]
    cost[2 * na:] = [-c.prize for c in candidates]
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    # budget
    for a, (_, _, w) in enumerate(arcs):
        rows.append(r)
        cols.append(a)
        vals.append(w)
    for t, cand in enumerate(candidates):
        rows.append(r)
        cols.append(2 * na + t)
        vals.append(cand.fixed_cost)
    lo.append(-np.inf)
    hi.append(budget)
    r += 1
    # flow conservation at every node but the roots: inflow - outflow = chosen targets there
    cons_row = {}
    for n in nodes:
        if n not in root_set:
            cons_row[n] = r
            lo.append(0.0)
            hi.append(0.0)
            r += 1
    for a, (u, v, _) in enumerate(arcs):
        if v in cons_row:
            rows.append(cons_row[v])
            cols.append(na + a)
            vals.append(1.0)
        if u in cons_row:
            rows.append(cons_row[u])
            cols.append(na + a)
            vals.append(-1.0)
    for t, cand in enumerate(candidates):
        if cand.node in cons_row:
            rows.append(cons_row[cand.node])
            cols.append(2 * na + t)
            vals.append(-1.0)
    # flow only on used arcs
    for a in range(na):
        rows += [r, r]
        cols += [na + a, a]
        vals += [1.0, -float(big)]
        lo.append(-np.inf)
        hi.append(0.0)
        r += 1
    # an edge is used one way at most
    half = na // 2
    for a in range(half):
        rows += [r, r]
        cols += [a, a + half]
        vals += [1.0, 1.0]
        lo.append(-np.inf)
        hi.append(1.0)
        r += 1
    a_mat = coo_matrix((np.asarray(vals), (np.asarray(rows), np.asarray(cols))),
                       shape=(r, nv)).tocsr()
    integrality = np.zeros(nv, dtype=np.int8)
    integrality[:na] = 1
    integrality[2 * na:] = 1
    upper = np.concatenate([np.ones(na), np.full(na, float(big)), np.ones(nt)])
    res = milp(cost, constraints=LinearConstraint(a_mat, lo, hi), integrality=integrality,
               bounds=Bounds(np.zeros(nv), upper),
               options={"time_limit": time_limit_s, "disp": False})
    if res.x is None:
        return Choice([], 0.0, 0.0, "exact", False,
                      {c.key: None for c in candidates})
    x = res.x
    chosen = [c.key for t, c in enumerate(candidates) if x[2 * na + t] > 0.5]
    used = {(arcs[a][0], arcs[a][1]) for a in range(na) if x[a] > 0.5}
    spent = (sum(arcs[a][2] for a in range(na) if x[a] > 0.5)
             + sum(c.fixed_cost for c in candidates if c.key in set(chosen)))
    prize = sum(c.prize for c in candidates if c.key in set(chosen))
    _ = index
    return Choice(chosen, spent, prize, "exact", res.status == 0, {}, {None: used})
