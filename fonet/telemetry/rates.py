"""Counter rates from two samples of one interface.

Rules
-----
* A 32-bit counter that went backwards wrapped once (2**32 is added), unless
  the wrapped delta would exceed 110 % of the interface speed (ifHighSpeed, or
  else ifSpeed), in which case it is a discontinuity (a cleared counter), not a
  rate.
* A 64-bit counter that went backwards was reset (a 64-bit wrap takes years).
* A counter reset gives ``None`` for the interval, never a spike. A reset is
  recognised when sysUpTime went back (and is not its own 2**32 wrap), when
  the agent has been up for less time than elapsed since the previous poll
  (it restarted in between), when ifCounterDiscontinuityTime changed, or when
  the counter width changed (ifHC* appeared or vanished).
* The interval is measured on the agent's clock (the sysUpTime delta) when it
  advanced consistently with the collector's clock (within 5 s plus 25 %); on the
  collector's clock (``polled_at``) otherwise. The agent stamps its counters and
  its uptime together, while the collector's clock also counts the time the
  answer waited in a loaded event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from fonet.telemetry.samples import InterfaceSample, PollMeta

__all__ = [
    "InterfaceRates",
    "agent_interval_s",
    "compute_rates",
    "counter_delta",
    "line_rate_bps",
]

_UPTIME_MODULUS = 2**32
#: Allowed disagreement between agent uptime and collector clock.
_CLOCK_SLACK_CS = 500
_CLOCK_SLACK_RATIO = 0.1
#: How far the agent's clock may differ from the collector's and still time a rate.
_AGENT_CLOCK_SLACK_S = 5.0
_AGENT_CLOCK_SLACK_RATIO = 0.25


@dataclass(frozen=True)
class InterfaceRates:
    """Per-second rates over one polling interval (None where unknown).

    Parameters
    ----------
    in_bps, out_bps : float or None
        Bits per second.
    in_errors_per_s, out_errors_per_s : float or None
        Errors per second.
    interval_s : float or None
        Length of the interval the rates cover.
    reset : bool
        True when the interval was discarded because the counters were reset.
    clock : str or None
        ``"agent"`` (sysUpTime) or ``"collector"``: which clock timed the interval.
    """

    in_bps: float | None = None
    out_bps: float | None = None
    in_errors_per_s: float | None = None
    out_errors_per_s: float | None = None
    interval_s: float | None = None
    reset: bool = False
    clock: str | None = None


def counter_delta(
    prev: int | None, cur: int | None, bits: int, *, max_delta: float | None = None
) -> int | None:
    """Return the increase of a counter between two readings.

    Parameters
    ----------
    prev, cur : int or None
        Two readings of the same counter.
    bits : int
        Counter width, 32 or 64.
    max_delta : float or None
        Largest plausible increase; a wrapped delta above it is rejected.

    Returns
    -------
    int or None
        The increase, or None when unknown or when the counter was reset.
    """
    if prev is None or cur is None:
        return None
    delta = cur - prev
    if delta >= 0:
        return delta
    if bits != 32:
        return None
    delta += 2**32
    if delta < 0 or (max_delta is not None and delta > max_delta):
        return None
    return delta


def _restarted(prev_meta: PollMeta, cur_meta: PollMeta, elapsed_s: float) -> bool:
    """Tell whether the agent restarted between two polls."""
    prev_up, cur_up = prev_meta.sys_uptime_cs, cur_meta.sys_uptime_cs
    if prev_up is None or cur_up is None:
        return False
    elapsed_cs = elapsed_s * 100.0
    slack = _CLOCK_SLACK_CS + _CLOCK_SLACK_RATIO * elapsed_cs
    if cur_up < prev_up:
        wrapped = cur_up + _UPTIME_MODULUS - prev_up
        return abs(wrapped - elapsed_cs) > slack
    # Up for less time than has passed since the last poll: it restarted.
    return cur_up + slack < elapsed_cs


def agent_interval_s(prev_meta: PollMeta, cur_meta: PollMeta, elapsed_s: float
                     ) -> float | None:
    """Return the interval by the agent's sysUpTime when it advanced consistently, else None.

    Parameters
    ----------
    prev_meta, cur_meta : PollMeta
        Two polls of one agent.
    elapsed_s : float
        The interval by the collector's clock.

    Returns
    -------
    float or None
        Seconds by sysUpTime (its 2**32 wrap handled), or None when either uptime is missing,
        it did not advance, or it disagrees with the collector by more than 5 s plus 25 %.
    """
    prev_up, cur_up = prev_meta.sys_uptime_cs, cur_meta.sys_uptime_cs
    if prev_up is None or cur_up is None:
        return None
    delta_cs = (cur_up - prev_up) % _UPTIME_MODULUS
    if delta_cs <= 0:
        return None
    agent_s = delta_cs / 100.0
    if abs(agent_s - elapsed_s) > _AGENT_CLOCK_SLACK_S + _AGENT_CLOCK_SLACK_RATIO * elapsed_s:
        return None
    return agent_s


def line_rate_bps(sample: InterfaceSample) -> float | None:
    """Return the interface's speed in bit/s: ifHighSpeed, else ifSpeed, else None."""
    if sample.high_speed_mbps:
        return sample.high_speed_mbps * 1e6
    if sample.speed_bps:
        return float(sample.speed_bps)
    return None


def compute_rates(
    prev: InterfaceSample | None,
    prev_meta: PollMeta | None,
    cur: InterfaceSample,
    cur_meta: PollMeta,
) -> InterfaceRates:
    """Compute bit and error rates of one interface between two polls.

    Parameters
    ----------
    prev : InterfaceSample or None
        Earlier sample of the same interface (None: nothing to compare with).
    prev_meta : PollMeta or None
        Timing of ``prev``.
    cur : InterfaceSample
        Later sample.
    cur_meta : PollMeta
        Timing of ``cur``.

    Returns
    -------
    InterfaceRates
        All None when there is no previous sample, the interval is not
        positive or the counters were reset (then ``reset`` is True).
    """
    if prev is None or prev_meta is None:
        return InterfaceRates()
    elapsed_s = (cur_meta.polled_at - prev_meta.polled_at).total_seconds()
    if elapsed_s <= 0:
        return InterfaceRates()
    reset = (
        _restarted(prev_meta, cur_meta, elapsed_s)
        or (
            prev.discontinuity_cs is not None
            and cur.discontinuity_cs is not None
            and prev.discontinuity_cs != cur.discontinuity_cs
        )
        or prev.counter_bits != cur.counter_bits
    )
    if reset:
        return InterfaceRates(interval_s=elapsed_s, reset=True)
    agent_s = agent_interval_s(prev_meta, cur_meta, elapsed_s)
    clock = "collector" if agent_s is None else "agent"
    interval_s = elapsed_s if agent_s is None else agent_s
    speed_bps = line_rate_bps(cur) or line_rate_bps(prev)
    # A wrapped 32-bit delta above 110 % of line rate is a reset in disguise.
    max_octets = speed_bps / 8 * max(interval_s, elapsed_s) * 1.1 if speed_bps else None

    def rate(a: int | None, b: int | None, bits: int, scale: float, limit: float | None):
        delta = counter_delta(a, b, bits, max_delta=limit)
        return None if delta is None else delta * scale / interval_s

    return InterfaceRates(
        in_bps=rate(prev.in_octets, cur.in_octets, cur.counter_bits, 8.0, max_octets),
        out_bps=rate(prev.out_octets, cur.out_octets, cur.counter_bits, 8.0, max_octets),
        in_errors_per_s=rate(prev.in_errors, cur.in_errors, 32, 1.0, None),
        out_errors_per_s=rate(prev.out_errors, cur.out_errors, 32, 1.0, None),
        interval_s=interval_s,
        clock=clock,
    )
