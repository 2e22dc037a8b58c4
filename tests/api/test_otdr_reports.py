"""POST /api/v1/otdr/locate with a trace, and GET /api/v1/reports/availability."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import ServiceSettings, create_app
from fonet.otdr import TraceSpec, WrittenEvent, sor_bytes
from fonet.store import make_engine, reader
from fonet.store.models import Link, Site
from tests.api import bearer


@pytest.fixture(scope="module")
def client(store, tokens):
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False))) as c:
        c.headers.update(bearer(tokens["viewer"]))
        yield c


@pytest.fixture(scope="module")
def access_link(store):
    eng = make_engine(store)
    with reader(eng) as s:
        link = s.scalar(select(Link).where(Link.name.like("P%:AC:%")).order_by(Link.name))
        hub = s.get(Site, link.a_site_id).code
    eng.dispose()
    return link.name, hub


def test_locate_with_a_trace_and_with_a_distance(client, access_link):
    name, hub = access_link
    body = sor_bytes(TraceSpec([WrittenEvent(800.0, 0.0, -14.0, end=True)]))
    r = client.post("/api/v1/otdr/locate", params={"link": name, "from": hub}, content=body,
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["optical_distance_m"] == pytest.approx(800.0, abs=0.1)
    assert got["uncertainty_m"] > 0 and {"lon", "lat"} == set(got["point"])
    assert got["otdr"]["end_of_fibre_m"] == pytest.approx(800.0, abs=0.1)
    r2 = client.post("/api/v1/otdr/locate",
                     params={"link": name, "from": hub, "distance_m": 800.0})
    assert r2.status_code == 200 and r2.json()["span"] == got["span"]


@pytest.mark.parametrize(("params", "body", "status", "words"), [
    ({"distance_m": 1e5}, None, 422, "beyond the end"),
    ({}, b"not an otdr file at all, just words", 422, "not an SOR file"),
    ({}, None, 422, "either an SOR file or --distance-m"),
    ({"distance_m": 5, "from": "nowhere"}, None, 404, "no site code"),
])
def test_locate_bad_input_is_a_problem(client, access_link, params, body, status, words):
    name, hub = access_link
    q = {"link": name, "from": hub, **params}
    kwargs = {"content": body, "headers": {"Content-Type": "application/octet-stream"}} \
        if body else {}
    r = client.post("/api/v1/otdr/locate", params=q, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert words in r.json()["detail"]


def test_availability_report(client):
    r = client.get("/api/v1/reports/availability", params={"month": "2026-11"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["month"] == "2026-11" and len(got["sites"]) > 300 and got["worst"] == []
    worst = client.get("/api/v1/reports/availability",
                       params={"month": "2026-11", "worst_only": True}).json()
    assert "sites" not in worst and "worst" in worst
    csv = client.get("/api/v1/reports/availability", params={"month": "2026-11",
                                                             "format": "csv"})
    assert csv.status_code == 200 and csv.text.startswith("level,date,code,")
    pdf = client.get("/api/v1/reports/availability", params={"month": "2026-11",
                                                             "format": "pdf", "days": False})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for bad in ("2026-13", "11-2026"):
        r = client.get("/api/v1/reports/availability", params={"month": bad})
        assert r.status_code == 422 and "month" in r.text
