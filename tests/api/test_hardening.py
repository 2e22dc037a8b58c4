"""Defects found by a NOC operator and an attacker, and the service's hardening.

- ``Last-Event-ID: L9223372036854775808.A1`` answered 500 and left a dead subscriber;
- ``POST /routes {"from": "0,0"}`` skipped the inside-the-regency check;
- ``/docs`` loaded Swagger UI from a CDN (blank offline);
- ``HEAD`` was 405, no security headers; writes left no audit trail.
"""

from __future__ import annotations

import itertools
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import ServiceSettings, create_app
from tests.api import Server, bearer, make_tokens
from tests.waiting import wait_until as shared_wait_until


@pytest.fixture(scope="module")
def client(store, tokens):
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False))) as c:
        yield c


@pytest.fixture(scope="module")
def server(store, tmp_path_factory):
    srv = Server(store, tmp_path_factory.mktemp("hardening-serve") / "serve.log",
                 FONET_COLLECTORS="false")
    yield srv
    srv.stop()


def subscribers(base: str) -> int:
    return httpx.get(base + "/healthz", timeout=5).json()["events"]["subscribers"]


def wait_until(check, timeout_s: float = 20.0, what: str = "") -> None:  # noqa: ANN001
    shared_wait_until(check, timeout_s, what)


@pytest.mark.parametrize("last_id", ["L9223372036854775808.A1", "L99999999999999999999999.A",
                                     "L-1.A1", b"L1_000.A1", "garbage", "L" + "9" * 70])
def test_malformed_last_event_id_is_ignored_and_leaves_no_subscriber(server, store, last_id):
    token = make_tokens(store)["viewer"]
    before = subscribers(server.base)
    headers = {**bearer(token), "Last-Event-ID": last_id}
    with httpx.stream("GET", server.base + "/api/v1/events", headers=headers,
                      timeout=httpx.Timeout(5, read=10)) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = r.iter_lines()
        assert next(lines).startswith("retry:")
        first = list(itertools.islice(lines, 3))  # "", "event: hello", "id: ..."
        assert any(line.startswith("event: hello") for line in first)
        assert subscribers(server.base) == before + 1
    # the client went away: its subscription goes too
    wait_until(lambda: subscribers(server.base) == before, what="the subscriber to go")
    assert "Traceback" not in server.log()


def test_stream_ends_when_its_token_is_revoked(server, store):
    tokens = make_tokens(store)
    viewer_id = httpx.get(server.base + "/api/v1/me", headers=bearer(tokens["viewer"])
                          ).json()["id"]
    events = []
    with httpx.stream("GET", server.base + "/api/v1/events", headers=bearer(tokens["viewer"]),
                      timeout=httpx.Timeout(5, read=30)) as r:
        assert r.status_code == 200
        revoked = False
        for line in r.iter_lines():
            if line.startswith("event:"):
                events.append(line[6:].strip())
            if events == ["hello"] and not revoked:
                d = httpx.delete(f"{server.base}/api/v1/tokens/{viewer_id}",
                                 headers=bearer(tokens["admin"]), timeout=10)
                assert d.status_code == 200
                revoked = True
    assert events[-1] == "bye"  # the stream ended by itself


def test_route_from_a_lonlat_string_outside_the_regency_is_422(client, tokens):
    h = bearer(tokens["engineer"])
    for bad in ("0,0", "112.43,-9.5", "nan,nan", "inf,-7.5", "181,0"):
        r = client.post("/api/v1/routes", headers=h, json={"from": bad, "to": "KO-35.16.10"})
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = client.post("/api/v1/routes", headers=h, json={"from": {"lon": 0, "lat": 0},
                                                       "to": "KO-35.16.10"})
    assert r.status_code == 422 and "outside the regency" in r.json()["detail"]
    site = client.get("/api/v1/sites/KO-35.16.03", headers=h).json()
    r = client.post("/api/v1/routes", headers=h,
                    json={"from": f"{site['lon']},{site['lat']}", "to": "KO-35.16.10"})
    assert r.status_code == 200 and r.json()["least_cost"]["length_m"] > 0


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_load_nothing_from_outside(client, page):
    r = client.get(page)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text), r.text
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", r.text)
    assert len(assets) >= 1
    for a in assets:
        got = client.get(a)
        assert got.status_code == 200, a
        assert len(got.content) > 300, a
    assert client.get("/openapi.json").json()["openapi"].startswith("3.")


def test_head_answers_wherever_get_does(client, tokens):
    for path, headers in (("/healthz", {}), ("/api/v1/sites?limit=5", bearer(tokens["viewer"])),
                          ("/map/", {}), ("/docs", {})):
        get = client.get(path, headers=headers)
        head = client.head(path, headers=headers)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
    assert client.head("/api/v1/sites").status_code == 401


def test_security_headers(client, tokens):
    for path in ("/map/", "/api/v1/me", "/healthz", "/nothing-here"):
        r = client.get(path, headers=bearer(tokens["viewer"]))
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "no-referrer"
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self';" in csp
        assert "frame-ancestors 'none'" in csp


def test_writes_are_audited_and_admins_read_the_log(client, tokens):
    h = bearer(tokens["engineer"])
    r = client.post("/api/v1/sites", headers=h, json={
        "code": "OPD-AUDIT-1", "name": "Audit test", "kind": "opd", "lon": 112.45,
        "lat": -7.47})
    assert r.status_code == 201, r.text
    bad = client.post("/api/v1/sites", headers=h, json={"code": "x"})
    assert bad.status_code == 422
    assert client.get("/api/v1/audit", headers=h).status_code == 403
    log = client.get("/api/v1/audit?target=sites&order=-at",
                     headers=bearer(tokens["admin"])).json()
    entries = [e for e in log["items"] if e["actor"] == "test-engineer"]
    assert [(e["method"], e["path"], e["status"]) for e in entries[:2]] == [
        ("POST", "/api/v1/sites", 422), ("POST", "/api/v1/sites", 201)]
    assert entries[0]["role"] == "engineer" and entries[0]["at"]
    # refused before authentication: not a write of anyone's
    client.post("/api/v1/sites", json={"code": "x"})
    again = client.get("/api/v1/audit?target=sites", headers=bearer(tokens["admin"])).json()
    assert again["total"] == log["total"]


def test_lists_link_to_the_next_and_previous_pages(client, tokens):
    h = bearer(tokens["viewer"])
    first = client.get("/api/v1/sites?limit=50&kind=village_office", headers=h).json()
    assert first["links"]["prev"] is None and first["total"] > 100
    second = client.get(first["links"]["next"], headers=h).json()
    assert second["offset"] == 50 and "kind=village_office" in first["links"]["next"]
    assert client.get(second["links"]["prev"], headers=h).json()["items"] == first["items"]
    last = client.get(f"/api/v1/sites?limit=50&kind=village_office&offset="
                      f"{first['total'] - 1}", headers=h).json()
    assert last["links"]["next"] is None and len(last["items"]) == 1


def test_job_progress_reaches_its_owner_on_the_stream(server, store):
    import json

    tokens = make_tokens(store)
    plan_id = httpx.get(server.base + "/api/v1/plans", headers=bearer(tokens["viewer"]),
                        timeout=10).json()["items"][0]["id"]
    seen: list[dict] = []
    with httpx.stream("GET", server.base + "/api/v1/events", headers=bearer(tokens["viewer"]),
                      timeout=httpx.Timeout(5, read=120)) as r:
        event = None
        job = None
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "hello" and job is None:
                job = httpx.post(f"{server.base}/api/v1/plans/{plan_id}/exports/csv",
                                 headers=bearer(tokens["viewer"]), timeout=10).json()
            elif line.startswith("data:") and event == "job":
                data = json.loads(line[5:])
                assert data["token_id"] is not None
                if job and data["id"] == job["id"]:
                    seen.append(data)
                    if data["state"] in ("succeeded", "failed"):
                        break
    states = [d["state"] for d in seen]
    assert states[-1] == "succeeded", seen
    assert "running" in states and seen[-1]["progress"] == 1.0
    assert seen[-1]["links"]["self"] == f"/api/v1/jobs/{job['id']}"


def test_a_token_revoked_by_another_process_is_refused_soon(server, store):
    from api.auth import revoke_token
    from fonet.store import make_engine, transaction

    token = make_tokens(store)["viewer"]
    me = httpx.get(server.base + "/api/v1/me", headers=bearer(token), timeout=10)
    assert me.status_code == 200  # verified and cached by the service
    eng = make_engine(store)
    with transaction(eng) as s:  # as `fonet tokens revoke` does
        revoke_token(s, me.json()["id"])
    eng.dispose()
    wait_until(lambda: httpx.get(server.base + "/api/v1/me", headers=bearer(token),
                                 timeout=10).status_code == 401, 10, "the revocation")
