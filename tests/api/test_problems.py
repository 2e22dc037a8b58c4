"""Bad input gets a problem detail (RFC 9457) saying what is wrong, and nothing is stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import ServiceSettings, create_app
from fonet.store import make_engine, reader
from fonet.store.models import Device, DeviceSecret, Plan, RouteNode, Site
from tests.api import bearer

PROBLEM = "application/problem+json"




@pytest.fixture(scope="module")
def client(store):
    settings = ServiceSettings(db_url=store, collectors=False, max_body_bytes=64 * 1024)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def engine(store):
    eng = make_engine(store)
    yield eng
    eng.dispose()


def counts(engine) -> dict[str, int]:
    with reader(engine) as s:
        return {t.__name__: s.scalar(select(func.count()).select_from(t))
                for t in (Site, RouteNode, Device, DeviceSecret, Plan)}


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("urn:fonet:problem:") or body["type"] == "about:blank"
    return body


def test_invalid_json(client, tokens, engine):
    before = counts(engine)
    r = client.post("/api/v1/sites", content=b'{"code": "OPD-1", "name": ',
                    headers={**bearer(tokens["engineer"]), "Content-Type": "application/json"})
    body = problem(r, 400)
    assert "not valid JSON" in body["detail"] and body["instance"] == "/api/v1/sites"
    assert counts(engine) == before


def test_out_of_range_and_outside_the_regency(client, tokens, engine):
    before = counts(engine)
    h = bearer(tokens["engineer"])
    r = client.post("/api/v1/sites", headers=h, json={"code": "OPD-FAR", "name": "x",
                                                      "kind": "opd", "lon": 512.0, "lat": -7.5})
    body = problem(r, 422)
    assert [e["loc"] for e in body["errors"]] == ["body.lon"]
    assert "body.lon" in body["detail"] and "180" in body["detail"]
    # a real place, but in Surabaya: outside the regency plus 3 km
    r = client.post("/api/v1/sites", headers=h, json={"code": "OPD-SBY", "name": "x",
                                                      "kind": "opd", "lon": 112.75,
                                                      "lat": -7.26})
    assert "outside the regency" in problem(r, 422)["detail"]
    r = client.post("/api/v1/routes", headers=h,
                    json={"from": {"lon": 112.75, "lat": -7.26}, "to": "KO-35.16.01"})
    body = problem(r, 422)
    assert "body.from" in body["detail"] and "outside the regency" in body["detail"]
    r = client.post("/api/v1/routes", headers=h,
                    json={"from": {"lon": 112.5, "lat": -91}, "to": "KO-35.16.01"})
    assert any("lat" in e["loc"] for e in problem(r, 422)["errors"])
    r = client.post("/api/v1/sites", headers=h, json={"code": "OPD-K", "name": "x",
                                                      "kind": "castle", "lon": 112.5,
                                                      "lat": -7.5})
    assert problem(r, 422)["errors"][0]["loc"] == "body.kind"
    assert counts(engine) == before


def test_unknown_ids(client, tokens):
    v, a, e = (bearer(tokens[k]) for k in ("viewer", "admin", "engineer"))
    assert "no plan with id 999" in problem(client.get("/api/v1/plans/999", headers=v),
                                            404)["detail"]
    for path in ("/api/v1/plans/999/spans", "/api/v1/plans/999/coverage",
                 "/api/v1/sites/NO-SUCH-SITE", "/api/v1/plans/999/villages"):
        problem(client.get(path, headers=v), 404)
    problem(client.get("/api/v1/devices/nope", headers=a), 404)
    problem(client.delete("/api/v1/tokens/424242", headers=a), 404)
    problem(client.post("/api/v1/alarms/424242/ack", json={"comment": "x"}, headers=e), 404)
    r = client.post("/api/v1/routes", headers=e, json={"from": "NO-SUCH", "to": "KO-35.16.01"})
    assert "NO-SUCH" in problem(r, 404)["detail"]
    r = client.post("/api/v1/impact/what-if", headers=v, json={"links": ["P1:no-such-link"]})
    assert "P1:no-such-link" in problem(r, 404)["detail"]
    problem(client.get("/api/v1/plans/not-a-number", headers=v), 422)
    problem(client.get("/api/v1/no/such/thing", headers=v), 404)
    body = problem(client.put("/api/v1/sites", headers=v, json={}), 405)
    assert "PUT" in body["detail"]
    problem(client.get("/map/no-such-file.js"), 404)


def test_oversized_bodies(client, tokens, engine):
    before = counts(engine)
    big = {"code": "OPD-BIG", "name": "x", "kind": "opd", "lon": 112.5, "lat": -7.5,
           "attrs": {"blob": "x" * 100_000}}
    r = client.post("/api/v1/sites", headers=bearer(tokens["engineer"]), json=big)
    body = problem(r, 413)
    assert "too large" in body["detail"] and "65536" in body["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b"x" * 1024

    r = client.post("/api/v1/sites", headers={**bearer(tokens["engineer"]),
                                              "Content-Type": "application/json"},
                    content=chunks())
    problem(r, 413)
    assert counts(engine) == before


def test_nothing_stored_half_way(client, tokens, engine):
    h = bearer(tokens["admin"])
    before = counts(engine)
    # the device row would be written before its credentials are checked: all or nothing
    r = client.post("/api/v1/devices", headers=h, json={"name": "half", "host": "127.0.0.1",
                                                       "community": "c", "v3_user": "u"})
    assert "either a community" in problem(r, 422)["detail"]
    r = client.post("/api/v1/devices", headers=h, json={"name": "half", "host": "127.0.0.1",
                                                       "community": "c", "site": "NO-SITE"})
    assert "NO-SITE" in problem(r, 422)["detail"]
    r = client.post("/api/v1/devices", headers=h, json={"name": "half", "host": "127.0.0.1",
                                                       "community": "c",
                                                       "profiles": ["if_mib", "nokia_magic"]})
    assert "nokia_magic" in problem(r, 422)["detail"]
    # a site code that exists already: neither a second site nor a route node
    lon, lat = 112.5, -7.5
    r = client.post("/api/v1/sites", headers=h, json={"code": "KO-35.16.01", "name": "dup",
                                                      "kind": "opd", "lon": lon, "lat": lat})
    assert "exists already" in problem(r, 422)["detail"]
    r = client.post("/api/v1/plans", headers=h, json={"pop": "NO-SUCH-POP"})
    assert "NO-SUCH-POP" in problem(r, 404)["detail"]
    r = client.post("/api/v1/plans", headers=h,
                    json={"profile": {"demand": {"core_sizes": [-12]}}})
    assert problem(r, 422)["detail"].startswith("body.profile")
    r = client.post("/api/v1/plans", headers=h, json={"colour": "blue"})
    assert problem(r, 422)["errors"][0]["loc"] == "body.colour"
    # extension phases: a budget of nothing, a kind that does not exist, an unknown site
    r = client.post("/api/v1/plans", headers=h, json={"targets": ["school"], "budget_idr": 0})
    assert "more than zero" in problem(r, 422)["detail"]
    r = client.post("/api/v1/plans", headers=h, json={"targets": ["hospital"]})
    assert "hospital" in problem(r, 422)["detail"]
    r = client.post("/api/v1/plans", headers=h, json={"targets": ["school"],
                                                      "priority": {"NO-SITE-9": 2}})
    assert "NO-SITE-9" in problem(r, 422)["detail"]
    r = client.post("/api/v1/plans", headers=h, json={"hubs": {"Pacet": "KO-35.16.04"}})
    assert "not in" in problem(r, 422)["detail"]
    assert counts(engine) == before
