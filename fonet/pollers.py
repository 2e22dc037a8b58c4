"""Poller groups and polling cycles shared by several collectors (PostgreSQL stores).

A device belongs to one poller group (``default`` unless said otherwise); a collector serves
one or more groups. Time is cut into cycles of ``interval_s`` seconds; a cycle is named by its
start. Two ledgers make the guarantees hold whoever polls, and however often a job is retried:

- ``device_poll_cycle``: one row per device and cycle, written in the transaction that stores
  the poll, so a second poll of a device in one cycle cannot be stored;
- ``evaluated_cycle``: one row per cycle, written in the transaction that evaluates the link
  states and alarms, so a cycle is evaluated once.

The queue that hands the work out (procrastinate) lives in the collectors; this module is the
store side only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.monitoring import record_poll, rollup_and_prune, update_link_states
from fonet.noc.alarms import process_changes
from fonet.store.models import Device
from fonet.store.observed import DevicePollCycle, EvaluatedCycle, PollerCollector
from fonet.telemetry import DevicePoll, HealthThresholds

__all__ = [
    "DEFAULT_GROUP",
    "GROUP_PATTERN",
    "AlreadyPolledError",
    "check_group",
    "collector_alive_s",
    "device_groups",
    "evaluate_cycle",
    "forget_collector",
    "heartbeat_s",
    "parse_groups",
    "poller_status",
    "polled_in_cycle",
    "record_cycle_poll",
    "see_collector",
    "set_group",
]

DEFAULT_GROUP = "default"
GROUP_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
"""A poller group's name (it becomes part of a queue name)."""
_GROUP = re.compile(GROUP_PATTERN)
ROLLUP_EVERY_S = 300.0


class AlreadyPolledError(Exception):
    """The device's poll of this cycle is stored already (by this or another collector)."""


def check_group(name: str, where: str = "--group") -> str:
    """Return ``name`` if it is a valid poller group name, else raise :class:`InputError`.

    A group name is 1-40 characters: lower-case letters, digits, ``-`` and ``_``, starting
    with a letter or digit (it becomes part of a queue name).
    """
    if not isinstance(name, str) or not _GROUP.fullmatch(name):
        raise InputError(where, f"bad poller group {name!r}: use 1-40 lower-case letters, "
                                "digits, '-' or '_', starting with a letter or digit")
    return name


def parse_groups(text: str, where: str = "--groups") -> list[str]:
    """Split a comma-separated list of groups, check each; raise :class:`InputError` if none."""
    groups = [g.strip() for g in text.split(",") if g.strip()]
    if not groups:
        raise InputError(where, "name at least one poller group, e.g. --groups default")
    for g in groups:
        check_group(g, where)
    return sorted(set(groups))


def heartbeat_s(interval_s: float) -> float:
    """Seconds between two heartbeats of a collector polling every ``interval_s``."""
    return min(10.0, max(0.5, interval_s / 10))


def collector_alive_s(interval_s: float) -> float:
    """Return how long a collector may stay silent before it is taken for dead."""
    return max(4 * heartbeat_s(interval_s), 2.0)


def set_group(session: Session, name: str, group: str) -> Device:
    """Put the device ``name`` in poller group ``group``."""
    check_group(group)
    device = session.scalar(select(Device).where(Device.name == name))
    if device is None:
        raise NotFoundError(f"no device named {name!r}")
    device.poller_group = group
    return device


def device_groups(session: Session) -> list[tuple[str, str]]:
    """``(device name, poller group)`` of every device, ordered by name."""
    rows = session.execute(select(Device.name, Device.poller_group).order_by(Device.name))
    return [(name, group) for name, group in rows]


def _device_id(session: Session, name: str) -> int | None:
    return session.scalar(select(Device.id).where(Device.name == name))


def polled_in_cycle(session: Session, name: str, cycle_start: datetime) -> bool:
    """Whether the device's poll of the cycle starting at ``cycle_start`` is stored."""
    device_id = _device_id(session, name)
    if device_id is None:
        return False
    return session.get(DevicePollCycle, (device_id, cycle_start)) is not None


def record_cycle_poll(session: Session, poll: DevicePoll, cycle_start: datetime,
                      collector: str) -> dict[str, Any]:
    """Store a poll as the device's poll of a cycle (see :func:`fonet.monitoring.record_poll`).

    Raises
    ------
    AlreadyPolledError
        If the cycle's poll of this device is stored already; nothing is written then. When
        two sessions race, the second one's flush fails on the ledger's primary key instead
        (an ``IntegrityError``): roll back and treat it the same way.
    LookupError
        If the device is gone.
    """
    device_id = _device_id(session, poll.name)
    if device_id is None:
        raise LookupError(f"no device named {poll.name!r}")
    if session.get(DevicePollCycle, (device_id, cycle_start)) is not None:
        raise AlreadyPolledError(f"{poll.name} was polled in the cycle of {cycle_start:%H:%M:%S}")
    session.add(DevicePollCycle(device_id=device_id, cycle_start=cycle_start,
                                polled_at=poll.polled_at, collector=collector))
    session.flush()  # the ledger row first: a racing duplicate fails here
    return record_poll(session, poll)


def evaluate_cycle(session: Session, cycle_start: datetime, *, interval_s: float,
                   collector: str, thresholds: HealthThresholds | None = None,
                   retention_s: float = 48 * 3600, now: datetime | None = None
                   ) -> list[dict[str, Any]] | None:
    """Evaluate link states and alarms once for the cycle starting at ``cycle_start``.

    Port and device alarms are evaluated for the devices polled in that cycle, link alarms
    for every link. Every five minutes of cycles, raw samples are rolled up and pruned, and
    the poll ledger is pruned to the same retention.

    Returns
    -------
    list of dict or None
        The link state changes, or ``None`` if the cycle was evaluated already (nothing is
        done then). Racing sessions: the second fails on the ledger's primary key at flush.
    """
    if session.get(EvaluatedCycle, cycle_start) is not None:
        return None
    now = now or datetime.now(UTC)
    polled = list(session.scalars(
        select(Device.name).join(DevicePollCycle, DevicePollCycle.device_id == Device.id)
        .where(DevicePollCycle.cycle_start == cycle_start).order_by(Device.name)))
    row = EvaluatedCycle(cycle_start=cycle_start, interval_s=interval_s, evaluated_at=now,
                         collector=collector, devices=len(polled), link_changes=0)
    session.add(row)
    session.flush()
    changes = update_link_states(session, interval_s=interval_s, thresholds=thresholds)
    process_changes(session, changes, now=now, devices=polled)
    row.link_changes = len(changes)
    start_s = cycle_start.timestamp()
    if int(start_s // ROLLUP_EVERY_S) != int((start_s + interval_s) // ROLLUP_EVERY_S):
        rollup_and_prune(session, retention_s=retention_s, now=now)
        old = now - timedelta(seconds=retention_s)
        session.execute(delete(DevicePollCycle).where(DevicePollCycle.cycle_start < old))
        session.execute(delete(EvaluatedCycle).where(EvaluatedCycle.cycle_start < old))
    return changes


def see_collector(session: Session, name: str, *, host: str, pid: int, groups: Sequence[str],
                  interval_s: float, started_at: datetime, now: datetime | None = None
                  ) -> None:
    """Record that the collector ``name`` is alive now (its heartbeat).

    Collectors silent for more than a day (killed, their host gone) are forgotten.
    """
    now = now or datetime.now(UTC)
    session.execute(delete(PollerCollector).where(
        PollerCollector.seen_at < now - timedelta(days=1)))
    row = session.get(PollerCollector, name)
    if row is None:
        session.add(PollerCollector(name=name, host=host, pid=pid, groups=list(groups),
                                    interval_s=interval_s, started_at=started_at,
                                    seen_at=now))
        return
    row.groups, row.interval_s, row.seen_at = list(groups), interval_s, now


def forget_collector(session: Session, name: str) -> None:
    """Remove a collector that stops cleanly."""
    session.execute(delete(PollerCollector).where(PollerCollector.name == name))


def poller_status(session: Session, *, now: datetime | None = None,
                  groups: Iterable[str] = ()) -> dict[str, Any]:
    """Describe the groups, their devices and collectors, and the groups nobody serves.

    Parameters
    ----------
    session
        The store.
    now
        The time to judge collectors' heartbeats by.
    groups
        Groups to count as served beside those of the live collectors (a collector that is
        starting).

    Returns
    -------
    dict
        ``collectors`` (each ``name``, ``host``, ``pid``, ``groups``, ``interval_s``,
        ``seen_at``, ``alive``), ``groups`` (group -> ``devices``, ``collectors``) and
        ``unserved`` (groups with devices and no live collector, sorted).
    """
    now = now or datetime.now(UTC)
    collectors = []
    served: dict[str, list[str]] = {g: ["(this collector)"] for g in groups}
    for c in session.scalars(select(PollerCollector).order_by(PollerCollector.name)):
        seen = c.seen_at if c.seen_at.tzinfo else c.seen_at.replace(tzinfo=UTC)
        alive = (now - seen).total_seconds() <= collector_alive_s(c.interval_s)
        collectors.append({"name": c.name, "host": c.host, "pid": c.pid,
                           "groups": list(c.groups), "interval_s": c.interval_s,
                           "seen_at": seen.isoformat(), "alive": alive})
        if alive:
            for g in c.groups:
                served.setdefault(g, []).append(c.name)
    counts = dict(session.execute(select(Device.poller_group, func.count())
                                  .group_by(Device.poller_group)).tuples().all())
    table = {g: {"devices": counts.get(g, 0), "collectors": served.get(g, [])}
             for g in sorted(set(counts) | set(served))}
    unserved = sorted(g for g, n in counts.items() if n and not served.get(g))
    return {"collectors": collectors, "groups": table, "unserved": unserved}
