"""Live state of a link from the latest samples of its two terminations.

Each end is judged by its freshness and its meaning. An end is *fresh* when its sample is
at most ``stale_intervals`` polling intervals old and its oper status is known; a stale,
missing or unknown end says nothing. Order of the rules (the first that applies decides):

1. ``down`` - a fresh end reports ifOperStatus not ``up``, whatever the other end says. In
   band, a cut takes the far device's management with the fibre: the hub keeps answering
   "down" while the far end goes silent, and the link must stay down;
2. ``unknown`` - neither end says anything fresh;
3. ``degraded`` - Rx power below the threshold at a fresh end whose port is up (an empty port
   is down and never raises an optical alarm), or an error rate above the threshold;
4. ``up`` otherwise: every fresh end is up. An up port receives light from the far end, so
   one fresh "up" carries the link; the silent end is named in the reasons.

Reasons are collected for every end so a reader sees all that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fonet.i18n.keyed import en
from fonet.telemetry.rates import InterfaceRates
from fonet.telemetry.samples import InterfaceSample

__all__ = [
    "LINK_STATES",
    "EndpointReading",
    "HealthThresholds",
    "LinkHealth",
    "evaluate_link",
]

LINK_STATES = ("up", "down", "degraded", "unknown")
_DOWN_OPER = {"down", "lowerLayerDown", "notPresent"}
_UNKNOWN_OPER = {None, "unknown"}


@dataclass(frozen=True)
class HealthThresholds:
    """Limits that turn a working link into a degraded one.

    Parameters
    ----------
    min_rx_power_dbm : float
        Received optical power below this is degraded. The default suits
        1000BASE-LX/10GBASE-LR receivers (sensitivity about -20 dBm), leaving a
        small margin; set it per optic class.
    max_error_rate_per_s : float
        In + out errors per second above this is degraded.
    stale_intervals : float
        Data older than this many polling intervals makes the state unknown.
    """

    min_rx_power_dbm: float = -18.0
    max_error_rate_per_s: float = 1.0
    stale_intervals: float = 3.0


@dataclass(frozen=True)
class EndpointReading:
    """The latest knowledge of one end of a link.

    Parameters
    ----------
    sample : InterfaceSample or None
        Latest sample of the terminating interface.
    polled_at : datetime or None
        When that sample was taken (UTC).
    rates : InterfaceRates or None
        Rates over the last interval, if known.
    label : str or None
        How to name this end in reasons (default: the interface label).
    """

    sample: InterfaceSample | None
    polled_at: datetime | None
    rates: InterfaceRates | None = None
    label: str | None = None

    def name(self, default: str) -> str:
        """Return the name used in reasons."""
        if self.label:
            return self.label
        if self.sample is not None:
            return self.sample.label
        return default


@dataclass(frozen=True)
class LinkHealth:
    """State of a link with the reasons for it.

    Parameters
    ----------
    state : str
        One of :data:`LINK_STATES`.
    reasons : tuple of str
        Human-readable reasons; when up, only the ends that said nothing fresh.
    """

    state: str
    reasons: tuple[str, ...] = ()


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def evaluate_link(
    a: EndpointReading,
    b: EndpointReading,
    *,
    thresholds: HealthThresholds | None = None,
    interval_s: float,
    now: datetime | None = None,
) -> LinkHealth:
    """Return the live state of a link from its two ends.

    Parameters
    ----------
    a, b : EndpointReading
        Latest readings of the two terminating interfaces.
    thresholds : HealthThresholds or None
        Limits (defaults when None).
    interval_s : float
        Polling interval in seconds.
    now : datetime or None
        Evaluation time (UTC); the current time when None.

    Returns
    -------
    LinkHealth
        The state and its reasons.
    """
    if interval_s <= 0:
        raise ValueError(f"interval_s must be positive, got {interval_s}")
    limits = thresholds or HealthThresholds()
    moment = _as_utc(now or datetime.now(UTC))
    max_age_s = limits.stale_intervals * interval_s
    ends = ((a.name(en("term.end_a")), a), (b.name(en("term.end_b")), b))

    fresh: list[tuple[str, EndpointReading]] = []
    silent = []
    for label, end in ends:
        if end.sample is None or end.polled_at is None:
            silent.append(en("link.reason.no_data", end=label))
            continue
        age_s = (moment - _as_utc(end.polled_at)).total_seconds()
        if age_s > max_age_s:
            silent.append(en("link.reason.stale", end=label, age=f"{age_s:.0f}",
                             limit=f"{max_age_s:.0f}", intervals=f"{limits.stale_intervals:g}"))
        elif end.sample.oper in _UNKNOWN_OPER:
            silent.append(en("link.reason.oper_unknown", end=label))
        else:
            fresh.append((label, end))

    down = []
    for label, end in fresh:
        sample = end.sample
        assert sample is not None
        if sample.oper != "up":
            key = "link.reason.oper_admin_down" if sample.admin == "down" else "link.reason.oper"
            down.append(en(key, end=label, oper=sample.oper))
    if down:
        return LinkHealth("down", tuple(down + silent))
    if not fresh:
        return LinkHealth("unknown", tuple(silent))

    degraded = []
    for label, end in fresh:
        sample = end.sample
        assert sample is not None
        if sample.rx_dbm is not None and sample.rx_dbm < limits.min_rx_power_dbm:
            degraded.append(en("link.reason.rx_low", end=label, rx=f"{sample.rx_dbm:.2f}",
                               limit=f"{limits.min_rx_power_dbm:.2f}"))
        rates = end.rates
        if rates is not None:
            parts = [r for r in (rates.in_errors_per_s, rates.out_errors_per_s) if r is not None]
            if parts and sum(parts) > limits.max_error_rate_per_s:
                degraded.append(en("link.reason.errors", end=label, rate=f"{sum(parts):.2f}",
                                   limit=f"{limits.max_error_rate_per_s:g}"))
    if degraded:
        return LinkHealth("degraded", tuple(degraded + silent))
    return LinkHealth("up", tuple(silent))
