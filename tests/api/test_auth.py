"""Tokens and roles: every write route refuses no token (401) and a lesser role (403), and
does its work for the right role (2xx); tokens are stored hashed and can be revoked."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.app import ServiceSettings, create_app
from fonet.store import make_engine, reader, transaction
from fonet.store.access import ApiToken
from fonet.store.models import Device, Plan, Site
from tests.api import bearer, wait_job


@pytest.fixture(scope="module")
def client(store):
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False))) as c:
        yield c


@pytest.fixture(scope="module")
def engine(store):
    eng = make_engine(store)
    yield eng
    eng.dispose()


def _alarm(engine) -> int:
    from fonet.noc.alarms import raise_alarm

    with transaction(engine) as s:
        alarm, _ = raise_alarm(s, f"test:{datetime.now(UTC).timestamp()}", kind="link_down",
                               severity="major", object_type="link", object_name="P1:test",
                               message="test link down", now=datetime.now(UTC))
        return alarm.id


def _device(client, tokens, name: str) -> str:
    r = client.post("/api/v1/devices", headers=bearer(tokens["admin"]),
                    json={"name": name, "host": "127.0.0.1", "port": 9, "community": "c-1"})
    assert r.status_code == 201, r.text
    return name


def _site_point(client, tokens) -> tuple[float, float]:
    site = client.get("/api/v1/sites/KO-35.16.10", headers=bearer(tokens["viewer"])).json()
    return site["lon"] + 0.002, site["lat"] + 0.001


# (method, path builder, body builder, least role, expected success status)
def _cases(client, tokens, engine):
    lon, lat = _site_point(client, tokens)
    n = iter(range(1000))
    return [
        ("POST", lambda: "/api/v1/sites",
         lambda: {"code": f"OPD-T{next(n)}", "name": "Kantor uji", "kind": "opd", "lon": lon,
                  "lat": lat}, "engineer", 201),
        ("POST", lambda: "/api/v1/routes",
         lambda: {"from": "KO-35.16.10", "to": "KO-35.16.01"}, "engineer", 200),
        ("POST", lambda: f"/api/v1/alarms/{_alarm(engine)}/ack",
         lambda: {"comment": "crew sent"}, "engineer", 200),
        ("POST", lambda: "/api/v1/devices",
         lambda: {"name": f"dev-{next(n)}", "host": "127.0.0.1", "port": 9,
                  "community": "c-2"}, "admin", 201),
        ("PUT", lambda: f"/api/v1/devices/{_device(client, tokens, f'cred-{next(n)}')}"
                        "/credentials",
         lambda: {"v3_user": "u", "auth_proto": "SHA", "auth_key": "k-12345678"}, "admin", 204),
        ("PATCH", lambda: f"/api/v1/devices/{_device(client, tokens, f'grp-{next(n)}')}",
         lambda: {"group": "north"}, "admin", 200),
        ("DELETE", lambda: f"/api/v1/devices/{_device(client, tokens, f'del-{next(n)}')}",
         lambda: None, "admin", 204),
        ("POST", lambda: "/api/v1/tokens", lambda: {"role": "viewer", "name": "x"}, "admin",
         201),
        ("DELETE", lambda: f"/api/v1/tokens/{_new_token_id(engine)}", lambda: None, "admin",
         200),
    ]


def _new_token_id(engine) -> int:
    from api.auth import create_token

    with transaction(engine) as s:
        return create_token(s, "viewer")[0].id


def _send(client, method, path, body, headers):
    return client.request(method, path, json=body, headers=headers)


def test_every_write_route_checks_the_role(client, tokens, engine):
    lesser = {"engineer": "viewer", "admin": "engineer"}
    for method, path, body, role, ok in _cases(client, tokens, engine):
        where = f"{method} {path()}"
        r = _send(client, method, path(), body(), {})
        assert r.status_code == 401, (where, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"].startswith("Bearer")
        r = _send(client, method, path(), body(), bearer("fonet_not-a-real-token"))
        assert r.status_code == 401, (where, r.text)
        r = _send(client, method, path(), body(), bearer(tokens[lesser[role]]))
        assert r.status_code == 403, (where, r.text)
        assert role in r.json()["detail"]
        r = _send(client, method, path(), body(), bearer(tokens[role]))
        assert r.status_code == ok, (where, r.text)
        if role == "engineer":  # admin includes engineer
            r = _send(client, method, path(), body(), bearer(tokens["admin"]))
            assert r.status_code == ok, (where, r.text)


def test_running_a_plan_needs_an_engineer(client, tokens, engine):
    with reader(engine) as s:
        before = s.scalar(select(func.count()).select_from(Plan))
    assert client.post("/api/v1/plans", json={}).status_code == 401
    assert client.post("/api/v1/plans", json={}, headers=bearer(tokens["viewer"])
                       ).status_code == 403
    r = client.post("/api/v1/plans", json={"name": "from-api"},
                    headers=bearer(tokens["engineer"]))
    assert r.status_code == 202, r.text  # a job
    assert r.headers["location"] == r.json()["links"]["self"]
    job = wait_job(client, r.json(), bearer(tokens["engineer"]))
    assert job["state"] == "succeeded", job
    got = client.get(job["links"]["result"], headers=bearer(tokens["viewer"]))
    plan = got.json()
    assert plan["name"] == "from-api" and plan["villages_connected"] == plan["villages_total"]
    assert plan["id"] == job["result"]["plan_id"]
    assert plan["cost_idr"] == job["result"]["cost_idr"]
    with reader(engine) as s:
        assert s.scalar(select(func.count()).select_from(Plan)) == before + 1
    # the job is its owner's: another token does not see it, an admin does
    assert client.get(job["links"]["self"], headers=bearer(tokens["viewer"])
                      ).status_code == 404
    assert client.get(job["links"]["self"], headers=bearer(tokens["admin"])
                      ).status_code == 200


def test_reads_need_a_token_but_health_and_docs_do_not(client, tokens):
    assert client.get("/api/v1/sites").status_code == 401
    assert client.get("/api/v1/sites", headers=bearer(tokens["viewer"])).status_code == 200
    assert client.get("/api/v1/devices", headers=bearer(tokens["engineer"])).status_code == 403
    assert client.get("/api/v1/tokens", headers=bearer(tokens["engineer"])).status_code == 403
    assert client.get("/api/v1/devices", headers=bearer(tokens["admin"])).status_code == 200
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    assert "/api/v1/sites" in client.get("/openapi.json").json()["paths"]
    me = client.get("/api/v1/me", headers=bearer(tokens["engineer"])).json()
    assert me["role"] == "engineer" and me["name"] == "test-engineer"


def test_tokens_are_stored_hashed_shown_once_and_revocable(client, tokens, engine):
    r = client.post("/api/v1/tokens", json={"role": "engineer", "name": "field laptop"},
                    headers=bearer(tokens["admin"]))
    created = r.json()
    token = created["token"]
    with reader(engine) as s:
        row = s.get(ApiToken, created["id"])
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        stored = [str(v) for v in s.execute(select(ApiToken.__table__)).all()]
    assert not any(token in v for v in stored)
    listed = client.get("/api/v1/tokens?limit=1000", headers=bearer(tokens["admin"])).json()
    assert not any("token" in t for t in listed["items"])
    assert token not in r.text.replace(f'"token":"{token}"', "")
    assert client.get("/api/v1/me", headers=bearer(token)).json()["name"] == "field laptop"
    with reader(engine) as s:
        assert s.get(ApiToken, created["id"]).last_used_at is not None
    r = client.delete(f"/api/v1/tokens/{created['id']}", headers=bearer(tokens["admin"]))
    assert r.json()["revoked_at"] is not None
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert client.delete("/api/v1/tokens/999999", headers=bearer(tokens["admin"])
                         ).status_code == 404


def test_device_secrets_are_write_only(client, tokens, engine):
    secret = "community-Zq81-never-shown"
    r = client.post("/api/v1/devices", headers=bearer(tokens["admin"]),
                    json={"name": "olt-secret", "host": "127.0.0.1", "port": 9,
                          "community": secret})
    assert r.status_code == 201 and secret not in r.text
    assert r.json()["credentials_set"] == ["community"]
    key = "authkey-Pp02-never-shown"
    r = client.put("/api/v1/devices/olt-secret/credentials", headers=bearer(tokens["admin"]),
                   json={"v3_user": "noc", "auth_proto": "sha", "auth_key": key})
    assert r.status_code == 204
    for path in ("/api/v1/devices/olt-secret", "/api/v1/devices?limit=1000"):
        text = client.get(path, headers=bearer(tokens["admin"])).text
        assert secret not in text and key not in text
    spec = client.get("/openapi.json").text
    assert '"writeOnly":true' in spec.replace(" ", "")
    with reader(engine) as s:
        from fonet.secrets import sealer
        from fonet.store.models import DeviceSecret

        d = s.scalar(select(Device).where(Device.name == "olt-secret"))
        assert d.snmp_version == "3" and d.auth_proto == "SHA"
        stored = s.get(DeviceSecret, d.id).auth_key
        assert stored != key and key not in stored  # sealed at rest
        assert sealer().open(stored) == key


def test_tokens_on_the_command_line(store, monkeypatch):
    from api.cli import app, serve_cmd
    from api.cli import commands as _  # noqa: F401

    if not any(c.name == "tokens" for c in app.registered_groups):
        serve_cmd.register(app)
    monkeypatch.setenv("FONET_DB_URL", store)
    runner = CliRunner()
    r = runner.invoke(app, ["tokens", "create", "--role", "viewer", "--name", "wall screen"])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("fonet_")
    r = runner.invoke(app, ["tokens", "list", "--json"])
    import json

    rows = json.loads(r.stdout)
    mine = next(t for t in rows if t["name"] == "wall screen")
    assert mine["role"] == "viewer" and token not in r.stdout
    r = runner.invoke(app, ["tokens", "create", "--role", "superuser"])
    assert r.exit_code == 2 and "unknown role" in r.output
    r = runner.invoke(app, ["tokens", "revoke", str(mine["id"])])
    assert r.exit_code == 0
    eng = make_engine(store)
    with reader(eng) as s:
        assert s.get(ApiToken, mine["id"]).revoked_at is not None
        assert s.scalar(select(func.count()).select_from(Site)) > 0
    eng.dispose()
