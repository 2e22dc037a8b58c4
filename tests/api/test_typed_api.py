"""The complete, typed API: CRUD of sites, plans (archive), interfaces and link ends; the
history of an interface; filters, ordering; cached reads with ETag, 304 and gzip; the
OpenAPI document's typed answers and problem details."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import ServiceSettings, create_app
from fonet.devices import add_device
from fonet.store import make_engine, transaction
from fonet.store.models import Interface, Link
from fonet.store.observed import InterfaceRollup, InterfaceSample
from tests.api import bearer


@pytest.fixture(scope="module")
def client(store, tokens):
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False))) as c:
        c.headers.update(bearer(tokens["viewer"]))
        yield c


@pytest.fixture(scope="module")
def ifaces(store):
    """A device with two interfaces; the first has two hours of samples and older rollups."""
    eng = make_engine(store)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with transaction(eng) as s:
        dev = add_device(s, "olt-typed", "127.0.0.1", port=16162, community="x")
        a = Interface(device_id=dev.id, if_index=1, name="xe-0/0/1")
        z = Interface(device_id=dev.id, if_index=2, name="xe-0/0/2")
        s.add_all([a, z])
        s.flush()
        for k in range(120):  # one sample a minute, the last two hours
            s.add(InterfaceSample(interface_id=a.id, polled_at=now - timedelta(minutes=k),
                                  counter_bits=64, in_rate_bps=1000.0 * (k % 10),
                                  out_rate_bps=500.0, rx_power_dbm=-10.0 - k / 100,
                                  in_errors_per_s=0.5, out_errors_per_s=0.25))
        for k in range(12):  # rollups of the day before
            s.add(InterfaceRollup(interface_id=a.id, samples=5,
                                  bucket_start=now - timedelta(days=1, minutes=5 * k),
                                  in_rate_bps_avg=2000.0, in_rate_bps_max=9000.0,
                                  out_rate_bps_avg=400.0, out_rate_bps_max=800.0,
                                  rx_power_dbm_avg=-11.0, rx_power_dbm_min=-12.5,
                                  errors_per_s_max=3.0, oper_down_samples=0))
        ids = a.id, z.id
    eng.dispose()
    return ids


def test_series_from_samples_and_rollups(client, ifaces):
    a, _ = ifaces
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    r = client.get(f"/api/v1/interfaces/{a}/series", params={
        "metric": "in_bps", "from": (now - timedelta(hours=2)).isoformat(),
        "to": now.isoformat(), "step": 600})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["source"] == "raw" and s["step_s"] == 600 and s["unit"] == "bit/s"
    assert len(s["t"]) == len(s["value"]) == len(s["peak"]) == 12
    assert s["t"][1] - s["t"][0] == 600 and s["from"].startswith(str(now.year))
    # each 10-minute bucket holds k % 10 for ten consecutive k: mean 4500, peak 9000
    full = [(v, p) for v, p in zip(s["value"], s["peak"], strict=True) if v is not None]
    assert full and all(v == pytest.approx(4500.0) and p == 9000.0 for v, p in full[1:-1])
    # the default range (the last 24 h) reaches the day-old rollups only at its edge; two
    # days read both
    r = client.get(f"/api/v1/interfaces/{a}/series", params={
        "metric": "rx_dbm", "from": (now - timedelta(days=2)).isoformat(),
        "to": now.isoformat()})
    s = r.json()
    assert s["source"] == "raw+rollup" and s["step_s"] == 240
    assert min(p for p in s["peak"] if p is not None) == pytest.approx(-12.5)
    r = client.get(f"/api/v1/interfaces/{a}/series", params={"metric": "errors"})
    assert max(v for v in r.json()["value"] if v is not None) == pytest.approx(0.75)


@pytest.mark.parametrize(("params", "status"), [
    ({"metric": "volts"}, 422),
    ({"metric": "in_bps", "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, 422),
    ({"metric": "in_bps", "from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, 422),
    ({"metric": "in_bps", "from": "2026-01-01T00:00:00Z", "to": "2026-01-08T00:00:00Z",
      "step": 10}, 422),
    ({"metric": "in_bps", "from": "2026-01-01T00:00:00"}, 422),  # no zone
])
def test_series_bad_input_is_a_problem(client, ifaces, params, status):
    r = client.get(f"/api/v1/interfaces/{ifaces[0]}/series", params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/interfaces/999999/series?metric=in_bps").status_code == 404


def test_interfaces_and_link_ends(client, tokens, ifaces, store):
    a, z = ifaces
    listed = client.get("/api/v1/interfaces?device=olt-typed&order=-if_index").json()
    assert [i["id"] for i in listed["items"]] == [z, a] and listed["total"] == 2
    admin = bearer(tokens["admin"])
    r = client.patch(f"/api/v1/interfaces/{a}", headers=admin, json={"alias": "to Sooko"})
    assert r.status_code == 200 and r.json()["alias"] == "to Sooko"
    assert client.patch(f"/api/v1/interfaces/{a}", json={"alias": "x"}).status_code == 403
    eng = make_engine(store)
    with transaction(eng) as s:
        link = s.scalar(select(Link).where(Link.name.like("P%:AC:%")).order_by(Link.id))
        link_id, name = link.id, link.name
    eng.dispose()
    r = client.put(f"/api/v1/links/{link_id}/terminations", headers=admin,
                   json={"a": "olt-typed:xe-0/0/1", "z": "olt-typed:2"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["a_interface_id"], got["z_interface_id"], got["monitored"]) == (a, z, True)
    assert got["role"] == "access" and got["name"] == name
    assert client.get(f"/api/v1/interfaces/{a}").json()["links"] == [name]
    assert client.get("/api/v1/interfaces?linked=true&device=olt-typed").json()["total"] == 2
    r = client.put(f"/api/v1/links/{link_id}/terminations", headers=admin,
                   json={"a": "olt-typed:xe-9/9/9", "z": "olt-typed:2"})
    assert r.status_code == 404 and "xe-9/9/9" in r.json()["detail"]
    r = client.delete(f"/api/v1/links/{link_id}/terminations", headers=admin)
    assert r.status_code == 200 and r.json()["monitored"] is False
    r = client.get("/api/v1/links?role=backbone&order=-name&limit=3").json()
    assert all(i["role"] == "backbone" for i in r["items"])
    assert [i["name"] for i in r["items"]] == sorted((i["name"] for i in r["items"]),
                                                      reverse=True)
    assert client.get("/api/v1/links?order=colour").status_code == 422


def test_sites_are_changed_and_removed(client, tokens):
    h = bearer(tokens["engineer"])
    r = client.post("/api/v1/sites", headers=h, json={
        "code": "OPD-TYPED-1", "name": "Typed", "kind": "opd", "lon": 112.47, "lat": -7.46})
    assert r.status_code == 201
    r = client.patch("/api/v1/sites/OPD-TYPED-1", headers=h, json={"name": "Renamed",
                                                                   "kind": "other"})
    assert r.status_code == 200 and (r.json()["name"], r.json()["kind"]) == ("Renamed",
                                                                            "other")
    assert client.patch("/api/v1/sites/OPD-TYPED-1", headers=h,
                        json={"name": None}).status_code == 422
    assert client.patch("/api/v1/sites/OPD-TYPED-1", headers=h,
                        json={"lon": 1}).status_code == 422
    # a site a plan serves is kept
    r = client.delete("/api/v1/sites/KO-35.16.01", headers=h)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert client.delete("/api/v1/sites/OPD-TYPED-1", headers=h).status_code == 204
    assert client.get("/api/v1/sites/OPD-TYPED-1").status_code == 404
    names = [s["name"] for s in client.get("/api/v1/sites?kind=kecamatan_office&order=-name"
                                           ).json()["items"]]
    assert names == sorted(names, reverse=True) and len(names) == 18


def test_plans_are_renamed_archived_and_restored(client, tokens):
    h = bearer(tokens["engineer"])
    plan = client.get("/api/v1/plans").json()["items"][0]
    r = client.patch(f"/api/v1/plans/{plan['id']}", headers=h, json={"name": "renamed"})
    assert r.status_code == 200 and r.json()["name"] == "renamed"
    assert client.get(f"/api/v1/plans/{plan['id']}").json()["name"] == "renamed"
    r = client.delete(f"/api/v1/plans/{plan['id']}", headers=h)
    assert r.status_code == 200 and r.json()["archived_at"]
    assert plan["id"] not in [p["id"] for p in client.get("/api/v1/plans").json()["items"]]
    archived = client.get("/api/v1/plans?archived=true").json()["items"]
    assert plan["id"] in [p["id"] for p in archived]
    assert client.get(f"/api/v1/plans/{plan['id']}/spans").status_code == 200  # kept whole
    r = client.patch(f"/api/v1/plans/{plan['id']}", headers=h, json={"archived": False})
    assert r.json()["archived_at"] is None
    assert client.delete(f"/api/v1/plans/{plan['id']}").status_code == 403


def test_cached_reads_revalidate_and_compress(client, tokens):
    plan_id = client.get("/api/v1/plans").json()["items"][0]["id"]
    for path in (f"/api/v1/plans/{plan_id}/spans", "/api/v1/links/geojson",
                 "/api/v1/noc/state", "/api/v1/areas/village", f"/api/v1/plans/{plan_id}"):
        first = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200, path
        etag = first.headers["etag"]
        assert first.headers["cache-control"] == "private, no-cache"
        if len(first.content) > 1024:
            assert first.headers["content-encoding"] == "gzip", path
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"", path
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == first.content  # httpx decoded the gzip body
        assert gzip.compress(plain.content) != plain.content
    # a write renders the plan's answers anew
    before = client.get(f"/api/v1/plans/{plan_id}").headers["etag"]
    client.patch(f"/api/v1/plans/{plan_id}", headers=bearer(tokens["engineer"]),
                 json={"name": "cache test"})
    after = client.get(f"/api/v1/plans/{plan_id}", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.json()["name"] == "cache test"


def test_openapi_types_every_answer_and_documents_problems(client):
    doc = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            ok = [c for c in op["responses"] if c.startswith("2")]
            assert ok, (method, path)
            for code, resp in op["responses"].items():
                if code.startswith(("4", "5")):
                    assert list(resp["content"]) == ["application/problem+json"], (path, code)
            if op.get("security"):
                assert {"401", "403", "429"} <= set(op["responses"]), (method, path)
            for code in ok:
                content = op["responses"][code].get("content") or {}
                if code == "204" or path.endswith(("/events", "/result")):
                    continue
                assert content, (method, path, code)
                # a file (pdf, xlsx, csv...) has no JSON schema: it is declared binary
                files = {m: v.get("schema") for m, v in content.items() if "json" not in m}
                assert all(s and s.get("type") == "string" for s in files.values()), (
                    method, path, files)
                schemas = [v.get("schema") for m, v in content.items() if "json" in m]
                assert all(s and (s.get("$ref") or s.get("properties")
                                  or s.get("items")) for s in schemas), (
                    method, path, schemas)


def test_unknown_filters_are_refused(client):
    r = client.get("/api/v1/sites?kinds=opd")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["loc"] == "query.kinds" and "kind" in r.json()["detail"]
    assert client.get("/api/v1/plans?order=cost").status_code == 422
    assert client.get("/api/v1/sites?kind=opd&order=-name&limit=2").status_code == 200
