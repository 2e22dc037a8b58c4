"""Planning from the network that exists, on the real regency corridor graph.

The scenarios of issue 14: the POP on an imported OPD with a building drop, a greenfield plan
committed as built then extended to puskesmas and schools, budgeted phases chained year by
year, and bills whose tables add up in every column.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fonet.errors import InputError
from fonet.noc.impact import what_if
from fonet.noc.topology import load_topology
from fonet.planning.plan import run_plan
from fonet.planning.plan_store import commit_plan, list_plans
from fonet.planning.profile import load_profile
from fonet.store import make_engine, reader, transaction
from fonet.store import models as m
from gis.load import import_sites

OPD = ("code,name,kind,lon,lat\n"
       "OPD-BUPATI,Kantor Bupati Mojokerto,opd,112.4340,-7.4720\n"  # Kota Mojokerto
       "OPD-MOJOSARI,Pendopo Mojosari,opd,112.5660,-7.5070\n")
PUSKESMAS = ("code,name,kind,lon,lat,capacity_mbps\n"
             "PKM-PACET,Puskesmas Pacet,puskesmas,112.5600,-7.6700,100\n"
             "PKM-TRAWAS,Puskesmas Trawas,puskesmas,112.6140,-7.6640,100\n"
             "PKM-JATIREJO,Puskesmas Jatirejo,puskesmas,112.4400,-7.5900,100\n"
             "RSUD-SOOKO,RSUD Prof. dr. Soekandar,rsud,112.5640,-7.5090,200\n")
BOM_COLUMNS = ("poles", "handholes", "closures", "drum_joints", "terminations",
               "cable_cost_idr", "hardware_cost_idr", "optics_cost_idr", "cost_idr")


def assert_adds_up(r: dict) -> None:
    """Every table's rows sum to the plan's total, in every column."""
    total = r["bill_of_materials"]
    tables = {"per_kecamatan+backbone": [*r["per_kecamatan"].values(), r["backbone"]],
              "per_phase": list(r["per_phase"].values())}
    for name, rows in tables.items():
        for col in BOM_COLUMNS:
            assert sum(row[col] for row in rows) == total[col], (name, col)
        for kind in {k for row in rows for k in row["cable_km"]} | set(total["cable_km"]):
            got = round(sum(row["cable_km"].get(kind, 0) for row in rows), 3)
            assert got == total["cable_km"].get(kind, 0), (name, kind)
        for cls in set(total["transceivers"]):
            assert sum(row["transceivers"].get(cls, 0) for row in rows) == \
                total["transceivers"][cls], (name, cls)
    assert total["cost_idr"] == r["cost_idr"] == (
        total["cable_cost_idr"] + total["hardware_cost_idr"] + total["optics_cost_idr"])


@pytest.fixture(scope="module")
def store(tmp_path_factory, regency_db_file: Path):  # noqa: ANN201
    """The regency with two OPD offices, three puskesmas and an RSUD."""
    path = tmp_path_factory.mktemp("brownfield") / "fonet.db"
    shutil.copy(regency_db_file, path)
    eng = make_engine(f"sqlite:///{path}")
    for name, text in (("opd.csv", OPD), ("pkm.csv", PUSKESMAS)):
        f = path.with_name(name)
        f.write_text(text)
        import_sites(eng, f)
    return eng


def test_pop_with_a_building_drop_is_on_every_ring(store) -> None:  # noqa: ANN001
    """The Kantor Bupati stands 1.8 km from the corridor graph: the rings enter it."""
    with transaction(store) as s:
        r = run_plan(s, load_profile(), pop_code="OPD-BUPATI", name="pop-bupati").to_json()
        site = s.scalar(select(m.Site).where(m.Site.code == "OPD-BUPATI"))
        node = s.scalar(select(m.RouteNode.id).where(m.RouteNode.site_id == site.id))
        drop = s.scalar(select(m.RouteEdge).where(m.RouteEdge.u == node))
        drop_id, drop_m = drop.id, drop.length_m
    assert drop_m > 1000
    assert r["single_entry_drops"] == [{"site": "OPD-BUPATI", "drop_m": round(drop_m)}]
    assert drop_id in {x["route_edge_id"] for x in r["single_points_of_failure"]}
    assert r["backbone_two_edge_connected"] is False
    with reader(store) as s:
        spans = list(s.scalars(select(m.Span).where(m.Span.plan_id == r["plan_id"],
                                                      m.Span.role == "backbone")))
        links = {lk.name: [x.span_id for x in lk.spans] for lk in s.scalars(
            select(m.Link).where(m.Link.plan_id == r["plan_id"]))}
        topo = load_topology(s, r["plan_id"])
    on_drop = {sp.id: sp.attrs["ring"] for sp in spans if sp.route_edge_id == drop_id}
    assert sorted(on_drop.values()) == list(range(len(r["rings"])))  # every ring enters
    for ring in r["rings"]:
        first = f"P{r['plan_id']}:BB{ring['ring']}:OPD-BUPATI>{ring['members'][1]}"
        last = f"P{r['plan_id']}:BB{ring['ring']}:{ring['members'][-1]}>OPD-BUPATI"
        drop_span = next(i for i, k in on_drop.items() if k == ring["ring"])
        assert links[first][0] == drop_span and links[last][-1] == drop_span
    # the drop itself carries no access cable to the POP: the POP is not an access site
    assert not [sp for sp in spans if sp.role == "access" and sp.route_edge_id == drop_id]
    # a cut of the drop (the trench) cuts off every hub and everything behind them
    cut = what_if(topo, route_edges=[drop_id])
    assert cut["cut_off"]["count"] == len(topo.sites) - 1
    # one ring's span on it cuts off that ring's hubs
    ring0 = next(i for i, k in on_drop.items() if k == 0)
    one = what_if(topo, spans=[ring0])
    members = set(r["rings"][0]["members"][1:])
    assert members <= {x["code"] for x in one["cut_off"]["sites"]}


def test_route_k_counts_the_shared_drop(store, tmp_path: Path) -> None:  # noqa: ANN001
    url = str(store.url).replace("sqlite:///", "sqlite:///")
    env = {"FONET_DB_URL": url, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    fonet = [sys.executable, "-m", "api.cli"]
    out = subprocess.run([*fonet, "route", "OPD-BUPATI", "KO-35.16.09", "--k", "2", "--json"],
                         env=env, check=True, capture_output=True, text=True).stdout
    route = json.loads(out)
    assert len(route["routes"]) == 1  # one building entry: no two edge-disjoint routes
    assert route["from"]["entries"] == 1 and route["from"]["drop_m"] > 1000
    text = subprocess.run([*fonet, "route", "OPD-BUPATI", "KO-35.16.09", "--k", "2"], env=env,
                          check=True, capture_output=True, text=True).stderr
    assert "single building entry" in text and "OPD-BUPATI" in text


def test_greenfield_commit_then_extension(store) -> None:  # noqa: ANN001
    """Greenfield, committed as built, then puskesmas and schools reusing the built cable."""
    prof = load_profile()
    with transaction(store) as s:
        green = run_plan(s, prof, name="greenfield").to_json()
    assert_adds_up(green)
    assert green["reused_km"] == 0 and green["new_km"] == green["route_km"]
    assert green["bill_of_materials"]["drum_joints"] > 0  # 570 km of cable needs joints
    with transaction(store) as s:
        schools_green = run_plan(s, prof, name="greenfield-schools",
                                 include_schools=True).to_json()
    with transaction(store) as s:
        done = commit_plan(s, green["plan_id"], "built")
    assert done["spans"] > 300 and done["sites_connected"] == 322 + 2
    with transaction(store) as s:
        ext = run_plan(s, prof, name="ext-2026", targets=["puskesmas", "rsud", "school"],
                       year=2026).to_json()
    assert_adds_up(ext)
    assert ext["reused_km"] > 50  # the hubs reach the schools along built cable
    assert ext["new_km"] < ext["route_km"]
    assert ext["targets_total"] == 633 + 4 and ext["targets_connected"] == ext["targets_total"]
    assert ext["hubs"] and all(h["chosen_by"] == "committed plan" for h in ext["hubs"])
    assert ext["rings"] == [] and ext["backbone"]["cost_idr"] == 0
    assert ext["backbone_two_edge_connected"] == green["backbone_two_edge_connected"]
    # the same sites planned from nothing cost far more than the extension on top
    print("greenfield", green["cost_idr"], "greenfield with schools",
          schools_green["cost_idr"], "extension", ext["cost_idr"], "reused km", ext["reused_km"])
    assert ext["cost_idr"] < 0.75 * schools_green["cost_idr"]
    with reader(store) as s:
        names = [p["name"] for p in list_plans(s)]
        built = s.scalar(select(func.count()).select_from(m.Span).where(
            m.Span.plan_id == green["plan_id"], m.Span.status == "built"))
    assert {"greenfield", "ext-2026"} <= set(names) and len(names) == len(set(names))
    assert built == done["spans"]


def test_budgeted_phases_chain(store) -> None:  # noqa: ANN001
    """Two budgeted years: each spends at most its budget, the second serves the deferred."""
    prof = load_profile()
    with reader(store) as s:
        committed = s.scalar(select(func.count()).select_from(m.Span).where(
            m.Span.status == "built"))
    if not committed:  # run alone: commit a greenfield plan first
        with transaction(store) as s:
            g = run_plan(s, prof, name="greenfield-b")
            commit_plan(s, g.plan_id, "built")
    budget = 1.5e9
    with transaction(store) as s:
        y1 = run_plan(s, prof, name="phase-2027", targets=["puskesmas", "school"],
                      budget_idr=budget, year=2027).to_json()
    assert 0 < y1["cost_idr"] <= budget
    assert_adds_up(y1)
    assert 0 < y1["targets_connected"] < y1["targets_total"]
    deferred = y1["targets_deferred"]
    assert len(deferred) == y1["targets_total"] - y1["targets_connected"]
    assert all(d["marginal_cost_idr"] > 0 for d in deferred if d["marginal_cost_idr"])
    assert y1["selection"]["method"] == "greedy"
    with transaction(store) as s:
        commit_plan(s, y1["plan_id"], "built")
        y2 = run_plan(s, prof, name="phase-2028", targets=["puskesmas", "school"],
                      budget_idr=budget, year=2028).to_json()
    assert y2["cost_idr"] <= budget
    assert y2["targets_connected"] > y1["targets_connected"]
    served_y2 = {x for x in (d["code"] for d in deferred)} - {
        d["code"] for d in y2["targets_deferred"]}
    assert served_y2  # year two connects sites year one deferred


def test_optics_fit_where_a_class_fits(store) -> None:  # noqa: ANN001
    with transaction(store) as s:
        r = run_plan(s, load_profile(), name="optics").to_json()
        rows = list(s.scalars(select(m.PlanSite).where(m.PlanSite.plan_id == r["plan_id"],
                                                       m.PlanSite.role == "access")))
    assert r["sites_over_budget"] == []
    assert r["links_by_transceiver"].get("1000BASE-EX", 0) > 0  # the far Pacet villages
    prof = load_profile()
    for row in rows:
        cls = prof.optics.transceivers[row.attrs["transceiver"]]
        loss = row.loss_1310_db if cls.wavelength_nm == 1310 else row.loss_1550_db
        assert loss + prof.optics.margin_db <= cls.budget_db + 1e-6
        cheaper = [k for k, t in prof.optics.transceivers.items()
                   if k.startswith("1000BASE") and t.cost_idr < cls.cost_idr]
        for k in cheaper:  # no cheaper class would have fitted
            t = prof.optics.transceivers[k]
            lw = row.loss_1310_db if t.wavelength_nm == 1310 else row.loss_1550_db
            assert lw + prof.optics.margin_db > t.budget_db
    trx = r["bill_of_materials"]["transceivers"]
    assert sum(trx.values()) == 2 * (sum(r["links_by_transceiver"].values())
                                     + sum(len(x["legs_m"]) for x in r["rings"]))


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"targets": ["puskesmas"], "budget_idr": 0}, "more than zero"),
    ({"targets": ["puskesmas"], "budget_idr": -5e9}, "more than zero"),
    ({"targets": ["hospital"]}, "unknown site kind 'hospital'"),
    ({"targets": ["puskesmas"], "priority": {"NOPE-1": 3.0}}, "NOPE-1"),
    ({"budget_idr": 1e9}, "needs --targets"),
    ({"hub_codes": {"Pacet": "KO-35.16.04"}}, "not in"),  # Trawas' office pinned in Pacet
    ({"hub_codes": {"Pacet": "SCH-20502711"}}, "school"),
    ({"hub_codes": {"Pacet": "KO-35.16.03", "35.16.03": "VO-35.16.03.2001"}}, "twice"),
])
def test_bad_plan_input_writes_nothing(store, kwargs, needle: str) -> None:  # noqa: ANN001
    with reader(store) as s:
        before = s.scalar(select(func.count()).select_from(m.Plan))
        school = s.scalar(select(m.Site).where(m.Site.code == "SCH-20502711"))
    if "SCH-20502711" in str(kwargs):
        assert school is not None and school.kind == "school"
    with pytest.raises(InputError, match=needle), transaction(store) as s:
        run_plan(s, load_profile(), **kwargs)
    with reader(store) as s:
        assert s.scalar(select(func.count()).select_from(m.Plan)) == before


def test_plan_names_are_unique_and_listed(store, tmp_path: Path) -> None:  # noqa: ANN001
    env = {"FONET_DB_URL": str(store.url), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    fonet = [sys.executable, "-m", "api.cli"]
    with transaction(store) as s:
        run_plan(s, load_profile(), name="unique-name")
    bad = subprocess.run([*fonet, "plan", "--name", "unique-name"], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unique-name" in bad.stderr and "exists" in bad.stderr
    out = subprocess.run([*fonet, "plan", "list", "--json"], env=env, check=True,
                         capture_output=True, text=True).stdout
    rows = json.loads(out)
    names = [r["name"] for r in rows]
    assert "unique-name" in names and len(names) == len(set(names))
    assert all({"plan_id", "cost_idr", "spans_by_status"} <= set(r) for r in rows)
    prio = tmp_path / "prio.csv"
    prio.write_text("code,priority\nNOPE-9,2\n")
    bad = subprocess.run([*fonet, "plan", "--targets", "school", "--priority", str(prio)],
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "NOPE-9" in bad.stderr
    bad = subprocess.run([*fonet, "plan", "commit", "99999"], env=env, capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "99999" in bad.stderr


def test_commit_named_sites_only(store) -> None:  # noqa: ANN001
    with transaction(store) as s:
        r = run_plan(s, load_profile(), name="partial").to_json()
        site = "VO-35.16.03.2001"
        out = commit_plan(s, r["plan_id"], "under_construction", [site])
        link = s.scalar(select(m.Link).where(m.Link.name == f"P{r['plan_id']}:AC:{site}"))
        want = {x.span_id for x in link.spans} | set(s.scalars(select(m.Span.id).where(
            m.Span.plan_id == r["plan_id"], m.Span.role == "backbone")))
        got = set(s.scalars(select(m.Span.id).where(
            m.Span.plan_id == r["plan_id"], m.Span.status == "under_construction")))
        assert got == want and out["spans"] == len(want)
        assert out["sites_connected"] == 0  # under construction: not in service yet
        with pytest.raises(InputError, match="NOPE"):
            commit_plan(s, r["plan_id"], "built", ["NOPE"])
        with pytest.raises(InputError, match="decommissioned"):
            commit_plan(s, r["plan_id"], "decommissioned")
        s.rollback()


def test_second_building_entry_takes_the_pop_off_the_spof_list(regency_engine,
                                                              tmp_path: Path) -> None:
    """An as-built cable into the Kantor Bupati from another side: the rings use both entries.

        corridor ── entry ══drop══ BUPATI ══new cable══ other corridor node ── corridor
    """
    from fonet.geo import distance_m
    from gis.load import import_network

    f = tmp_path / "opd.csv"
    f.write_text(OPD)
    import_sites(regency_engine, f)
    with reader(regency_engine) as s:
        site = s.scalar(select(m.Site).where(m.Site.code == "OPD-BUPATI"))
        node = s.scalar(select(m.RouteNode).where(m.RouteNode.site_id == site.id))
        drop = s.scalar(select(m.RouteEdge).where(m.RouteEdge.u == node.id))
        entry = s.get(m.RouteNode, drop.v)
        others = list(s.scalars(select(m.RouteNode).where(m.RouteNode.kind == "corridor")))
    other = min((n for n in others
                 if distance_m(n.lon, n.lat, entry.lon, entry.lat) > 2500),
                key=lambda n: distance_m(n.lon, n.lat, site.lon, site.lat))
    cable = tmp_path / "entry.geojson"
    cable.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "BUPATI-2", "cores": 48, "cores_used": 0},
        "geometry": {"type": "LineString",
                     "coordinates": [[site.lon, site.lat], [other.lon, other.lat]]}}]}))
    out = import_network(regency_engine, cable)
    assert out["new_route_edges"] == 1
    with transaction(regency_engine) as s:
        r = run_plan(s, load_profile(), pop_code="OPD-BUPATI").to_json()
    assert r["single_entry_drops"] == []  # two entries: none is single
    assert drop.id not in {x["route_edge_id"] for x in r["single_points_of_failure"]}
    with reader(regency_engine) as s:
        new_edge = s.scalar(select(m.RouteEdge).where(m.RouteEdge.kind == "cable"))
        ridden = {sp.route_edge_id for sp in s.scalars(select(m.Span).where(
            m.Span.plan_id == r["plan_id"], m.Span.role == "backbone"))}
    assert {drop.id, new_edge.id} <= ridden  # the rings leave by one entry, return by the other
    assert r["reused_km"] > 0  # along the built cable's spare cores
