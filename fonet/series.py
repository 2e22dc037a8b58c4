"""Time series of an interface: traffic, optical power and errors over a time range.

Recent history is kept as raw samples (one per poll), older history as five-minute rollups
(:func:`fonet.monitoring.rollup_and_prune`); :func:`interface_series` reads whichever holds
the range (both when it spans the retention limit) and averages them into buckets of
``step_s`` seconds, with the peak of each bucket (the maximum of a rate, the minimum of an
optical power: the worst).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.store.models import Device, Interface
from fonet.store.observed import InterfaceRollup, InterfaceSample

METRICS = {
    # metric: (unit, sample column(s), rollup average, rollup peak, peak is the minimum)
    "in_bps": ("bit/s", ("in_rate_bps",), "in_rate_bps_avg", "in_rate_bps_max", False),
    "out_bps": ("bit/s", ("out_rate_bps",), "out_rate_bps_avg", "out_rate_bps_max", False),
    "rx_dbm": ("dBm", ("rx_power_dbm",), "rx_power_dbm_avg", "rx_power_dbm_min", True),
    "errors": ("errors/s", ("in_errors_per_s", "out_errors_per_s"), None,
               "errors_per_s_max", False),
}
MAX_POINTS = 5000
DEFAULT_POINTS = 720


@dataclass
class Series:
    """Buckets of a metric: start times (Unix seconds), averages and peaks (``None``: no data)."""

    interface_id: int
    interface: str
    metric: str
    unit: str
    start: datetime
    end: datetime
    step_s: int
    source: str
    t: list[int] = field(default_factory=list)
    value: list[float | None] = field(default_factory=list)
    peak: list[float | None] = field(default_factory=list)


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def default_step(start: datetime, end: datetime) -> int:
    """Return a step giving about :data:`DEFAULT_POINTS` buckets, a whole minute at least."""
    span = (end - start).total_seconds()
    return max(60, int(math.ceil(span / DEFAULT_POINTS / 60.0)) * 60)


def interface_series(session: Session, interface_id: int, metric: str, start: datetime,
                     end: datetime, step_s: int | None = None) -> Series:
    """Average a metric of an interface into buckets of ``step_s`` from ``start`` to ``end``.

    Parameters
    ----------
    session
        A read session.
    interface_id
        The interface.
    metric
        ``in_bps``, ``out_bps``, ``rx_dbm`` or ``errors`` (in and out errors per second).
    start, end
        The range (``start`` < ``end``).
    step_s
        Bucket width in seconds (default: about 720 buckets over the range).

    Raises
    ------
    NotFoundError
        No such interface.
    InputError
        Unknown metric, empty range, or more than :data:`MAX_POINTS` buckets.
    """
    if metric not in METRICS:
        raise InputError("metric", f"unknown metric {metric!r}; known: {', '.join(METRICS)}",
                         field="metric")
    start, end = _utc(start), _utc(end)
    if end <= start:
        raise InputError("from", f"the range is empty: from {start.isoformat()} is not "
                                 f"before to {end.isoformat()}", field="from")
    step = step_s or default_step(start, end)
    n = int(math.ceil((end - start).total_seconds() / step))
    if n > MAX_POINTS:
        raise InputError("step", f"{n} buckets of {step} s: at most {MAX_POINTS}; use a "
                                 "larger step or a shorter range", field="step")
    row = session.execute(select(Interface, Device.name).join(Device, Device.id
                                                               == Interface.device_id)
                          .where(Interface.id == interface_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"no interface with id {interface_id}")
    iface, device = row
    unit, cols, avg_col, peak_col, peak_is_min = METRICS[metric]
    sums = [0.0] * n
    weights = [0] * n
    peaks: list[float | None] = [None] * n
    t0 = start.timestamp()

    def add(t: datetime, value: float | None, peak: float | None, weight: int) -> None:
        i = int((_utc(t).timestamp() - t0) // step)
        if not 0 <= i < n:
            return
        if value is not None and weight > 0:
            sums[i] += value * weight
            weights[i] += weight
        if peak is not None:
            cur = peaks[i]
            peaks[i] = peak if cur is None else (min(cur, peak) if peak_is_min
                                                 else max(cur, peak))

    sources = set()
    sample_cols = [getattr(InterfaceSample, c) for c in cols]
    for t, *vals in session.execute(
            select(InterfaceSample.polled_at, *sample_cols)
            .where(InterfaceSample.interface_id == interface_id,
                   InterfaceSample.polled_at >= start, InterfaceSample.polled_at < end)
            .order_by(InterfaceSample.polled_at)):
        present = [v for v in vals if v is not None]
        if not present:
            continue
        v = float(sum(present))
        sources.add("raw")
        add(t, v, v, 1)
    rollup_cols = [InterfaceRollup.samples, getattr(InterfaceRollup, peak_col)]
    if avg_col:
        rollup_cols.append(getattr(InterfaceRollup, avg_col))
    for t, count, peak, *avg in session.execute(
            select(InterfaceRollup.bucket_start, *rollup_cols)
            .where(InterfaceRollup.interface_id == interface_id,
                   InterfaceRollup.bucket_start >= start, InterfaceRollup.bucket_start < end)
            .order_by(InterfaceRollup.bucket_start)):
        value = avg[0] if avg else peak  # errors keep only their maximum in rollups
        if value is None and peak is None:
            continue
        sources.add("rollup")
        add(t, value, peak, count or 1)
    out = Series(interface_id=interface_id,
                 interface=f"{device}:{iface.name or iface.if_index}", metric=metric,
                 unit=unit, start=start, end=end, step_s=step,
                 source="+".join(sorted(sources)) or "none")
    for i in range(n):
        out.t.append(int(t0 + i * step))
        out.value.append(sums[i] / weights[i] if weights[i] else None)
        out.peak.append(peaks[i])
    return out
