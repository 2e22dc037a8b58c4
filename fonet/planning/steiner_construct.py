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
    uf = _UnionFind()
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
        if u in node_set and v in node_set and uf.union(u, v):
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


def tree_edges(tree: Tree) -> list[tuple[int, int]]:
    """Return the edges ``(u, v)`` with ``u < v`` of a tree."""
    return [(u, v) for u, nb in tree.items() for v in nb if u < v]


def polish(g: ReducedGraph, nodes: Iterable[int], sorted_edges: list) -> Tree:
    """Return the pruned minimum spanning tree of the subgraph induced by ``nodes``."""
    tree = mst_of_nodes(g, nodes, sorted_edges)
    prune_leaves(tree, g.is_term)
    return tree
