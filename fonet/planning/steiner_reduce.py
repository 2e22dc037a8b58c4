"""Graph reductions for the Steiner tree engine.

The engine works on an integer-indexed copy of the input graph. The reductions here
shrink that copy without losing any optimal solution:

* a non-terminal of degree 0 or 1 is removed;
* a terminal of degree 1 forces its only edge into every solution: the edge is fixed and
  the terminal is merged into its neighbour, which becomes a terminal;
* a non-terminal of degree 2 is contracted: its two edges become one edge between its
  neighbours (kept only if cheaper than an existing edge between them).

Every edge of the reduced graph remembers the original edges it stands for, so a
solution of the reduced graph expands to a solution of the original one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ReducedGraph:
    """An integer-indexed graph after reductions.

    Attributes
    ----------
    nbrs : list of list of (int, float)
        Adjacency lists ``nbrs[u] = [(v, weight), ...]`` of the reduced graph.
    wmap : list of dict
        ``wmap[u][v]`` is the weight of edge ``u-v``.
    edge_path : dict
        ``edge_path[(u, v)]`` (with ``u < v``) is the list of original edge ids that the
        reduced edge stands for.
    terminals : list of int
        Terminals of the reduced graph.
    is_term : list of bool
        Terminal flag per reduced node.
    fixed_edges : list of int
        Original edge ids that belong to every solution.
    fixed_cost : float
        Total weight of ``fixed_edges``.
    origin : list of int
        ``origin[i]`` is the node id (in the unreduced numbering) of reduced node ``i``.
    """

    nbrs: list[list[tuple[int, float]]]
    wmap: list[dict[int, float]]
    edge_path: dict[tuple[int, int], list[int]]
    terminals: list[int]
    is_term: list[bool]
    fixed_edges: list[int]
    fixed_cost: float
    origin: list[int]

    @property
    def n(self) -> int:
        """Number of nodes of the reduced graph."""
        return len(self.nbrs)

    def expand(self, edges: list[tuple[int, int]]) -> list[int]:
        """Return the original edge ids of a reduced solution plus the fixed edges."""
        out = list(self.fixed_edges)
        for u, v in edges:
            out.extend(self.edge_path[(u, v) if u < v else (v, u)])
        return out


Adjacency = list[dict[int, tuple[float, int]]]
"""``adj[u][v] = (weight, path id)`` of the working copy of the graph."""


def _cheapest_adjacency(n: int, edges: list[tuple[int, int, float]]) -> Adjacency:
    """Return the adjacency of the cheapest edge between each pair of nodes.

    Parameters
    ----------
    n : int
        Number of nodes.
    edges : list of (int, int, float)
        Edges ``(u, v, weight)``; the position in the list is the edge id (and the id of
        the path made of that edge alone). Self-loops are ignored.

    Returns
    -------
    Adjacency
        ``adj[u][v] = (weight, edge id)`` of the cheapest edge ``u-v``.
    """
    adj: Adjacency = [{} for _ in range(n)]
    for eid, (u, v, w) in enumerate(edges):
        if u == v:
            continue
        cur = adj[u].get(v)
        if cur is None or w < cur[0]:
            adj[u][v] = (w, eid)
            adj[v][u] = (w, eid)
    return adj


def _contract(adj: Adjacency, paths: list[list[int]], x: int) -> tuple[int, int]:
    """Replace the two edges of node ``x`` by one edge between its neighbours.

    The new edge is kept only if cheaper than an existing edge between them.

    Parameters
    ----------
    adj : Adjacency
        The working graph, changed in place.
    paths : list of list of int
        Original edge ids by path id; the path of the new edge is appended.
    x : int
        A non-terminal of degree 2.

    Returns
    -------
    tuple of int
        The two neighbours of ``x``.
    """
    ax = adj[x]
    (u, (a, pa)), (v, (b, pb)) = ax.items()
    del adj[u][x]
    del adj[v][x]
    ax.clear()
    nw = a + b
    cur = adj[u].get(v)
    if cur is None or nw < cur[0]:
        pid = len(paths)
        paths.append(paths[pa] + paths[pb])
        adj[u][v] = (nw, pid)
        adj[v][u] = (nw, pid)
    return u, v


def _apply_reductions(
    adj: Adjacency, paths: list[list[int]], is_term: list[bool], nterm: int
) -> tuple[list[bool], list[int], float]:
    """Remove, fix and contract nodes until no reduction applies.

    Parameters
    ----------
    adj : Adjacency
        The working graph, changed in place.
    paths : list of list of int
        Original edge ids by path id; contracted paths are appended.
    is_term : list of bool
        Terminal flags, changed in place (a terminal merged into its neighbour passes
        the flag on).
    nterm : int
        Number of terminals.

    Returns
    -------
    alive : list of bool
        Whether each node is still in the graph.
    fixed : list of int
        Original edge ids forced into every solution.
    fixed_cost : float
        Their total weight.
    """
    n = len(adj)
    alive = [True] * n
    fixed: list[int] = []
    fixed_cost = 0.0
    stack = list(range(n - 1, -1, -1))
    while stack:
        x = stack.pop()
        if not alive[x]:
            continue
        ax = adj[x]
        deg = len(ax)
        if deg == 0:
            if not is_term[x]:
                alive[x] = False
        elif deg == 1:
            ((y, (w, pid)),) = ax.items()
            if not is_term[x]:
                del adj[y][x]
                ax.clear()
                alive[x] = False
                stack.append(y)
            elif nterm > 1:
                fixed.extend(paths[pid])
                fixed_cost += w
                del adj[y][x]
                ax.clear()
                alive[x] = False
                is_term[x] = False
                if is_term[y]:
                    nterm -= 1
                else:
                    is_term[y] = True
                stack.append(y)
        elif deg == 2 and not is_term[x]:
            u, v = _contract(adj, paths, x)
            alive[x] = False
            stack.append(u)
            stack.append(v)
    return alive, fixed, fixed_cost


def _renumbered(
    adj: Adjacency,
    paths: list[list[int]],
    is_term: list[bool],
    alive: list[bool],
    fixed: list[int],
    fixed_cost: float,
) -> ReducedGraph:
    """Give the remaining nodes ids ``0 ..`` and build the reduced graph.

    Parameters
    ----------
    adj : Adjacency
        The working graph after the reductions.
    paths : list of list of int
        Original edge ids by path id.
    is_term : list of bool
        Terminal flags after the reductions.
    alive : list of bool
        Whether each node is still in the graph.
    fixed : list of int
        Original edge ids forced into every solution.
    fixed_cost : float
        Their total weight.

    Returns
    -------
    ReducedGraph
        The reduced instance (isolated non-terminals are left out).
    """
    keep = [i for i in range(len(adj)) if alive[i] and (adj[i] or is_term[i])]
    new_id = {old: new for new, old in enumerate(keep)}
    nbrs: list[list[tuple[int, float]]] = []
    wmap: list[dict[int, float]] = []
    edge_path: dict[tuple[int, int], list[int]] = {}
    for old in keep:
        i = new_id[old]
        row = []
        wrow = {}
        for y, (w, pid) in adj[old].items():
            j = new_id[y]
            row.append((j, w))
            wrow[j] = w
            if i < j:
                edge_path[(i, j)] = paths[pid]
        row.sort()
        nbrs.append(row)
        wmap.append(wrow)
    red_terms = [new_id[old] for old in keep if is_term[old]]
    return ReducedGraph(
        nbrs=nbrs,
        wmap=wmap,
        edge_path=edge_path,
        terminals=red_terms,
        is_term=[is_term[old] for old in keep],
        fixed_edges=fixed,
        fixed_cost=fixed_cost,
        origin=keep,
    )


def reduce_graph(
    n: int,
    edges: list[tuple[int, int, float]],
    terminals: list[int],
    *,
    enabled: bool = True,
) -> ReducedGraph:
    """Build the reduced graph of a connected instance.

    Parameters
    ----------
    n : int
        Number of nodes, numbered ``0 .. n-1``.
    edges : list of (int, int, float)
        Edges ``(u, v, weight)``; the position in the list is the original edge id.
        Parallel edges keep the cheapest, self-loops are ignored.
    terminals : list of int
        Terminal node ids (distinct).
    enabled : bool, optional
        When false, only the integer copy is built and nothing is reduced.

    Returns
    -------
    ReducedGraph
        The reduced instance.
    """
    adj = _cheapest_adjacency(n, edges)
    paths: list[list[int]] = [[eid] for eid in range(len(edges))]
    is_term = [False] * n
    for t in terminals:
        is_term[t] = True
    if enabled:
        alive, fixed, fixed_cost = _apply_reductions(adj, paths, is_term, len(terminals))
    else:
        alive, fixed, fixed_cost = [True] * n, [], 0.0
    return _renumbered(adj, paths, is_term, alive, fixed, fixed_cost)
