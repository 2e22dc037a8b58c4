"""No secret in any log line, traceback, repr, CLI output or API response of the device scenarios.

Every scenario runs for real (snmpd agents, a SQLite store, the `fonet` command as a
subprocess, the collectors service, the HTTP API); everything they print, log or answer is
gathered, then searched for every secret the scenarios used.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import ServiceSettings, create_app
from collectors.client import poll_once
from fonet.devices import device_targets
from fonet.store import make_engine, reader, upgrade
from fonet.store.observed import DeviceStatus
from tests.api import bearer, make_tokens
from tests.waiting import wait_until

from .conftest import SITE_KEYS, SNMPD_COMMUNITY, V3_AUTH, V3_PRIV, V3_USER

WRONG_AUTH = "wrong-auth-b7c1e"
WRONG_PRIV = "wrong-priv-55d0a"
WRONG_COMMUNITY = "wrong-community-0e6f"
SHORT_KEY = "k3y-7ch"
API_COMMUNITY = "api-community-91f3"
API_AUTH = "api-auth-key-44ab"
SECRETS = (SNMPD_COMMUNITY, V3_AUTH, V3_PRIV, WRONG_AUTH, WRONG_PRIV, WRONG_COMMUNITY,
           SHORT_KEY, API_COMMUNITY, API_AUTH, *(k for keys in SITE_KEYS.values() for k in keys))


class Outputs:
    """Everything the scenarios printed, logged or answered."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def leaks(self) -> list[tuple[str, str]]:
        return [(where, s) for where, text in self.texts for s in SECRETS if s in text]


def run(out: Outputs, url: str, *args: str, code: int | None = 0) -> subprocess.CompletedProcess:
    env = dict(os.environ, FONET_DB_URL=url)
    proc = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    out.add(" ".join(args[:2]), proc.stdout + proc.stderr)
    if code is not None:
        assert proc.returncode == code, proc.stderr
    return proc


def test_no_secret_in_any_output(tmp_path: Path, snmpd, v3_pair, caplog) -> None:
    out = Outputs()
    url = f"sqlite:///{tmp_path / 'fonet.db'}"
    eng = make_engine(url)
    upgrade(eng)
    a, b = v3_pair
    port = ["--host", "127.0.0.1", "--port"]
    v3 = ["--v3-user", V3_USER, "--auth-proto", "SHA", "--priv-proto", "AES"]
    # CLI: good and bad devices, refusals, lists, discovery, polls.
    run(out, url, "devices", "add", "core-sw", *port, str(snmpd.port), "--community",
        SNMPD_COMMUNITY)
    run(out, url, "devices", "add", "core-v3", *port, str(snmpd.port), *v3, "--auth-key",
        V3_AUTH, "--priv-key", V3_PRIV)
    for name, agent in (("site-a", a), ("site-b", b)):
        run(out, url, "devices", "add", name, *port, str(agent.port), *v3, "--auth-key",
            agent.auth_key, "--priv-key", agent.priv_key)
    run(out, url, "devices", "add", "wrong-v3", *port, str(a.port), *v3, "--auth-key",
        WRONG_AUTH, "--priv-key", WRONG_PRIV)
    run(out, url, "devices", "add", "wrong-v2", *port, str(snmpd.port), "--community",
        WRONG_COMMUNITY)
    run(out, url, "devices", "add", "short", *port, str(a.port), *v3, "--auth-key", SHORT_KEY,
        "--priv-key", SHORT_KEY, code=2)
    run(out, url, "devices", "list")
    run(out, url, "devices", "list", "--json")
    run(out, url, "devices", "discover", "site-b")
    first = json.loads(run(out, url, "poll", "--once", "--json").stdout)
    run(out, url, "poll", "--once")
    reachable = {d["name"]: d["reachable"] for d in first["devices"]}
    assert reachable == {"core-sw": True, "core-v3": True, "site-a": True, "site-b": True,
                         "wrong-v3": False, "wrong-v2": False}

    # The collectors service until every device has been polled twice, then Ctrl-C.
    env = dict(os.environ, FONET_DB_URL=url, FONET_LANG="en")
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "collectors", "run",
                             "--interval", "2", "--timeout", "1", "--retries", "0"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def polled_and_failed() -> bool:
            with reader(eng) as s:
                polled = s.scalar(select(func.count()).select_from(DeviceStatus)
                                  .where(DeviceStatus.polled_at.is_not(None))) or 0
                failures = s.scalar(select(func.max(DeviceStatus.failures))) or 0
            return polled == 6 and failures >= 3

        wait_until(polled_and_failed, 90, "the collectors to poll every device",
                   interval_s=0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    out.add("collectors run", stdout + stderr)
    assert "poll" in stderr.lower() or "Polling" in stderr

    # In process, with every logger at DEBUG: polls, reprs, stored statuses.
    with caplog.at_level(logging.DEBUG):
        with reader(eng) as s:
            targets = device_targets(s)
        polls = poll_once(targets, timeout_s=1, retries=0)
    out.add("reprs", repr(targets) + str(targets) + repr(polls))
    with reader(eng) as s:
        out.add("statuses", json.dumps([(st.error, st.reachable) for st in
                                        s.scalars(select(DeviceStatus))]))
    run(out, url, "alarms", "list", "--json")
    run(out, url, "secrets", "rotate")

    # The HTTP API: create, read, list, replace credentials, refusals.
    tokens = make_tokens(url)
    with TestClient(create_app(ServiceSettings(db_url=url, collectors=False))) as client:
        h = bearer(tokens["admin"])
        for r in (
            client.post("/api/v1/devices", headers=h, json={
                "name": "api-dev", "host": "127.0.0.1", "port": snmpd.port,
                "community": API_COMMUNITY}),
            client.put("/api/v1/devices/api-dev/credentials", headers=h, json={
                "v3_user": "noc", "auth_proto": "SHA", "auth_key": API_AUTH}),
            client.put("/api/v1/devices/api-dev/credentials", headers=h, json={
                "v3_user": "noc", "auth_proto": "SHA", "auth_key": SHORT_KEY}),
            client.post("/api/v1/devices", headers=h, json={
                "name": "api-bad", "host": "127.0.0.1", "community": API_COMMUNITY * 20}),
            client.get("/api/v1/devices/api-dev", headers=h),
            client.get("/api/v1/devices?limit=100", headers=h),
        ):
            assert r.status_code < 500, r.text
            out.add(f"api {r.request.method} {r.request.url.path}", r.text)
    out.add("logs", caplog.text)
    eng.dispose()

    assert len(out.texts) > 15
    leaks = out.leaks()
    assert not leaks, leaks


@pytest.mark.parametrize("option", ["--auth-key", "--priv-key"])
def test_a_refused_key_is_not_in_the_traceback_or_message(tmp_path: Path, option: str) -> None:
    out = Outputs()
    url = f"sqlite:///{tmp_path / 'fonet.db'}"
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    args = ["--v3-user", "noc", "--auth-proto", "SHA", "--auth-key", "auth-phrase-long-ok",
            "--priv-proto", "AES", "--priv-key", "priv-phrase-long-ok"]
    args[args.index(option) + 1] = SHORT_KEY
    proc = run(out, url, "devices", "add", "x", "--host", "127.0.0.1", *args, code=2)
    assert "Traceback" not in proc.stderr and SHORT_KEY not in proc.stderr
