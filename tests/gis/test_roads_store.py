"""`fonet import roads`: OpenStreetMap roads replace the corridor graph in the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyproj import Geod
from shapely.geometry import LineString
from sqlalchemy import func, select

from fonet.errors import InputError, StateError
from fonet.store import models as m
from fonet.store import reader, transaction
from gis.load import import_roads

# A small road network in Sooko and Trowulan, and one road far away in Surabaya.
NODES = {1: (112.40, -7.50), 2: (112.42, -7.50), 3: (112.44, -7.50), 4: (112.42, -7.52),
         5: (112.44, -7.52), 6: (112.43, -7.51), 90: (112.74, -7.26), 91: (112.75, -7.26)}
WAYS = {10: ([1, 2, 6, 3], "secondary", "Jalan Raya Sooko"), 11: ([2, 4, 5], "residential", None),
        12: ([5, 3], "tertiary", None), 13: ([90, 91], "primary", "Jalan Surabaya")}


def osm_xml(path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for nid, (lon, lat) in NODES.items():
        lines.append(f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, (nds, hw, name) in WAYS.items():
        lines.append(f'<way id="{wid}" version="1">')
        lines += [f'<nd ref="{n}"/>' for n in nds]
        lines.append(f'<tag k="highway" v="{hw}"/>')
        if name:
            lines.append(f'<tag k="name" v="{name}"/>')
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines))
    return path


def test_roads_replace_corridors(regency_engine, tmp_path: Path) -> None:
    result = import_roads(regency_engine, osm_xml(tmp_path / "sooko.osm"))
    geod = Geod(ellps="WGS84")
    expected = sum(geod.geometry_length(LineString([NODES[n] for n in nds]))
                   for wid, (nds, _, _) in WAYS.items() if wid != 13)  # Surabaya clipped away
    assert result["road_km"] * 1000 == pytest.approx(expected, rel=1e-3)
    with reader(regency_engine) as s:
        kinds = dict(s.execute(select(m.RouteEdge.kind, func.count())
                               .group_by(m.RouteEdge.kind)).all())
        n_sites = s.scalar(select(func.count()).select_from(m.Site))
        road_m = s.scalar(select(func.sum(m.RouteEdge.length_m))
                          .where(m.RouteEdge.kind == "road"))
        classes = set(s.scalars(select(m.RouteEdge.road_class).where(m.RouteEdge.kind == "road")))
    assert "corridor" not in kinds
    assert kinds["drop"] == n_sites
    assert road_m == pytest.approx(expected, rel=1e-3)
    assert classes == {"secondary", "residential", "tertiary"}


def test_roads_outside_regency_refused(regency_engine, tmp_path: Path) -> None:
    import pyrosm

    with reader(regency_engine) as s:
        before = s.scalar(select(func.count()).select_from(m.RouteEdge))
    with pytest.raises(InputError, match="Helsinki.osm.pbf: no ways .* in the clip area"):
        import_roads(regency_engine, pyrosm.get_data("helsinki_pbf"))
    with reader(regency_engine) as s:
        assert s.scalar(select(func.count()).select_from(m.RouteEdge)) == before


def test_roads_refused_while_plans_exist(regency_engine, tmp_path: Path) -> None:
    from fonet.planning.plan import run_plan
    from fonet.planning.profile import load_profile

    with transaction(regency_engine) as s:
        run_plan(s, load_profile())
    with pytest.raises(StateError, match="plans"):
        import_roads(regency_engine, osm_xml(tmp_path / "sooko.osm"))
