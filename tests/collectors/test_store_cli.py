"""The collectors with the store: devices, two `poll --once` runs, link state, metrics, secrets.

Real agents (snmpd, snmpsim) from tests/collectors/conftest.py, a real SQLite file, and the
`fonet` command run as a subprocess where the issue names a command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collectors.client import poll_once
from fonet.devices import add_device, attach_link, device_targets
from fonet.graph import route_graph
from fonet.i18n import t
from fonet.monitoring import record_poll, rollup_and_prune, update_link_states
from fonet.store import make_engine, reader, transaction, upgrade
from fonet.store import models as m
from fonet.store.observed import InterfaceRollup, InterfaceSample, LinkState, LinkStateChange
from tests.collectors.conftest import (
    GROW_IN_RATE,
    IF,
    SNMPD_COMMUNITY,
    V3_AUTH,
    V3_PRIV,
    V3_USER,
    free_udp_port,
)
from tests.waiting import wait_until

SECRETS = (SNMPD_COMMUNITY, V3_AUTH, V3_PRIV)


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'fonet.db'}"
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    return url


def fonet(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, FONET_DB_URL=url)
    proc = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    for secret in SECRETS:  # never printed, whatever the command
        assert secret not in proc.stdout and secret not in proc.stderr
    return proc


def test_devices_add_discovers_and_hides_secrets(store: str, snmpd) -> None:
    fonet(store, "devices", "add", "core-sw", "--host", "127.0.0.1", "--port", str(snmpd.port),
          "--community", SNMPD_COMMUNITY)
    fonet(store, "devices", "add", "core-v3", "--host", "127.0.0.1", "--port", str(snmpd.port),
          "--v3-user", V3_USER, "--auth-proto", "SHA", "--auth-key", V3_AUTH,
          "--priv-proto", "AES", "--priv-key", V3_PRIV)
    listed = json.loads(fonet(store, "devices", "list", "--json").stdout)
    assert [d["name"] for d in listed] == ["core-sw", "core-v3"]
    lo = [i for i in listed[0]["interfaces"] if i["name"] == "lo"]
    assert lo, listed[0]["interfaces"]  # discovered from the agent
    assert "community" not in json.dumps(listed)
    out = json.loads(fonet(store, "poll", "--once", "--json").stdout)
    by_name = {d["name"]: d for d in out["devices"]}
    assert by_name["core-sw"]["reachable"] and by_name["core-v3"]["reachable"]
    with reader(make_engine(store)) as s:
        targets = device_targets(s)
    assert all(secret not in repr(targets) for secret in SECRETS)
    bad = fonet(store, "devices", "add", "x", "--host", "127.0.0.1", "--community", "c",
                "--v3-user", "u", check=False)
    assert bad.returncode == 2 and "either" in bad.stderr


RATE_WINDOW_S = 2.0


def test_two_polls_give_rates_and_errors_stay_per_device(store: str, snmpsim) -> None:
    dead = free_udp_port()
    eng = make_engine(store)
    with transaction(eng) as s:
        add_device(s, "grow", "127.0.0.1", port=snmpsim.port, community="grow")
        add_device(s, "wrongcomm", "127.0.0.1", port=snmpsim.port, community="no-such-device")
        add_device(s, "dead", "127.0.0.1", port=dead, community="public")
    first = json.loads(fonet(store, "poll", "--once", "--json", "--timeout", "0.5",
                             "--retries", "0").stdout)
    # the interval the rate is measured over (the agent's counters grow with time), not a wait
    # for an event
    time.sleep(RATE_WINDOW_S)
    second = json.loads(fonet(store, "poll", "--once", "--json", "--timeout", "0.5",
                              "--retries", "0").stdout)
    one = {d["name"]: d for d in first["devices"]}
    two = {d["name"]: d for d in second["devices"]}
    for name in ("dead", "wrongcomm"):
        assert not two[name]["reachable"] and two[name]["error"]
    grow1, grow2 = one["grow"], two["grow"]
    assert grow1["reachable"] and grow2["reachable"]
    keys = {"name", "oper", "admin", "in_bps", "out_bps", "in_errors_per_s", "rx_dbm", "tx_dbm"}
    for iface in grow2["interfaces"]:
        assert keys <= set(iface)
    assert all(i["in_bps"] is None for i in grow1["interfaces"])  # no sample before
    for iface in grow2["interfaces"]:
        assert iface["in_bps"] == pytest.approx(GROW_IN_RATE * 8, rel=0.25)
        assert iface["rx_dbm"] is None  # no optical table on this device
    with reader(eng) as s:
        assert s.scalar(select(func.count()).select_from(InterfaceSample)) == 4


def test_link_state_follows_oper_status(store: str, snmpsim) -> None:
    """ge-1 and ge-2 of the 'flip' agent terminate one link; flipping ge-1 takes it down.

        flip:ge-1 ====[link L1]==== flip:ge-2
    """
    eng = make_engine(store)
    with transaction(eng) as s:
        add_device(s, "flip", "127.0.0.1", port=snmpsim.port, community="flip")
        (target,) = device_targets(s, ["flip"])

    def poll_and_update() -> list[dict]:
        (p,) = poll_once([target], timeout_s=2, retries=1)
        assert p.reachable, p.error
        with transaction(eng) as s:
            record_poll(s, p)
            return update_link_states(s, interval_s=60)

    snmpsim.set("flip", f"{IF}.8.31", _int(1))
    poll_and_update()
    with transaction(eng) as s:
        attach_link(s, "L1", "flip:ge-1", "flip:ge-2")
    changes = poll_and_update()
    assert [(c["link"], c["from"], c["to"]) for c in changes] == [("L1", None, "up")]
    snmpsim.set("flip", f"{IF}.8.31", _int(2))
    try:
        changes = poll_and_update()
    finally:
        snmpsim.set("flip", f"{IF}.8.31", _int(1))
    assert [(c["from"], c["to"]) for c in changes] == [("up", "down")]
    assert "flip:ge-1: oper down" in changes[0]["reasons"][0]
    with reader(eng) as s:
        state = s.get(LinkState, s.scalar(select(m.Link.id)))
        assert state.state == "down"
        history = list(s.scalars(select(LinkStateChange.to_state).order_by(LinkStateChange.id)))
        assert history == ["up", "down"]
    # stale data turns the link unknown
    with transaction(eng) as s:
        changes = update_link_states(s, interval_s=60,
                                     now=datetime.now(UTC) + timedelta(minutes=10))
    assert changes[0]["to"] == "unknown" and "old" in changes[0]["reasons"][0]


def _int(v: int):  # noqa: ANN202
    from pysnmp.proto.rfc1902 import Integer

    return Integer(v)


def test_link_states_on_the_networkx_view(regency_engine) -> None:
    """A plan link's state shows on the route edges its spans ride."""
    from fonet.graph import annotate_link_states
    from fonet.planning.plan import run_plan
    from fonet.planning.profile import load_profile

    with transaction(regency_engine) as s:
        r = run_plan(s, load_profile()).to_json()
        link = s.scalar(select(m.Link).where(m.Link.plan_id == r["plan_id"],
                                             m.Link.name.like("%:AC:%")))
        s.add(LinkState(link_id=link.id, state="down", reasons=["test"]))
        edge_ids = {s.get(m.Span, x.span_id).route_edge_id for x in link.spans}
        name = link.name
    with reader(regency_engine) as s:
        g = annotate_link_states(route_graph(s), s)
    marked = {d["edge_id"] for _, _, d in g.edges(data=True)
              if d.get("link_states", {}).get(name) == "down"}
    assert marked == edge_ids


def test_rollups_keep_the_newest_sample(store: str, snmpsim) -> None:
    eng = make_engine(store)
    with transaction(eng) as s:
        add_device(s, "grow", "127.0.0.1", port=snmpsim.port, community="grow")
        (target,) = device_targets(s)
    for _ in range(2):
        (p,) = poll_once([target], timeout_s=2)
        with transaction(eng) as s:
            record_poll(s, p)
    later = datetime.now(UTC) + timedelta(hours=1)
    with transaction(eng) as s:
        result = rollup_and_prune(s, retention_s=600, now=later)
    # the newest sample of each interface stays raw, and is not folded until it is deleted
    assert result["rolled_up"] == 2 and result["deleted"] == 2
    with reader(eng) as s:
        assert s.scalar(select(func.count()).select_from(InterfaceSample)) == 2
        rolls = list(s.scalars(select(InterfaceRollup)))
    assert sum(r.samples for r in rolls) == 2
    assert all(r.in_rate_bps_max is None or r.in_rate_bps_max > 0 for r in rolls)


def test_collectors_run_serves_metrics_and_stops_cleanly(store: str, snmpsim) -> None:
    eng = make_engine(store)
    with transaction(eng) as s:
        add_device(s, "grow", "127.0.0.1", port=snmpsim.port, community="grow")
    port = _free_tcp_port()
    env = dict(os.environ, FONET_DB_URL=store)
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "collectors", "run",
                             "--interval", "1", "--metrics-port", str(port),
                             "--timeout", "3"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    def metrics() -> str:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        except OSError:
            return ""

    def with_rates() -> str:
        text = metrics()
        return text if "fonet_interface_in_bits_per_second{" in text else ""

    try:
        text = wait_until(with_rates, 60, "the collectors to export a rate on /metrics",
                          interval_s=0.5,
                          detail=lambda: f"exit code {proc.poll()}; /metrics: {metrics()[-2000:]}")
        assert 'fonet_device_up{device="grow"} 1.0' in text, text
        assert 'fonet_interface_in_bits_per_second{device="grow",interface="xe-0/0/1"}' in text
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert t("cli.collectors.stopped", "id") in err  # Indonesian by default
    with reader(eng) as s:
        assert s.scalar(select(func.count()).select_from(InterfaceSample)) >= 4


def _free_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
