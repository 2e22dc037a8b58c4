"""Local search for the Steiner tree engine.

Two neighbourhoods improve a tree (adjacency dict ``tree[u] = {v: weight}``) in place:

* **Steiner-node insertion** — add a node outside the tree together with its edges into
  the tree, keep the minimum spanning tree of the result and prune the non-terminal
  leaves this creates. Only the tree paths between the node's tree neighbours can change,
  so a candidate is evaluated on those paths alone.
* **Key-path exchange** — a key path joins two key nodes (terminals or nodes of degree at
  least 3) through Steiner nodes of degree 2. Removing it splits the tree in two parts;
  a bounded Dijkstra search from the smaller part looks for a cheaper connection.

Both accept strictly improving moves only, so the search always terminates.
"""

from __future__ import annotations

from heapq import heappop, heappush

from fonet.planning.steiner_construct import Budget, Tree, _UnionFind, prune_leaves
from fonet.planning.steiner_reduce import ReducedGraph

INF = float("inf")


class _Rooted:
    """Parent pointers, depths and a preorder of a tree rooted at ``root``.

    Arrays are indexed by node id; ``par`` is -1 at the root and -2 off the tree.
    """

    __slots__ = ("par", "pw", "depth", "order", "tin", "size")

    def __init__(self, tree: Tree, root: int, n: int) -> None:
        par = [-2] * n
        pw = [0.0] * n
        depth = [0] * n
        par[root] = -1
        order = []
        stack = [root]
        while stack:
            u = stack.pop()
            order.append(u)
            du = depth[u] + 1
            for v, w in tree[u].items():
                if par[v] == -2:
                    par[v] = u
                    pw[v] = w
                    depth[v] = du
                    stack.append(v)
        tin = [0] * n
        for i, u in enumerate(order):
            tin[u] = i
        size = [1] * n
        for u in reversed(order):
            p = par[u]
            if p >= 0:
                size[p] += size[u]
        self.par, self.pw, self.depth = par, pw, depth
        self.order, self.tin, self.size = order, tin, size


def _insertion_move(
    g: ReducedGraph, tree: Tree, rt: _Rooted, v: int, eps: float
) -> dict[int, dict[int, float]] | None:
    """Return the changed adjacency rows if inserting ``v`` improves the tree."""
    tn = sorted((w, u) for u, w in g.nbrs[v] if u in tree)
    if len(tn) < 2:
        return None
    par, depth, pw = rt.par, rt.depth, rt.pw
    u1 = tn[0][1]
    path_children: set[int] = set()
    for _, ui in tn[1:]:
        a, b = u1, ui
        while a != b:
            if depth[a] < depth[b]:
                a, b = b, a
            path_children.add(a)
            a = par[a]
    cand = [(pw[c], 1, c, par[c]) for c in path_children]
    old_w = sum(c[0] for c in cand)
    cand.extend((w, 0, v, u) for w, u in tn)
    cand.sort()
    uf = _UnionFind()
    kept: set[int] = set()
    added: list[tuple[int, float]] = []
    new_w = 0.0
    for w, flag, a, b in cand:
        if uf.union(a, b):
            new_w += w
            if flag:
                kept.add(a)
            else:
                added.append((b, w))
    local: dict[int, dict[int, float]] = {}

    def row(x: int) -> dict[int, float]:
        r = local.get(x)
        if r is None:
            r = dict(tree.get(x, ()))
            local[x] = r
        return r

    for c in path_children:
        if c not in kept:
            p = par[c]
            del row(c)[p]
            del row(p)[c]
    rv = row(v)
    for u, w in added:
        rv[u] = w
        row(u)[v] = w
    gain = old_w - new_w
    is_term = g.is_term
    stack = [x for x, r in local.items() if len(r) == 1 and not is_term[x]]
    while stack:
        x = stack.pop()
        r = local[x]
        if len(r) != 1 or is_term[x]:
            continue
        ((y, w),) = r.items()
        gain += w
        r.clear()
        ry = row(y)
        del ry[x]
        if len(ry) == 1 and not is_term[y]:
            stack.append(y)
    return local if gain > eps else None


def vertex_insertion(
    g: ReducedGraph, tree: Tree, candidates: list[int], budget: Budget, eps: float
) -> bool:
    """Apply improving Steiner-node insertions; return whether the tree changed."""
    root = g.terminals[0]
    rt = _Rooted(tree, root, g.n)
    improved = False
    budget.spend(len(tree))
    for i, v in enumerate(candidates):
        if v in tree:
            continue
        if i & 15 == 0 and budget.expired():
            break
        budget.spend(1)
        local = _insertion_move(g, tree, rt, v, eps)
        if local is None:
            continue
        budget.spend(len(tree) // 4 + len(local))
        for x, r in local.items():
            if r:
                tree[x] = r
            else:
                tree.pop(x, None)
        rt = _Rooted(tree, root, g.n)
        improved = True
    return improved


def _key_path_up(
    tree: Tree, is_term: list[bool], par: list[int], b: int
) -> tuple[list[int], float, int]:
    """Follow the key path from key node ``b`` towards the root.

    Parameters
    ----------
    tree : Tree
        The current tree.
    is_term : list of bool
        Terminal flag per node.
    par : list of int
        Parent of every node in the rooted tree.
    b : int
        A key node other than the root.

    Returns
    -------
    inner : list of int
        The Steiner nodes of degree 2 on the path, from ``b`` upwards.
    length : float
        Length of the path.
    top : int
        The key node at its upper end.
    """
    inner: list[int] = []
    length = 0.0
    c = b
    while True:
        p = par[c]
        length += tree[c][p]
        if is_term[p] or len(tree[p]) >= 3:
            break
        inner.append(p)
        c = p
    return inner, length, p


def _side_sources(tree: Tree, par: list[int], b: int, length: float) -> list[int]:
    """Return the nodes of ``b``'s side within tree distance ``< length`` of ``b``.

    Parameters
    ----------
    tree : Tree
        The current tree.
    par : list of int
        Parent of every node in the rooted tree (``b``'s side is its subtree).
    b : int
        Lower key node of the key path.
    length : float
        Length of the key path.

    Returns
    -------
    list of int
        ``b`` and the nodes of its subtree closer than ``length``.
    """
    sources = [b]
    stack = [(b, 0.0)]
    while stack:
        x, dx = stack.pop()
        for y, w in tree[x].items():
            if y != par[x] and dx + w < length:
                sources.append(y)
                stack.append((y, dx + w))
    return sources


def _cheaper_connection(
    g: ReducedGraph,
    tree: Tree,
    rt: _Rooted,
    b: int,
    inner_set: set[int],
    length: float,
    eps: float,
    budget: Budget,
) -> tuple[int, dict[int, int]]:
    """Search a connection from ``b``'s side of the tree cheaper than its key path.

    Parameters
    ----------
    g : ReducedGraph
        The instance.
    tree : Tree
        The current tree.
    rt : _Rooted
        The tree rooted at the first terminal.
    b : int
        Lower key node of the key path.
    inner_set : set of int
        Inner nodes of the key path (they do not count as the other side).
    length : float
        Length of the key path.
    eps : float
        Least improvement that counts.
    budget : Budget
        Charged for the work done.

    Returns
    -------
    found : int
        The node of the other side reached, or -1 if no cheaper connection exists.
    prev : dict
        Predecessor of every node reached by the search (the connection is the chain
        from ``found`` back to a source).
    """
    tin, nbrs = rt.tin, g.nbrs
    lo = tin[b]
    hi = lo + rt.size[b]
    sources = _side_sources(tree, rt.par, b, length)
    dist = dict.fromkeys(sources, 0.0)
    prev: dict[int, int] = {}
    heap = [(0.0, s) for s in sources]
    bound = length - eps
    found = -1
    while heap:
        d, u = heappop(heap)
        if d > dist[u]:
            continue
        if u in prev and u in tree and u not in inner_set:
            found = u
            break
        for y, w in nbrs[u]:
            nd = d + w
            if nd < bound and nd < dist.get(y, INF):
                if y in tree and lo <= tin[y] < hi:
                    continue  # b's own side
                dist[y] = nd
                prev[y] = u
                heappush(heap, (nd, y))
    budget.spend(len(dist) + 1)
    return found, prev


def _exchange(
    g: ReducedGraph,
    tree: Tree,
    par: list[int],
    b: int,
    top: int,
    inner: list[int],
    found: int,
    prev: dict[int, int],
) -> None:
    """Replace the key path from ``b`` up to ``top`` by the connection ending at ``found``.

    Parameters
    ----------
    g : ReducedGraph
        The instance.
    tree : Tree
        The tree, changed in place (non-terminal leaves are pruned).
    par : list of int
        Parent of every node in the rooted tree.
    b, top : int
        Lower and upper key node of the path.
    inner : list of int
        Inner nodes of the path.
    found : int
        End of the new connection on the other side.
    prev : dict
        Predecessors from :func:`_cheaper_connection`.
    """
    c = b
    while c != top:
        p = par[c]
        del tree[c][p]
        del tree[p][c]
        c = p
    for x in inner:
        if not tree[x]:
            del tree[x]
    wmap = g.wmap
    y = found
    while y in prev:
        u = prev[y]
        w = wmap[u][y]
        tree.setdefault(u, {})[y] = w
        tree.setdefault(y, {})[u] = w
        y = u
    prune_leaves(tree, g.is_term)


def key_path_exchange(g: ReducedGraph, tree: Tree, budget: Budget, eps: float) -> bool:
    """Replace key paths by cheaper connections; return whether the tree changed."""
    is_term = g.is_term
    root = g.terminals[0]
    rt = _Rooted(tree, root, g.n)
    snapshot = [x for x in rt.order if x != root and (is_term[x] or len(tree[x]) >= 3)]
    improved = False
    budget.spend(len(tree))
    for b in snapshot:
        if budget.expired():
            break
        if b not in tree or not (is_term[b] or len(tree[b]) >= 3):
            continue
        inner, length, top = _key_path_up(tree, is_term, rt.par, b)
        found, prev = _cheaper_connection(g, tree, rt, b, set(inner), length, eps, budget)
        if found < 0:
            continue
        _exchange(g, tree, rt.par, b, top, inner, found, prev)
        rt = _Rooted(tree, root, g.n)
        budget.spend(len(tree) // 4)
        improved = True
    return improved
