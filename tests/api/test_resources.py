"""Resources: paginated lists, RFC 7946 map layers, plans, coverage, routes, links."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from api.app import ServiceSettings, create_app
from fonet.store import make_engine, reader
from fonet.store.models import Area, Link, Site, Span
from tests.api import bearer

# the regency and 3 km around it, in lon/lat
LON, LAT = (112.2, 112.75), (-7.9, -7.3)




@pytest.fixture(scope="module")
def client(store, tokens):
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False))) as c:
        c.headers.update(bearer(tokens["viewer"]))
        yield c


@pytest.fixture(scope="module")
def engine(store):
    eng = make_engine(store)
    yield eng
    eng.dispose()


def check_geojson(fc: dict, geometry_types: set[str], *, unlocated: bool = False) -> list:
    """Check a FeatureCollection against RFC 7946; return its shapely geometries.

    ``unlocated`` allows features with a null geometry (RFC 7946 §3.2).
    """
    assert fc["type"] == "FeatureCollection" and isinstance(fc["features"], list)
    assert "crs" not in fc  # RFC 7946: always WGS84 lon/lat
    geoms = []
    for f in fc["features"]:
        assert f["type"] == "Feature" and isinstance(f["properties"], dict)
        g = f["geometry"]
        if g is None and unlocated:
            continue
        assert g["type"] in geometry_types, g["type"]
        geom = shape(g)
        assert geom.is_valid and not geom.is_empty, f.get("id")
        x0, y0, x1, y1 = geom.bounds
        assert LON[0] < x0 <= x1 < LON[1] and LAT[0] < y0 <= y1 < LAT[1], geom.bounds
        if g["type"] in ("Polygon", "MultiPolygon"):
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
            for rings in polys:
                for ring in rings:
                    assert ring[0] == ring[-1] and len(ring) >= 4
        geoms.append(geom)
    if fc["features"]:
        bx0, by0, bx1, by1 = fc["bbox"]
        assert all(bx0 <= g.bounds[0] and g.bounds[2] <= bx1 and by0 <= g.bounds[1]
                   and g.bounds[3] <= by1 for g in geoms)
    return geoms


def test_pagination(client, engine):
    with reader(engine) as s:
        total = s.scalar(select(func.count()).select_from(Site))
        offices = s.scalar(select(func.count()).select_from(Site)
                           .where(Site.kind == "village_office"))
    first = client.get("/api/v1/sites?limit=50").json()
    assert first["total"] == total and first["limit"] == 50 and first["offset"] == 0
    assert len(first["items"]) == 50
    seen = []
    offset = 0
    while offset < total:
        page = client.get(f"/api/v1/sites?limit=400&offset={offset}").json()
        assert page["total"] == total
        seen += [x["code"] for x in page["items"]]
        offset += 400
    assert len(seen) == total == len(set(seen)) and seen == sorted(seen)
    past = client.get(f"/api/v1/sites?offset={total + 10}").json()
    assert past["items"] == [] and past["total"] == total
    only = client.get("/api/v1/sites?kind=village_office&limit=1").json()
    assert only["total"] == offices
    for bad in ("limit=0", "limit=1001", "offset=-1", "limit=ten"):
        r = client.get(f"/api/v1/sites?{bad}")
        assert r.status_code == 422 and r.json()["errors"][0]["loc"].startswith("query.")
    links = client.get("/api/v1/links?limit=7&offset=3").json()
    with reader(engine) as s:
        assert links["total"] == s.scalar(select(func.count()).select_from(Link))
    assert len(links["items"]) == 7
    plans = client.get("/api/v1/plans?limit=1").json()
    assert plans["total"] >= 1 and plans["items"][0]["villages_connected"] == 304


def test_base_layers_are_rfc7946(client, engine):
    villages = client.get("/api/v1/areas/village").json()
    geoms = check_geojson(villages, {"Polygon", "MultiPolygon"})
    assert len(geoms) == 304
    assert len({f["properties"]["code"] for f in villages["features"]}) == 304
    kec = client.get("/api/v1/areas/kecamatan").json()
    assert len(check_geojson(kec, {"Polygon", "MultiPolygon"})) == 18
    (regency,) = check_geojson(client.get("/api/v1/areas/regency?tolerance_m=0").json(),
                               {"Polygon", "MultiPolygon"})
    with reader(engine) as s:
        from fonet.geo import from_wkb

        stored = from_wkb(s.scalar(select(Area.geometry_wkb).where(Area.level == "regency")))
    assert abs(regency.area - stored.area) / stored.area < 1e-4
    assert client.get("/api/v1/areas/province").status_code == 422
    graph = client.get("/api/v1/graph").json()
    edges = check_geojson(graph, {"LineString", "MultiLineString"})
    assert graph["edges"] == len(edges) > 1000
    drops = client.get("/api/v1/graph?kind=drop").json()
    assert {f["properties"]["kind"] for f in drops["features"]} == {"drop"}
    sites = client.get("/api/v1/sites/geojson?kind=kecamatan_office").json()
    assert len(check_geojson(sites, {"Point"})) == 18


def test_plan_layers_and_coverage(client, engine):
    plan_id = client.get("/api/v1/plans").json()["items"][-1]["id"]
    plan = client.get(f"/api/v1/plans/{plan_id}").json()
    spans = client.get(f"/api/v1/plans/{plan_id}/spans").json()
    check_geojson(spans, {"LineString", "MultiLineString"})
    with reader(engine) as s:
        n = s.scalar(select(func.count()).select_from(Span)
                     .where(Span.plan_id == plan_id, Span.length_m > 0))
    assert len(spans["features"]) == n
    roles = {f["properties"]["role"] for f in spans["features"]}
    assert roles == {"backbone", "access"}
    edges = {f["properties"]["route_edge_id"]: f["properties"]["length_m"]
             for f in spans["features"]}
    assert sum(edges.values()) / 1000 == pytest.approx(plan["route_km"], rel=0.01)
    rings = {f["properties"]["ring"] for f in spans["features"]
             if f["properties"]["role"] == "backbone"}
    assert rings == {r["ring"] for r in plan["summary"]["rings"]}
    sites = client.get(f"/api/v1/plans/{plan_id}/sites").json()
    check_geojson(sites, {"Point"})
    by_role = {}
    for f in sites["features"]:
        by_role.setdefault(f["properties"]["plan_role"], []).append(f)
    assert len(by_role["pop"]) == 1 and by_role["pop"][0]["id"] == plan["pop"]["code"]
    assert len(by_role["hub"]) + 1 >= 17
    cov = client.get(f"/api/v1/plans/{plan_id}/coverage").json()
    assert len(cov["kecamatan"]) == 18 and cov["total"]["villages"] == 304
    assert sum(r["villages"] for r in cov["kecamatan"]) == 304
    for r in cov["kecamatan"] + [cov["total"]]:
        assert r["villages_built"] + r["villages_planned"] + \
            r["villages_not_covered"] == r["villages"]
    # nothing is built yet: every reached village is planned
    assert cov["total"]["villages_planned"] == plan["villages_connected"]
    villages = client.get(f"/api/v1/plans/{plan_id}/villages").json()
    check_geojson(villages, {"Polygon", "MultiPolygon"})
    status = [f["properties"]["status"] for f in villages["features"]]
    assert status.count("planned") == cov["total"]["villages_planned"]


def test_site_created_is_placed_and_joined(client, tokens, engine):
    ko = client.get("/api/v1/sites/KO-35.16.10").json()
    lon, lat = ko["lon"] + 0.004, ko["lat"] - 0.003
    r = client.post("/api/v1/sites", headers=bearer(tokens["engineer"]),
                    json={"code": "OPD-PUSKESMAS-X", "name": "Puskesmas X", "kind": "opd",
                          "lon": lon, "lat": lat, "attrs": {"note": "surveyed 2026"}})
    assert r.status_code == 201, r.text
    site = r.json()
    assert site["location_source"] == "surveyed" and site["snap_m"] > 0
    with reader(engine) as s:
        from fonet.geo import from_wkb

        village = s.scalar(select(Area).where(Area.code == site["village_code"]))
        assert from_wkb(village.geometry_wkb).contains(Point(lon, lat))
    assert client.get("/api/v1/sites/OPD-PUSKESMAS-X").json()["attrs"] == \
        {"note": "surveyed 2026"}
    route = client.post("/api/v1/routes", headers=bearer(tokens["engineer"]),
                        json={"from": "OPD-PUSKESMAS-X", "to": "KO-35.16.10"}).json()
    assert route["least_cost"]["length_m"] > 0


def test_route_between_points(client, tokens):
    a = client.get("/api/v1/sites/KO-35.16.03").json()
    b = client.get("/api/v1/sites/KO-35.16.12").json()
    r = client.post("/api/v1/routes", headers=bearer(tokens["engineer"]),
                    json={"from": {"lon": a["lon"], "lat": a["lat"]},
                          "to": {"lon": b["lon"], "lat": b["lat"]}, "k": 2})
    assert r.status_code == 200, r.text
    out = r.json()
    best = out["least_cost"]
    lines = check_geojson(out["geojson"], {"LineString", "MultiLineString"})
    assert len(lines) == len(out["routes"]) == 2
    from fonet.geo import distance_m, geodesic_length_m

    crow = distance_m(a["lon"], a["lat"], b["lon"], b["lat"])
    assert crow < best["length_m"] < 3 * crow and best["cost_idr"] > 0
    assert geodesic_length_m(lines[0]) == pytest.approx(best["length_m"], rel=0.02)
    assert set(out["routes"][0]["edge_ids"]).isdisjoint(out["routes"][1]["edge_ids"])


def test_links_and_noc_state(client, engine):
    fc = client.get("/api/v1/links/geojson").json()
    with reader(engine) as s:
        n = s.scalar(select(func.count()).select_from(Link))
    assert len(fc["features"]) == n
    lines = check_geojson(fc, {"LineString", "MultiLineString"}, unlocated=True)
    assert len(lines) > 0.9 * n
    assert {f["properties"]["state"] for f in fc["features"]} == {"unknown"}
    ring = client.get("/api/v1/links/geojson?monitored=false&state=unknown").json()
    assert len(ring["features"]) == n
    assert client.get("/api/v1/links/geojson?state=down").json()["features"] == []
    noc = client.get("/api/v1/noc/state").json()
    assert noc["links"] == [] and noc["alarms"] == [] and noc["cursor"].startswith("L")
