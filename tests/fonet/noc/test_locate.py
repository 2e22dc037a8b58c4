"""Cut localisation on the hand-built plan (drawing in tests/fonet/noc/__init__.py)."""

from __future__ import annotations

import pytest

from fonet.noc.locate import locate
from fonet.noc.topology import load_topology
from fonet.store import reader

from . import LINKS, mini_store


@pytest.fixture
def mini(tmp_path):
    engine, m = mini_store(tmp_path)
    with reader(engine) as s:
        topo = load_topology(s)
    yield topo, m
    engine.dispose()


def observe(topo, m, down_labels):
    down = {topo.link_by_name[m.link(label)] for label in down_labels}
    up = {topo.link_by_name[m.link(label)] for label in LINKS} - down
    return down, up


def spans_of(m, place):
    by_id = {v: k for k, v in m.spans.items()}
    return {by_id[s] for s in place["spans"]}


def test_two_access_links_down_point_at_their_shared_span(mini):
    topo, m = mini
    result = locate(topo, *observe(topo, m, ["AC:V1", "AC:V2"]))
    top = result["candidates"][0]
    assert spans_of(m, top) == {"s4"} and top["kind"] == "section"
    assert top["explains_every_down_link"] and top["contradicted_by"] == []
    assert top["explains"] == sorted([m.link("AC:V1"), m.link("AC:V2")])
    # the spans of one village explain it alone: ranked below
    assert {frozenset(spans_of(m, c)) for c in result["candidates"][1:]} == {
        frozenset({"s5"}), frozenset({"s6"})}
    hyp = result["hypotheses"][0]
    assert hyp["cuts"] == 1 and spans_of(m, hyp["places"][0]) == {"s4"}
    assert result["unexplained"] == []


def test_a_working_neighbour_clears_the_shared_span(mini):
    topo, m = mini
    result = locate(topo, *observe(topo, m, ["AC:V1"]))
    top = result["candidates"][0]
    assert spans_of(m, top) == {"s5"} and top["contradicted_by"] == []
    s4 = next(c for c in result["candidates"] if spans_of(m, c) == {"s4"})
    assert s4["contradicted_by"] == [m.link("AC:V2")]
    assert result["candidates"].index(s4) > 0


def test_both_hops_of_a_hub_down_point_at_its_trench(mini):
    topo, m = mini
    result = locate(topo, *observe(topo, m, ["BB0:H1>H2", "BB0:H2>POP"]))
    top = result["candidates"][0]
    assert top["kind"] == "trench" and top["route_edges"] == [m.edges["r8"]]
    assert spans_of(m, top) == {"s8a", "s8b"} and top["explains_every_down_link"]
    assert result["hypotheses"][0]["cuts"] == 1


def test_two_separate_cuts_need_two_places(mini):
    topo, m = mini
    result = locate(topo, *observe(topo, m, ["AC:V1", "AC:V3"]))
    assert not result["candidates"][0]["explains_every_down_link"]
    hyp = result["hypotheses"][0]
    assert hyp["cuts"] == 2
    assert {frozenset(spans_of(m, p)) for p in hyp["places"]} == {
        frozenset({"s5"}), frozenset({"s7"})}


def test_a_working_cable_in_the_trench_clears_the_trench(mini):
    topo, m = mini
    result = locate(topo, *observe(topo, m, ["BB0:H1>H2"]))
    clean = [c for c in result["candidates"] if not c["contradicted_by"]]
    assert [spans_of(m, c) for c in clean] == [{"s2", "s8a"}]
    trench = next(c for c in result["candidates"] if c["kind"] == "trench")
    assert trench["contradicted_by"] == [m.link("BB0:H2>POP")]
    assert result["candidates"][0] == {**clean[0], "rank": 1}


def test_down_link_whose_spans_all_carry_light_is_not_a_cut(tmp_path):
    from fonet.store import transaction
    from fonet.store.models import Link, LinkSpan

    engine, m = mini_store(tmp_path)
    with transaction(engine) as s:  # a second circuit on the same fibres as AC:V1
        twin = Link(name=m.link("AC:V1-twin"), plan_id=m.plan_id, a_site_id=m.sites["H1"],
                    z_site_id=m.sites["V1"])
        s.add(twin)
        s.flush()
        s.add_all([LinkSpan(link_id=twin.id, seq=0, span_id=m.spans["s4"]),
                   LinkSpan(link_id=twin.id, seq=1, span_id=m.spans["s5"])])
    with reader(engine) as s:
        topo = load_topology(s)
    engine.dispose()
    down = {topo.link_by_name[m.link("AC:V1")]}
    result = locate(topo, down, set(topo.link_by_name.values()) - down)
    assert result["unexplained"] == [m.link("AC:V1")]
    assert result["hypotheses"] == []
    assert all(c["contradicted_by"] for c in result["candidates"])


def test_unobserved_links_do_not_split_or_contradict(mini):
    topo, m = mini
    down = {topo.link_by_name[m.link("AC:V1")]}
    result = locate(topo, down, set())
    top = result["candidates"][0]
    assert spans_of(m, top) == {"s4", "s5"}
    assert top["also_cuts_unobserved"] == [m.link("AC:V2")]
    assert result["unobserved_links"] == len(LINKS) - 1
