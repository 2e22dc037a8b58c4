"""Multi-start search of the Steiner tree engine.

The first start builds Mehlhorn's Voronoi-MST tree; the next ones use the shortest-path
heuristic from different terminals with randomly perturbed edge weights (which
diversifies the starts far more than the root alone). Each tree
is replaced by the pruned minimum spanning tree of its nodes and improved by local search.
The best tree is kept. The search stops when the work budget is spent or when a number of
starts in a row brought no improvement.
"""

from __future__ import annotations

import random

from fonet.planning.steiner_construct import (
    Budget,
    Tree,
    polish,
    shortest_path_heuristic,
    sorted_edge_list,
    tree_cost,
    voronoi_mst_heuristic,
)
from fonet.planning.steiner_kve import key_vertex_elimination
from fonet.planning.steiner_local import key_path_exchange, vertex_insertion
from fonet.planning.steiner_reduce import ReducedGraph

INF = float("inf")
#: Above this many terminals the (costly) shortest-path heuristic is not used: restarts
#: build Voronoi-MST trees with perturbed weights instead.
SPH_MAX_TERMINALS = 1000


def local_search(
    g: ReducedGraph,
    tree: Tree,
    candidates: list[int],
    sorted_edges: list,
    budget: Budget,
    eps: float,
) -> Tree:
    """Improve ``tree`` until no move improves it or the deadline passes.

    Parameters
    ----------
    g : ReducedGraph
        The instance.
    tree : Tree
        Starting tree (pruned, spanning all terminals).
    candidates : list of int
        Order in which nodes are tried for insertion.
    sorted_edges : list
        Edges sorted by weight (from :func:`sorted_edge_list`).
    budget : Budget
        Work budget; no new pass starts once it is spent.
    eps : float
        Smallest improvement counted as one.

    Returns
    -------
    Tree
        The improved tree.
    """
    while not budget.expired():
        before = tree_cost(tree)
        changed = key_path_exchange(g, tree, budget, eps)
        tree = key_vertex_elimination(g, tree, budget, eps)
        changed |= vertex_insertion(g, tree, candidates, budget, eps)
        if not changed and tree_cost(tree) >= before - eps:
            break
        budget.spend(len(sorted_edges))
        better = polish(g, tree.keys(), sorted_edges)
        if tree_cost(better) < tree_cost(tree) - eps:
            tree = better
    return tree


def _perturbed(g: ReducedGraph, rng: random.Random, spread: float) -> list:
    """Return adjacency lists with weights multiplied by random factors in [1, 1+spread]."""
    factors: dict[tuple[int, int], float] = {}
    out = []
    for u, row in enumerate(g.nbrs):
        new_row = []
        for v, w in row:
            key = (u, v) if u < v else (v, u)
            f = factors.get(key)
            if f is None:
                f = 1.0 + spread * rng.random()
                factors[key] = f
            new_row.append((v, w * f))
        out.append(new_row)
    return out


def search(
    g: ReducedGraph,
    *,
    budget: Budget,
    seed: int = 0,
    max_idle: int | None = 8,
    max_starts: int | None = None,
) -> Tree:
    """Return the best tree found by the multi-start search.

    Parameters
    ----------
    g : ReducedGraph
        The (connected) instance.
    budget : Budget
        Work budget; no new start begins once it is spent. The first start always runs
        to the end of its construction.
    seed : int, optional
        Seed of the random choices (root order, perturbations).
    max_idle : int or None, optional
        Stop after this many starts in a row without improvement; ``None`` runs until
        the deadline.
    max_starts : int or None, optional
        Stop after this many starts. Instances with more than ``SPH_MAX_TERMINALS``
        terminals get a single start unless the budget is a pure time limit
        (``max_idle=None``).

    Returns
    -------
    Tree
        Adjacency dict of the best tree (on the nodes of ``g``).
    """
    terms = g.terminals
    if len(terms) <= 1:
        return {t: {} for t in terms}
    rng = random.Random(seed)
    sorted_edges = sorted_edge_list(g)
    wmax = sorted_edges[-1][0] if sorted_edges else 1.0
    eps = 1e-9 * max(1.0, wmax) * max(1, len(terms))
    roots = list(terms)
    rng.shuffle(roots)
    candidates = [v for v in range(g.n) if not g.is_term[v]]
    rng.shuffle(candidates)
    best: Tree | None = None
    best_cost = INF
    idle = 0
    start = 0
    while True:
        if start == 0:
            nodes = voronoi_mst_heuristic(g)
        else:
            nbrs = _perturbed(g, rng, 0.25)
            if len(terms) <= SPH_MAX_TERMINALS:
                nodes = shortest_path_heuristic(g, roots[(start - 1) % len(roots)], nbrs)
            else:
                nodes = voronoi_mst_heuristic(g, nbrs)
        budget.spend(50 + g.n + len(sorted_edges))
        tree = polish(g, nodes, sorted_edges)
        tree = local_search(g, tree, candidates, sorted_edges, budget, eps)
        cost = tree_cost(tree)
        if cost < best_cost - eps:
            best, best_cost = tree, cost
            idle = 0
        else:
            idle += 1
        start += 1
        if max_starts is None and max_idle is not None and len(terms) > SPH_MAX_TERMINALS:
            max_starts = 1
        if (
            budget.expired()
            or (max_idle is not None and idle >= max_idle)
            or (max_starts is not None and start >= max_starts)
        ):
            break
    assert best is not None
    return best
