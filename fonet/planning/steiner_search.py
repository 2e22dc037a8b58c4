"""Multi-start search of the Steiner tree engine.

Each start builds a tree with the shortest-path heuristic (from a different terminal,
later with randomly perturbed edge weights), replaces it by the pruned minimum spanning
tree of its nodes and improves it by local search. The best tree is kept. The search
stops at the deadline or when a number of starts in a row brought no improvement.
"""

from __future__ import annotations

import random
import time

from fonet.planning.steiner_construct import (
    Tree,
    polish,
    shortest_path_heuristic,
    sorted_edge_list,
    tree_cost,
)
from fonet.planning.steiner_local import key_path_exchange, vertex_insertion
from fonet.planning.steiner_reduce import ReducedGraph

INF = float("inf")


def local_search(
    g: ReducedGraph,
    tree: Tree,
    candidates: list[int],
    sorted_edges: list,
    deadline: float,
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
    deadline : float
        ``time.perf_counter()`` value after which no new pass starts.
    eps : float
        Smallest improvement counted as one.

    Returns
    -------
    Tree
        The improved tree.
    """
    clock = time.perf_counter
    while clock() <= deadline:
        changed = vertex_insertion(g, tree, candidates, deadline, eps)
        changed |= key_path_exchange(g, tree, deadline, eps)
        if not changed:
            break
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
    deadline: float,
    seed: int = 0,
    max_idle: int | None = 8,
) -> Tree:
    """Return the best tree found by the multi-start search.

    Parameters
    ----------
    g : ReducedGraph
        The (connected) instance.
    deadline : float
        ``time.perf_counter()`` value after which no new start begins. The first start
        always runs to the end of its construction.
    seed : int, optional
        Seed of the random choices (root order, perturbations).
    max_idle : int or None, optional
        Stop after this many starts in a row without improvement; ``None`` runs until
        the deadline.

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
    clock = time.perf_counter
    best: Tree | None = None
    best_cost = INF
    idle = 0
    start = 0
    while True:
        if start < len(roots):
            nodes = shortest_path_heuristic(g, roots[start])
        else:
            nbrs = _perturbed(g, rng, 0.25)
            nodes = shortest_path_heuristic(g, rng.choice(terms), nbrs)
        tree = polish(g, nodes, sorted_edges)
        tree = local_search(g, tree, candidates, sorted_edges, deadline, eps)
        cost = tree_cost(tree)
        if cost < best_cost - eps:
            best, best_cost = tree, cost
            idle = 0
        else:
            idle += 1
        start += 1
        if clock() > deadline or (max_idle is not None and idle >= max_idle):
            break
    assert best is not None
    return best
