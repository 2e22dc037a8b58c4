"""Availability per link and per served site, per day and per month, from link-state history.

A link's state is piecewise constant between its stored changes (``link_state_change``). Time
``up`` or ``degraded`` is available, ``down`` is downtime, ``unknown`` (or before the first
state) is not monitored and left out: availability = available / (available + down).

A served site (village office, OPD, kecamatan office, puskesmas, school ...) is down while no
path of links that are not down joins it to the core POP on the plan's graph, so a ring keeps
its hubs up through one cut. It is monitored while a link of its own has a known state.

Downtime is attributed to its root cause through the alarms: the ``link_down`` alarm of the
down link (for a site, of the down link on the boundary of what is cut off) and the root it is
grouped under: ``cut`` (a ``fibre_cut``), ``device`` (a ``device_unreachable``), ``power``
(a device alarm that names power), ``link`` (the link's own alarm is the root), ``flapping``,
or ``unknown`` when no alarm covers it.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.errors import InputError
from fonet.noc.topology import PlanTopology, load_topology
from fonet.store.observed import Alarm, LinkStateChange

CAUSES = ("cut", "device", "power", "link", "flapping", "unknown")
AVAILABLE = ("up", "degraded")
DEFAULT_TZ = "Asia/Jakarta"
"""Months and days are counted in the regency's time (WIB, UTC+7) by default."""


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def month_bounds(month: str, tz: str = DEFAULT_TZ) -> tuple[datetime, datetime, ZoneInfo]:
    """Return the UTC start and end of ``YYYY-MM`` in time zone ``tz``.

    Raises
    ------
    InputError
        Not a ``YYYY-MM`` month, or an unknown time zone.
    """
    try:
        year, mon = (int(p) for p in month.split("-"))
        if not (1 <= mon <= 12 and 1970 <= year <= 9999) or len(month) != 7:
            raise ValueError
    except ValueError:
        raise InputError("--month", f"{month!r} is not a month as YYYY-MM") from None
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("--tz", f"unknown time zone {tz!r}") from None
    start = datetime(year, mon, 1, tzinfo=zone)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC), zone


@dataclass
class Tally:
    """Seconds by state and downtime by cause, in total and per local day."""

    available_s: float = 0.0
    down_s: float = 0.0
    unknown_s: float = 0.0
    by_cause: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    days: dict[date, list[float]] = field(default_factory=dict)
    """Local day -> [available_s, down_s, unknown_s]."""
    outages: list[dict[str, Any]] = field(default_factory=list)

    def add(self, start: datetime, end: datetime, status: str, zone: ZoneInfo,
            cause: str | None = None) -> None:
        """Count ``[start, end)`` as ``available``, ``down`` or ``unknown``."""
        k = {"available": 0, "down": 1, "unknown": 2}[status]
        t = start
        while t < end:
            local = t.astimezone(zone)
            next_day = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(),
                                        zone).astimezone(UTC)
            stop = min(end, next_day)
            secs = (stop - t).total_seconds()
            self.days.setdefault(local.date(), [0.0, 0.0, 0.0])[k] += secs
            t = stop
        secs = (end - start).total_seconds()
        if status == "available":
            self.available_s += secs
        elif status == "down":
            self.down_s += secs
            self.by_cause[cause or "unknown"] += secs
        else:
            self.unknown_s += secs

    def as_dict(self, days: bool = True) -> dict[str, Any]:
        """Return the tally with availability in percent (None when never monitored)."""
        monitored = self.available_s + self.down_s
        out: dict[str, Any] = {
            "availability_pct": _pct(self.available_s, monitored),
            "monitored_s": round(monitored, 3), "available_s": round(self.available_s, 3),
            "down_s": round(self.down_s, 3), "unknown_s": round(self.unknown_s, 3),
            "downtime_by_cause": {c: round(self.by_cause.get(c, 0.0), 3) for c in CAUSES
                                  if self.by_cause.get(c)},
            "outages": self.outages,
        }
        if days:
            out["days"] = [{"date": d.isoformat(), "availability_pct": _pct(a, a + dn),
                            "available_s": round(a, 3), "down_s": round(dn, 3),
                            "unknown_s": round(u, 3)}
                           for d, (a, dn, u) in sorted(self.days.items())]
        return out


def _pct(available: float, monitored: float) -> float | None:
    return None if monitored <= 0 else round(100.0 * available / monitored, 4)


class _Causes:
    """Root cause of a link's downtime at a moment, from its ``link_down`` alarms."""

    def __init__(self, session: Session, names: Iterable[str], start: datetime,
                 end: datetime) -> None:
        keys = [f"link_down:{n}" for n in names]
        rows: list[Alarm] = []
        for k in range(0, len(keys), 500):
            rows += list(session.scalars(select(Alarm).where(
                Alarm.key.in_(keys[k:k + 500]), Alarm.raised_at < end,
                (Alarm.cleared_at.is_(None)) | (Alarm.cleared_at > start))))
        self.session = session
        self.alarms: dict[int, Alarm] = {a.id: a for a in rows}
        self.by_link: dict[str, list[tuple[datetime, datetime | None, Alarm]]] = \
            defaultdict(list)
        for a in rows:
            self.by_link[a.object_name].append(
                (_utc(a.raised_at) - timedelta(seconds=1),
                 None if a.cleared_at is None else _utc(a.cleared_at), a))
        self.roots: dict[int, tuple[str, dict[str, Any]]] = {}

    def _root(self, alarm: Alarm) -> Alarm:
        seen = {alarm.id}
        while alarm.parent_id is not None and alarm.parent_id not in seen:
            parent = self.alarms.get(alarm.parent_id) or self.session.get(Alarm,
                                                                          alarm.parent_id)
            if parent is None:
                break
            self.alarms[parent.id] = parent
            seen.add(parent.id)
            alarm = parent
        return alarm

    def cause(self, link: str, at: datetime) -> tuple[str, dict[str, Any] | None]:
        """Return (cause, root alarm summary) of ``link`` being down at ``at``."""
        for raised, cleared, a in self.by_link.get(link, ()):
            if raised <= at and (cleared is None or cleared > at):
                if a.id not in self.roots:
                    root = self._root(a)
                    self.roots[a.id] = (_category(root), {"id": root.id, "kind": root.kind,
                                                          "object": root.object_name})
                return self.roots[a.id]
        return "unknown", None


def _category(root: Alarm) -> str:
    if root.kind == "fibre_cut":
        return "cut"
    if root.kind == "device_unreachable":
        text = f"{root.message} {root.details or ''}".lower()
        return "power" if "power" in text else "device"
    if root.kind in ("power", "power_failure"):
        return "power"
    if root.kind == "link_down":
        return "link"
    if root.kind == "flapping":
        return "flapping"
    return "unknown"


def _histories(session: Session, topo: PlanTopology, start: datetime, end: datetime
               ) -> dict[int, list[tuple[datetime, str]]]:
    """Link id -> [(moment, state)]: the last change before ``start``, then those up to ``end``.

    Only what the period needs is read, however long the history.
    """
    out: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    ids = [i for i in topo.links if i > 0]
    cols = (LinkStateChange.link_id, LinkStateChange.at, LinkStateChange.to_state)
    for k in range(0, len(ids), 500):
        chunk = ids[k:k + 500]
        last = (select(func.max(LinkStateChange.id))
                .where(LinkStateChange.link_id.in_(chunk), LinkStateChange.at <= start)
                .group_by(LinkStateChange.link_id))
        rows = list(session.execute(select(*cols).where(LinkStateChange.id.in_(last))))
        rows += session.execute(
            select(*cols).where(LinkStateChange.link_id.in_(chunk), LinkStateChange.at > start,
                                LinkStateChange.at < end)
            .order_by(LinkStateChange.at, LinkStateChange.id)).all()
        for link_id, at, state in rows:
            out[link_id].append((_utc(at), state))
    return out


def _state_at(history: list[tuple[datetime, str]], moments: list[datetime], t: datetime
              ) -> str | None:
    k = bisect.bisect_right(moments, t) - 1
    return history[k][1] if k >= 0 else None


def availability(session: Session, month: str, *, tz: str = DEFAULT_TZ,
                 plan_id: int | None = None, now: datetime | None = None,
                 days: bool = True) -> dict[str, Any]:
    """Availability of every link and served site of the plan in ``month`` (see the module).

    Parameters
    ----------
    session
        A read session.
    month
        ``YYYY-MM``.
    tz
        Time zone of the month's and days' boundaries (default WIB, ``Asia/Jakarta``).
    plan_id
        The plan (default: the newest).
    now
        Counting stops here when the month is not over (default: the current time).
    days
        Include the per-day figures.

    Returns
    -------
    dict
        ``month``, ``tz``, ``start``, ``end``, ``period_s``, ``links`` and ``sites`` (each with
        ``availability_pct``, seconds available / down / unknown, ``downtime_by_cause``,
        ``outages`` and ``days``), and ``worst``: the ten monitored sites of least
        availability.
    """
    start, end, zone = month_bounds(month, tz)
    stop = min(end, _utc(now or datetime.now(UTC)))
    topo = load_topology(session, plan_id)
    hist = _histories(session, topo, start, stop)
    causes = _Causes(session, topo.link_by_name, start, stop)
    links = {lid: info for lid, info in topo.links.items() if lid > 0}
    link_tally = {lid: Tally() for lid in links}
    site_tally = {sid: Tally() for sid, s in topo.sites.items() if s.role not in ("pop",)}
    serving = {}
    for lid, info in links.items():
        if info.kind == "access" and info.z_site_id is not None:
            serving[info.z_site_id] = lid
        elif info.kind == "ring":
            for end_site in (info.a_site_id, info.z_site_id):
                if end_site is not None and topo.sites.get(end_site) \
                        and topo.sites[end_site].role == "hub":
                    serving.setdefault(end_site, lid)
    # the state of each link when the period starts, then every change inside it, in order
    state: dict[int, str | None] = {}
    changes: dict[datetime, list[tuple[int, str]]] = defaultdict(list)
    for lid in links:
        h = hist.get(lid, [])
        state[lid] = _state_at(h, [t for t, _ in h], start)
        for t, st in h:
            if start < t < stop:
                changes[t].append((lid, st))
    link_seg: dict[int, _Segment] = {}
    site_seg: dict[int, _Segment] = {}
    down: set[int] = set()
    reach: set[int] = set()
    cut_off: dict[int, tuple[str, dict[str, Any] | None]] = {}
    for k, at in enumerate(sorted({start, *changes}) if start < stop else []):
        changed: list[int] = list(links) if k == 0 else []
        for lid, st in changes.get(at, []):
            state[lid] = st
            changed.append(lid)
        for lid in dict.fromkeys(changed):
            current = state[lid]
            if current in AVAILABLE:
                status: tuple[str, str | None, dict[str, Any] | None] = ("available", None, None)
            elif current == "down":
                status = ("down", *causes.cause(links[lid].name, at))
            else:
                status = ("unknown", None, None)
            _switch(link_seg, link_tally[lid], lid, at, status, zone)
        now_down = {lid for lid, st in state.items() if st == "down"}
        fresh_down = now_down != down or k == 0
        if fresh_down:
            down, reach = now_down, topo.reachable(now_down)
            cut_off = _cut_off_causes(topo, down, reach, causes, at)
        touched = {s for lid in changed for s in (links[lid].a_site_id, links[lid].z_site_id)}
        for sid, tally in site_tally.items():
            if not fresh_down and sid not in touched:
                continue
            if sid not in reach:
                status = ("down", *cut_off[sid])
            elif any(state.get(lid) not in (None, "unknown") for _, lid in topo.adjacency[sid]):
                status = ("available", None, None)
            else:
                status = ("unknown", None, None)
            _switch(site_seg, tally, sid, at, status, zone)
    for segs, tallies in ((link_seg, link_tally), (site_seg, site_tally)):
        for key, seg in segs.items():
            seg.close(tallies[key], stop, zone, ongoing=stop < end)
    link_rows = []
    for lid, tally in sorted(link_tally.items(), key=lambda kv: links[kv[0]].name):
        info = links[lid]
        link_rows.append({"name": info.name, "kind": info.kind, **tally.as_dict(days)})
    site_rows = []
    for sid, tally in site_tally.items():
        info_s = topo.sites[sid]
        site_rows.append({"code": info_s.code, "name": info_s.name, "kind": info_s.kind,
                          "role": info_s.role, "kecamatan": info_s.kecamatan,
                          "kecamatan_code": info_s.kecamatan_code,
                          "link": links[serving[sid]].name if sid in serving else None,
                          **tally.as_dict(days)})
    site_rows.sort(key=lambda r: (r["kecamatan_code"] or "", r["code"]))
    monitored = [r for r in site_rows if r["availability_pct"] is not None]
    worst = sorted(monitored, key=lambda r: (r["availability_pct"], -r["down_s"], r["code"]))
    return {"month": month, "tz": tz, "plan_id": topo.plan_id, "start": start.isoformat(),
            "end": end.isoformat(), "counted_until": stop.isoformat(),
            "period_s": max(0.0, (stop - start).total_seconds()),
            "links": link_rows, "sites": site_rows,
            "worst": [{k: r[k] for k in ("code", "name", "kind", "kecamatan", "availability_pct",
                                         "down_s", "downtime_by_cause")} for r in worst[:10]]}


@dataclass
class _Segment:
    """A stretch of time in one status (with its cause while down), not yet counted."""

    start: datetime
    status: tuple[str, str | None, dict[str, Any] | None]

    def close(self, tally: Tally, at: datetime, zone: ZoneInfo, ongoing: bool = False) -> None:
        """Count ``[start, at)`` in ``tally``; a down stretch is an outage."""
        if at <= self.start:
            return
        kind, cause, root = self.status
        tally.add(self.start, at, kind, zone, cause)
        if kind == "down":
            tally.outages.append({"start": self.start.isoformat(), "end": at.isoformat(),
                                  "duration_s": (at - self.start).total_seconds(),
                                  "cause": cause, "root": root, "ongoing": ongoing})


def _switch(segs: dict[int, _Segment], tally: Tally, key: int, at: datetime,
            status: tuple[str, str | None, dict[str, Any] | None], zone: ZoneInfo) -> None:
    seg = segs.get(key)
    if seg is not None and seg.status[:2] == status[:2]:
        return
    if seg is not None:
        seg.close(tally, at, zone)
    segs[key] = _Segment(at, status)


def _cut_off_causes(topo: PlanTopology, down: set[int], reach: set[int], causes: _Causes,
                    at: datetime) -> dict[int, tuple[str, dict[str, Any] | None]]:
    """Cause of each cut-off site: the down links around the part cut off with it.

    The down links that join the cut-off part to the sites still reached come first (the
    boundary), then those inside it.
    """
    out: dict[int, tuple[str, dict[str, Any] | None]] = {}
    for sid in topo.sites:
        if sid in reach or sid in out:
            continue
        comp, todo, boundary, inner = {sid}, [sid], set(), set()
        while todo:
            u = todo.pop()
            for v, lid in topo.adjacency[u]:
                if v in reach:
                    if lid in down:
                        boundary.add(lid)
                    continue
                if lid in down:
                    inner.add(lid)
                if v not in comp:
                    comp.add(v)
                    todo.append(v)
        found: tuple[str, dict[str, Any] | None] = ("unknown", None)
        for group in (boundary, inner):
            for lid in sorted(group, key=lambda i: topo.links[i].name):
                cause = causes.cause(topo.links[lid].name, at)
                if cause[0] != "unknown":
                    found = cause
                    break
            if found[0] != "unknown":
                break
        for member in comp:
            out[member] = found
    return out
