"""As-built import on the real regency: cable snapped to the corridor graph, bad files refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from shapely.geometry import LineString, mapping
from shapely.ops import linemerge
from sqlalchemy import func, select

from fonet.errors import InputError
from fonet.geo import from_wkb
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import models as m
from fonet.store import reader, transaction
from gis.load import import_network


def _chain(engine, n: int = 4) -> tuple[LineString, list[int]]:  # noqa: ANN001
    """A line along ``n`` consecutive corridor edges of the store, and their ids."""
    import networkx as nx

    with reader(engine) as s:
        rows = list(s.scalars(select(m.RouteEdge).where(m.RouteEdge.kind == "corridor")))
    g = nx.Graph()
    for e in rows:
        g.add_edge(e.u, e.v, id=e.id, geom=from_wkb(e.geometry_wkb))
    start = rows[len(rows) // 2].u
    path = [start]
    while len(path) <= n:
        nxt = next(v for v in sorted(g.neighbors(path[-1])) if v not in path)
        path.append(nxt)
    geoms, ids = [], []
    for u, v in zip(path, path[1:], strict=False):
        geoms.append(g.edges[u, v]["geom"])
        ids.append(g.edges[u, v]["id"])
    line = linemerge(geoms)
    assert line.geom_type == "LineString"
    return line, ids


def _write(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _feature(geom, **props) -> dict:  # noqa: ANN001
    return {"type": "Feature", "geometry": mapping(geom), "properties": props}


def test_import_network_snaps_and_plans_reuse(regency_engine, tmp_path: Path) -> None:
    line, ids = _chain(regency_engine)
    a = line.coords[0]
    off = LineString([a, (a[0] + 0.02, a[1] + 0.015)])  # leaves the graph from a route node
    lost = LineString([(112.5101, -7.5502), (112.5107, -7.5499)])  # nowhere near a node
    path = _write(tmp_path / "asbuilt.geojson", [
        _feature(line, id="K-1", cores=48, install_method="aerial", status="built",
                 owner="Diskominfo", year=2022, cores_used=4),
        _feature(off, id="K-2", cores=24, owner="Telkom", year=2021),
        _feature(lost, id="K-3", cores=12),
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(a)},
         "properties": {"id": "ODF-1", "kind": "odf", "name": "ODF Diskominfo"}},
    ])
    result = import_network(regency_engine, path)
    assert result["cables"] == 2 and result["not_snapped"] == ["K-3"]
    assert result["spans"] == len(ids) + 1 and result["new_route_edges"] == 1
    assert result["points"] == 1
    with reader(regency_engine) as s:
        spans = list(s.scalars(select(m.Span).where(m.Span.plan_id.is_(None))))
        odf = s.scalar(select(m.Site).where(m.Site.code == "ODF-1"))
        new_edge = s.scalar(select(m.RouteEdge).where(m.RouteEdge.kind == "cable"))
    k1 = [sp for sp in spans if sp.attrs["asbuilt_id"] == "K-1"]
    assert sorted(sp.route_edge_id for sp in k1) == sorted(ids)
    assert all(sp.status == "built" and sp.cores == 48 and sp.attrs["owner"] == "Diskominfo"
               for sp in k1)
    assert odf.kind == "odf" and new_edge is not None and new_edge.length_m > 1000
    # a plan now reuses the built cable's spare cores where its routes follow it
    with transaction(regency_engine) as s:
        r = run_plan(s, load_profile()).to_json()
    assert r["reused_km"] + r["overlaid_km"] > 0
    assert r["new_km"] < r["route_km"]


def _bad(tmp_path: Path, name: str, features: list[dict]) -> Path:
    return _write(tmp_path / name, features)


@pytest.mark.parametrize(("case", "needle"), [
    ("outside", "outside the regency"),
    ("utm", "not plausible lon/lat"),
    ("negative", "cores must be a positive count"),
    ("missing", "missing value"),
    ("duplicate", "duplicate id"),
    ("method", "unknown install method"),
])
def test_bad_asbuilt_files_write_nothing(regency_engine, tmp_path: Path, case: str,
                                         needle: str) -> None:
    line, _ = _chain(regency_engine, 2)
    good = _feature(line, id="K-1", cores=24)
    features = {
        "outside": [good, _feature(LineString([(112.75, -7.25), (112.76, -7.26)]), id="SBY",
                                   cores=24)],  # Surabaya
        "utm": [_feature(LineString([(660000, 9170000), (661000, 9171000)]), id="U", cores=12)],
        "negative": [good, _feature(line, id="K-2", cores=-12)],
        "missing": [good, _feature(line, id="K-2", cores=None)],
        "duplicate": [good, _feature(line, id="K-1", cores=12)],
        "method": [_feature(line, id="K-9", cores=12, install_method="buried")],
    }[case]
    path = _bad(tmp_path, f"{case}.geojson", features)
    with reader(regency_engine) as s:
        before = (s.scalar(select(func.count()).select_from(m.Span)),
                  s.scalar(select(func.count()).select_from(m.RouteEdge)))
    with pytest.raises(InputError, match=needle) as info:
        import_network(regency_engine, path)
    assert str(path) in str(info.value)
    with reader(regency_engine) as s:
        after = (s.scalar(select(func.count()).select_from(m.Span)),
                 s.scalar(select(func.count()).select_from(m.RouteEdge)))
    assert after == before


def test_geopackage_without_crs_is_refused(regency_engine, tmp_path: Path) -> None:
    import geopandas as gpd

    line, _ = _chain(regency_engine, 2)
    path = tmp_path / "nocrs.gpkg"
    gpd.GeoDataFrame({"id": ["K-1"], "cores": [24]}, geometry=[line]).to_file(path)
    with pytest.raises(InputError, match="declares no CRS"):
        import_network(regency_engine, path)
    utm = tmp_path / "utm.gpkg"
    gpd.GeoDataFrame({"id": ["K-1"], "cores": [24]}, geometry=[line],
                     crs="EPSG:4326").to_crs("EPSG:32749").to_file(utm)
    assert import_network(regency_engine, utm)["cables"] == 1  # a declared CRS is honoured


def test_cli_import_network_exit_2(regency_db: str, tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.geojson", [
        _feature(LineString([(112.5, -7.55), (112.51, -7.55)]), id="K-1", cores=0)])
    env = {"FONET_DB_URL": regency_db, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    bad = subprocess.run([sys.executable, "-m", "api.cli", "import", "network", str(path)],
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "K-1" in bad.stderr and "cores" in bad.stderr


def test_kml_cables_import(regency_engine, tmp_path: Path) -> None:
    """Google Earth files: the cable's id and cores come from the placemark's extended data."""
    import geopandas as gpd

    line, ids = _chain(regency_engine, 3)
    path = tmp_path / "asbuilt.kml"
    gpd.GeoDataFrame({"id": ["KML-1"], "cores": [24], "owner": ["Diskominfo"], "year": [2023]},
                     geometry=[line], crs="EPSG:4326").to_file(path, driver="KML")
    result = import_network(regency_engine, path)
    assert result["cables"] == 1 and result["spans"] == len(ids)
    with reader(regency_engine) as s:
        spans = list(s.scalars(select(m.Span).where(m.Span.plan_id.is_(None))))
    assert {sp.attrs["asbuilt_id"] for sp in spans} == {"KML-1"}
    assert all(sp.cores == 24 and sp.attrs["year"] == 2023 for sp in spans)
