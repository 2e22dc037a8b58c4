"""A slice of the regency plan on simulated devices: a cut span found from real polls.

One snmpsim device per site of one kecamatan (its hub and the sites it serves) and at the two
ring neighbours of the hub; every port terminates one plan link. The links riding one chosen
access span go dark together (ifOperStatus flipped with SNMP SETs through the writecache
variation); the real client polls, the store records, and ``fonet locate-cut`` must rank that
span first while ``fonet impact --live`` names exactly the sites behind it.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import UTC, datetime

import pytest
import typer
from pysnmp.proto.rfc1902 import Integer32
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import snmp_cmd
from api.cli.noc_cmd import register
from collectors.client import poll_once
from collectors.service import StoreSink
from fonet.devices import add_device, attach_link, device_targets
from fonet.monitoring import record_poll, update_link_states
from fonet.noc.alarms import list_alarms, process_changes
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import make_engine, reader, transaction
from fonet.store.models import Link, LinkSpan, PlanSite, Site

from .conftest import IF, if_rows, running_snmpsim, snmprec


def store_polls(engine, polls):
    now = datetime.now(UTC)
    with transaction(engine) as s:
        for p in polls:
            record_poll(s, p)
        changes = update_link_states(s, interval_s=60, now=now)
        process_changes(s, changes, now=now)
    return changes


@pytest.fixture(scope="module")
def slice_net(regency_db_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("noc-agents")
    url = f"sqlite:///{folder / 'fonet.db'}"
    shutil.copy(regency_db_file, folder / "fonet.db")
    engine = make_engine(url)
    with transaction(engine) as s:
        plan = run_plan(s, load_profile()).to_json()
    pid = plan["plan_id"]
    with reader(engine) as s:
        code = dict(s.execute(select(Site.id, Site.code)).all())
        hubs = {ps.site_id: ps.kecamatan_code for ps in s.scalars(
            select(PlanSite).where(PlanSite.plan_id == pid, PlanSite.role == "hub"))}
        served = defaultdict(list)
        for ps in s.scalars(select(PlanSite).where(PlanSite.plan_id == pid,
                                                   PlanSite.role == "access")):
            served[ps.hub_site_id].append(ps.site_id)
        on_ring = {c for r in plan["rings"] for c in r["members"][1:]}
        # the smallest kecamatan with a few sites whose hub sits on a ring
        hub = min((h for h in hubs if code[h] in on_ring and len(served[h]) >= 4),
                  key=lambda h: (len(served[h]), h))
        ring = next(r for r in plan["rings"] if code[hub] in r["members"])
        seq = [*ring["members"], ring["members"][0]]
        k = seq.index(code[hub])
        prev_code, next_code = seq[k - 1] if k > 0 else seq[-2], seq[k + 1]
        wanted = {f"P{pid}:AC:{code[v]}" for v in served[hub]}
        wanted |= {f"P{pid}:BB{ring['ring']}:{prev_code}>{code[hub]}",
                   f"P{pid}:BB{ring['ring']}:{code[hub]}>{next_code}"}
        links = {link.name: (link.a_site_id, link.z_site_id)
                 for link in s.scalars(select(Link).where(Link.name.in_(wanted)))}
        assert set(links) == wanted
        riders = defaultdict(set)
        for name, span_id in s.execute(
                select(Link.name, LinkSpan.span_id)
                .join(LinkSpan, LinkSpan.link_id == Link.id)
                .where(Link.name.in_(wanted))):
            riders[span_id].add(name)
    # one device per site, one port per link end, ifIndex unique across devices
    ports: dict[int, dict[int, str]] = defaultdict(dict)
    ends: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
    index = 1000
    for name, (a, z) in sorted(links.items()):
        pair = []
        for site, peer in ((a, z), (z, a)):
            index += 1
            ports[site][index] = f"to-{code[peer]}"
            pair.append((site, index))
        ends[name] = tuple(pair)
    files = {f"noc-{site}": snmprec(if_rows(names, oper="2:writecache|value=1"))
             for site, names in ports.items()}
    probe = f"noc-{next(iter(ports))}"
    try:
        with running_snmpsim(folder, files, probe) as agent:
            with transaction(engine) as s:
                for site in ports:
                    add_device(s, f"dev-{code[site]}", "127.0.0.1", port=agent.port,
                               site_code=code[site], community=f"noc-{site}")
                targets = device_targets(s)
            polls = poll_once(targets, timeout_s=2)
            assert all(p.reachable and not p.error for p in polls)
            with transaction(engine) as s:
                for p in polls:
                    record_poll(s, p)
                for name, ((a, ia), (z, iz)) in ends.items():
                    attach_link(s, name, f"dev-{code[a]}:{ports[a][ia]}",
                                f"dev-{code[z]}:{ports[z][iz]}", create=False)
            yield {"engine": engine, "url": url, "agent": agent, "targets": targets,
                   "ends": ends, "riders": riders, "links": links, "code": code,
                   "plan_id": pid, "folder": folder}
    finally:
        engine.dispose()


def run_cli(url: str, *args: str):
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args), env={"FONET_DB_URL": url})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_links_over_one_span_down_rank_that_span_first(slice_net):
    net = slice_net
    changes = store_polls(net["engine"], poll_once(net["targets"], timeout_s=2))
    assert {c["to"] for c in changes} == {"up"} and len(changes) == len(net["links"])
    # an access span that several but not all of the hub's access links ride
    access = [sp for sp, names in net["riders"].items()
              if 2 <= len(names) < len(net["links"]) - 2 and all(":AC:" in n for n in names)]
    span = sorted(access, key=lambda sp: (len(net["riders"][sp]), sp))[len(access) // 2]
    down = net["riders"][span]
    try:
        for name in down:
            for site, index in net["ends"][name]:
                net["agent"].set(f"noc-{site}", f"{IF}.8.{index}", Integer32(2))
        sink = StoreSink(net["engine"], interval_s=60)  # the collectors' path, poll by poll
        changes = [c for p in poll_once(net["targets"], timeout_s=2) for c in sink.store(p)[1]]
        assert {c["link"] for c in changes if c["to"] == "down"} == down

        found = run_cli(net["url"], "locate-cut", "--json")
        top = found["candidates"][0]
        assert span in top["spans"], (span, top)
        assert set(top["explains"]) == down and top["contradicted_by"] == []
        assert all(net["riders"][sp] == down for sp in top["spans"])
        assert found["hypotheses"][0]["cuts"] == 1
        assert found["up_links"] == len(net["links"]) - len(down)

        live = run_cli(net["url"], "impact", "--live", "--json")
        code = net["code"]
        assert {r["code"] for r in live["cut_off"]["sites"]} == {
            code[net["links"][name][1]] for name in down}

        with reader(net["engine"]) as s:
            (root,) = list_alarms(s, open_only=True)
        assert root["kind"] == "fibre_cut" and span in root["details"]["spans"]
        assert {c["object_name"] for c in root["children"]} == down
    finally:
        for name in down:
            for site, index in net["ends"][name]:
                net["agent"].set(f"noc-{site}", f"{IF}.8.{index}", Integer32(1))
    app = typer.Typer()
    snmp_cmd.register(app)
    polled = CliRunner().invoke(app, ["poll", "--once", "--json", "--timeout", "2"],
                                env={"FONET_DB_URL": net["url"]})
    assert polled.exit_code == 0, polled.output
    assert {c["link"] for c in json.loads(polled.stdout)["link_changes"]} == down
    with reader(net["engine"]) as s:
        assert list_alarms(s, open_only=True) == []
        cleared = list_alarms(s)
    # polled one device at a time, a narrower cut may have been guessed first and cleared
    assert {r["kind"] for r in cleared} == {"fibre_cut"}
    final = next(r for r in cleared if span in r["details"]["spans"])
    assert {c["object_name"] for c in final["children"]} == down
    assert all(c["duration_s"] is not None for c in final["children"])

