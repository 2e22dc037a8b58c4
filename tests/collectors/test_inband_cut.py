"""A cut seen through in-band management, driven through the CLI with snmpsim agents.

The regency plan's busiest access span is cut. The hub keeps answering and reports the ports
of the links riding that span down; the village devices at their far ends stop answering,
because their management rides the cut fibre (their agent process is stopped). Polled with
``fonet poll --once`` every interval, after four silent intervals (the far ends' data is stale)
the cut must still be ranked first by ``fonet locate-cut``, and ``fonet alarms list`` must show
it as the first root with the far-end devices grouped under it; when the agents come back the
cut clears with its duration.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import defaultdict

import pytest
import typer
from pysnmp.proto.rfc1902 import Integer32
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import noc_cmd, snmp_cmd
from fonet.devices import add_device, attach_link
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import make_engine, reader, transaction
from fonet.store.models import Link, LinkSpan, PlanSite, Site

from .conftest import IF, free_udp_port, if_rows, running_snmpsim, snmprec

INTERVAL_S = 4.0
"""Short, for the test; a silent device costs at most 2 x 1 s per poll, well within it."""


def cli(url: str, *args: str) -> object:
    app = typer.Typer()
    snmp_cmd.register(app)
    noc_cmd.register(app)
    result = CliRunner().invoke(app, list(args), env={"FONET_DB_URL": url})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def poll(url: str) -> dict:
    return cli(url, "poll", "--once", "--json", "--interval", str(INTERVAL_S),
               "--timeout", "1", "--retries", "1")


@pytest.fixture(scope="module")
def plan_slice(regency_db_file, tmp_path_factory):
    """The kecamatan behind the busiest access span: its links and which ride the span."""
    folder = tmp_path_factory.mktemp("inband")
    shutil.copy(regency_db_file, folder / "fonet.db")
    url = f"sqlite:///{folder / 'fonet.db'}"
    engine = make_engine(url)
    with transaction(engine) as s:
        pid = run_plan(s, load_profile()).plan_id
    with reader(engine) as s:
        code = dict(s.execute(select(Site.id, Site.code)).all())
        hub_of = {ps.site_id: ps.hub_site_id for ps in s.scalars(
            select(PlanSite).where(PlanSite.plan_id == pid, PlanSite.role == "access"))}
        riders: dict[int, set[str]] = defaultdict(set)
        ends = {}
        for link in s.scalars(select(Link).where(Link.plan_id == pid,
                                                 Link.name.like(f"P{pid}:AC:%"))):
            ends[link.name] = (link.a_site_id, link.z_site_id)
        for name, span_id in s.execute(select(Link.name, LinkSpan.span_id)
                                       .join(LinkSpan, LinkSpan.link_id == Link.id)
                                       .where(Link.name.in_(ends))):
            riders[span_id].add(name)
    # the access span ridden by most links, not by all of its hub's links
    per_hub: dict[int, set[str]] = defaultdict(set)
    for name, (a, _) in ends.items():
        per_hub[a].add(name)

    def fits(sp: int) -> bool:
        hub = ends[next(iter(riders[sp]))][0]
        return len(riders[sp]) < len(per_hub[hub]) - 1

    span = max((sp for sp in riders if fits(sp)), key=lambda sp: (min(len(riders[sp]), 8), -sp))
    cut = riders[span]
    hub = ends[next(iter(cut))][0]
    links = {n: ends[n] for n in per_hub[hub]}
    assert len(cut) >= 3 and all(hub_of[ends[n][1]] == hub for n in cut)
    yield {"engine": engine, "url": url, "folder": folder, "span": span, "cut": cut,
           "links": links, "hub": hub, "code": code, "plan_id": pid}
    engine.dispose()


def wait_until(moment: float) -> None:
    """Wait for the next polling time (the schedule of a collector), with a deadline."""
    while (left := moment - time.monotonic()) > 0:
        time.sleep(min(left, 0.05))


def test_cut_stays_located_while_the_far_ends_are_silent(plan_slice):
    net = plan_slice
    code, hub = net["code"], net["hub"]
    far = {net["links"][n][1] for n in net["cut"]}
    # one device per site, one port per link end; ifIndex unique across devices
    ports: dict[int, dict[int, str]] = defaultdict(dict)
    port_of: dict[tuple[str, int], int] = {}
    index = 3000
    for name, (a, z) in sorted(net["links"].items()):
        for site, peer in ((a, z), (z, a)):
            index += 1
            ports[site][index] = f"to-{code[peer]}"
            port_of[(name, site)] = index
    near_files = {f"ib-{s}": snmprec(if_rows(p, oper="2:writecache|value=1"))
                  for s, p in ports.items() if s not in far}
    far_files = {f"ib-{s}": snmprec(if_rows(p)) for s, p in ports.items() if s in far}
    folder, url, engine = net["folder"], net["url"], net["engine"]
    far_port = free_udp_port()
    probe_far = next(iter(far_files))
    with running_snmpsim(folder / "near", near_files, f"ib-{hub}") as near:
        far_agent = running_snmpsim(folder / "far", far_files, probe_far, port=far_port)
        far_agent.__enter__()
        try:
            with transaction(engine) as s:
                for site in ports:
                    add_device(s, f"dev-{code[site]}", "127.0.0.1",
                               port=far_port if site in far else near.port,
                               site_code=code[site], community=f"ib-{site}")
            first = poll(url)
            assert all(d["reachable"] for d in first["devices"])
            with transaction(engine) as s:
                for name, (a, z) in net["links"].items():
                    attach_link(s, name, f"dev-{code[a]}:to-{code[z]}",
                                f"dev-{code[z]}:to-{code[a]}", create=False)
            changes = poll(url)["link_changes"]
            assert {c["to"] for c in changes} == {"up"}
            # the cut: the hub reports its ports down, the villages behind it go silent
            for name in net["cut"]:
                near.set(f"ib-{hub}", f"{IF}.8.{port_of[(name, hub)]}", Integer32(2))
            far_agent.__exit__(None, None, None)
            far_agent = None
            due = time.monotonic()
            for _ in range(5):  # the poll that sees the cut, then four silent intervals
                wait_until(due)
                due = time.monotonic() + INTERVAL_S * 1.05
                polled = poll(url)
                silent = {d["name"] for d in polled["devices"] if not d["reachable"]}
                assert silent >= {f"dev-{code[s]}" for s in far}
                assert f"dev-{code[hub]}" not in silent  # the hub keeps answering
            states = cli(url, "links", "list", "--json")
            for name in net["cut"]:
                assert states[name]["state"] == "down", states[name]
                assert any("old" in r for r in states[name]["reasons"]), states[name]
            found = cli(url, "locate-cut", "--json")
            top = found["candidates"][0]
            assert net["span"] in top["spans"] and set(top["explains"]) == net["cut"]
            assert top["contradicted_by"] == []
            roots = cli(url, "alarms", "list", "--open", "--json")
            assert roots[0]["kind"] == "fibre_cut" and net["span"] in roots[0]["details"]["spans"]
            kids = {(c["kind"], c["object_name"]) for c in roots[0]["children"]}
            assert kids == ({("link_down", n) for n in net["cut"]}
                            | {("device_unreachable", f"dev-{code[s]}") for s in far})
            assert all(c["severity"] == "warning" for c in roots[0]["children"]
                       if c["kind"] == "device_unreachable")
            assert not any(r["kind"] == "device_unreachable" for r in roots)
            # the agents come back and the fibre is spliced
            for name in net["cut"]:
                near.set(f"ib-{hub}", f"{IF}.8.{port_of[(name, hub)]}", Integer32(1))
            far_agent = running_snmpsim(folder / "far", far_files, probe_far, port=far_port)
            far_agent.__enter__()
            back = poll(url)
            assert all(d["reachable"] for d in back["devices"]), back["devices"]
            assert {c["link"] for c in back["link_changes"]} == net["cut"], back["link_changes"]
            assert {c["to"] for c in back["link_changes"]} == {"up"}
            assert cli(url, "alarms", "list", "--open", "--json") == []
            cleared = cli(url, "alarms", "list", "--json")
            cut = next(r for r in cleared if r["kind"] == "fibre_cut"
                       and net["span"] in r["details"]["spans"])
            assert cut["duration_s"] >= 4 * INTERVAL_S
            assert {c["object_name"] for c in cut["children"]} >= net["cut"]
        finally:
            if far_agent is not None:
                far_agent.__exit__(None, None, None)
