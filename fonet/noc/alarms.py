"""Alarms from the observed state: one per event, grouped under their root cause.

Kinds and when they are raised (and cleared):

- ``link_down`` (major): the link's state is ``down`` (cleared when ``up`` or ``degraded``;
  ``unknown`` keeps it open: nobody saw it recover);
- ``rx_low``: received power below ``rx_warning_dbm`` (warning) or ``rx_critical_dbm``
  (critical) at a port whose oper status is up (cleared when back above the warning level by
  ``rx_clear_margin_db``, or when the port is not up: a dark port is a ``link_down``);
- ``error_rate`` (minor): in + out errors per second above ``max_error_rate_per_s``;
- ``flapping`` (major): ``flap_changes`` state changes of a link within ``flap_window_s``
  (cleared when fewer remain in the window);
- ``device_unreachable`` (critical): ``unreachable_after`` polls failed in a row (default 2,
  ``FONET_UNREACHABLE_AFTER``); behind a fibre cut that explains it (its management rides the
  cut fibre) it is grouped under the cut and lowered to ``warning`` (parent suppression, as
  Zabbix dependencies and LibreNMS parent devices do);
- ``fibre_cut`` (critical): one uncontradicted cut explains two or more down links (see
  :mod:`fonet.noc.locate`); it is the root of their ``link_down`` alarms.

An alarm is keyed by its condition (``link_down:<link>``, ``rx_low:<device>:<port>``, ...):
while it is open the same condition raises nothing new. Clearing records ``cleared_at`` and
``duration_s``. With the newest plan's graph, the alarms of sites cut off behind a down link, a
failed hub or a cut are grouped under that root cause (``parent_id``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.i18n.keyed import en, keyed
from fonet.noc.grouping import group_alarms
from fonet.store.models import Device, Interface, Link
from fonet.store.observed import (
    Alarm,
    DeviceStatus,
    InterfaceSample,
    LinkState,
    LinkStateChange,
)

log = logging.getLogger(__name__)

SEVERITIES = ("critical", "major", "minor", "warning")
WORKING = ("up", "degraded")


@dataclass(frozen=True)
class AlarmSettings:
    """Thresholds of the alarms (see the module docstring)."""

    rx_warning_dbm: float = -18.0
    rx_critical_dbm: float = -20.0
    rx_clear_margin_db: float = 0.5
    max_error_rate_per_s: float = 1.0
    flap_changes: int = 4
    flap_window_s: float = 600.0
    unreachable_after: int = 2
    group: bool = True

    @classmethod
    def from_env(cls) -> AlarmSettings:
        """Return the defaults with ``unreachable_after`` from ``FONET_UNREACHABLE_AFTER``."""
        from fonet.config import Settings

        return cls(unreachable_after=Settings().unreachable_after)


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime (SQLite returns naive ones)."""
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def open_alarm(session: Session, key: str) -> Alarm | None:
    """Return the open alarm with ``key``, if any."""
    return session.scalar(select(Alarm).where(Alarm.key == key, Alarm.cleared_at.is_(None))
                          .order_by(Alarm.id.desc()).limit(1))


def raise_alarm(session: Session, key: str, *, kind: str, severity: str, object_type: str,
                object_name: str, message: str, now: datetime,
                details: dict[str, Any] | None = None) -> tuple[Alarm, bool]:
    """Open an alarm for ``key`` unless one is open; return it and whether it is new.

    An open alarm keeps its identity; its severity, message and details follow the condition.
    """
    if severity not in SEVERITIES:
        raise InputError("alarm", f"unknown severity {severity!r}", feature=key)
    alarm = open_alarm(session, key)
    if alarm is not None:
        alarm.severity, alarm.message = severity, message[:1024]
        if details is not None:
            alarm.details = {**(alarm.details or {}), **details}
        return alarm, False
    alarm = Alarm(key=key[:256], kind=kind, severity=severity, object_type=object_type,
                  object_name=object_name[:256], message=message[:1024],
                  details=details or {}, raised_at=now)
    session.add(alarm)
    session.flush()
    return alarm, True


def clear_alarm(session: Session, key: str, *, now: datetime) -> Alarm | None:
    """Clear the open alarm with ``key`` (if any), recording when and how long it lasted."""
    alarm = open_alarm(session, key)
    if alarm is not None:
        alarm.cleared_at = now
        alarm.duration_s = round((now - as_utc(alarm.raised_at)).total_seconds(), 3)
    return alarm


def acknowledge(session: Session, alarm_id: int, *, user: str, comment: str,
                now: datetime | None = None) -> Alarm:
    """Acknowledge an alarm by a named user with a comment (a later one replaces it).

    Raises
    ------
    NotFoundError
        No alarm with this id.
    InputError
        An empty user name or comment.
    """
    alarm = session.get(Alarm, alarm_id)
    if alarm is None:
        raise NotFoundError(f"no alarm with id {alarm_id}")
    if not user.strip():
        raise InputError("--user", "a named user acknowledges an alarm", feature=alarm_id)
    if not comment.strip():
        raise InputError("--comment", "say why the alarm is acknowledged", feature=alarm_id)
    alarm.acknowledged_by, alarm.ack_comment = user.strip()[:128], comment.strip()[:1024]
    alarm.acknowledged_at = now or datetime.now(UTC)
    return alarm


def message_fields(message: str) -> dict[str, Any]:
    """Return ``message_key`` and ``params`` of an alarm message (see :mod:`fonet.i18n.keyed`).

    A client renders the message in its language from them; ``message`` keeps the English
    text. A message made before the catalogue knew it has ``message_key`` ``None``.
    """
    k = keyed(message, "alarm.msg.")
    return {"message_key": k["key"], "params": k["params"]}


def alarm_dict(alarm: Alarm) -> dict[str, Any]:
    """Return an alarm as a JSON-ready dict."""
    def iso(t: datetime | None) -> str | None:
        return None if t is None else as_utc(t).isoformat()

    return {"id": alarm.id, "key": alarm.key, "kind": alarm.kind, "severity": alarm.severity,
            "object_type": alarm.object_type, "object_name": alarm.object_name,
            "message": alarm.message, **message_fields(alarm.message), "details": alarm.details,
            "raised_at": iso(alarm.raised_at), "cleared_at": iso(alarm.cleared_at),
            "duration_s": alarm.duration_s, "acknowledged_by": alarm.acknowledged_by,
            "acknowledged_at": iso(alarm.acknowledged_at), "ack_comment": alarm.ack_comment,
            "parent_id": alarm.parent_id}


def list_alarms(session: Session, *, open_only: bool = False, limit: int = 500
                ) -> list[dict[str, Any]]:
    """Root alarms, newest first, each with its grouped children and their count.

    A root is an alarm without a parent, or whose parent is cleared while it is open.
    """
    q = select(Alarm).order_by(Alarm.raised_at.desc(), Alarm.id.desc())
    if open_only:
        q = q.where(Alarm.cleared_at.is_(None))
    rows = list(session.scalars(q.limit(limit)))
    by_id = {a.id: a for a in rows}
    children: dict[int, list[Alarm]] = {}
    roots = []
    for a in rows:
        parent = by_id.get(a.parent_id) if a.parent_id is not None else None
        if parent is None and a.parent_id is not None:
            parent = session.get(Alarm, a.parent_id)
            if parent is not None and (open_only and parent.cleared_at is not None):
                parent = None
        if parent is None or (a.cleared_at is None and parent.cleared_at is not None):
            roots.append(a)
        else:
            children.setdefault(parent.id, []).append(a)
    out = []
    for a in roots:
        kids = children.get(a.id, [])
        out.append({**alarm_dict(a), "children_count": len(kids),
                    "children": [alarm_dict(k) for k in kids]})
    return out


# -- evaluation ------------------------------------------------------------------
def _link_alarms(session: Session, now: datetime, cfg: AlarmSettings) -> None:
    rows = session.execute(select(Link.name, LinkState).join(LinkState,
                                                             LinkState.link_id == Link.id))
    for name, st in rows:
        key = f"link_down:{name}"
        if st.state == "down":
            raise_alarm(session, key, kind="link_down", severity="major", object_type="link",
                        object_name=name, now=now,
                        message=en("alarm.msg.link_down", name=name,
                                   reasons="; ".join(st.reasons or [])),
                        details={"reasons": st.reasons, "since": as_utc(st.since).isoformat()})
        elif st.state in WORKING:
            clear_alarm(session, key, now=now)
    since = now - timedelta(seconds=cfg.flap_window_s)
    counts = dict(session.execute(
        select(Link.name, func.count(LinkStateChange.id))
        .join(LinkStateChange, LinkStateChange.link_id == Link.id)
        .where(LinkStateChange.at > since, LinkStateChange.at <= now,
               LinkStateChange.from_state.is_not(None))
        .group_by(Link.name)).all())
    open_flaps = session.scalars(select(Alarm).where(Alarm.kind == "flapping",
                                                     Alarm.cleared_at.is_(None)))
    for alarm in open_flaps:
        if counts.get(alarm.object_name, 0) < cfg.flap_changes:
            clear_alarm(session, alarm.key, now=now)
    for name, n in counts.items():
        if n >= cfg.flap_changes:
            raise_alarm(session, f"flapping:{name}", kind="flapping", severity="major",
                        object_type="link", object_name=name, now=now,
                        message=en("alarm.msg.flapping", name=name, n=n,
                                   window=f"{cfg.flap_window_s:g}"),
                        details={"changes": n, "window_s": cfg.flap_window_s})


def _latest_samples(session: Session, devices: list[str] | None
                    ) -> Iterable[tuple[str, Interface, InterfaceSample]]:
    if devices is not None:  # a few devices: one indexed look-up per interface
        rows = session.execute(select(Device.name, Interface).join(
            Interface, Interface.device_id == Device.id).where(Device.name.in_(devices)))
        out = []
        for name, iface in rows:
            row = session.scalar(select(InterfaceSample)
                                 .where(InterfaceSample.interface_id == iface.id)
                                 .order_by(InterfaceSample.polled_at.desc(),
                                           InterfaceSample.id.desc()).limit(1))
            if row is not None:
                out.append((name, iface, row))
        return out
    newest = (select(func.max(InterfaceSample.id).label("id"))
              .group_by(InterfaceSample.interface_id).subquery())
    return session.execute(
        select(Device.name, Interface, InterfaceSample)
        .join(Interface, Interface.device_id == Device.id)
        .join(InterfaceSample, InterfaceSample.interface_id == Interface.id)
        .join(newest, newest.c.id == InterfaceSample.id)).all()


def _port_alarms(session: Session, now: datetime, cfg: AlarmSettings,
                 devices: list[str] | None) -> None:
    for device, iface, row in _latest_samples(session, devices):
        port = f"{device}:{iface.name or iface.if_index}"
        rx = row.rx_power_dbm
        key = f"rx_low:{port}"
        if row.oper != "up" or rx is None or rx >= cfg.rx_warning_dbm + cfg.rx_clear_margin_db:
            clear_alarm(session, key, now=now)
        elif rx < cfg.rx_warning_dbm:
            critical = rx < cfg.rx_critical_dbm
            limit = cfg.rx_critical_dbm if critical else cfg.rx_warning_dbm
            alarm, _ = raise_alarm(
                session, key, kind="rx_low", severity="critical" if critical else "warning",
                object_type="interface", object_name=port, now=now,
                message=en("alarm.msg.rx_low", port=port, rx=f"{rx:.2f}",
                           limit=f"{limit:.2f}"),
                details={"rx_power_dbm": rx})
            worst = alarm.details.get("worst_rx_power_dbm")
            if worst is None or rx < worst:
                alarm.details = {**alarm.details, "worst_rx_power_dbm": rx}
        parts = [r for r in (row.in_errors_per_s, row.out_errors_per_s) if r is not None]
        if not parts:
            continue
        rate, key = sum(parts), f"error_rate:{port}"
        if rate > cfg.max_error_rate_per_s:
            raise_alarm(session, key, kind="error_rate", severity="minor",
                        object_type="interface", object_name=port, now=now,
                        message=en("alarm.msg.error_rate", port=port, rate=f"{rate:.2f}",
                                   limit=f"{cfg.max_error_rate_per_s:g}"),
                        details={"errors_per_s": round(rate, 6)})
        else:
            clear_alarm(session, key, now=now)


def _device_alarms(session: Session, now: datetime, cfg: AlarmSettings,
                   devices: list[str] | None) -> None:
    q = select(Device.name, DeviceStatus).join(DeviceStatus, DeviceStatus.device_id == Device.id)
    rows = session.execute(q if devices is None else q.where(Device.name.in_(devices)))
    for name, st in rows:
        key = f"device_unreachable:{name}"
        if not st.reachable and (st.failures or 0) >= cfg.unreachable_after:
            current = open_alarm(session, key)
            suppressed = current is not None and "suppressed_by" in (current.details or {})
            raise_alarm(session, key, kind="device_unreachable",
                        severity="warning" if suppressed else "critical",
                        object_type="device", object_name=name, now=now,
                        message=en("alarm.msg.device_unreachable", name=name,
                                   error=st.error or en("term.no_answer")),
                        details={"failures": st.failures})
        elif st.reachable:
            clear_alarm(session, key, now=now)


def cut_key(plan_id: int, span_ids: Iterable[int]) -> str:
    """Key of the ``fibre_cut`` alarm of a section of spans."""
    digest = hashlib.sha1(",".join(map(str, sorted(span_ids))).encode()).hexdigest()[:12]
    return f"fibre_cut:P{plan_id}:{digest}"


def evaluate_alarms(session: Session, now: datetime | None = None,
                    settings: AlarmSettings | None = None, *,
                    devices: Iterable[str] | None = None, regroup: bool = True
                    ) -> dict[str, Any]:
    """Raise, update and clear alarms from the store's current state, then group them.

    Parameters
    ----------
    session
        A session inside the caller's transaction.
    now
        Evaluation time (UTC); the current time when None.
    settings
        Thresholds (the defaults when None).
    devices
        Evaluate the port and device alarms of these devices only (those just polled);
        every device when None. Link and flapping alarms are always evaluated.
    regroup
        Group alarms (see :mod:`fonet.noc.grouping`) even when no link or device alarm was
        raised or cleared.

    Returns
    -------
    dict
        ``raised`` and ``cleared``: the alarms opened and closed by this evaluation.
    """
    moment = as_utc(now or datetime.now(UTC))
    cfg = settings or AlarmSettings.from_env()
    names = None if devices is None else list(devices)
    before = set(session.scalars(select(Alarm.id).where(Alarm.cleared_at.is_(None))))
    _link_alarms(session, moment, cfg)
    _port_alarms(session, moment, cfg, names)
    _device_alarms(session, moment, cfg, names)
    session.flush()

    def changed() -> tuple[set[int], set[int], dict[int, Alarm]]:
        after = set(session.scalars(select(Alarm.id).where(Alarm.cleared_at.is_(None))))
        ids = (after - before) | (before - after)
        return after, ids, {a.id: a for a in session.scalars(select(Alarm)
                                                             .where(Alarm.id.in_(ids)))}

    after, _, rows = changed()
    topology_kinds = ("link_down", "device_unreachable", "flapping")
    if cfg.group and (regroup or any(a.kind in topology_kinds for a in rows.values())):
        group_alarms(session, moment, unreachable_after=cfg.unreachable_after)
        session.flush()
        after, _, rows = changed()
    return {"raised": [alarm_dict(rows[i]) for i in sorted(after - before)],
            "cleared": [alarm_dict(rows[i]) for i in sorted(before - after)]}


def process_changes(session: Session, changes: list[dict[str, Any]], *,
                    now: datetime | None = None, settings: AlarmSettings | None = None,
                    devices: Iterable[str] | None = None) -> dict[str, Any]:
    """Turn the link state changes of a poll into alarms (and re-evaluate the others).

    ``changes`` is what :func:`fonet.monitoring.update_link_states` returns; the store already
    holds them. Port and device alarms are evaluated for ``devices`` (every device when None);
    alarms are regrouped when a link changed state or a link or device alarm came or went.
    The work runs in a savepoint: should it fail, it is logged and undone, and the poll stored
    before it stays.
    """
    moment = as_utc(now) if now is not None else None
    if moment is None and changes:
        moment = as_utc(datetime.fromisoformat(changes[-1]["at"]))
    try:
        with session.begin_nested():
            return evaluate_alarms(session, moment, settings, devices=devices,
                                   regroup=bool(changes))
    except Exception as exc:  # an alarm fault must not lose the poll
        log.exception("alarm evaluation failed")
        return {"raised": [], "cleared": [], "error": f"{type(exc).__name__}: {exc}"}
