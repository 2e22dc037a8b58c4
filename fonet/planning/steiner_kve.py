"""Key-vertex elimination for the Steiner tree engine.

A key vertex is a Steiner node of degree at least 3 in the tree. Removing it together with
the key paths that lead to it (through Steiner nodes of degree 2) splits the tree into
as many parts as it had key paths. The parts are then reconnected as cheaply as possible:
a bounded multi-source Dijkstra search grows a region around each part (starting from the
part's nodes near the removed vertex), the boundary edges between regions give candidate
connections, and Kruskal's algorithm picks the cheapest set joining all parts. The move
is applied when that set costs less than what was removed.
"""

from __future__ import annotations

from heapq import heappop, heappush

from fonet.planning.steiner_construct import Budget, Tree, _UnionFind
from fonet.planning.steiner_reduce import ReducedGraph

INF = float("inf")
#: Sources per part (nearest first) and settled nodes per search: keep each move local.
MAX_SOURCES_PER_PART = 16
MAX_SETTLED = 300


def _key_paths(tree: Tree, is_term: list[bool], s: int) -> list[tuple[int, list[int], float]]:
    """Return ``(end key node, inner nodes, length)`` of each key path leaving ``s``."""
    out = []
    for first, w in tree[s].items():
        prev, cur, length, inner = s, first, w, []
        while not is_term[cur] and len(tree[cur]) == 2:
            inner.append(cur)
            nxt = next(x for x in tree[cur] if x != prev)
            length += tree[cur][nxt]
            prev, cur = cur, nxt
        out.append((cur, inner, length))
    return out


def _seed_regions(
    tree: Tree, ends: list[int], removed: set[int], bound: float
) -> tuple[dict[int, float], dict[int, int], list[tuple[float, int]]] | None:
    """Return the sources of the search: remaining tree nodes near each key-path end.

    Parameters
    ----------
    tree : Tree
        The current tree.
    ends : list of int
        The far end of each key path leaving the removed vertex; part ``i`` holds
        ``ends[i]``.
    removed : set of int
        The removed vertex and the inner nodes of its key paths.
    bound : float
        Only tree nodes closer than this to their path end become sources.

    Returns
    -------
    tuple or None
        ``(dist, label, heap)``: distance 0, part number and a heap entry per source (at
        most :data:`MAX_SOURCES_PER_PART` per part); ``None`` when two key paths end at the
        same node.
    """
    dist: dict[int, float] = {}
    label: dict[int, int] = {}
    heap: list[tuple[float, int]] = []
    for pe, e in enumerate(ends):
        if e in label:
            return None  # two key paths to the same node: leave it to other moves
        queue = [(e, 0.0)]
        seen = {e}
        head = 0
        while head < len(queue) and head < MAX_SOURCES_PER_PART:
            x, dx = queue[head]
            head += 1
            dist[x] = 0.0
            label[x] = pe
            heap.append((0.0, x))
            for y, w in tree[x].items():
                if y not in seen and y not in removed and dx + w < bound:
                    seen.add(y)
                    queue.append((y, dx + w))
    return dist, label, heap


def _grow_regions(
    g: ReducedGraph,
    tree: Tree,
    removed: set[int],
    bound: float,
    regions: tuple[dict[int, float], dict[int, int], list[tuple[float, int]]],
    budget: Budget,
) -> tuple[list[int], dict[int, int]] | None:
    """Grow a region around every part by a bounded multi-source Dijkstra search.

    Parameters
    ----------
    g : ReducedGraph
        The instance.
    tree : Tree
        The current tree; its remaining nodes are not entered.
    removed : set of int
        The removed vertex and the inner nodes of its key paths (may be entered).
    bound : float
        Distances at or beyond this are not explored.
    regions : tuple
        ``(dist, label, heap)`` from :func:`_seed_regions`, extended in place.
    budget : Budget
        Charged for the work done.

    Returns
    -------
    tuple or None
        ``(reached, prev)``: the settled nodes in order and the predecessor of every
        labelled non-source node; ``None`` when more than :data:`MAX_SETTLED` nodes settle.
    """
    dist, label, heap = regions
    nbrs = g.nbrs
    prev: dict[int, int] = {}
    reached = []
    while heap:
        d, u = heappop(heap)
        if d > dist[u]:
            continue
        reached.append(u)
        if len(reached) > MAX_SETTLED:
            budget.spend(len(reached))
            return None
        lu = label[u]
        for y, w in nbrs[u]:
            nd = d + w
            if nd >= bound or (y in tree and y not in removed):
                continue
            if nd < dist.get(y, INF):
                dist[y] = nd
                label[y] = lu
                prev[y] = u
                heappush(heap, (nd, y))
    budget.spend(4 * len(reached) + len(dist))
    return reached, prev


def _boundary_candidates(
    g: ReducedGraph,
    tree: Tree,
    removed: set[int],
    bound: float,
    reached: list[int],
    dist: dict[int, float],
    label: dict[int, int],
) -> list[tuple[float, int, int, int, int]]:
    """Return the connections between regions of different parts, cheapest first.

    Parameters
    ----------
    g : ReducedGraph
        The instance.
    tree : Tree
        The current tree.
    removed : set of int
        The removed vertex and the inner nodes of its key paths.
    bound : float
        Connections costing this much or more are left out.
    reached : list of int
        Settled nodes of the region search.
    dist, label : dict
        Distance to its part and part number of every labelled node.

    Returns
    -------
    list of (float, int, int, int, int)
        ``(cost, u, y, part of u, part of y)`` per boundary edge ``u-y``, sorted.
    """
    nbrs = g.nbrs
    cands = []
    for u in reached:
        du, lu = dist[u], label[u]
        for y, w in nbrs[u]:
            if y in tree and y not in removed:
                if y not in label:
                    continue  # a tree node away from the removed part
                ly, c = label[y], du + w
            elif y in dist:
                ly, c = label[y], du + w + dist[y]
            else:
                continue
            if ly != lu and c < bound:
                cands.append((c, u, y, lu, ly))
    cands.sort()
    return cands


def _join_parts(
    cands: list[tuple[float, int, int, int, int]], n_parts: int, bound: float
) -> list[tuple[int, int]] | None:
    """Pick the cheapest connections joining all parts (Kruskal's algorithm).

    Parameters
    ----------
    cands : list of (float, int, int, int, int)
        Candidate connections from :func:`_boundary_candidates`, cheapest first.
    n_parts : int
        Number of parts to join.
    bound : float
        The joining set must cost less than this.

    Returns
    -------
    list of (int, int) or None
        The boundary edges chosen, or ``None`` when the parts cannot all be joined for
        less than ``bound``.
    """
    uf = _UnionFind()
    total = 0.0
    chosen = []
    need = n_parts - 1
    for c, u, y, lu, ly in cands:
        if uf.union(lu, ly):
            total += c
            chosen.append((u, y))
            need -= 1
            if need == 0:
                break
    if need or total >= bound:
        return None
    return chosen


def _eliminate(
    g: ReducedGraph, tree: Tree, s: int, eps: float, budget: Budget
) -> list[tuple[int, int]] | None:
    """Return the new edges that reconnect the tree without ``s``, if that is cheaper."""
    paths = _key_paths(tree, g.is_term, s)
    removed = {s}
    removed_cost = 0.0
    for _, inner, length in paths:
        removed.update(inner)
        removed_cost += length
    bound = removed_cost - eps
    ends = [end for end, _, _ in paths]
    regions = _seed_regions(tree, ends, removed, bound)
    if regions is None:
        return None
    grown = _grow_regions(g, tree, removed, bound, regions, budget)
    if grown is None:
        return None
    reached, prev = grown
    dist, label, _ = regions
    cands = _boundary_candidates(g, tree, removed, bound, reached, dist, label)
    chosen = _join_parts(cands, len(ends), bound)
    if chosen is None:
        return None
    new_edges = []
    for u, y in chosen:
        new_edges.append((u, y))
        for x in (u, y):
            while x in prev:
                p = prev[x]
                new_edges.append((p, x))
                x = p
    return new_edges


def _apply(
    g: ReducedGraph, tree: Tree, removed: set[int], new_edges: list[tuple[int, int]]
) -> None:
    """Replace the ``removed`` nodes of ``tree`` by ``new_edges`` in place.

    The new edges come from shortest-path trees rooted in the remaining parts plus one
    edge per pair of parts chosen by Kruskal's algorithm, so the result is a tree.
    """
    wmap = g.wmap
    touched = []
    for x in removed:
        for y in tree.pop(x):
            if y not in removed:
                del tree[y][x]
                touched.append(y)
    for u, v in new_edges:
        w = wmap[u][v]
        tree.setdefault(u, {})[v] = w
        tree.setdefault(v, {})[u] = w
    is_term = g.is_term
    stack = [y for y in touched if y in tree and len(tree[y]) <= 1 and not is_term[y]]
    while stack:
        x = stack.pop()
        r = tree.get(x)
        if r is None or len(r) > 1 or is_term[x]:
            continue
        for y in r:
            del tree[y][x]
            stack.append(y)
        del tree[x]


def key_vertex_elimination(g: ReducedGraph, tree: Tree, budget: Budget, eps: float) -> Tree:
    """Apply improving key-vertex eliminations; return the (possibly new) tree."""
    is_term = g.is_term
    budget.spend(len(tree))
    for s in [x for x in tree if not is_term[x] and len(tree[x]) >= 3]:
        if budget.expired():
            break
        if s not in tree or len(tree[s]) < 3:
            continue
        new_edges = _eliminate(g, tree, s, eps, budget)
        if new_edges is None:
            continue
        removed = {s}
        for _, inner, _ in _key_paths(tree, is_term, s):
            removed.update(inner)
        _apply(g, tree, removed, new_edges)
        budget.spend(len(new_edges) + len(removed))
    return tree
