"""Polling simulated devices (snmpsim) end to end."""

from __future__ import annotations

import time

import pytest
from pysnmp.proto.rfc1902 import Counter32, Counter64, Integer32, TimeTicks

from collectors.backoff import Backoff
from collectors.client import SnmpClient, poll_once
from fonet.telemetry import (
    DeviceTarget,
    EndpointReading,
    compute_rates,
    evaluate_link,
)

from .conftest import GROW_ERR_RATE, GROW_IN_RATE, IF, IFX

# The interval a rate is measured over: the 'grow' agent's counters increase with time, and
# the rate is their increase over the time between two polls. Not a wait for an event.
RATE_WINDOW_S = 1.5


def test_growing_counters_give_rates(snmpsim):
    target = snmpsim.target("grow")
    first = poll_once([target], timeout_s=2)[0]
    time.sleep(RATE_WINDOW_S)
    second = poll_once([target], timeout_s=2)[0]
    assert first.reachable and second.reachable and second.error is None
    assert [i.name for i in second.interfaces] == ["xe-0/0/1", "xe-0/0/2"]
    for prev, cur in zip(first.interfaces, second.interfaces, strict=True):
        assert cur.counter_bits == 64 and cur.in_octets > prev.in_octets
        rates = compute_rates(prev, first.meta, cur, second.meta)
        assert rates.in_bps == pytest.approx(GROW_IN_RATE * 8, rel=0.15)
        assert rates.out_bps == pytest.approx(GROW_IN_RATE * 8, rel=0.15)
        assert rates.in_errors_per_s == pytest.approx(GROW_ERR_RATE, rel=0.2)
        assert rates.out_errors_per_s == 0


def test_sample_fields_are_decoded(snmpsim):
    poll = poll_once([snmpsim.target("grow")], timeout_s=2)[0]
    sample = poll.interface(2)
    assert poll.sys_uptime_cs == 123456
    assert (sample.descr, sample.alias, sample.high_speed_mbps) == (
        "port xe-0/0/2", "to xe-0/0/2-peer", 10000)
    assert (sample.oper, sample.admin, sample.last_change_cs, sample.discontinuity_cs) == (
        "up", "up", 100, 0)
    assert poll.varbinds >= 12 * 2 + 1


def test_counter32_wrap_between_polls(snmpsim):
    target = snmpsim.target("wrap32")
    snmpsim.set("wrap32", f"{IF}.10.11", Counter32(4294967000))
    first = poll_once([target], timeout_s=2)[0]
    snmpsim.set("wrap32", f"{IF}.10.11", Counter32(500))  # answered: the agent holds it
    second = poll_once([target], timeout_s=2)[0]
    prev, cur = first.interface(11), second.interface(11)
    assert prev.counter_bits == cur.counter_bits == 32
    assert (prev.in_octets, cur.in_octets) == (4294967000, 500)
    rates = compute_rates(prev, first.meta, cur, second.meta)
    elapsed = (second.polled_at - first.polled_at).total_seconds()
    assert rates.in_bps == pytest.approx((500 + 2**32 - 4294967000) * 8 / elapsed)
    assert rates.out_bps == 0 and not rates.reset


def test_reboot_gives_no_spike(snmpsim):
    target = snmpsim.target("reboot")
    first = poll_once([target], timeout_s=2)[0]
    snmpsim.set("reboot", "1.3.6.1.2.1.1.3.0", TimeTicks(40))
    snmpsim.set("reboot", f"{IFX}.6.21", Counter64(1200))
    second = poll_once([target], timeout_s=2)[0]
    assert first.sys_uptime_cs == 9000000 and second.sys_uptime_cs == 40
    rates = compute_rates(first.interface(21), first.meta, second.interface(21), second.meta)
    assert rates.reset and rates.in_bps is None and rates.out_bps is None


def test_oper_flip_turns_link_down(snmpsim):
    target = snmpsim.target("flip")
    before = poll_once([target], timeout_s=2)[0]
    ends = [EndpointReading(before.interface(i), before.polled_at) for i in (31, 32)]
    assert evaluate_link(*ends, interval_s=60).state == "up"
    snmpsim.set("flip", f"{IF}.8.32", Integer32(2))
    try:
        after = poll_once([target], timeout_s=2)[0]
    finally:
        snmpsim.set("flip", f"{IF}.8.32", Integer32(1))
    assert after.interface(32).oper == "down"
    ends = [EndpointReading(after.interface(i), after.polled_at) for i in (31, 32)]
    health = evaluate_link(*ends, interval_s=60)
    assert health.state == "down" and "ge-2: oper down" in health.reasons


@pytest.mark.parametrize(
    ("community", "profile", "expected"),
    [
        ("mikrotik", "mikrotik_optical", {5: (-5.1, -2.4), 6: (-19.875, -1.0), 7: (None, None)}),
        ("huawei", "huawei_optical", {6: (-12.34, -2.5), 7: (None, None)}),
        ("cisco", "cisco_entity_sensor", {3: (-7.5, -2.1), 4: (-3.21, None)}),
        ("entsensor", "entity_sensor", {1: (-3.0, 0.0)}),
        ("juniper", "juniper_dom", {501: (-3.45, -1.12), 502: (-40.1, -1.9)}),
    ],
)
def test_vendor_optical_tables(snmpsim, community, profile, expected):
    poll = poll_once([snmpsim.target(community, (profile,))], timeout_s=2)[0]
    assert poll.reachable and poll.error is None, poll.error
    got = {i.if_index: (i.rx_dbm, i.tx_dbm) for i in poll.interfaces}
    assert set(got) == set(expected)
    for index, (rx, tx) in expected.items():
        assert got[index][0] == (pytest.approx(rx, abs=0.01) if rx is not None else None)
        assert got[index][1] == (pytest.approx(tx, abs=0.01) if tx is not None else None)


def test_bad_devices_do_not_stop_the_others(snmpsim, junk_servers):
    good = snmpsim.target("grow")
    dead_port = junk_servers["garbage"].port + 0
    targets = [
        DeviceTarget("dead", "127.0.0.1", 9, community="x"),
        DeviceTarget("wrong-community", "127.0.0.1", snmpsim.port, community="no-such-file"),
        DeviceTarget("garbage", "127.0.0.1", dead_port, community="public"),
        DeviceTarget("truncated", "127.0.0.1", junk_servers["truncated"].port, community="c"),
        snmpsim.target("nocolumns"),
        snmpsim.target("bare"),
        good,
    ]
    # (that silent devices are waited for side by side, not one after another, is timed by
    # benchmarks/poll.py --dead)
    polls = poll_once(targets, timeout_s=0.5, retries=1)
    by_name = {p.name: p for p in polls}
    assert [p.name for p in polls] == [t.name for t in targets]
    for name in ("dead", "wrong-community", "garbage", "truncated"):
        poll = by_name[name]
        assert not poll.reachable and poll.interfaces == ()
        assert poll.error.startswith(f"{name} (127.0.0.1:")
        assert "no valid SNMP answer within 0.5 s after 2 tries" in poll.error
    assert junk_servers["garbage"].hits >= 2 and junk_servers["truncated"].hits >= 2
    missing = by_name["sim-nocolumns"]
    assert missing.reachable and len(missing.interfaces) == 1
    assert "column oper (1.3.6.1.2.1.2.2.1.8) returned no rows" in missing.error
    assert "column in_octets (1.3.6.1.2.1.31.1.1.1.6 or 1.3.6.1.2.1.2.2.1.10)" in missing.error
    assert missing.interface(1).oper is None and missing.interface(1).descr == "port ge-1"
    bare = by_name["sim-bare"]
    assert bare.reachable and bare.interfaces == () and bare.sys_uptime_cs == 500
    assert "returned no rows" in bare.error
    assert by_name["sim-grow"].reachable and by_name["sim-grow"].error is None
    assert len(by_name["sim-grow"].interfaces) == 2


def test_backoff_skips_dead_device_until_due(snmpsim):
    now = [1000.0]
    backoff = Backoff(base_s=30, factor=2, max_s=100, clock=lambda: now[0])
    dead = DeviceTarget("dead", "127.0.0.1", 9, community="x")
    good = snmpsim.target("grow")

    async def cycle(client):
        return {p.name: p for p in await client.poll([dead, good])}

    import asyncio

    async def main():
        client = SnmpClient(timeout_s=0.3, retries=0, backoff=backoff)
        try:
            first = await cycle(client)
            assert not first["dead"].skipped and not first["dead"].reachable
            assert backoff.failures("dead") == 1 and backoff.remaining_s("dead") == 30
            now[0] += 10
            second = await cycle(client)
            assert second["dead"].skipped and "backing off for another 20 s" in second["dead"].error
            assert second["sim-grow"].reachable and not second["sim-grow"].skipped
            now[0] += 21
            third = await cycle(client)
            assert not third["dead"].skipped and backoff.remaining_s("dead") == 60
        finally:
            client.close()

    asyncio.run(main())


def test_many_devices_share_one_engine(snmpsim):
    targets = [
        DeviceTarget(f"grow-{k}", "127.0.0.1", snmpsim.port, community="grow") for k in range(24)
    ]
    polls = poll_once(targets, concurrency=8, timeout_s=2)
    assert all(p.reachable and len(p.interfaces) == 2 for p in polls)
