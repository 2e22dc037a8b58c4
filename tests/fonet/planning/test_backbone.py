"""Rings, diverse routes and engineering rules on small graphs drawn in ASCII."""

from __future__ import annotations

import networkx as nx
import pytest

from fonet.errors import InputError
from fonet.planning.engineering import PlannedSpan, assign_phases, check_loss
from fonet.planning.hubs import PlanSiteRef
from fonet.planning.profile import load_profile
from fonet.planning.rings import backbone_bridges, build_ring, petals
from fonet.planning.routing import diverse_routes


def graph(edges: list[tuple[int, int, float]], coords: dict[int, tuple[float, float]]) -> nx.Graph:
    g = nx.Graph()
    for n, (x, y) in coords.items():
        g.add_node(n, lon=112.4 + x / 100, lat=-7.5 + y / 100, kind="road")
    for i, (u, v, w) in enumerate(edges):
        g.add_edge(u, v, cost=w, length_m=w, edge_id=i)
    return g


def ref(n: int) -> PlanSiteRef:
    return PlanSiteRef(n, f"S{n}", f"site {n}", "village_office", "k", n, n)


def test_ring_uses_every_edge_once() -> None:
    """A square with a diagonal; the ring P-A-B-P must go round, not back along the diagonal.

        P ---1--- A
        |  \\      |
        1    1    1
        |      \\  |
        C ---1--- B
    """
    g = graph([(0, 1, 1), (1, 2, 1), (2, 3, 1), (3, 0, 1), (0, 2, 1)],
              {0: (0, 1), 1: (1, 1), 2: (1, 0), 3: (0, 0)})
    ring = build_ring(g, [ref(0), ref(1), ref(2)])
    edges = [frozenset(e) for e in ring.edges()]
    assert len(edges) == len(set(edges))
    assert backbone_bridges(g, [ring]) == []


def test_bridge_is_reported() -> None:
    """Hub H hangs off the ring by one edge: that edge is a single point of failure.

        P ---1--- A
        |         |
        1         1
        |         |
        C ---1--- B ---5--- H
    """
    g = graph([(0, 1, 1), (1, 2, 1), (2, 3, 1), (3, 0, 1), (2, 4, 5)],
              {0: (0, 1), 1: (1, 1), 2: (1, 0), 3: (0, 0), 4: (2, 0)})
    ring = build_ring(g, [ref(0), ref(1), ref(4)])
    assert backbone_bridges(g, [ring]) == [(2, 4)]


def test_petals_split_by_bearing() -> None:
    coords = {0: (0, 0), 1: (1, 0.1), 2: (1, -0.1), 3: (-1, 0.1), 4: (-1, -0.1)}
    g = graph([], coords)
    groups = petals(g, ref(0), [ref(i) for i in (1, 2, 3, 4)], max_per_ring=2)
    assert sorted(sorted(h.site_id for h in grp) for grp in groups) == [[1, 2], [3, 4]]


def test_diverse_routes_beat_greedy() -> None:
    """The trap: the cheapest route S-a-b-T blocks every second route, the best pair does not.

        S ---1--- a ---1--- T
        |         |         |
        3         1         3
        |         |         |
        c ---1--- b ---1--- d
    Greedy: S-a-b-T (3), then nothing edge-disjoint without a-b... the optimal pair is
    S-a-T (2) and S-c-b-d-T (8): total 10.
    """
    g = graph([(0, 1, 1), (1, 2, 1), (0, 3, 3), (1, 4, 1), (3, 4, 1), (4, 5, 1), (2, 5, 3)],
              {0: (0, 1), 1: (1, 1), 2: (2, 1), 3: (0, 0), 4: (1, 0), 5: (2, 0)})
    routes = diverse_routes(g, 0, 2, k=2)
    assert len(routes) == 2
    assert sorted(r.cost_idr for r in routes) == [2, 8]
    assert not set(routes[0].edge_ids) & set(routes[1].edge_ids)
    assert diverse_routes(g, 0, 2, k=5)[-1].nodes[-1] == 2  # only 2 exist: clamped
    with pytest.raises(InputError):
        diverse_routes(g, 0, 0, k=1)


def test_cable_sizes_and_loss() -> None:
    p = load_profile()
    assert p.cable_size(2) == (12, 1)  # 2 cores + 50% spare -> 12
    assert p.cable_size(20) == (48, 1)  # 30 -> 48
    assert p.cable_size(200) == (144, 3)
    chk = check_loss(10_000, 2, p, "1000BASE-LX10")
    # 10 km x 0.35 + (2 drum joints + 2 closures) x 0.1 + 2 x 0.5 = 4.9 dB at 1310 nm
    assert chk.loss_1310_db == pytest.approx(4.9)
    assert chk.loss_1550_db == pytest.approx(3.9)
    assert not chk.over_budget  # 4.9 + 3 margin <= 10
    far = check_loss(25_000, 0, p, "1000BASE-LX10")
    assert far.over_budget and far.fits == "1000BASE-EX"


def test_phases_offices_first() -> None:
    spans = [PlannedSpan(0, 1, 0, 10, "aerial", "backbone", 4),
             PlannedSpan(1, 2, 1, 10, "aerial", "access", 2, site_ids=[10, 11]),
             PlannedSpan(2, 3, 2, 10, "aerial", "access", 2, kecamatan_code="A", site_ids=[11]),
             PlannedSpan(4, 5, 3, 10, "aerial", "access", 2, kecamatan_code="B", site_ids=[12]),
             ]
    for s, c in zip(spans, (0, 0, 100, 10), strict=True):
        s.cost_idr = c
    kinds = {10: "village_office", 11: "school", 12: "school"}
    phases = assign_phases(spans, kinds, {10: "A", 11: "A", 12: "B"}, phase_count=2)
    assert [s.phase for s in spans] == [1, 1, 3, 2]  # B's school is cheaper per site
    assert phases == {10: 1, 11: 3, 12: 2}
