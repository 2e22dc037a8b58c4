"""Rates bounded by ifSpeed and timed by sysUpTime; back-off that never hides a recovery."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from collectors.backoff import Backoff
from collectors.rates import compute_rates
from fonet.telemetry import InterfaceSample, PollMeta

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
WRAP = 2**32


def sample(octets: int, **kw) -> InterfaceSample:
    return InterfaceSample(if_index=1, in_octets=octets, out_octets=octets, counter_bits=32,
                           **kw)


def meta(seconds: float, uptime_cs: int | None) -> PollMeta:
    return PollMeta(T0 + timedelta(seconds=seconds), uptime_cs)


def test_32_bit_wrap_bounded_by_if_speed_without_high_speed() -> None:
    """100 Mb/s port, ifSpeed only: a wrap it can carry is a rate, a clear is not."""
    prev = sample(WRAP - 1_000_000, speed_bps=100_000_000)
    wrapped = sample(2_000_000, speed_bps=100_000_000)  # 3 MB in 30 s: 0.8 Mb/s
    rates = compute_rates(prev, meta(0, 100_000), wrapped, meta(30, 103_000))
    assert rates.in_bps == pytest.approx(3_000_000 * 8 / 30)
    cleared = sample(0, speed_bps=100_000_000)  # from 1e9 to 0: "wrap" of 3.3e9 octets
    rates = compute_rates(sample(1_000_000_000, speed_bps=100_000_000), meta(0, 100_000),
                          cleared, meta(30, 103_000))
    assert rates.in_bps is None and rates.out_bps is None and not rates.reset
    # With no speed at all the wrap cannot be checked: it is taken as a wrap.
    rates = compute_rates(sample(1_000_000_000), meta(0, 100_000), sample(0),
                          meta(30, 103_000))
    assert rates.in_bps == pytest.approx((WRAP - 1_000_000_000) * 8 / 30)


def test_high_speed_wins_over_if_speed() -> None:
    # ifSpeed saturates at 4294967295 on fast ports; ifHighSpeed (10 Gb/s) is the bound.
    prev = sample(1_000_000_000, high_speed_mbps=10_000, speed_bps=None)
    rates = compute_rates(prev, meta(0, None), sample(0, high_speed_mbps=10_000),
                          meta(30, None))
    assert rates.in_bps == pytest.approx((WRAP - 1_000_000_000) * 8 / 30)
    prev = sample(1_000_000_000, high_speed_mbps=100, speed_bps=10_000_000_000)
    rates = compute_rates(prev, meta(0, None), sample(0, high_speed_mbps=100),
                          meta(30, None))
    assert rates.in_bps is None


def test_rates_timed_by_sys_uptime_when_consistent() -> None:
    """The collector saw 69 s (a loaded box), the agent 60 s: the agent's clock times it."""
    prev, cur = sample(0), sample(60 * 125_000)  # 1 Mb/s for 60 s
    rates = compute_rates(prev, meta(0, 500_000), cur, meta(69, 506_000))
    assert rates.clock == "agent" and rates.interval_s == 60.0
    assert rates.in_bps == pytest.approx(1_000_000)
    # sysUpTime wrapped (497 days) in between: still a 60 s interval.
    rates = compute_rates(prev, meta(0, WRAP - 3_000), cur, meta(61, 3_000))
    assert rates.clock == "agent" and rates.interval_s == 60.0
    # Agent clock far off (10 s against 60 s), stopped, or missing: the collector's clock.
    for cur_up in (501_000, 500_000, None):
        rates = compute_rates(prev, meta(0, 500_000), cur, meta(60, cur_up))
        assert rates.clock == "collector" and rates.interval_s == 60.0, cur_up
        assert rates.in_bps == pytest.approx(1_000_000)


def _recovery_delay(interval: float, jitter: float, recover_at: float, seed: int
                    ) -> tuple[float, int]:
    """Simulate the scheduler: jobs every interval with jitter, the device dead until
    ``recover_at``. Return how long after recovery the first answer came, and the skips."""
    rng = random.Random(seed)
    now = [0.0]
    backoff = Backoff.for_interval(interval)
    backoff.clock = lambda: now[0]
    skips = 0
    for k in range(1000):
        now[0] = k * interval + rng.uniform(-jitter, jitter)
        if not backoff.due("dev"):
            skips += 1
            continue
        ok = now[0] >= recover_at
        backoff.record("dev", ok)
        if ok:
            return now[0] - recover_at, skips
    raise AssertionError("never polled again")


def test_backoff_never_delays_recovery_by_more_than_two_intervals() -> None:
    interval, jitter = 60.0, 6.0
    worst, skipped = 0.0, 0
    for seed in range(20):
        for recover_at in (30.0, 61.0, 125.0, 599.0, 3601.0, 36_000.5):
            delay, skips = _recovery_delay(interval, jitter, recover_at, seed)
            worst, skipped = max(worst, delay), skipped + skips
            assert delay <= 2 * interval + jitter, (seed, recover_at, delay)
    assert skipped > 0  # it does spare dead devices some polls
    backoff = Backoff.for_interval(interval)
    assert backoff.base_s == 30 and backoff.max_s == interval
    with pytest.raises(ValueError):
        Backoff.for_interval(0)


def test_first_failure_skips_nothing() -> None:
    now = [0.0]
    backoff = Backoff.for_interval(60.0)
    backoff.clock = lambda: now[0]
    backoff.record("dev", False)
    now[0] = 54.0  # the next job, 10 % jitter early
    assert backoff.due("dev")
    backoff.record("dev", False)
    now[0] = 54.0 + 60.0
    assert backoff.remaining_s("dev") <= 6.0  # at most one job skipped after two failures
