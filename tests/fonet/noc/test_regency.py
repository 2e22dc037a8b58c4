"""What-if failures and cut localisation on a plan of the whole regency.

Expectations are worked out here independently, with networkx over the stored links, the
plan's rings and its per-site hubs.
"""

from __future__ import annotations

import shutil
from collections import defaultdict

import networkx as nx
import pytest
from sqlalchemy import select

from fonet.noc.impact import what_if
from fonet.noc.locate import locate
from fonet.noc.topology import load_topology
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import make_engine, reader, transaction
from fonet.store.models import Link, LinkSpan, PlanSite, Site


@pytest.fixture(scope="module")
def regency(regency_db_file, tmp_path_factory):
    dst = tmp_path_factory.mktemp("noc-regency") / "fonet.db"
    shutil.copy(regency_db_file, dst)
    engine = make_engine(f"sqlite:///{dst}")
    with transaction(engine) as s:
        plan = run_plan(s, load_profile()).to_json()
    pid = plan["plan_id"]
    with reader(engine) as s:
        topo = load_topology(s, pid)
        links = {link.id: (link.name, link.a_site_id, link.z_site_id)
                 for link in s.scalars(select(Link).where(Link.plan_id == pid))}
        riders = defaultdict(set)
        for link_id, span_id in s.execute(select(LinkSpan.link_id, LinkSpan.span_id)):
            if link_id in links:
                riders[span_id].add(link_id)
        hub_of = dict(s.execute(select(PlanSite.site_id, PlanSite.hub_site_id)
                                .where(PlanSite.plan_id == pid)).all())
        code = dict(s.execute(select(Site.code, Site.id)).all())
    engine.dispose()
    g = nx.MultiGraph()
    g.add_nodes_from(hub_of)
    for lid, (_, a, z) in links.items():
        g.add_edge(a, z, key=lid)
    pop = code[plan["pop"]["code"]]
    for hub in plan["hubs"]:
        if hub["at_pop"]:
            g.add_edge(pop, code[hub["site"]], key="local")
    yield {"plan": plan, "topo": topo, "g": g, "riders": riders, "hub_of": hub_of,
           "links": links, "pop": pop, "code": code}


def cut_off(r, failed_links):
    h = r["g"].copy()
    h.remove_edges_from([(a, z, lid) for lid, (_, a, z) in r["links"].items()
                         if lid in failed_links])
    return set(h) - nx.node_connected_component(h, r["pop"])


def lam(g, u, v):
    simple = nx.Graph()
    for a, b in g.edges():
        if simple.has_edge(a, b):
            simple[a][b]["capacity"] += 1
        else:
            simple.add_edge(a, b, capacity=1)
    return nx.maximum_flow_value(simple, u, v) if u in simple and v in simple else 0


def ids(result, block):
    return {row["code"] for row in result[block]["sites"]}


def test_one_backbone_span_isolates_nobody_and_names_the_unprotected(regency):
    plan, topo, code = regency["plan"], regency["topo"], regency["code"]
    assert plan["backbone_two_edge_connected"]
    for ring in plan["rings"]:
        members = ring["members"]
        hop = topo.link_by_name[f"P{plan['plan_id']}:BB{ring['ring']}:"
                                f"{members[len(members) // 2]}>"
                                f"{members[len(members) // 2 + 1]}"]
        spans = topo.links[hop].span_ids
        span = spans[len(spans) // 2]
        result = what_if(topo, spans=[span])
        assert {x["name"] for x in result["failed"]["links"]} == {
            regency["links"][i][0] for i in regency["riders"][span]}
        assert cut_off(regency, regency["riders"][span]) == set()
        assert result["cut_off"]["count"] == 0
        hubs = {code[c] for c in members[1:]}
        behind = {sid for sid, hub in regency["hub_of"].items() if hub in hubs}
        by_code = {v: k for k, v in code.items()}
        assert ids(result, "without_redundancy") == {by_code[i] for i in hubs | behind}
        # the ring's hubs go from two edge-disjoint paths to the POP down to one
        h = regency["g"].copy()
        for a, z, key in list(h.edges(keys=True)):
            if key in regency["riders"][span]:
                h.remove_edge(a, z, key)
        for hub in hubs:
            assert lam(regency["g"], hub, regency["pop"]) >= 2
            assert lam(h, hub, regency["pop"]) == 1


def test_both_hops_of_a_hub_isolate_it_with_its_villages(regency):
    plan, topo, code = regency["plan"], regency["topo"], regency["code"]
    members = plan["rings"][0]["members"]
    hub = members[2]
    into = topo.link_by_name[f"P{plan['plan_id']}:BB0:{members[1]}>{hub}"]
    out = topo.link_by_name[f"P{plan['plan_id']}:BB0:{hub}>{members[3]}"]
    spans = [topo.links[into].span_ids[0], topo.links[out].span_ids[-1]]
    result = what_if(topo, spans=spans)
    failed = set().union(*(regency["riders"][s] for s in spans))
    expected = cut_off(regency, failed)
    assert expected == {code[hub]} | {s for s, h in regency["hub_of"].items() if h == code[hub]}
    by_code = {v: k for k, v in code.items()}
    assert ids(result, "cut_off") == {by_code[i] for i in expected}
    kinds = result["cut_off"]["by_kind"]
    assert sum(kinds.values()) == len(expected) and kinds["village_office"] >= 1


def test_access_span_isolates_exactly_the_sites_riding_it(regency):
    topo = regency["topo"]
    access = [sp for sp, s in topo.spans.items() if s.role == "access"]
    span = max(access, key=lambda sp: (len(regency["riders"][sp]), -sp))
    riding = regency["riders"][span]
    assert len(riding) >= 3
    result = what_if(topo, spans=[span])
    by_code = {v: k for k, v in regency["code"].items()}
    assert ids(result, "cut_off") == {by_code[regency["links"][i][2]] for i in riding}
    assert result["without_redundancy"]["count"] == 0


def test_locate_ranks_the_cut_section_first(regency):
    topo = regency["topo"]
    access = [sp for sp, s in topo.spans.items() if s.role == "access"]
    span = sorted(access, key=lambda sp: (len(regency["riders"][sp]), sp))[len(access) // 2]
    down = set(regency["riders"][span])
    up = set(regency["links"]) - down
    result = locate(topo, down, up)
    top = result["candidates"][0]
    assert span in top["spans"]
    assert top["explains_every_down_link"] and top["contradicted_by"] == []
    assert all(regency["riders"][sp] == down for sp in top["spans"])
    assert result["hypotheses"][0]["cuts"] == 1
