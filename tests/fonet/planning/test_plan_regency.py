"""The coverage plan on the real regency corridor graph, stored in a real SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fonet.errors import InputError, NotFoundError
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import make_engine, reader, transaction
from fonet.store import models as m
from gis.load import import_sites

OPD = ("code,name,kind,lon,lat\n"
       "OPD-BUPATI,Kantor Bupati Mojokerto,opd,112.4340,-7.4720\n"  # Kota Mojokerto
       "OPD-DPRD,DPRD Kabupaten Mojokerto,opd,112.4290,-7.4895\n"  # Sooko
       "OPD-MOJOSARI,Pendopo Mojosari,opd,112.5660,-7.5070\n")


@pytest.fixture(scope="module")
def planned(tmp_path_factory, regency_db_file: Path):  # noqa: ANN201
    """A regency store with three OPD sites and one default plan."""
    import shutil

    path = tmp_path_factory.mktemp("plan") / "fonet.db"
    shutil.copy(regency_db_file, path)
    eng = make_engine(f"sqlite:///{path}")
    csv = path.with_name("opd.csv")
    csv.write_text(OPD)
    import_sites(eng, csv)
    with transaction(eng) as s:
        result = run_plan(s, load_profile()).to_json()
    return eng, result


def test_plan_connects_every_village_and_office(planned) -> None:  # noqa: ANN001
    _, r = planned
    assert r["villages_total"] == 304
    assert r["villages_connected"] == 304
    assert r["offices_connected"] == r["offices_total"] == 322
    assert r["opd_connected"] == r["opd_total"] == 3
    assert len(r["hubs"]) == 18
    assert r["unreachable_sites"] == []
    assert r["cost_idr"] > 0 and r["cable_km"] >= r["route_km"] > 0
    assert r["max_loss_db"] > 0


def test_backbone_rings(planned) -> None:  # noqa: ANN001
    _, r = planned
    hubs = {h["site"] for h in r["hubs"] if not h["at_pop"]}  # a hub may share the POP's node
    on_rings = {c for ring in r["rings"] for c in ring["members"][1:]}
    assert hubs - {r["pop"]["code"]} <= on_rings
    assert all(ring["members"][0] == r["pop"]["code"] for ring in r["rings"])
    assert all(len(ring["members"]) - 1 <= 6 for ring in r["rings"])
    # two-edge-connected exactly when no single point of failure is reported
    assert r["backbone_two_edge_connected"] == (not r["single_points_of_failure"])


def test_ring_directions_share_no_route_edge(planned) -> None:  # noqa: ANN001
    eng, r = planned
    with reader(eng) as s:
        spans = list(s.scalars(select(m.Span).where(m.Span.plan_id == r["plan_id"],
                                                      m.Span.role == "backbone")))
    by_ring: dict[int, list[int]] = {}
    for sp in spans:
        by_ring.setdefault(sp.attrs["ring"], []).append(sp.route_edge_id)
    spof = {x["route_edge_id"] for x in r["single_points_of_failure"]}
    for edges in by_ring.values():
        repeated = {e for e in edges if edges.count(e) > 1}
        assert repeated <= spof


def test_plan_is_stored(planned) -> None:  # noqa: ANN001
    eng, r = planned
    with reader(eng) as s:
        plan = s.get(m.Plan, r["plan_id"])
        assert plan.profile["name"] == "default"
        assert plan.summary["villages_connected"] == 304
        n_spans = s.scalar(select(func.count()).select_from(m.Span)
                           .where(m.Span.plan_id == plan.id))
        assert n_spans > 300
        sites = list(s.scalars(select(m.PlanSite).where(m.PlanSite.plan_id == plan.id)))
        roles = {x.role for x in sites}
        assert roles == {"pop", "hub", "access"}
        access = [x for x in sites if x.role == "access"]
        assert all(x.connected and x.path_m is not None and x.loss_1310_db > 0 for x in access)
        over = sorted(s.scalar(select(m.Site.code).where(m.Site.id == x.site_id))
                      for x in access if x.over_budget)
    assert over == r["sites_over_budget"]
    sizes = {sp for sp in r["bill_of_materials"]["cable_km"]}
    assert all(k.split("c ")[0] in {"12", "24", "48", "96", "144"} for k in sizes)


def test_pop_in_kota_mojokerto_vs_mojosari(planned) -> None:  # noqa: ANN001
    """The scenario planners ask for: the regency seat in Kota Mojokerto, or moved to Mojosari."""
    eng, _ = planned
    with transaction(eng) as s:
        kota = run_plan(s, load_profile(), pop_code="OPD-BUPATI", name="pop-kota").to_json()
        mojosari = run_plan(s, load_profile(), pop_code="OPD-MOJOSARI",
                            name="pop-mojosari").to_json()
    assert kota["pop"]["code"] == "OPD-BUPATI" and kota["pop"]["chosen_by"] == "named"
    assert mojosari["pop"]["code"] == "OPD-MOJOSARI"
    for r in (kota, mojosari):
        assert r["villages_connected"] == 304 and r["opd_connected"] == 3
    assert kota["rings"] != mojosari["rings"]


def test_pinned_hub_and_bad_ids(planned) -> None:  # noqa: ANN001
    eng, _ = planned
    with transaction(eng) as s:
        r = run_plan(s, load_profile(), hub_codes={"Pacet": "KO-35.16.03"}).to_json()
    pacet = next(h for h in r["hubs"] if h["kecamatan"] == "35.16.03")
    assert pacet == {"kecamatan": "35.16.03", "site": "KO-35.16.03",
                     "name": "Kantor Kecamatan Pacet", "chosen_by": "pinned", "at_pop": False}
    with reader(eng) as s:
        before = s.scalar(select(func.count()).select_from(m.Plan))
    with pytest.raises(NotFoundError, match="NOPE"), transaction(eng) as s:
        run_plan(s, load_profile(), pop_code="NOPE")
    with pytest.raises(InputError, match="Atlantis"), transaction(eng) as s:
        run_plan(s, load_profile(), hub_codes={"Atlantis": "KO-35.16.03"})
    with reader(eng) as s:
        assert s.scalar(select(func.count()).select_from(m.Plan)) == before


def test_schools_option(planned) -> None:  # noqa: ANN001
    eng, _ = planned
    with transaction(eng) as s:
        r = run_plan(s, load_profile(), include_schools=True).to_json()
    assert r["schools_connected"] == 633
    assert len(r["phases"]) > 1  # schools come after the offices


def test_cli_plan_json_and_route(regency_db: str, tmp_path: Path) -> None:
    env = {"FONET_DB_URL": regency_db, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    fonet = [sys.executable, "-m", "api.cli"]
    out = subprocess.run([*fonet, "plan", "--json"], env=env, check=True, capture_output=True,
                         text=True).stdout
    r = json.loads(out)
    for key in ("plan_id", "villages_total", "villages_connected", "offices_connected",
                "opd_connected", "hubs", "backbone_two_edge_connected",
                "single_points_of_failure", "route_km", "cable_km", "cost_idr", "max_loss_db",
                "sites_over_budget", "seconds"):
        assert key in r
    out = subprocess.run([*fonet, "route", "KO-35.16.03", "KO-35.16.09", "--k", "2", "--json"],
                         env=env, check=True, capture_output=True, text=True).stdout
    route = json.loads(out)
    assert len(route["routes"]) == 2
    a, b = (set(x["edge_ids"][1:-1]) for x in route["routes"])
    assert not a & b
    assert route["least_cost"]["cost_idr"] <= min(x["cost_idr"] for x in route["routes"])
    bad = subprocess.run([*fonet, "plan", "--pop", "NOPE"], env=env, capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "NOPE" in bad.stderr
    bad = subprocess.run([*fonet, "plan", "--profile", str(tmp_path / "none.yaml")], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "none.yaml" in bad.stderr


def test_plan_links_ride_contiguous_spans(planned) -> None:  # noqa: ANN001
    """Each served site has one access link from its hub; ring hops carry every backbone span."""
    eng, r = planned
    with reader(eng) as s:
        links = list(s.scalars(select(m.Link).where(m.Link.plan_id == r["plan_id"])))
        spans = {sp.id: sp for sp in s.scalars(select(m.Span)
                                                .where(m.Span.plan_id == r["plan_id"]))}
        site_node = {n.site_id: n.id for n in s.scalars(select(m.RouteNode)
                                                        .where(m.RouteNode.site_id.is_not(None)))}
        entry_of = {e.u: e.v for e in s.scalars(select(m.RouteEdge)
                                                 .where(m.RouteEdge.kind == "drop"))}
        access = [lk for lk in links if ":AC:" in lk.name]
        served = s.scalar(select(func.count()).select_from(m.PlanSite).where(
            m.PlanSite.plan_id == r["plan_id"], m.PlanSite.role == "access"))
        assert len(access) == served
        for lk in access + [lk for lk in links if ":BB" in lk.name]:
            path = [spans[x.span_id] for x in lk.spans]
            for a, b in zip(path, path[1:], strict=False):
                assert a.z_node_id == b.a_node_id
            if ":AC:" in lk.name and path:
                # the last span enters the site, unless the site stands on its route node
                # (a drop of no length carries no span)
                end = site_node[lk.z_site_id]
                assert path[-1].z_node_id in (end, entry_of[end])
        backbone = {i for i, sp in spans.items() if sp.role == "backbone"}
        ridden = {x.span_id for lk in links if ":BB" in lk.name for x in lk.spans}
        assert ridden == backbone


def test_unreachable_site_is_named_and_the_rest_planned(regency_engine, tmp_path: Path) -> None:
    """An OPD whose drop is gone cannot be reached: the plan names it and serves the rest."""
    csv = tmp_path / "opd.csv"
    csv.write_text(OPD)
    import_sites(regency_engine, csv)
    with transaction(regency_engine) as s:
        site_id = s.scalar(select(m.Site.id).where(m.Site.code == "OPD-DPRD"))
        node = s.scalar(select(m.RouteNode.id).where(m.RouteNode.site_id == site_id))
        s.execute(m.RouteEdge.__table__.delete().where(m.RouteEdge.u == node))
    with transaction(regency_engine) as s:
        r = run_plan(s, load_profile()).to_json()
    assert r["unreachable_sites"] == ["OPD-DPRD"]
    assert r["opd_connected"] == 2 and r["opd_total"] == 3
    assert r["villages_connected"] == 304
    with reader(regency_engine) as s:
        row = s.get(m.PlanSite, (r["plan_id"], site_id))
    assert row is not None and not row.connected
