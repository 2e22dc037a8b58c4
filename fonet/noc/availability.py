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

from sqlalchemy import select
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
        self.by_link: dict[str, list[Alarm]] = defaultdict(list)
        rows = []
        for k in range(0, len(keys), 500):
            rows += list(session.scalars(select(Alarm).where(
                Alarm.key.in_(keys[k:k + 500]), Alarm.raised_at < end,
                (Alarm.cleared_at.is_(None)) | (Alarm.cleared_at > start))))
        for a in rows:
            self.by_link[a.object_name].append(a)
        self.alarms: dict[int, Alarm] = {}

    def _root(self, session: Session, alarm: Alarm) -> Alarm:
        seen = {alarm.id}
        while alarm.parent_id is not None and alarm.parent_id not in seen:
            parent = self.alarms.get(alarm.parent_id) or session.get(Alarm, alarm.parent_id)
            if parent is None:
                break
            self.alarms[parent.id] = parent
            seen.add(parent.id)
            alarm = parent
        return alarm

    def cause(self, session: Session, link: str, at: datetime
              ) -> tuple[str, dict[str, Any] | None]:
        """Return (cause, root alarm summary) of ``link`` being down at ``at``."""
        for a in self.by_link.get(link, []):
            if _utc(a.raised_at) <= at + timedelta(seconds=1) and (
                    a.cleared_at is None or _utc(a.cleared_at) > at):
                root = self._root(session, a)
                return _category(root), {"id": root.id, "kind": root.kind,
                                         "object": root.object_name}
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


def _histories(session: Session, topo: PlanTopology, end: datetime
               ) -> dict[int, list[tuple[datetime, str]]]:
    """Link id -> [(moment, state)] of every change before ``end``, in order."""
    out: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    ids = [i for i in topo.links if i > 0]
    for k in range(0, len(ids), 500):
        for link_id, at, state in session.execute(
                select(LinkStateChange.link_id, LinkStateChange.at, LinkStateChange.to_state)
                .where(LinkStateChange.link_id.in_(ids[k:k + 500]), LinkStateChange.at < end)
                .order_by(LinkStateChange.at, LinkStateChange.id)):
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
    hist = _histories(session, topo, stop)
    moments = {lid: [t for t, _ in h] for lid, h in hist.items()}
    causes = _Causes(session, topo.link_by_name, start, stop)
    links = {lid: info for lid, info in topo.links.items() if lid > 0}
    # every moment something changed, inside the period
    cuts = sorted({start, *(t for h in hist.values() for t, _ in h if start < t < stop)})
    bounds = [*cuts, stop] if start < stop else []
    link_tally = {lid: Tally() for lid in links}
    site_tally = {sid: Tally() for sid, s in topo.sites.items() if s.role not in ("pop",)}
    serving = {}
    for lid, info in links.items():
        if info.kind == "access" and info.z_site_id is not None:
            serving[info.z_site_id] = lid
        elif info.kind == "ring":
            for s in (info.a_site_id, info.z_site_id):
                if s is not None and topo.sites.get(s) and topo.sites[s].role == "hub":
                    serving.setdefault(s, lid)
    open_site: dict[int, dict[str, Any]] = {}
    open_link: dict[int, dict[str, Any]] = {}
    for a, b in zip(bounds, bounds[1:], strict=False):
        if b <= a:
            continue
        state = {lid: _state_at(hist.get(lid, []), moments.get(lid, []), a) for lid in links}
        down = {lid for lid, st in state.items() if st == "down"}
        for lid, st in state.items():
            name = links[lid].name
            if st in AVAILABLE:
                link_tally[lid].add(a, b, "available", zone)
                _close(open_link, lid, a)
            elif st == "down":
                cause, root = causes.cause(session, name, a)
                link_tally[lid].add(a, b, "down", zone, cause)
                _extend(open_link, link_tally[lid], lid, a, b, cause, root)
            else:
                link_tally[lid].add(a, b, "unknown", zone)
                _close(open_link, lid, a)
        reach = topo.reachable(down)
        for sid, tally in site_tally.items():
            if sid not in reach:
                cause, root = _site_cause(session, topo, sid, down, reach, causes, a)
                tally.add(a, b, "down", zone, cause)
                _extend(open_site, tally, sid, a, b, cause, root)
            elif any(state.get(lid) is not None and state.get(lid) != "unknown"
                     for _, lid in topo.adjacency[sid]):
                tally.add(a, b, "available", zone)
                _close(open_site, sid, a)
            else:
                tally.add(a, b, "unknown", zone)
                _close(open_site, sid, a)
    for opened in (open_link, open_site):
        for key in list(opened):
            _close(opened, key, stop, ongoing=stop < end)
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


def _extend(opened: dict[int, dict[str, Any]], tally: Tally, key: int, a: datetime,
            b: datetime, cause: str, root: dict[str, Any] | None) -> None:
    row = opened.get(key)
    if row is None or row["cause"] != cause:
        if row is not None:
            _close(opened, key, a)
        row = {"start": a, "cause": cause, "root": root, "tally": tally}
        opened[key] = row


def _close(opened: dict[int, dict[str, Any]], key: int, at: datetime,
           ongoing: bool = False) -> None:
    row = opened.pop(key, None)
    if row is None:
        return
    row["tally"].outages.append({"start": row["start"].isoformat(), "end": at.isoformat(),
                                 "duration_s": (at - row["start"]).total_seconds(),
                                 "cause": row["cause"], "root": row["root"],
                                 "ongoing": ongoing})


def _site_cause(session: Session, topo: PlanTopology, sid: int, down: set[int],
                reach: set[int], causes: _Causes, at: datetime
                ) -> tuple[str, dict[str, Any] | None]:
    """Cause of a site being cut off: the down links around what is cut off with it.

    The down links that join the cut-off part to the sites still reached come first (the
    boundary), then those inside it.
    """
    seen, todo, boundary, inner = {sid}, [sid], set(), set()
    while todo:
        u = todo.pop()
        for v, lid in topo.adjacency[u]:
            if v in reach:
                if lid in down:
                    boundary.add(lid)
                continue
            if lid in down:
                inner.add(lid)
            if v not in seen:
                seen.add(v)
                todo.append(v)
    for group in (boundary, inner):
        for lid in sorted(group, key=lambda i: topo.links[i].name):
            cause, root = causes.cause(session, topo.links[lid].name, at)
            if cause != "unknown":
                return cause, root
    return "unknown", None
