"""Budgeted prize-collecting Steiner: the greedy choice against the exact optimum."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from fonet.planning.extension import Candidate, select_exact, select_greedy

STATED_GAP = 0.20
"""Most the greedy choice may fall short of the optimum's priority on these instances
(``benchmarks/extension.py`` measures it on more)."""


def instance(seed: int, side: int = 5, n_targets: int = 8
             ) -> tuple[nx.Graph, list[Candidate], float]:
    """A grid of random edge costs, random targets with priorities 1-3 and fixed costs."""
    rnd = random.Random(seed)
    g = nx.convert_node_labels_to_integers(nx.grid_2d_graph(side, side))
    for _, _, d in g.edges(data=True):
        d["cost"] = rnd.uniform(1, 10)
    nodes = rnd.sample(range(1, side * side), n_targets)
    cands = [Candidate(n, "hub", n, rnd.choice([1, 1, 2, 3]), rnd.uniform(0, 3)) for n in nodes]
    return g, cands, 25.0


def tree_cost(g: nx.Graph, edges: set, cands: list[Candidate], chosen: list) -> float:
    return (sum(g.edges[u, v]["cost"] for u, v in edges)
            + sum(c.fixed_cost for c in cands if c.key in set(chosen)))


@pytest.mark.parametrize("seed", [0, 3, 7, 11])
def test_greedy_within_stated_gap_of_exact(seed: int) -> None:
    g, cands, budget = instance(seed)
    greedy = select_greedy(g, {"hub": [0]}, cands, budget)
    exact = select_exact(g, [0], cands, budget, time_limit_s=60)
    assert exact.optimal
    assert greedy.cost <= budget + 1e-9 and exact.cost <= budget + 1e-9
    # the greedy tree really connects what it chose, at the cost it reports
    t = nx.Graph(list(greedy.edges["hub"]))
    t.add_node(0)
    assert nx.is_tree(t) and all(k in t for k in greedy.chosen)
    assert tree_cost(g, greedy.edges["hub"], cands, greedy.chosen) == pytest.approx(greedy.cost)
    assert greedy.prize <= exact.prize + 1e-9
    assert greedy.prize >= (1 - STATED_GAP) * exact.prize
    # the exact tree is a tree from the root through every chosen target
    used = nx.Graph([e for e in exact.edges[None]])
    used.add_node(0)
    assert all(k in used and nx.has_path(used, 0, k) for k in exact.chosen)


def test_marginal_cost_of_the_rest() -> None:
    g, cands, _ = instance(5)
    choice = select_greedy(g, {"hub": [0]}, cands, 10.0)
    left = [c for c in cands if c.key not in choice.chosen]
    assert set(choice.marginal) == {c.key for c in left}
    for c in left:
        d = nx.multi_source_dijkstra_path_length(
            g, {0, *(n for e in choice.edges["hub"] for n in e)}, weight="cost")[c.node]
        assert choice.marginal[c.key] == pytest.approx(d + c.fixed_cost)


def test_exact_refuses_large_instances() -> None:
    g = nx.grid_2d_graph(40, 40)
    for _, _, d in g.edges(data=True):
        d["cost"] = 1.0
    with pytest.raises(ValueError, match="arcs"):
        select_exact(g, [(0, 0)], [Candidate(1, "h", (5, 5), 1.0)], 10.0)
