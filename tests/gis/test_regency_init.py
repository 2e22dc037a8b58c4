"""Loading the real regency into a real SQLite store."""

from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
from sqlalchemy import func, select

from fonet.graph import route_graph, site_nodes
from fonet.store import models as m
from fonet.store import reader
from fonet.summary import summary


def test_regency_counts(regency_engine) -> None:
    with reader(regency_engine) as s:
        result = summary(s)
    assert result["villages"] == 304
    assert result["kecamatan"] == 18
    assert result["schools"] == 633
    assert result["sites_by_kind"]["village_office"] == 304
    assert result["sites_by_kind"]["kecamatan_office"] == 18
    assert result["route_components"] == 1
    assert result["route_km"] > 1000


def test_village_types_and_codes(regency_engine) -> None:
    with reader(regency_engine) as s:
        kinds = dict(s.execute(select(m.Area.village_type, func.count())
                               .where(m.Area.level == "village")
                               .group_by(m.Area.village_type)).all())
        assert kinds == {"desa": 299, "kelurahan": 5}
        bps = {a.name: a.code_bps for a in s.scalars(select(m.Area)
                                                       .where(m.Area.level == "kecamatan"))}
        # Kemendagri and BPS disagree for these three (SOURCES.md)
        assert bps["Dlanggu"] == "3516100"
        assert bps["Bangsal"] == "3516090"
        assert bps["Mojoanyar"] == "3516091"
        office = s.scalar(select(m.Site).where(m.Site.code == "VO-35.16.09.2001"))
        assert office.kecamatan_code == "35.16.09"
        assert office.kecamatan_code_bps == "3516100"
        assert office.location_source == "approximate"


def test_kecamatan_offices(regency_engine) -> None:
    with reader(regency_engine) as s:
        offices = list(s.scalars(select(m.Site).where(m.Site.kind == "kecamatan_office")))
        villages = {a.code: a for a in s.scalars(select(m.Area).where(m.Area.level == "village"))}
    assert len(offices) == 18
    for o in offices:
        host = villages[o.village_code]
        assert host.parent_code == o.kecamatan_code
        kec_name = o.name.removeprefix("Kantor Kecamatan ")
        if kec_name != "Mojoanyar":  # the only kecamatan without a village of its name
            assert host.name == kec_name


def test_every_site_joined_by_one_drop(regency_engine) -> None:
    with reader(regency_engine) as s:
        g = route_graph(s)
        n_sites = s.scalar(select(func.count()).select_from(m.Site))
        drops = s.scalar(select(func.count()).select_from(m.RouteEdge)
                         .where(m.RouteEdge.kind == "drop"))
        snaps = list(s.scalars(select(m.Site.snap_m)))
    nodes = site_nodes(g)
    assert len(nodes) == n_sites == drops
    assert all(x is not None and x >= 0 for x in snaps)
    assert nx.is_connected(g)
    for n in nodes.values():
        assert g.degree(n) == 1
        (nbr,) = g.neighbors(n)
        assert g.edges[n, nbr]["kind"] == "drop"
        assert g.nodes[nbr]["kind"] != "site"


def test_schools_keep_qa_flag(regency_engine) -> None:
    with reader(regency_engine) as s:
        qa = [x.attrs.get("qa") for x in s.scalars(select(m.Site).where(m.Site.kind == "school"))]
    assert "no_coordinates" not in qa
    assert qa.count("point_in_other_kecamatan") == 56
    assert qa.count("point_outside_regency") == 1


def test_init_twice_is_unchanged_and_force_rebuilds(regency_engine, data_dir) -> None:
    from gis.load import init_store

    assert init_store(regency_engine, data_dir)["status"] == "unchanged"
    result = init_store(regency_engine, data_dir, force=True)
    assert result["status"] == "rebuilt"
    with reader(regency_engine) as s:
        assert s.scalar(select(func.count()).select_from(m.Area)
                        .where(m.Area.level == "village")) == 304


def test_cli_init_and_summary(tmp_path, data_dir) -> None:
    """The command of the issue's "done when", on a fresh SQLite file."""
    env = {"FONET_DATA_DIR": str(data_dir), "FONET_DB_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    fonet = [sys.executable, "-m", "api.cli"]
    subprocess.run([*fonet, "init"], check=True, env=env, capture_output=True)
    out = subprocess.run([*fonet, "summary", "--json"], check=True, env=env,
                         capture_output=True, text=True).stdout
    result = json.loads(out)
    assert (result["villages"], result["kecamatan"], result["schools"],
            result["route_components"]) == (304, 18, 633, 1)
    for key in ("sites_by_kind", "route_nodes", "route_edges", "route_km"):
        assert key in result
