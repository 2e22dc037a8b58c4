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
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp
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


def _arcs(
    edge_list: list[tuple[int, int, float]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return tail, head and weight of both orientations of every edge.

    Parameters
    ----------
    edge_list : list of (int, int, float)
        Edges ``(u, v, weight)`` of the instance.

    Returns
    -------
    tail, head, weight : numpy.ndarray
        Arc ``2 i`` runs from ``u`` to ``v`` and arc ``2 i + 1`` back, for the ``i``-th
        edge.
    """
    n_arcs = 2 * len(edge_list)
    tail = np.empty(n_arcs, dtype=np.int64)
    head = np.empty(n_arcs, dtype=np.int64)
    weight = np.empty(n_arcs)
    for i, (u, v, w) in enumerate(edge_list):
        tail[2 * i], head[2 * i], tail[2 * i + 1], head[2 * i + 1] = u, v, v, u
        weight[2 * i] = weight[2 * i + 1] = w
    return tail, head, weight


@dataclass
class _Constraints:
    """Constraint rows of the model, gathered as sparse triplets and row bounds."""

    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    lb: list[np.ndarray] = field(default_factory=list)
    ub: list[np.ndarray] = field(default_factory=list)
    count: int = 0


def _flow_rows(
    m: _Constraints, n: int, tail: np.ndarray, head: np.ndarray, root: int, sinks: list[int]
) -> None:
    """Add flow conservation and capacity rows of every commodity to ``m``.

    Parameters
    ----------
    m : _Constraints
        The rows gathered so far.
    n : int
        Number of nodes.
    tail, head : numpy.ndarray
        Arc ends, from :func:`_arcs`.
    root : int
        The terminal every commodity leaves.
    sinks : list of int
        The other terminals; commodity ``k_i`` uses variables
        ``n_arcs * (1 + k_i) ..`` and goes to ``sinks[k_i]``.
    """
    n_arcs = len(tail)
    arc_idx = np.arange(n_arcs)
    for k_i, k in enumerate(sinks):
        off = n_arcs * (1 + k_i)
        # Conservation: inflow - outflow = 1 at k, -1 at the root, 0 elsewhere.
        m.rows += [m.count + head, m.count + tail]
        m.cols += [off + arc_idx, off + arc_idx]
        m.vals += [np.ones(n_arcs), -np.ones(n_arcs)]
        rhs = np.zeros(n)
        rhs[k] = 1.0
        rhs[root] = -1.0
        m.lb.append(rhs)
        m.ub.append(rhs.copy())
        m.count += n
        # Capacity: f^k_a - y_a <= 0.
        m.rows += [m.count + arc_idx, m.count + arc_idx]
        m.cols += [off + arc_idx, arc_idx]
        m.vals += [np.ones(n_arcs), -np.ones(n_arcs)]
        m.lb.append(np.full(n_arcs, -np.inf))
        m.ub.append(np.zeros(n_arcs))
        m.count += n_arcs


def _degree_rows(
    m: _Constraints,
    g: ReducedGraph,
    tail: np.ndarray,
    head: np.ndarray,
    root: int,
    sinks: list[int],
) -> None:
    """Add the in-degree and Steiner-node continuity rows of the arc variables to ``m``.

    Parameters
    ----------
    m : _Constraints
        The rows gathered so far.
    g : ReducedGraph
        The instance (its terminal flags).
    tail, head : numpy.ndarray
        Arc ends, from :func:`_arcs`.
    root : int
        The root terminal (no arc enters it).
    sinks : list of int
        The other terminals (one arc enters each).
    """
    n = g.n
    n_arcs = len(tail)
    arc_idx = np.arange(n_arcs)
    # In-degree: one arc into each terminal but the root, at most one into Steiner nodes.
    m.rows.append(m.count + head)
    m.cols.append(arc_idx)
    m.vals.append(np.ones(n_arcs))
    indeg_lb = np.zeros(n)
    indeg_ub = np.ones(n)
    for t in sinks:
        indeg_lb[t] = 1.0
    indeg_ub[root] = 0.0
    m.lb.append(indeg_lb)
    m.ub.append(indeg_ub)
    m.count += n
    # A Steiner node entered by an arc must be left by one: in(v) - out(v) <= 0.
    steiner = np.array([not g.is_term[v] for v in range(n)])
    s_head = steiner[head]
    s_tail = steiner[tail]
    m.rows += [m.count + head[s_head], m.count + tail[s_tail]]
    m.cols += [arc_idx[s_head], arc_idx[s_tail]]
    m.vals += [np.ones(int(s_head.sum())), -np.ones(int(s_tail.sum()))]
    m.lb.append(np.full(n, -np.inf))
    m.ub.append(np.zeros(n))
    m.count += n


def _solve_model(
    g: ReducedGraph,
    tail: np.ndarray,
    head: np.ndarray,
    weight: np.ndarray,
    time_limit_s: float,
) -> OptimizeResult:
    """Build the flow model of the instance and solve it with HiGHS.

    Parameters
    ----------
    g : ReducedGraph
        The instance (at least two terminals); ``g.terminals[0]`` is the root.
    tail, head, weight : numpy.ndarray
        The arcs, from :func:`_arcs`.
    time_limit_s : float
        Time limit passed to the solver.

    Returns
    -------
    scipy.optimize.OptimizeResult
        The result of :func:`scipy.optimize.milp`; the first ``len(tail)`` variables are
        the arc choices.
    """
    n_arcs = len(tail)
    root = g.terminals[0]
    sinks = g.terminals[1:]
    n_vars = n_arcs * (1 + len(sinks))
    m = _Constraints()
    _flow_rows(m, g.n, tail, head, root, sinks)
    _degree_rows(m, g, tail, head, root, sinks)
    a_mat = coo_matrix(
        (np.concatenate(m.vals), (np.concatenate(m.rows), np.concatenate(m.cols))),
        shape=(m.count, n_vars),
    ).tocsr()
    c = np.zeros(n_vars)
    c[:n_arcs] = weight
    integrality = np.zeros(n_vars, dtype=np.int8)  # 1: integer (the arc variables)
    integrality[:n_arcs] = 1
    var_ub = np.ones(n_vars)
    var_ub[:n_arcs][head == root] = 0.0
    return milp(
        c,
        constraints=LinearConstraint(a_mat, np.concatenate(m.lb), np.concatenate(m.ub)),
        integrality=integrality,
        bounds=Bounds(np.zeros(n_vars), var_ub),
        options={"time_limit": float(time_limit_s), "disp": False},
    )


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
    if (len(terms) - 1) * 2 * m > MAX_FLOW_VARIABLES:
        log.warning(
            "exact Steiner model too large (%d terminals, %d edges); keeping heuristic tree",
            len(terms),
            m,
        )
        return incumbent, False
    tail, head, weight = _arcs(edge_list)
    res = _solve_model(g, tail, head, weight, time_limit_s)
    if res.x is None:
        log.warning("exact Steiner solver found no solution: %s", res.message)
        return incumbent, False
    n_arcs = len(tail)
    chosen = np.nonzero(res.x[:n_arcs] > 0.5)[0]
    edges = [
        (int(min(tail[a], head[a])), int(max(tail[a], head[a]))) for a in chosen
    ]
    if res.status != 0:
        log.warning("exact Steiner solver stopped early: %s", res.message)
    edges = _spanning_tree(g, edges, terms[0])
    optimal = res.status == 0
    covered = {x for e in edges for x in e}
    if all(t in covered for t in terms) and _cost(g, edges) < _cost(g, incumbent) - 1e-9 * max(
        1.0, _cost(g, incumbent)
    ):
        return edges, optimal
    return incumbent, optimal
