"""Credentials sealed at rest: the key, the store's bytes and modes, rotation, a bad device.

Real SQLite files, real snmpd agents (conftest), the `fonet` command as a subprocess.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy import select

from collectors.client import SnmpClient
from collectors.scheduler import PollScheduler
from fonet.devices import add_device, device_targets
from fonet.i18n import t
from fonet.secrets import SecretKeyError, sealer
from fonet.store import make_engine, reader, transaction, upgrade
from fonet.store import models as m
from fonet.store.observed import DeviceStatus

from .conftest import SITE_KEYS, SNMPD_COMMUNITY, V3_USER


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "secret.key"
    monkeypatch.delenv("FONET_SECRET_KEY", raising=False)
    monkeypatch.setenv("FONET_SECRET_KEY_FILE", str(path))
    return path


@pytest.fixture
def store(tmp_path: Path, key_file: Path) -> str:
    old = os.umask(0o022)  # a usual umask: files would be 0644 unless fonet says otherwise
    try:
        url = f"sqlite:///{tmp_path / 'store' / 'fonet.db'}"
        eng = make_engine(url)
        upgrade(eng)
        eng.dispose()
    finally:
        os.umask(old)
    return url


def fonet(url: str, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    env = dict(os.environ, FONET_DB_URL=url)
    proc = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    return proc


def strings(path: Path) -> str:
    """What binutils' `strings` finds in a file (runs of 4+ printable characters)."""
    return subprocess.run(["strings", "-a", "-n", "4", str(path)], capture_output=True,
                          text=True, check=True).stdout


def test_key_file_is_created_0600_on_first_use(key_file: Path) -> None:
    assert not key_file.exists()
    old = os.umask(0o000)  # even with a permissive umask
    try:
        seal = sealer()
    finally:
        os.umask(old)
    assert key_file.is_file() and mode(key_file) == 0o600
    token = seal.seal("community-Ab12-xyz")
    assert "community-Ab12-xyz" not in token and seal.open(token) == "community-Ab12-xyz"
    assert sealer().open(token) == "community-Ab12-xyz"  # the same key, read back
    assert str(key_file) in repr(seal) and key_file.read_text().strip() not in repr(seal)


def test_wrong_or_loose_keys_are_refused(key_file: Path, monkeypatch) -> None:
    token = sealer().seal("priv-key-Zz99-abc")
    monkeypatch.setenv("FONET_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(SecretKeyError) as err:
        sealer().open(token, "the credentials of device x")
    assert "device x" in str(err.value) and token not in str(err.value)
    monkeypatch.setenv("FONET_SECRET_KEY", "not-a-key")
    with pytest.raises(SecretKeyError, match="not a Fernet key"):
        sealer()
    monkeypatch.delenv("FONET_SECRET_KEY")
    key_file.chmod(0o644)
    with pytest.raises(SecretKeyError, match="readable by others"):
        sealer()


def test_store_is_0600_and_holds_no_secret_in_clear(store: str, key_file: Path, snmpd,
                                                    v3_pair) -> None:
    a, b = v3_pair
    fonet(store, "devices", "add", "core-sw", "--host", "127.0.0.1", "--port", str(snmpd.port),
          "--community", SNMPD_COMMUNITY)
    for name, agent in (("site-a", a), ("site-b", b)):
        fonet(store, "devices", "add", name, "--host", "127.0.0.1", "--port", str(agent.port),
              "--v3-user", V3_USER, "--auth-proto", "SHA", "--auth-key", agent.auth_key,
              "--priv-proto", "AES", "--priv-key", agent.priv_key)
    out = json.loads(fonet(store, "poll", "--once", "--json").stdout)
    assert all(d["reachable"] for d in out["devices"]), out["devices"]
    db = Path(store.removeprefix("sqlite:///"))
    files = [db, db.with_name("fonet.db-wal"), db.with_name("fonet.db-shm")]
    secrets = [SNMPD_COMMUNITY, *(k for keys in SITE_KEYS.values() for k in keys)]
    for path in files:
        if path.exists():
            assert mode(path) == 0o600, path
            found = strings(path)
            assert not [s for s in secrets if s in found], path
    assert mode(db) == 0o600
    with reader(make_engine(store)) as s:
        rows = list(s.scalars(select(m.DeviceSecret)))
        assert len(rows) == 3 and all(r.community or r.auth_key for r in rows)
        assert all("DeviceSecret(device_id=" in repr(r) for r in rows)

    # Rotation: a new key seals everything, the old one opens nothing any more.
    old_key = key_file.read_text().strip()
    done = fonet(store, "secrets", "rotate")
    # in the output's language, Indonesian by default
    assert " ".join(done.stderr.split()).startswith(
        t("cli.secrets.rotated", "id", n=3, path="X").split("X")[0]), done.stderr
    new_key = key_file.read_text().strip()
    assert new_key != old_key and mode(key_file) == 0o600
    assert not key_file.with_name("secret.key.new").exists()
    with reader(make_engine(store)) as s:
        token = s.scalar(select(m.DeviceSecret.community).where(
            m.DeviceSecret.community.is_not(None)))
    with pytest.raises(Exception):  # noqa: B017 - InvalidToken from the old key
        Fernet(old_key.encode()).decrypt(token.encode())
    assert Fernet(new_key.encode()).decrypt(token.encode()).decode() == SNMPD_COMMUNITY
    out = json.loads(fonet(store, "poll", "--once", "--json").stdout)
    assert all(d["reachable"] for d in out["devices"]), out["devices"]


def test_migration_seals_credentials_stored_in_clear(tmp_path: Path, key_file: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    eng = make_engine(url)
    upgrade(eng, "0004")
    with eng.begin() as conn:
        conn.execute(sa.text("INSERT INTO device (id, name, host, port, snmp_version, profiles, "
                             "created_at) VALUES (1, 'old', '127.0.0.1', 161, '2c', '[]', "
                             "'2026-01-01 00:00:00')"))
        conn.execute(sa.text("INSERT INTO device_secret (device_id, community) VALUES "
                             "(1, 'plain-community-77x')"))
    upgrade(eng)
    with eng.connect() as conn:
        stored = conn.execute(sa.text("SELECT community FROM device_secret")).scalar()
    assert stored != "plain-community-77x" and sealer().open(stored) == "plain-community-77x"
    with reader(eng) as s:
        (target,) = device_targets(s)
    assert target.community == "plain-community-77x" and target.fault is None
    eng.dispose()


def test_a_device_that_cannot_be_opened_never_stops_the_sweep(store: str, snmpd,
                                                              monkeypatch) -> None:
    """One device's credentials were sealed with another key (a restored backup, a lost key).

    The start-up sweep polls every other device; that one is marked unreachable and alarmed.
    """
    eng = make_engine(store)
    with transaction(eng) as s:
        add_device(s, "good", "127.0.0.1", port=snmpd.port, community=SNMPD_COMMUNITY)
        add_device(s, "lost-key", "127.0.0.1", port=snmpd.port, community=SNMPD_COMMUNITY)
        lost = s.scalar(select(m.Device).where(m.Device.name == "lost-key"))
        other = Fernet(Fernet.generate_key())
        s.get(m.DeviceSecret, lost.id).community = other.encrypt(b"x" * 12).decode()
    with reader(eng) as s:
        targets = device_targets(s)
    assert [t.name for t in targets] == ["good", "lost-key"]
    assert targets[1].fault and "cannot be opened" in targets[1].fault
    polls = []

    async def sweep():
        scheduler = PollScheduler(targets, polls.append, interval_s=3600,
                                  client=SnmpClient(timeout_s=2, retries=1))
        await scheduler.start_with_sweep()
        await scheduler.stop()

    asyncio.run(sweep())
    by_name = {p.name: p for p in polls}
    assert by_name["good"].reachable
    assert not by_name["lost-key"].reachable
    assert "cannot be opened" in by_name["lost-key"].error
    # Through the CLI: stored, marked and alarmed (after the FONET_UNREACHABLE_AFTER = 2 failed
    # polls in a row that make a device unreachable); the other device polls.
    fonet(store, "poll", "--once", "--json")
    out = json.loads(fonet(store, "poll", "--once", "--json").stdout)
    result = {d["name"]: d for d in out["devices"]}
    assert result["good"]["reachable"] and not result["lost-key"]["reachable"]
    with reader(eng) as s:
        status = s.get(DeviceStatus, lost.id)
        assert status is not None and not status.reachable and "cannot" in status.error
    alarms = json.loads(fonet(store, "alarms", "list", "--json").stdout)
    text = json.dumps(alarms)
    assert "device_unreachable" in text and "lost-key" in text
    eng.dispose()
