"""Device types fonet has not seen, added without --profile: detection, names, 32-bit wraps.

snmpsim serves the recordings in ``tests/collectors/recordings/`` (see its README); the
`fonet` command runs as a subprocess on a real SQLite store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pysnmp.proto.rfc1902 import Counter32
from sqlalchemy import select

from collectors.detect import choose
from collectors.profiles import all_profiles
from fonet.store import make_engine, reader, upgrade
from fonet.store import models as m
from fonet.store.observed import InterfaceSample

from .conftest import IF, Snmpsim, running_snmpsim

RECORDINGS = Path(__file__).with_name("recordings")
JUNIPER_DOM = (1, 3, 6, 1, 4, 1, 2636, 3, 60, 1, 1, 1, 1, 5)
ENT_SENSOR = (1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 4)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpsim]:
    files = {p.stem: p.read_text() for p in RECORDINGS.glob("*.snmprec")}
    with running_snmpsim(tmp_path_factory.mktemp("recorded"), files, "old-switch") as agent:
        yield agent


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'fonet.db'}"
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    return url


def fonet(url: str, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    env = dict(os.environ, FONET_DB_URL=url)
    proc = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    return proc


def listed(url: str) -> dict[str, dict]:
    return {d["name"]: d for d in json.loads(fonet(url, "devices", "list", "--json").stdout)}


def polled(url: str) -> dict[str, dict]:
    out = json.loads(fonet(url, "poll", "--once", "--json").stdout)
    return {d["name"]: d for d in out["devices"]}


def test_juniper_with_dom_optics_is_detected(store: str, recorded: Snmpsim) -> None:
    fonet(store, "devices", "add", "mx480", "--host", "127.0.0.1", "--port",
          str(recorded.port), "--community", "juniper-mx480")
    device = listed(store)["mx480"]
    assert device["profile"] == "juniper_dom"
    assert device["profiles"] == ["if_mib", "juniper_dom"]
    assert "sysObjectID 1.3.6.1.4.1.2636.1.1.1.2.25 under 1.3.6.1.4.1.2636" in \
        device["detected_by"]
    assert "1.3.6.1.4.1.2636.3.60.1.1.1.1.5" in device["detected_by"]
    poll = polled(store)["mx480"]
    assert poll["reachable"] and poll["error"] is None, poll["error"]
    by_name = {i["name"]: i for i in poll["interfaces"]}
    assert by_name["xe-0/0/0"]["rx_dbm"] == -3.47 and by_name["xe-0/0/0"]["tx_dbm"] == -1.12
    assert by_name["xe-0/0/1"]["rx_dbm"] == -12.05 and by_name["xe-0/0/1"]["tx_dbm"] == -2.31
    assert by_name["ge-1/0/0"]["rx_dbm"] is None and by_name["lo0"]["rx_dbm"] is None


def test_profile_option_overrides_detection(store: str, recorded: Snmpsim) -> None:
    fonet(store, "devices", "add", "mx-plain", "--host", "127.0.0.1", "--port",
          str(recorded.port), "--community", "juniper-mx480", "--profile", "if_mib")
    device = listed(store)["mx-plain"]
    assert device["profile"] == "if_mib" and device["detected_by"] == "--profile"
    fonet(store, "devices", "discover", "mx-plain")  # keeps the profile it was given
    assert listed(store)["mx-plain"]["profile"] == "if_mib"
    fonet(store, "devices", "discover", "mx-plain", "--profile", "juniper_dom")
    assert listed(store)["mx-plain"]["profiles"] == ["if_mib", "juniper_dom"]
    bad = fonet(store, "devices", "discover", "mx-plain", "--profile", "nokia_dom", code=2)
    assert "unknown poll profile" in bad.stderr and "nokia_dom" in bad.stderr


def test_old_switch_names_and_32_bit_wrap(store: str, recorded: Snmpsim) -> None:
    """ifDescr names, generic profile, and a 32-bit wrap vs a cleared counter at 100 Mb/s.

        poll 1: ifInOctets(port1) = 4294000001
        SET 500000   -> wrapped by 967295 + 500000 octets: a rate, timed by sysUpTime
        poll 2
        SET 0        -> "wrapped" by 4.29e9 octets in a few seconds: > 100 Mb/s, a clear
        poll 3       -> no rate, no spike
    """
    community, oid = "old-switch", f"{IF}.10.101"
    recorded.set(community, oid, Counter32(4294000001))
    fonet(store, "devices", "add", "procurve", "--host", "127.0.0.1", "--port",
          str(recorded.port), "--community", community)
    device = listed(store)["procurve"]
    assert device["profile"] == "if_mib"
    assert "no profile matched" in device["detected_by"]
    assert "1.3.6.1.4.1.11.2.3.7.11.19" in device["detected_by"]
    assert "generic IF-MIB" in device["detected_by"]
    assert [i["name"] for i in device["interfaces"]] == ["port1", "port2", "port3", "port4"]

    first = polled(store)["procurve"]
    assert first["error"] is None, first["error"]
    assert [i["name"] for i in first["interfaces"]] == ["port1", "port2", "port3", "port4"]
    recorded.set(community, oid, Counter32(500000))
    second = polled(store)["procurve"]
    recorded.set(community, oid, Counter32(0))
    third = polled(store)["procurve"]

    eng = make_engine(store)
    with reader(eng) as s:
        port1 = s.scalar(select(m.Interface).where(m.Interface.name == "port1"))
        rows = list(s.scalars(select(InterfaceSample).where(
            InterfaceSample.interface_id == port1.id).order_by(InterfaceSample.id)))
    assert [r.counter_bits for r in rows] == [32, 32, 32]
    assert [r.in_octets for r in rows] == [4294000001, 500000, 0]
    agent_s = (rows[1].sys_uptime_cs - rows[0].sys_uptime_cs) / 100
    wrapped = 2**32 - 4294000001 + 500000
    assert rows[1].in_rate_bps == pytest.approx(wrapped * 8 / agent_s, rel=1e-9)
    p1 = {i["name"]: i for i in second["interfaces"]}["port1"]
    assert p1["in_bps"] == pytest.approx(wrapped * 8 / agent_s, rel=1e-3)
    # Cleared: the backwards step is no wrap a 100 Mb/s port allows.
    assert rows[2].in_rate_bps is None
    p1 = {i["name"]: i for i in third["interfaces"]}["port1"]
    assert p1["in_bps"] is None and p1["out_bps"] == 0.0
    for poll in (second, third):
        for iface in poll["interfaces"]:
            assert iface["in_bps"] is None or iface["in_bps"] < 110e6


def test_choose_vendor_before_generic() -> None:
    profiles = all_profiles()
    juniper = (1, 3, 6, 1, 4, 1, 2636, 1, 1, 1, 2, 25)
    both = {JUNIPER_DOM: True, ENT_SENSOR: True}
    got = choose(profiles, juniper, "Juniper Networks", both)
    assert got.profiles == ("if_mib", "juniper_dom")  # never two sources of optics
    got = choose(profiles, (1, 3, 6, 1, 4, 1, 99999, 1), "Acme OS", both)
    assert got.profiles == ("if_mib", "entity_sensor")
    assert "has rows in 1.3.6.1.2.1.99.1.1.1.4" in got.detected_by
    got = choose(profiles, juniper, "Juniper Networks", {})  # a Juniper without optics
    assert got.profiles == ("if_mib",) and "generic IF-MIB" in got.detected_by
    got = choose(profiles, None, "RouterOS CRS326", {(1, 3, 6, 1, 4, 1, 14988, 1, 1, 19, 1, 1,
                                                      2): True})
    assert got.profiles == ("if_mib", "mikrotik_optical")
    assert "sysDescr matches" in got.detected_by
