"""Construction heuristics for the Steiner tree engine.

Trees are kept as adjacency dicts ``tree[u] = {v: weight}`` over the node ids of a
:class:`~fonet.planning.steiner_reduce.ReducedGraph`.

* :func:`shortest_path_heuristic` — Takahashi–Matsuyama: grow a tree from a root by
  repeatedly adding the shortest path to the nearest terminal not yet in the tree. The
  distances to the tree are updated incrementally (a Dijkstra run seeded only with the
  nodes just added), so a run costs far less than one Dijkstra per terminal.
* :func:`mst_of_nodes` — minimum spanning tree of the subgraph induced by a node set.
* :func:`prune_leaves` — remove non-terminal leaves until none is left.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from heapq import heapify, heappop, heappush

from fonet.planning.steiner_reduce import ReducedGraph

Tree = dict[int, dict[int, float]]
INF = float("inf")


def shortest_path_heuristic(
    g: ReducedGraph,
    root: int,
    nbrs: list[list[tuple[int, float]]] | None = None,
) -> set[int]:
    """Return the node set of the shortest-path-heuristic tree grown from ``root``.

    Parameters
    ----------
    g : ReducedGraph
        The instance (must be connected).
    root : int
        Node to grow the tree from.
    nbrs : list, optional
        Adjacency lists with alternative (e.g. perturbed) weights; defaults to ``g.nbrs``.

    Returns
    -------
    set of int
        Nodes of the tree (the terminals and the Steiner nodes the paths used).
    """
    adj = g.nbrs if nbrs is None else nbrs
    n = len(adj)
    is_term = g.is_term
    dist = [INF] * n
    pred = [-1] * n
    in_tree = [False] * n
    tree_nodes = {root}
    in_tree[root] = True
    remaining = len(g.terminals) - (1 if is_term[root] else 0)
    theap: list[tuple[float, int]] = []

    def grow(sources: list[int]) -> None:
        heap = []
        for s in sources:
            dist[s] = 0.0
            pred[s] = -1
            heap.append((0.0, s))
        heapify(heap)
        while heap:
            d, u = heappop(heap)
            if d > dist[u]:
                continue
            for v, w in adj[u]:
                nd = d + w
                if nd < dist[v]:
                    dist[v] = nd
                    pred[v] = u
                    heappush(heap, (nd, v))
                    if is_term[v] and not in_tree[v]:
                        heappush(theap, (nd, v))

    grow([root])
    while remaining > 0:
        d, t = heappop(theap)
        if in_tree[t] or d > dist[t]:
            continue
        added = []
        x = t
        while not in_tree[x]:
            in_tree[x] = True
            added.append(x)
            if is_term[x]:
                remaining -= 1
            x = pred[x]
        tree_nodes.update(added)
        grow(added)
    return tree_nodes


class _UnionFind:
    __slots__ = ("parent",)

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while True:
            p = parent.get(root, root)
            if p == root:
                break
            root = p
        while x != root:
            p = parent.get(x, x)
            parent[x] = root
            x = p
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def mst_of_nodes(g: ReducedGraph, nodes: Iterable[int], sorted_edges: list) -> Tree:
    """Return a minimum spanning forest of the subgraph induced by ``nodes``.

    Parameters
    ----------
    g : ReducedGraph
        The instance.
    nodes : iterable of int
        The node set.
    sorted_edges : list of (float, int, int)
        All edges of ``g`` sorted by weight (see :func:`sorted_edge_list`).

    Returns
    -------
    Tree
        Adjacency dict of the forest (a tree when the induced subgraph is connected).
    """
    node_set = set(nodes)
    tree: Tree = {u: {} for u in node_set}
    parent = list(range(g.n))
    need = len(node_set) - 1
    if need <= 0:
        return tree
    wmap = g.wmap
    if 4 * len(node_set) < g.n:
        # Small node set: sort only the induced edges.
        cand = sorted(
            (w, u, v) for u in node_set for v, w in wmap[u].items() if u < v and v in node_set
        )
    else:
        cand = sorted_edges
    for w, u, v in cand:
        if u not in node_set or v not in node_set:
            continue
        ru = u
        while parent[ru] != ru:
            parent[ru] = parent[parent[ru]]
            ru = parent[ru]
        rv = v
        while parent[rv] != rv:
            parent[rv] = parent[parent[rv]]
            rv = parent[rv]
        if ru == rv:
            continue
        parent[ru] = rv
        tree[u][v] = w
        tree[v][u] = w
        need -= 1
        if need == 0:
            break
    return tree


def sorted_edge_list(g: ReducedGraph) -> list[tuple[float, int, int]]:
    """Return all edges ``(weight, u, v)`` with ``u < v`` sorted by weight."""
    return sorted((w, u, v) for u in range(g.n) for v, w in g.nbrs[u] if u < v)


def prune_leaves(tree: Tree, is_term: list[bool]) -> None:
    """Remove non-terminal leaves (and isolated non-terminals) in place."""
    stack = [u for u, nb in tree.items() if len(nb) <= 1 and not is_term[u]]
    while stack:
        u = stack.pop()
        nb = tree.get(u)
        if nb is None or len(nb) > 1 or is_term[u]:
            continue
        for v in nb:
            del tree[v][u]
            if len(tree[v]) <= 1 and not is_term[v]:
                stack.append(v)
        del tree[u]


def tree_cost(tree: Tree) -> float:
    """Return the total edge weight of a tree."""
    return sum(w for nb in tree.values() for w in nb.values()) / 2.0


def polish(g: ReducedGraph, nodes: Iterable[int], sorted_edges: list) -> Tree:
    """Return the pruned minimum spanning tree of the subgraph induced by ``nodes``."""
    tree = mst_of_nodes(g, nodes, sorted_edges)
    prune_leaves(tree, g.is_term)
    return tree


class Budget:
    """Work budget of a search: a count of elementary steps, plus a wall-clock deadline.

    The step count makes a search reproducible: the same instance and seed always stop at
    the same point. The deadline is a safety net for slow machines and the limit used
    when the caller gives a time limit.

    Parameters
    ----------
    deadline : float
        ``time.perf_counter()`` value after which the budget is spent.
    max_steps : float, optional
        Number of steps after which the budget is spent (default: unlimited).
    """

    __slots__ = ("deadline", "max_steps", "steps")

    def __init__(self, deadline: float, max_steps: float = INF) -> None:
        self.deadline = deadline
        self.max_steps = max_steps
        self.steps = 0

    def spend(self, steps: int) -> None:
        """Count ``steps`` elementary steps."""
        self.steps += steps

    def expired(self) -> bool:
        """Return whether the step budget or the deadline is spent."""
        return self.steps > self.max_steps or time.perf_counter() > self.deadline


def voronoi_mst_heuristic(
    g: ReducedGraph, nbrs: list[list[tuple[int, float]]] | None = None
) -> set[int]:
    """Return the node set of Mehlhorn's tree: the MST of the terminals' Voronoi graph.

    One multi-source Dijkstra run from all terminals assigns every node to its nearest
    terminal; each edge between two regions gives a path between their terminals; the
    minimum spanning tree over those paths is expanded to graph nodes. Cheaper than
    :func:`shortest_path_heuristic` when there are many terminals. ``nbrs`` may give
    alternative (e.g. perturbed) weights.
    """
    n = g.n
    dist = [INF] * n
    base = [-1] * n
    pred = [-1] * n
    heap = []
    for t in g.terminals:
        dist[t] = 0.0
        base[t] = t
        heap.append((0.0, t))
    heapify(heap)
    if nbrs is None:
        nbrs = g.nbrs
    while heap:
        d, u = heappop(heap)
        if d > dist[u]:
            continue
        bu = base[u]
        for v, w in nbrs[u]:
            nd = d + w
            if nd < dist[v]:
                dist[v] = nd
                base[v] = bu
                pred[v] = u
                heappush(heap, (nd, v))
    cand = sorted(
        (dist[u] + w + dist[v], u, v)
        for u in range(n)
        for v, w in nbrs[u]
        if u < v and base[u] != base[v]
    )
    uf = _UnionFind()
    nodes = set(g.terminals)
    need = len(g.terminals) - 1
    for _, u, v in cand:
        if need == 0:
            break
        if uf.union(base[u], base[v]):
            need -= 1
            for x in (u, v):
                while x not in nodes:
                    nodes.add(x)
                    x = pred[x]
    return nodes
