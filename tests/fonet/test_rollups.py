"""Rollups fold each raw sample exactly once, also while a device stays silent for days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from fonet.devices import add_device
from fonet.monitoring import record_poll, rollup_and_prune
from fonet.store import make_engine, reader, transaction, upgrade
from fonet.store.observed import InterfaceRollup, InterfaceSample
from fonet.telemetry import DevicePoll
from fonet.telemetry import InterfaceSample as Reading

T0 = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def totals(eng) -> tuple[int, int]:
    with reader(eng) as s:
        rolled = s.scalar(select(func.coalesce(func.sum(InterfaceRollup.samples), 0)))
        raw = s.scalar(select(func.count()).select_from(InterfaceSample))
    return rolled, raw


def test_totals_equal_raw_counts_over_a_long_silence(tmp_path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(eng)
    ports = (Reading(1, name="ge-1", oper="up", in_octets=0, out_octets=0),
             Reading(2, name="ge-2", oper="down", in_octets=0, out_octets=0))
    with transaction(eng) as s:
        add_device(s, "olt", "127.0.0.1", community="c")
    polled = 0
    for k in range(10):  # ten polls a minute apart, then silence
        at = T0 + timedelta(minutes=k)
        with transaction(eng) as s:
            record_poll(s, DevicePoll("olt", True, None, 0.01, at, 100 * k, ports))
        polled += len(ports)
    seen = []
    for hour in range(1, 60):  # a rollup pass every hour for 59 h of silence
        with transaction(eng) as s:
            rollup_and_prune(s, retention_s=48 * 3600 if hour > 50 else 600,
                             now=T0 + timedelta(hours=hour))
        rolled, raw = totals(eng)
        seen.append(rolled)
        assert rolled + raw == polled, (hour, rolled, raw)
    # folded once: 9 of the 10 samples of each interface; the newest stays raw for rates
    assert seen[-1] == seen[0] == 18 and totals(eng)[1] == 2
    with reader(eng) as s:
        down = s.scalar(select(func.sum(InterfaceRollup.oper_down_samples)))
    assert down == 9
    # the device answers again: the kept sample is folded once, when a newer one replaces it
    with transaction(eng) as s:
        record_poll(s, DevicePoll("olt", True, None, 0.01, T0 + timedelta(hours=60), 10**6,
                                  ports))
    polled += len(ports)
    with transaction(eng) as s:
        rollup_and_prune(s, retention_s=600, now=T0 + timedelta(hours=61))
    rolled, raw = totals(eng)
    assert (rolled, raw) == (20, 2) and rolled + raw == polled
