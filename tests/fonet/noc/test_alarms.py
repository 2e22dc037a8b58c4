"""Alarms from polls of the hand-built network (drawing in tests/fonet/noc/__init__.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fonet.errors import InputError, NotFoundError
from fonet.noc.alarms import acknowledge, list_alarms
from fonet.store import make_engine, reader, transaction
from fonet.store.observed import Alarm

from . import T0, Net, mini_store


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def net(tmp_path):
    engine, m = mini_store(tmp_path)
    n = Net(engine, m)
    n.poll(at(0))
    yield n
    engine.dispose()


def alarms(net, **where):
    with reader(net.engine) as s:
        q = select(Alarm).order_by(Alarm.id)
        for k, v in where.items():
            q = q.where(getattr(Alarm, k) == v)
        return list(s.scalars(q))


def opened(net):
    with reader(net.engine) as s:
        return list(s.scalars(select(Alarm).where(Alarm.cleared_at.is_(None))
                              .order_by(Alarm.id)))


def test_all_up_raises_nothing(net):
    assert alarms(net) == []


def test_link_down_once_cleared_with_duration_and_acknowledged(net):
    m = net.mini
    net.cut("s5")
    changes, out = net.poll(at(1))
    assert [c["link"] for c in changes] == [m.link("AC:V1")]
    assert [a["key"] for a in out["raised"]] == [f"link_down:{m.link('AC:V1')}"]
    net.poll(at(2))  # still down: nothing new
    (alarm,) = alarms(net)
    assert alarm.kind == "link_down" and alarm.cleared_at is None
    assert "oper down" in alarm.message
    with transaction(net.engine) as s:
        acknowledge(s, alarm.id, user="rina", comment="crew sent to Jalan Raya", now=at(3))
    net.repair()
    _, out = net.poll(at(5))
    assert [a["id"] for a in out["cleared"]] == [alarm.id]
    (alarm,) = alarms(net)
    assert alarm.duration_s == pytest.approx(4 * 60)
    assert (alarm.acknowledged_by, alarm.ack_comment) == ("rina", "crew sent to Jalan Raya")
    net.cut("s5")
    net.poll(at(6))
    assert len(alarms(net, kind="link_down")) == 2  # a new event, a new alarm


def test_acknowledge_checks_its_input(net):
    net.cut("s5")
    net.poll(at(1))
    (alarm,) = alarms(net)
    with transaction(net.engine) as s:
        with pytest.raises(NotFoundError, match="no alarm with id 999"):
            acknowledge(s, 999, user="rina", comment="x")
        with pytest.raises(InputError, match="--user"):
            acknowledge(s, alarm.id, user=" ", comment="x")
        with pytest.raises(InputError, match="--comment"):
            acknowledge(s, alarm.id, user="rina", comment="")


def test_rx_low_warning_critical_and_only_while_up(net):
    port = "dev-V3:to-H2"
    net.rx[port] = -18.6
    net.poll(at(1))
    (alarm,) = alarms(net, kind="rx_low")
    assert alarm.severity == "warning" and alarm.object_name == port
    net.rx[port] = -21.0
    net.poll(at(2))
    (alarm,) = alarms(net, kind="rx_low")  # the same alarm, escalated
    assert alarm.severity == "critical" and alarm.details["worst_rx_power_dbm"] == -21.0
    net.rx[port] = -17.8  # back above -18 dBm but inside the clearing margin
    net.poll(at(3))
    assert alarms(net, kind="rx_low")[0].cleared_at is None
    net.rx[port] = -30.0
    net.down_ports.add(port)  # a dark port raises link_down, not rx_low
    net.poll(at(4))
    (alarm,) = alarms(net, kind="rx_low")
    assert alarm.cleared_at is not None and alarm.duration_s == pytest.approx(180)
    assert len(alarms(net, kind="link_down")) == 1
    net.poll(at(5))
    assert len(alarms(net, kind="rx_low")) == 1


def test_error_rate(net):
    port = "dev-H2:to-V3"
    net.errors[port] = 60 * 5  # 5 errors/s over the minute since the last poll
    net.poll(at(1))
    (alarm,) = alarms(net, kind="error_rate")
    assert alarm.severity == "minor" and alarm.details["errors_per_s"] == pytest.approx(5)
    net.poll(at(2))  # no new errors
    (alarm,) = alarms(net, kind="error_rate")
    assert alarm.cleared_at is not None


def test_flapping_raised_once_and_groups_the_link_downs(net):
    m = net.mini
    minute = 1
    for _ in range(2):  # down, up, down, up: four changes in four minutes
        net.cut("s7")
        net.poll(at(minute))
        net.repair()
        net.poll(at(minute + 1))
        minute += 2
    (flap,) = alarms(net, kind="flapping")
    assert flap.object_name == m.link("AC:V3") and flap.details["changes"] == 4
    net.cut("s7")
    net.poll(at(minute))
    assert len(alarms(net, kind="flapping")) == 1
    downs = alarms(net, kind="link_down")
    assert len(downs) == 3 and downs[-1].parent_id == flap.id
    roots = list_alarms_open(net)
    assert [r["kind"] for r in roots] == ["flapping"] and roots[0]["children_count"] == 1
    net.repair()
    net.poll(at(minute + 1))
    net.poll(at(minute + 12))  # ten quiet minutes: the window empties
    (flap,) = alarms(net, kind="flapping")
    assert flap.cleared_at is not None
    assert opened(net) == []


def list_alarms_open(net):
    with reader(net.engine) as s:
        return list_alarms(s, open_only=True)


def test_shared_span_cut_groups_links_and_isolated_devices_under_one_cut(net):
    m = net.mini
    net.cut("s4")
    net.unreachable |= {"dev-V1", "dev-V2"}  # managed in band: cut off too
    net.poll(at(1))
    assert alarms(net, kind="device_unreachable") == []  # one failed poll is not an outage
    net.poll(at(2))
    (cut,) = alarms(net, kind="fibre_cut")
    assert cut.details["spans"] == [m.spans["s4"]] and cut.severity == "critical"
    roots = list_alarms_open(net)
    assert [r["id"] for r in roots] == [cut.id]
    kids = {(c["kind"], c["object_name"]) for c in roots[0]["children"]}
    assert kids == {("link_down", m.link("AC:V1")), ("link_down", m.link("AC:V2")),
                    ("device_unreachable", "dev-V1"), ("device_unreachable", "dev-V2")}
    for kid in roots[0]["children"]:  # parent suppression: explained by the cut
        if kid["kind"] == "device_unreachable":
            assert kid["severity"] == "warning" and kid["details"]["suppressed_by"] == cut.id
    net.repair()
    net.unreachable.clear()
    net.poll(at(4))
    assert opened(net) == []
    assert alarms(net, kind="fibre_cut")[0].duration_s == pytest.approx(180)


def test_unreachable_needs_consecutive_failed_polls(net, monkeypatch):
    net.unreachable.add("dev-V3")
    net.poll(at(1))
    assert alarms(net, kind="device_unreachable") == []
    net.unreachable.clear()  # a slow answer, then fine again: the count starts over
    net.poll(at(2))
    net.unreachable.add("dev-V3")
    net.poll(at(3))
    assert alarms(net, kind="device_unreachable") == []
    net.poll(at(4))
    (alarm,) = alarms(net, kind="device_unreachable")
    assert alarm.details["failures"] == 2 and alarm.severity == "critical"
    # the setting: FONET_UNREACHABLE_AFTER
    from fonet.noc.alarms import AlarmSettings

    monkeypatch.setenv("FONET_UNREACHABLE_AFTER", "5")
    assert AlarmSettings.from_env().unreachable_after == 5
    monkeypatch.delenv("FONET_UNREACHABLE_AFTER")
    assert AlarmSettings.from_env().unreachable_after == 2


def test_dead_hub_is_the_root_of_its_links(net):
    m = net.mini
    net.unreachable.add("dev-H1")
    for a_port, z_port in net.ends.values():  # its peers see their ports go dark
        if a_port.startswith("dev-H1:"):
            net.down_ports.add(z_port)
        elif z_port.startswith("dev-H1:"):
            net.down_ports.add(a_port)
    net.poll(at(1))
    net.poll(at(2))
    (hub,) = alarms(net, kind="device_unreachable")
    assert hub.severity == "critical"  # nothing explains a dead hub but itself
    # after one failed poll the dark ports looked like a cut; the dead hub explains them now
    assert hub.object_name == "dev-H1"
    assert all(c.cleared_at is not None for c in alarms(net, kind="fibre_cut"))
    roots = list_alarms_open(net)
    assert [r["id"] for r in roots] == [hub.id]
    assert {c["object_name"] for c in roots[0]["children"]} == {
        m.link(x) for x in ("BB0:POP>H1", "BB0:H1>H2", "AC:V1", "AC:V2")}


def test_trench_cut_isolating_a_hub_groups_everything_behind_it(net):
    m = net.mini
    net.cut("s8a", "s8b")
    net.unreachable |= {"dev-H2", "dev-V3"}
    net.poll(at(1))
    net.poll(at(2))
    (cut,) = alarms(net, kind="fibre_cut")
    assert cut.details["route_edges"] == [m.edges["r8"]]
    roots = list_alarms_open(net)
    assert [r["id"] for r in roots] == [cut.id]
    assert {c["object_name"] for c in roots[0]["children"]} == {
        m.link("BB0:H1>H2"), m.link("BB0:H2>POP"), "dev-H2", "dev-V3"}


def test_single_ring_hop_down_is_its_own_root(net):
    net.cut("s1")
    net.poll(at(1))
    roots = list_alarms_open(net)
    assert [(r["kind"], r["children_count"]) for r in roots] == [("link_down", 0)]


RESTART = """
import json, sys
from datetime import datetime
from fonet.noc.alarms import list_alarms
from fonet.store import make_engine, reader
engine = make_engine(sys.argv[1])
with reader(engine) as s:
    print(json.dumps(list_alarms(s, open_only=True)))
"""


def test_open_alarms_survive_a_restart_and_still_clear(tmp_path):
    engine, m = mini_store(tmp_path)
    net = Net(engine, m)
    net.poll(at(0))
    net.cut("s4")
    net.poll(at(1))
    engine.dispose()
    # a new process sees the open alarms
    proc = subprocess.run([sys.executable, "-c", RESTART, m.url], capture_output=True,
                          text=True, timeout=60, check=True)
    roots = json.loads(proc.stdout)
    assert [r["kind"] for r in roots] == ["fibre_cut"] and roots[0]["children_count"] == 2
    # a new engine clears them
    engine2 = make_engine(m.url)
    net.engine = engine2
    net.repair()
    _, out = net.poll(at(7))
    assert {a["kind"] for a in out["cleared"]} == {"fibre_cut", "link_down"}
    with reader(engine2) as s:
        assert s.scalar(select(func.count()).select_from(Alarm)
                        .where(Alarm.cleared_at.is_(None))) == 0
        durations = [a.duration_s for a in s.scalars(select(Alarm))]
    assert durations == pytest.approx([360.0] * 3)
    engine2.dispose()


def test_a_fault_in_the_alarms_keeps_the_poll(net, monkeypatch):
    import fonet.noc.alarms as alarms_module
    from fonet.store.observed import LinkState

    def broken(*args, **kwargs):
        raise RuntimeError("grouping exploded")

    monkeypatch.setattr(alarms_module, "group_alarms", broken)
    net.cut("s7")
    changes, out = net.poll(at(1))
    assert out["error"] == "RuntimeError: grouping exploded"
    assert [c["to"] for c in changes] == ["down"]
    with reader(net.engine) as s:
        assert {st.state for st in s.scalars(select(LinkState))} == {"up", "down"}
    assert alarms(net) == []  # the half-done alarm work is undone


def test_in_band_cut_stays_located_while_far_ends_are_silent(net):
    """The hub answers "down"; V1 and V2, managed over the cut fibre, fall silent."""
    from fonet.noc.locate import locate_live
    from fonet.noc.topology import load_topology

    m = net.mini
    net.cut("s4")
    net.unreachable |= {"dev-V1", "dev-V2"}
    for minute in range(1, 6):  # the poll that sees it, then four silent intervals
        net.poll(at(minute))
    with reader(net.engine) as s:
        found = locate_live(s, load_topology(s))
        roots = list_alarms(s, open_only=True)
    assert found["candidates"][0]["spans"] == [m.spans["s4"]]
    assert set(found["down_links"]) == {m.link("AC:V1"), m.link("AC:V2")}
    assert [r["kind"] for r in roots] == ["fibre_cut"]
    kids = {(c["kind"], c["object_name"], c["severity"]) for c in roots[0]["children"]}
    assert kids == {("link_down", m.link("AC:V1"), "major"),
                    ("link_down", m.link("AC:V2"), "major"),
                    ("device_unreachable", "dev-V1", "warning"),
                    ("device_unreachable", "dev-V2", "warning")}
    net.repair()
    net.unreachable.clear()
    net.poll(at(9))
    assert opened(net) == []
    (cut,) = alarms(net, kind="fibre_cut")
    assert cut.duration_s == pytest.approx(8 * 60)
