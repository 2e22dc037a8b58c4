"""Exact Steiner trees for small instances by mixed-integer programming.

The model is the directed multi-commodity flow formulation: arc variables ``y`` (binary)
orient the tree away from a root terminal, and every other terminal ``k`` receives one
unit of its own commodity ``f^k`` from the root, which may only use chosen arcs
(``f^k <= y``). Its linear relaxation is as strong as the directed cut formulation.
It is solved with HiGHS through :func:`scipy.optimize.milp`, after the reductions of
:mod:`fonet.planning.steiner_reduce` have shrunk the graph.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from fonet.planning.steiner_construct import prune_leaves
from fonet.planning.steiner_reduce import ReducedGraph

log = logging.getLogger(__name__)

#: Largest number of flow variables (commodities x arcs) the exact model is built for.
MAX_FLOW_VARIABLES = 400_000


def _cost(g: ReducedGraph, edges: list[tuple[int, int]]) -> float:
    return sum(g.wmap[u][v] for u, v in edges)


def _spanning_tree(
    g: ReducedGraph, edges: list[tuple[int, int]], root: int
) -> list[tuple[int, int]]:
    """Keep a pruned spanning tree of the root's component of the chosen edges."""
    adj: dict[int, list[int]] = {}
    for u, v in edges:
        adj.setdefault(u, []).append(v)
        adj.setdefault(v, []).append(u)
    tree: dict[int, dict[int, float]] = {root: {}}
    stack = [root]
    while stack:
        u = stack.pop()
        for v in adj.get(u, ()):
            if v not in tree:
                tree[v] = {u: g.wmap[u][v]}
                tree[u][v] = g.wmap[u][v]
                stack.append(v)
    prune_leaves(tree, g.is_term)
    return [(u, v) for u, nb in tree.items() for v in nb if u < v]


def solve_exact(
    g: ReducedGraph,
    incumbent: list[tuple[int, int]],
    *,
    time_limit_s: float,
) -> tuple[list[tuple[int, int]], bool]:
    """Return the edges of the best tree found and whether it is proven optimal.

    Parameters
    ----------
    g : ReducedGraph
        The (connected) instance.
    incumbent : list of (int, int)
        Edges of a known tree; returned when the model is too large, the solver runs
        out of time without a better tree, or the incumbent is already optimal.
    time_limit_s : float
        Time limit passed to the solver.

    Returns
    -------
    edges : list of (int, int)
        Edges of the best tree (reduced node ids): the solver's, or ``incumbent`` when
        that is at least as good.
    optimal : bool
        Whether the solver proved the returned tree optimal.
    """
    terms = g.terminals
    if len(terms) <= 1:
        return incumbent, True
    edge_list = [(u, v, w) for u in range(g.n) for v, w in g.nbrs[u] if u < v]
    m = len(edge_list)
    n = g.n
    n_arcs = 2 * m
    root = terms[0]
    sinks = terms[1:]
    k_count = len(sinks)
    if k_count * n_arcs > MAX_FLOW_VARIABLES:
        log.warning(
            "exact Steiner model too large (%d terminals, %d edges); keeping heuristic tree",
            len(terms),
            m,
        )
        return incumbent, False
    tail = np.empty(n_arcs, dtype=np.int64)
    head = np.empty(n_arcs, dtype=np.int64)
    weight = np.empty(n_arcs)
    for i, (u, v, w) in enumerate(edge_list):
        tail[2 * i], head[2 * i], tail[2 * i + 1], head[2 * i + 1] = u, v, v, u
        weight[2 * i] = weight[2 * i + 1] = w
    n_vars = n_arcs * (1 + k_count)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lb: list[np.ndarray] = []
    ub: list[np.ndarray] = []
    row0 = 0
    arc_idx = np.arange(n_arcs)
    for k_i, k in enumerate(sinks):
        off = n_arcs * (1 + k_i)
        # Conservation: inflow - outflow = 1 at k, -1 at the root, 0 elsewhere.
        rows += [row0 + head, row0 + tail]
        cols += [off + arc_idx, off + arc_idx]
        vals += [np.ones(n_arcs), -np.ones(n_arcs)]
        rhs = np.zeros(n)
        rhs[k] = 1.0
        rhs[root] = -1.0
        lb.append(rhs)
        ub.append(rhs.copy())
        row0 += n
        # Capacity: f^k_a - y_a <= 0.
        rows += [row0 + arc_idx, row0 + arc_idx]
        cols += [off + arc_idx, arc_idx]
        vals += [np.ones(n_arcs), -np.ones(n_arcs)]
        lb.append(np.full(n_arcs, -np.inf))
        ub.append(np.zeros(n_arcs))
        row0 += n_arcs
    # In-degree: one arc into each terminal but the root, at most one into Steiner nodes.
    rows.append(row0 + head)
    cols.append(arc_idx)
    vals.append(np.ones(n_arcs))
    indeg_lb = np.zeros(n)
    indeg_ub = np.ones(n)
    for t in sinks:
        indeg_lb[t] = 1.0
    indeg_ub[root] = 0.0
    lb.append(indeg_lb)
    ub.append(indeg_ub)
    row0 += n
    # A Steiner node entered by an arc must be left by one: in(v) - out(v) <= 0.
    steiner = np.array([not g.is_term[v] for v in range(n)])
    s_head = steiner[head]
    s_tail = steiner[tail]
    rows += [row0 + head[s_head], row0 + tail[s_tail]]
    cols += [arc_idx[s_head], arc_idx[s_tail]]
    vals += [np.ones(int(s_head.sum())), -np.ones(int(s_tail.sum()))]
    lb.append(np.full(n, -np.inf))
    ub.append(np.zeros(n))
    row0 += n
    a_mat = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(row0, n_vars),
    ).tocsr()
    c = np.zeros(n_vars)
    c[:n_arcs] = weight
    integrality = np.zeros(n_vars, dtype=np.int8)  # 1: integer (the arc variables)
    integrality[:n_arcs] = 1
    var_ub = np.ones(n_vars)
    var_ub[:n_arcs][head == root] = 0.0
    res = milp(
        c,
        constraints=LinearConstraint(a_mat, np.concatenate(lb), np.concatenate(ub)),
        integrality=integrality,
        bounds=Bounds(np.zeros(n_vars), var_ub),
        options={"time_limit": float(time_limit_s), "disp": False},
    )
    if res.x is None:
        log.warning("exact Steiner solver found no solution: %s", res.message)
        return incumbent, False
    chosen = np.nonzero(res.x[:n_arcs] > 0.5)[0]
    edges = [
        (int(min(tail[a], head[a])), int(max(tail[a], head[a]))) for a in chosen
    ]
    if res.status != 0:
        log.warning("exact Steiner solver stopped early: %s", res.message)
    edges = _spanning_tree(g, edges, root)
    optimal = res.status == 0
    covered = {x for e in edges for x in e}
    if all(t in covered for t in terms) and _cost(g, edges) < _cost(g, incumbent) - 1e-9 * max(
        1.0, _cost(g, incumbent)
    ):
        return edges, optimal
    return incumbent, optimal
