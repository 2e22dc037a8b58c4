"""Steiner trees in weighted graphs: the engine that routes fibre to a set of sites.

:func:`steiner_tree` returns a cheap tree of a graph spanning a set of terminal nodes.
The engine reduces the graph (:mod:`fonet.planning.steiner_reduce`), builds trees with
Mehlhorn's Voronoi-MST heuristic and the shortest-path heuristic on perturbed weights,
improves each by local search (key-path exchange, key-vertex elimination, Steiner-node
insertion) and keeps the best (:mod:`fonet.planning.steiner_search`). With ``exact=True``
small instances are solved to optimality by a mixed-integer program
(:mod:`fonet.planning.steiner_exact`).

By default the search stops after a work budget (counted in search steps, so results are
reproducible) that grows with the size of the instance, or earlier once restarts stop
improving; ``time_limit_s`` gives the search that much wall-clock time instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import networkx as nx

from fonet.errors import FonetError
from fonet.planning.steiner_construct import Budget
from fonet.planning.steiner_reduce import ReducedGraph, reduce_graph
from fonet.planning.steiner_search import search

WeightSpec = str | Callable[[Any, Any, dict], float | None]


class TerminalsUnreachableError(FonetError, ValueError):
    """Raised when the terminals do not all lie in one connected component (exit code 1).

    Attributes
    ----------
    unreachable : list
        Terminals outside the component that holds the most terminals (ties go to the
        component of the earliest terminal); terminals that are not nodes of the graph
        are listed too.
    """

    def __init__(self, unreachable: list[Hashable], reachable_count: int) -> None:
        self.unreachable = list(unreachable)
        shown = ", ".join(repr(t) for t in self.unreachable[:10])
        more = "" if len(self.unreachable) <= 10 else f" and {len(self.unreachable) - 10} more"
        super().__init__(
            f"{len(self.unreachable)} terminal(s) cannot be reached from the component "
            f"holding the other {reachable_count}: {shown}{more}"
        )


#: Default work budget in elementary search steps: per node and edge, per terminal and
#: square root of the number of nodes, floor.
STEPS_PER_ELEMENT = 25.0
STEPS_PER_TERMINAL_ROOT_NODE = 25.0
#: Terminals beyond this many add no budget: each start of the search already costs one
#: shortest-path search per terminal, so more terminals mean fewer starts, not more time.
BUDGET_TERMINAL_CAP = 50
MIN_STEPS = 750.0
#: Wall-clock safety net of the default mode, in seconds: per node and edge, per
#: terminal, floor.
SECONDS_PER_ELEMENT = 5e-4
SECONDS_PER_TERMINAL = 2e-3
MIN_SECONDS = 0.05
#: Solver time limit of the exact mode when the caller gives none.
EXACT_TIME_LIMIT_S = 600.0


def default_budget(n_nodes: int, n_edges: int, n_terminals: int, start: float) -> Budget:
    """Return the default work budget for an instance of the given size.

    The budget counts search steps, so that the default mode is reproducible; a
    wall-clock deadline only guards against slow machines. Both grow linearly with the
    number of nodes and edges and with the number of terminals (the steps per terminal
    with the square root of the number of nodes), roughly like the running time of
    networkx's Mehlhorn heuristic, which runs one shortest-path search per terminal.

    Parameters
    ----------
    n_nodes, n_edges, n_terminals : int
        Size of the instance.
    start : float
        ``time.perf_counter()`` value at the start of the computation.

    Returns
    -------
    Budget
        The budget.
    """
    size = n_nodes + n_edges
    seconds = MIN_SECONDS + SECONDS_PER_ELEMENT * size + SECONDS_PER_TERMINAL * n_terminals
    steps = (
        MIN_STEPS
        + STEPS_PER_ELEMENT * size
        + STEPS_PER_TERMINAL_ROOT_NODE * n_nodes**0.5 * min(n_terminals, BUDGET_TERMINAL_CAP)
    )
    return Budget(start + seconds, max_steps=steps)


def _weight_function(G: nx.Graph, weight: WeightSpec) -> Callable[[Any, Any, dict], Any]:
    if callable(weight):
        return weight
    if G.is_multigraph():
        return lambda u, v, d: min(attr.get(weight, 1) for attr in d.values())
    return lambda u, v, d: d.get(weight, 1)


def _edge_data(G: nx.Graph, u: Hashable, v: Hashable, weight: WeightSpec) -> dict:
    """Return the attribute dict of the edge used between ``u`` and ``v``."""
    data = G[u][v]
    if not G.is_multigraph():
        return dict(data)
    if callable(weight):
        def cost(k: Any) -> float:  # a None weight hides the edge: never the one used
            w = weight(u, v, {k: data[k]})
            return math.inf if w is None else w

        key = min(data, key=cost)
    else:
        key = min(data, key=lambda k: data[k].get(weight, 1))
    return dict(data[key])


def _components(
    G: nx.Graph, present: list[Hashable], wfn: Callable[[Any, Any, dict], Any]
) -> tuple[dict[Hashable, int], int]:
    """Label the connected component of every present terminal.

    Parameters
    ----------
    G : networkx.Graph
        The input graph.
    present : list of hashable
        Terminals that are nodes of ``G``, in input order.
    wfn : callable
        Weight function; an edge whose weight is ``None`` is not followed.

    Returns
    -------
    comp_of : dict
        Component number of every node reached from a terminal (numbered in the order
        of the terminals that first reach them).
    n_comp : int
        Number of components found.
    """
    comp_of: dict[Hashable, int] = {}
    n_comp = 0
    for t in present:
        if t in comp_of:
            continue
        comp_of[t] = n_comp
        stack = [t]
        while stack:
            u = stack.pop()
            for v, d in G.adj[u].items():
                w = wfn(u, v, d)
                if w is None:
                    continue
                if v not in comp_of:
                    comp_of[v] = n_comp
                    stack.append(v)
        n_comp += 1
    return comp_of, n_comp


def _index_component(
    G: nx.Graph,
    comp_of: dict[Hashable, int],
    best: int,
    wfn: Callable[[Any, Any, dict], Any],
) -> tuple[list[Hashable], dict[Hashable, int], list[tuple[int, int, float]]]:
    """Give the nodes of one component integer ids and list its usable edges.

    Parameters
    ----------
    G : networkx.Graph
        The input graph.
    comp_of : dict
        Component number by node, from :func:`_components`.
    best : int
        The component to index.
    wfn : callable
        Weight function; an edge whose weight is ``None`` is left out.

    Returns
    -------
    labels : list of hashable
        Node of ``G`` by integer id.
    index : dict
        Integer id by node of ``G``.
    edges : list of (int, int, float)
        Edges ``(u, v, weight)`` with ``u <= v`` in integer ids.

    Raises
    ------
    ValueError
        If an edge has a negative or NaN weight.
    """
    index: dict[Hashable, int] = {}
    labels: list[Hashable] = []
    edges: list[tuple[int, int, float]] = []
    for node, c in comp_of.items():
        if c == best:
            index[node] = len(labels)
            labels.append(node)
    for u in labels:
        iu = index[u]
        for v, d in G.adj[u].items():
            iv = index.get(v)
            if iv is None or iv < iu:
                continue
            w = wfn(u, v, d)
            if w is None:
                continue
            w = float(w)
            if w < 0 or w != w:
                raise ValueError(f"edge ({u!r}, {v!r}) has invalid weight {w}")
            edges.append((iu, iv, w))
    return labels, index, edges


def _solve_reduced(
    g: ReducedGraph,
    n_nodes: int,
    n_edges: int,
    n_terminals: int,
    time_limit_s: float | None,
    exact: bool,
    seed: int,
    t0: float,
    max_idle: int = 6,
) -> tuple[list[tuple[int, int]], bool]:
    """Search a tree of the reduced graph, then solve it exactly if asked.

    Parameters
    ----------
    g : ReducedGraph
        The reduced instance.
    n_nodes, n_edges, n_terminals : int
        Size of the unreduced instance (sets the default budget).
    time_limit_s : float or None
        Search time, or the exact solver's limit with ``exact``.
    exact : bool
        Whether to run the exact solver after the search.
    seed : int
        Seed of the search.
    t0 : float
        ``time.perf_counter()`` value at the start of the computation.
    max_idle : int
        Default mode: stop after this many restarts in a row that found no better tree.

    Returns
    -------
    edges : list of (int, int)
        Edges of the tree in reduced node ids.
    proven : bool
        Whether the exact solver proved the tree optimal (always false without ``exact``).
    """
    if time_limit_s is None or exact:
        budget = default_budget(n_nodes, n_edges, n_terminals, t0)
        tree = search(g, budget=budget, seed=seed, max_idle=max_idle)
    else:
        tree = search(g, budget=Budget(t0 + time_limit_s), seed=seed, max_idle=None)
    red_edges = [(u, v) for u, nb in tree.items() for v in nb if u < v]
    proven = False
    if exact:
        from fonet.planning.steiner_exact import solve_exact

        limit = time_limit_s if time_limit_s is not None else EXACT_TIME_LIMIT_S
        remaining_s = max(0.1, limit - (time.perf_counter() - t0))
        red_edges, proven = solve_exact(g, red_edges, time_limit_s=remaining_s)
    return red_edges, proven


def _tree_graph(
    G: nx.Graph,
    g: ReducedGraph,
    red_edges: list[tuple[int, int]],
    labels: list[Hashable],
    edges: list[tuple[int, int, float]],
    terminals: list[Hashable],
    weight: WeightSpec,
) -> tuple[nx.Graph, float]:
    """Expand a tree of the reduced graph into a subgraph of ``G``.

    Parameters
    ----------
    G : networkx.Graph
        The input graph (its node and edge attributes are copied).
    g : ReducedGraph
        The reduced instance the tree belongs to.
    red_edges : list of (int, int)
        Edges of the tree in reduced node ids.
    labels : list of hashable
        Node of ``G`` by integer id.
    edges : list of (int, int, float)
        Edges of the integer copy, by original edge id.
    terminals : list of hashable
        Terminals of the tree (added even when the tree has no edge).
    weight : str or callable
        Weight specification (picks the edge among parallel ones).

    Returns
    -------
    tree : networkx.Graph
        The tree.
    cost : float
        Its total weight.
    """
    out: nx.Graph[Hashable] = nx.Graph()
    out.add_nodes_from((t, G.nodes[t]) for t in terminals)
    cost = 0.0
    for eid in g.expand(red_edges):
        iu, iv, w = edges[eid]
        u, v = labels[iu], labels[iv]
        cost += w
        for x in (u, v):
            if x not in out:
                out.add_node(x, **G.nodes[x])
        out.add_edge(u, v, **_edge_data(G, u, v, weight))
    return out, cost


def _plan(
    G: nx.Graph,
    terminals: Iterable[Hashable],
    weight: WeightSpec,
    time_limit_s: float | None,
    exact: bool,
    seed: int,
    max_idle: int = 6,
) -> tuple[nx.Graph, list[Hashable], float]:
    """Plan the tree over the largest terminal group; return (tree, unreachable, cost)."""
    t0 = time.perf_counter()
    if G.is_directed():
        raise nx.NetworkXNotImplemented("steiner_tree is defined for undirected graphs")
    terms = list(dict.fromkeys(terminals))
    missing = [t for t in terms if t not in G]
    present = [t for t in terms if t in G]
    if not present:
        return nx.Graph(), missing, 0.0
    wfn = _weight_function(G, weight)
    comp_of, n_comp = _components(G, present, wfn)
    counts = [0] * n_comp
    for t in present:
        counts[comp_of[t]] += 1
    best = max(range(n_comp), key=lambda c: (counts[c], -c))
    unreachable = [t for t in terms if t not in comp_of or comp_of[t] != best]
    labels, index, edges = _index_component(G, comp_of, best, wfn)
    group = [index[t] for t in present if comp_of[t] == best]
    g = reduce_graph(len(labels), edges, group)
    red_edges, proven = _solve_reduced(
        g, len(labels), len(edges), len(group), time_limit_s, exact, seed, t0, max_idle
    )
    out, cost = _tree_graph(G, g, red_edges, labels, edges, [labels[i] for i in group], weight)
    if exact:
        out.graph["optimal"] = proven
    return out, unreachable, cost


def steiner_tree(
    G: nx.Graph,
    terminals: Iterable[Hashable],
    *,
    weight: str | Callable = "weight",
    time_limit_s: float | None = None,
    exact: bool = False,
    seed: int = 0,
    max_idle: int = 6,
) -> nx.Graph:
    """Return a cheap tree of ``G`` that connects all ``terminals``.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph (a ``MultiGraph`` uses the cheapest of parallel edges).
    terminals : iterable of hashable
        Nodes to connect. Duplicates are ignored.
    weight : str or callable, optional
        Edge attribute holding the weight (missing means 1), or a function
        ``(u, v, data) -> float`` as in networkx; an edge whose weight is ``None`` is not
        used. Weights must be non-negative.
    time_limit_s : float, optional
        Search time in seconds. By default a work budget that grows with the size of the
        instance is used and the search stops early once restarts stop improving; with a
        limit the search uses all of it. With ``exact=True`` it bounds the solver
        instead (the heuristic start then uses the default budget).
    exact : bool, optional
        Solve to optimality with a mixed-integer program (HiGHS). Meant for small
        instances; a large one, or one the solver cannot finish in time, yields the best
        tree found.
    seed : int, optional
        Seed of the randomised parts. The default mode is deterministic for a given
        seed (its wall-clock safety net only triggers on a very slow or overloaded
        machine); with ``time_limit_s`` the result depends on how far the search gets.
    max_idle : int, optional
        Default mode: stop after this many restarts in a row that found no better tree.

    Returns
    -------
    networkx.Graph
        A tree, subgraph of ``G`` (edges and nodes carry ``G``'s attributes), containing
        every terminal. Its ``graph["cost"]`` holds the total weight; with ``exact=True``
        ``graph["optimal"]`` tells whether the solver proved the tree optimal.

    Raises
    ------
    TerminalsUnreachableError
        If some terminals are not connected to the others (or are not in ``G``).
    """
    terms = list(dict.fromkeys(terminals))
    tree, unreachable, cost = _plan(G, terms, weight, time_limit_s, exact, seed, max_idle)
    if unreachable:
        raise TerminalsUnreachableError(unreachable, len(terms) - len(unreachable))
    tree.graph["cost"] = cost
    return tree


def steiner_tree_reachable(
    G: nx.Graph,
    terminals: Iterable[Hashable],
    *,
    weight: str | Callable = "weight",
    time_limit_s: float | None = None,
    exact: bool = False,
    seed: int = 0,
) -> tuple[nx.Graph, list[Hashable]]:
    """Plan the tree for the terminals that can be connected and name the others.

    The tree connects the largest group of mutually reachable terminals (ties go to the
    group of the earliest terminal); the parameters are those of :func:`steiner_tree`.

    Returns
    -------
    tree : networkx.Graph
        Tree over the reachable terminals (empty when no terminal is in ``G``).
    unreachable : list
        Terminals left out, in input order.
    """
    tree, unreachable, cost = _plan(G, terminals, weight, time_limit_s, exact, seed)
    tree.graph["cost"] = cost
    return tree, unreachable
