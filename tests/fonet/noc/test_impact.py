"""Impact of failures on the hand-built plan (drawing in tests/fonet/noc/__init__.py)."""

from __future__ import annotations

import pytest

from fonet.devices import add_device
from fonet.errors import NotFoundError
from fonet.noc.impact import what_if
from fonet.noc.topology import load_topology
from fonet.store import reader, transaction

from . import LINKS, mini_store

ALL = {"H1", "H2", "V1", "V2", "V3"}


@pytest.fixture
def mini(tmp_path):
    engine, m = mini_store(tmp_path)
    with transaction(engine) as s:
        add_device(s, "dev-H1", "127.0.0.1", site_code="H1", community="public")
    with reader(engine) as s:
        topo = load_topology(s)
    yield topo, m
    engine.dispose()


def codes(block):
    return {row["code"] for row in block["sites"]}


def test_intact_plan_single_points(mini):
    topo, m = mini
    points = {e: m.codes(sites) for e, sites in topo.single_points(set()).items()}
    # the ring protects the hubs except H2's single-entry trench r8
    assert points == {m.edges["r8"]: {"H2", "V3"}, m.edges["r7"]: {"V3"},
                      m.edges["r4"]: {"V1", "V2"}, m.edges["r5"]: {"V1"},
                      m.edges["r6"]: {"V2"}}


@pytest.mark.parametrize(
    ("spans", "cut", "unprotected"),
    [
        (["s1"], set(), ALL),             # ring broken next to the POP: nobody isolated
        (["s8a"], set(), ALL),            # one cable of H2's trench: still a ring
        (["s4"], {"V1", "V2"}, set()),    # shared access span
        (["s5"], {"V1"}, set()),
        (["s7"], {"V3"}, set()),
        (["s1", "s3"], {"H1", "H2", "V1", "V2", "V3"}, set()),  # both ways out of the POP
        (["s1", "s2"], {"H1", "V1", "V2"}, {"H2", "V3"}),
    ],
)
def test_span_cuts(mini, spans, cut, unprotected):
    topo, m = mini
    result = what_if(topo, spans=[m.spans[s] for s in spans])
    assert codes(result["cut_off"]) == cut
    assert result["cut_off"]["count"] == len(cut)
    assert codes(result["without_redundancy"]) == unprotected
    riders = {m.link(label) for label, (_, _, sp) in LINKS.items() if set(sp) & set(spans)}
    assert {row["name"] for row in result["failed"]["links"]} == riders


def test_ring_cut_names_new_single_points_physically(mini):
    topo, m = mini
    result = what_if(topo, spans=[m.spans["s1"]])
    points = {p["route_edge_id"]: p for p in result["without_redundancy"]["new_single_points"]}
    assert {m.edges["r2"], m.edges["r3"]} <= set(points)
    assert points[m.edges["r3"]]["links"] == [m.link("BB0:H2>POP")]
    assert points[m.edges["r3"]]["spans"] == [m.spans["s3"]]
    h1 = next(r for r in result["without_redundancy"]["sites"] if r["code"] == "H1")
    assert m.edges["r2"] in h1["single_points"] and m.edges["r1"] not in h1["single_points"]
    assert result["failed"]["spans"][0]["route_edge_id"] == m.edges["r1"]
    by_kec = result["without_redundancy"]["by_kecamatan"]
    assert by_kec["K1"]["kecamatan"] == "Kecamatan Satu"
    assert by_kec["K1"]["by_kind"] == {"kecamatan_office": 1, "village_office": 2}


def test_trench_cut_takes_every_cable_in_it(mini):
    topo, m = mini
    result = what_if(topo, route_edges=[m.edges["r8"]])
    assert codes(result["cut_off"]) == {"H2", "V3"}
    assert codes(result["without_redundancy"]) == {"H1", "V1", "V2"}
    assert {s["span_id"] for s in result["failed"]["spans"]} == {m.spans["s8a"], m.spans["s8b"]}


def test_failed_hub_device_cuts_off_its_site_and_what_hangs_on_it(mini):
    topo, m = mini
    result = what_if(topo, devices=["dev-H1"])
    assert codes(result["failed"]) == {"H1"}
    assert codes(result["cut_off"]) == {"H1", "V1", "V2"}
    assert codes(result["without_redundancy"]) == {"H2", "V3"}


def test_link_failure_equals_its_span(mini):
    topo, m = mini
    by_link = what_if(topo, links=[m.link("BB0:POP>H1")])
    by_span = what_if(topo, spans=[m.spans["s1"]])
    assert by_link["cut_off"] == by_span["cut_off"]
    assert by_link["without_redundancy"]["sites"] == by_span["without_redundancy"]["sites"]


def test_unknown_failures_are_named(mini):
    topo, m = mini
    with pytest.raises(NotFoundError, match="no span 999"):
        what_if(topo, spans=[999])
    with pytest.raises(NotFoundError, match="no link 'P9:AC:V1'"):
        what_if(topo, links=["P9:AC:V1"])
    with pytest.raises(NotFoundError, match="no device named 'nope'"):
        what_if(topo, devices=["nope"])
