"""Pure telemetry logic: counter rates, link health, secret-safe targets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from fonet.telemetry import (
    DevicePoll,
    DeviceTarget,
    EndpointReading,
    HealthThresholds,
    InterfaceRates,
    InterfaceSample,
    PollMeta,
    TargetError,
    compute_rates,
    counter_delta,
    evaluate_link,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def meta(seconds: float, uptime_cs: int | None = 1_000_000) -> PollMeta:
    return PollMeta(T0 + timedelta(seconds=seconds), uptime_cs)


def sample(**kw) -> InterfaceSample:
    base = dict(if_index=1, name="xe-0/0/1", oper="up", admin="up", in_octets=0, out_octets=0,
                in_errors=0, out_errors=0, high_speed_mbps=1000, discontinuity_cs=0)
    base.update(kw)
    return InterfaceSample(**base)


# -- rates ---------------------------------------------------------------------
def test_plain_64bit_rate():
    prev = sample(in_octets=1_000, out_octets=5_000, in_errors=10)
    cur = sample(in_octets=1_000 + 7_500_000, out_octets=5_000 + 750_000, in_errors=70)
    rates = compute_rates(prev, meta(0), cur, meta(60, 1_006_000))
    assert rates.in_bps == pytest.approx(7_500_000 * 8 / 60)
    assert rates.out_bps == pytest.approx(750_000 * 8 / 60)
    assert rates.in_errors_per_s == pytest.approx(1.0)
    assert rates.out_errors_per_s == 0 and rates.interval_s == 60 and not rates.reset


def test_counter32_wrap():
    prev = sample(in_octets=2**32 - 1_000, counter_bits=32)
    cur = sample(in_octets=4_000, counter_bits=32)
    rates = compute_rates(prev, meta(0), cur, meta(10, 1_001_000))
    assert rates.in_bps == pytest.approx(5_000 * 8 / 10)


def test_counter32_wrap_faster_than_line_rate_is_rejected():
    # 10 Mbit/s port, 10 s: at most ~12.5 MB can have passed, a wrap implies ~4 GB.
    prev = sample(in_octets=4_000, counter_bits=32, high_speed_mbps=10)
    cur = sample(in_octets=3_000, counter_bits=32, high_speed_mbps=10)
    assert compute_rates(prev, meta(0), cur, meta(10, 1_001_000)).in_bps is None


def test_counter64_going_back_is_a_reset_not_a_wrap():
    prev = sample(in_octets=10**12)
    cur = sample(in_octets=10)
    assert compute_rates(prev, meta(0), cur, meta(60, 1_006_000)).in_bps is None
    assert counter_delta(10**12, 10, 64) is None
    assert counter_delta(2**32 - 1, 1, 32) == 2


@pytest.mark.parametrize(
    ("prev_meta", "cur_meta", "cur_kw"),
    [
        (meta(0, 9_000_000), meta(60, 3_000), {}),              # sysUpTime went back
        (meta(0, 50_000), meta(600, 12_000), {}),                # up 120 s of 600 s elapsed
        (meta(0), meta(60, 1_006_000), {"discontinuity_cs": 777}),  # discontinuity changed
        (meta(0), meta(60, 1_006_000), {"counter_bits": 32}),    # counter width changed
    ],
)
def test_resets_give_none_not_spikes(prev_meta, cur_meta, cur_kw):
    prev = sample(in_octets=900_000_000, out_octets=900_000_000)
    cur = sample(in_octets=100, out_octets=100, **cur_kw)
    rates = compute_rates(prev, prev_meta, cur, cur_meta)
    assert rates.reset
    assert (rates.in_bps, rates.out_bps, rates.in_errors_per_s) == (None, None, None)


def test_sysuptime_wrap_is_not_a_reboot():
    prev_meta = PollMeta(T0, 2**32 - 1_000)
    cur_meta = PollMeta(T0 + timedelta(seconds=60), 5_000)
    rates = compute_rates(sample(in_octets=0), prev_meta, sample(in_octets=600), cur_meta)
    assert not rates.reset and rates.in_bps == pytest.approx(80.0)


def test_no_previous_sample_or_no_time():
    assert compute_rates(None, None, sample(), meta(0)) == InterfaceRates()
    assert compute_rates(sample(), meta(5), sample(in_octets=9), meta(5)).in_bps is None


# -- health --------------------------------------------------------------------
NOW = T0 + timedelta(seconds=30)


def end(**kw) -> EndpointReading:
    rates = kw.pop("rates", None)
    when = kw.pop("polled_at", T0)
    return EndpointReading(sample(**kw), when, rates)


def test_both_ends_up():
    health = evaluate_link(end(rx_dbm=-7.0), end(rx_dbm=-9.5), interval_s=60, now=NOW)
    assert health.state == "up" and health.reasons == ()


def test_oper_down_at_either_end_is_down():
    health = evaluate_link(end(), end(name="ge-2", oper="down", admin="down"),
                           interval_s=60, now=NOW)
    assert health.state == "down" and health.reasons == ("ge-2: oper down (admin down)",)


def test_low_rx_only_counts_while_oper_up():
    low = HealthThresholds(min_rx_power_dbm=-20.0)
    degraded = evaluate_link(end(rx_dbm=-27.3), end(), thresholds=low, interval_s=60, now=NOW)
    assert degraded.state == "degraded"
    assert degraded.reasons == ("xe-0/0/1: Rx power -27.30 dBm below -20.00 dBm",)
    # An empty port (oper down, no light) is down, never an optical alarm.
    empty = evaluate_link(end(oper="down", rx_dbm=-40.0), end(), thresholds=low,
                          interval_s=60, now=NOW)
    assert empty.state == "down" and not any("Rx" in r for r in empty.reasons)


def test_error_rate_above_threshold_is_degraded():
    rates = InterfaceRates(in_errors_per_s=3.0, out_errors_per_s=0.5)
    health = evaluate_link(end(rates=rates), end(), thresholds=HealthThresholds(
        max_error_rate_per_s=2.0), interval_s=60, now=NOW)
    assert health.state == "degraded" and "3.50 errors/s above 2 errors/s" in health.reasons[0]
    calm = evaluate_link(end(rates=InterfaceRates(in_errors_per_s=0.1)), end(),
                         interval_s=60, now=NOW)
    assert calm.state == "up"


def test_stale_or_missing_data_is_unknown():
    old = T0 - timedelta(seconds=181)
    stale = evaluate_link(end(polled_at=old, oper="down"), end(polled_at=old), interval_s=60,
                          now=T0)
    assert stale.state == "unknown" and "181 s old (limit 180 s = 3 intervals)" in stale.reasons[0]
    assert len(stale.reasons) == 2
    fresh_enough = evaluate_link(end(polled_at=T0 - timedelta(seconds=179)), end(),
                                 interval_s=60, now=T0)
    assert fresh_enough.state == "up"
    missing = evaluate_link(EndpointReading(None, None), EndpointReading(None, None),
                            interval_s=60, now=T0)
    assert missing.state == "unknown" and missing.reasons == ("end A: no data", "end B: no data")
    with pytest.raises(ValueError, match="interval_s"):
        evaluate_link(end(), end(), interval_s=0)


def test_fresh_down_at_one_end_wins_over_a_silent_far_end():
    """In band: the hub answers "down", the village device behind the cut is silent."""
    old = T0 - timedelta(seconds=4 * 60)
    hub = end(name="hub:to-village", oper="down")
    for far in (end(name="village:uplink", polled_at=old),          # stale, last seen up
                EndpointReading(None, None, label="village:uplink"),  # never answered
                end(name="village:uplink", oper="unknown")):          # says nothing
        health = evaluate_link(hub, far, interval_s=60, now=T0)
        assert health.state == "down", far
        assert health.reasons[0] == "hub:to-village: oper down"
        assert "village:uplink" in health.reasons[1]
        # the same with the ends swapped
        assert evaluate_link(far, hub, interval_s=60, now=T0).state == "down"
    # a stale "down" says nothing: a fresh "up" at the other end sees light
    stale_down = end(name="village:uplink", oper="down", polled_at=old)
    health = evaluate_link(end(name="hub:to-village"), stale_down, interval_s=60, now=T0)
    assert health.state == "up" and health.reasons == (
        "village:uplink: data is 240 s old (limit 180 s = 3 intervals)",)
    # a fresh low Rx still degrades the link while the other end is silent
    low = evaluate_link(end(rx_dbm=-25.0), stale_down, interval_s=60, now=T0)
    assert low.state == "degraded" and "Rx power -25.00" in low.reasons[0]


# -- targets -------------------------------------------------------------------
def test_target_repr_hides_secrets():
    v2 = DeviceTarget("olt-1", "10.0.0.1", community="s3cr3t-community")
    v3 = DeviceTarget("olt-2", "10.0.0.2", v3_user="nms", auth_proto="SHA",
                      auth_key="auth-key-123", priv_proto="AES", priv_key="priv-key-456")
    for target, secrets in ((v2, ["s3cr3t-community"]), (v3, ["auth-key-123", "priv-key-456"])):
        for text in (repr(target), str(target), f"{target}", repr([target])):
            for secret in secrets:
                assert secret not in text
        assert target.name in repr(target)
    assert "nms" in repr(v3) and v3.version == "v3" and v2.version == "v2c"
    assert replace(v2, host="10.0.0.9").community == "s3cr3t-community"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(), "either a community"),
        (dict(community="c", v3_user="u"), "either a community"),
        (dict(v3_user="u", auth_proto="SHA1X", auth_key="k"), "auth_proto 'SHA1X'"),
        (dict(v3_user="u", auth_proto="SHA"), "auth_key missing"),
        (dict(v3_user="u", priv_proto="AES", priv_key="p"), "priv_proto needs"),
        (dict(community="c", port=70000), "port 70000"),
    ],
)
def test_target_validation_names_the_device(kwargs, message):
    with pytest.raises(TargetError, match=message) as info:
        DeviceTarget("sw-7", "127.0.0.1", **kwargs)
    assert "sw-7" in str(info.value)
    assert "community='" not in str(info.value)


def test_device_poll_lookup():
    poll = DevicePoll("d", True, None, 0.1, T0, 5, (sample(if_index=3), sample(if_index=4)))
    assert poll.interface(4).if_index == 4 and poll.interface(9) is None
    assert poll.meta == PollMeta(T0, 5)
