"""Bad device input: a clear message, exit 2 or 422, nothing stored, no secret echoed.

The `fonet` command as a subprocess and the HTTP service (FastAPI TestClient) on a real
SQLite store.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import ServiceSettings, create_app
from fonet.store import make_engine, reader, upgrade
from fonet.store import models as m
from tests.api import bearer, make_tokens

SHORT = "short7!"
NON_ASCII = "kunci-rahasia-é-01"
LONG_COMMUNITY = "c" * 256
GOOD_AUTH = "auth-phrase-0b5e"

BASE = ["--host", "127.0.0.1", "--port", "16100"]
#: (what, CLI arguments, words the message must hold)
CASES = [
    ("short auth key", BASE + ["--v3-user", "noc", "--auth-proto", "SHA", "--auth-key", SHORT],
     ["auth_key", "RFC 3414", "at least 8"]),
    ("short priv key", BASE + ["--v3-user", "noc", "--auth-proto", "SHA", "--auth-key",
                               GOOD_AUTH, "--priv-proto", "AES", "--priv-key", SHORT],
     ["priv_key", "at least 8"]),
    ("non-ASCII key", BASE + ["--v3-user", "noc", "--auth-proto", "SHA", "--auth-key",
                              NON_ASCII], ["auth_key", "ASCII"]),
    ("unknown auth protocol", BASE + ["--v3-user", "noc", "--auth-proto", "SHA1024",
                                      "--auth-key", GOOD_AUTH], ["auth_proto", "SHA1024"]),
    ("unknown priv protocol", BASE + ["--v3-user", "noc", "--auth-proto", "SHA", "--auth-key",
                                      GOOD_AUTH, "--priv-proto", "ROT13", "--priv-key",
                                      GOOD_AUTH], ["priv_proto", "ROT13"]),
    ("community over 255 bytes", BASE + ["--community", LONG_COMMUNITY],
     ["community", "255 bytes"]),
    ("port out of range", ["--host", "127.0.0.1", "--port", "70000", "--community", "public1"],
     ["port", "70000"]),
    ("host that does not resolve", ["--host", "no-such-host.invalid", "--community",
                                    "public1"], ["no-such-host.invalid", "does not resolve"]),
]
SECRETS = (SHORT, NON_ASCII, LONG_COMMUNITY, GOOD_AUTH)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('input') / 'fonet.db'}"
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    return url


def devices_stored(url: str) -> int:
    eng = make_engine(url)
    with reader(eng) as s:
        n = s.scalar(select(func.count()).select_from(m.Device)) or 0
        n += s.scalar(select(func.count()).select_from(m.DeviceSecret)) or 0
    eng.dispose()
    return n


@pytest.mark.parametrize(("what", "args", "words"), CASES, ids=[c[0] for c in CASES])
def test_cli_refuses_and_stores_nothing(store: str, what: str, args: list[str],
                                        words: list[str]) -> None:
    env = dict(os.environ, FONET_DB_URL=store)
    proc = subprocess.run([sys.executable, "-m", "api.cli", "devices", "add", "bad", *args],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, (what, proc.stderr)
    message = " ".join(proc.stderr.split())
    assert message.startswith("galat: device bad") or "host" in message, message
    for word in words:
        assert word in message, (what, message)
    assert "Traceback" not in proc.stderr
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr
    assert devices_stored(store) == 0


def _body(args: list[str]) -> dict:
    body: dict = {"name": "bad-api"}
    it = iter(args)
    for flag in it:
        value = next(it)
        key = flag.lstrip("-").replace("-", "_")
        body[key] = int(value) if key == "port" else value
    return body


@pytest.mark.parametrize(("what", "args", "words"), CASES, ids=[c[0] for c in CASES])
def test_api_refuses_with_422_and_stores_nothing(store: str, what: str, args: list[str],
                                                 words: list[str]) -> None:
    tokens = make_tokens(store)
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False))) as client:
        r = client.post("/api/v1/devices", json=_body(args), headers=bearer(tokens["admin"]))
    assert r.status_code == 422, (what, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    text = problem["detail"]
    if what in ("port out of range", "community over 255 bytes"):
        words = [w for w in words if w in ("port", "community")]  # pydantic names the field
    for word in words:
        assert word in text, (what, text)
    for secret in SECRETS:
        assert secret not in r.text
    assert devices_stored(store) == 0


def test_existing_device_credentials_refused_keep_the_old_ones(store: str, tmp_path: Path
                                                               ) -> None:
    tokens = make_tokens(store)
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False))) as client:
        headers = bearer(tokens["admin"])
        r = client.post("/api/v1/devices", headers=headers, json={
            "name": "keep", "host": "127.0.0.1", "port": 9, "community": "keep-this-one",
            "profiles": ["if_mib"]})
        assert r.status_code == 201, r.text
        r = client.put("/api/v1/devices/keep/credentials", headers=headers, json={
            "v3_user": "noc", "auth_proto": "SHA", "auth_key": SHORT})
        assert r.status_code == 422 and SHORT not in r.text and "at least 8" in r.text
        r = client.get("/api/v1/devices/keep", headers=headers)
        assert r.json()["snmp_version"] == "2c"
        assert r.json()["credentials_set"] == ["community"]
        assert client.delete("/api/v1/devices/keep", headers=headers).status_code == 204


def test_poller_group_over_http(store: str) -> None:
    """A device's poller group is given, shown and changed over HTTP; a bad one is a 422."""
    tokens = make_tokens(store)
    with TestClient(create_app(ServiceSettings(db_url=store, collectors=False))) as client:
        headers = bearer(tokens["admin"])
        r = client.post("/api/v1/devices", headers=headers, json={
            "name": "grouped", "host": "127.0.0.1", "port": 9, "community": "c-grouped",
            "profiles": ["if_mib"], "group": "mojosari"})
        assert r.status_code == 201, r.text
        assert r.json()["group"] == "mojosari"
        r = client.patch("/api/v1/devices/grouped", headers=headers, json={"group": "pacet"})
        assert r.status_code == 200, r.text
        assert client.get("/api/v1/devices/grouped", headers=headers).json()["group"] == "pacet"
        r = client.patch("/api/v1/devices/grouped", headers=headers, json={"group": "Pacet Baru"})
        assert r.status_code == 422 and "group" in r.text
        r = client.patch("/api/v1/devices/nobody", headers=headers, json={"group": "pacet"})
        assert r.status_code == 404
        r = client.patch("/api/v1/devices/grouped", headers=bearer(tokens["engineer"]),
                         json={"group": "default"})
        assert r.status_code == 403
        with reader(make_engine(store)) as s:
            assert s.scalar(select(m.Device.poller_group)
                            .where(m.Device.name == "grouped")) == "pacet"
        r = client.post("/api/v1/devices", headers=headers, json={
            "name": "badgroup", "host": "127.0.0.1", "port": 9, "community": "c-bad",
            "group": "a b"})
        assert r.status_code == 422 and "group" in r.text
        assert client.delete("/api/v1/devices/grouped", headers=headers).status_code == 204
