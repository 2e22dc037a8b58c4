"""Keeping the model alive: polls into samples, samples into link states, rollups.

The collectors hand each :class:`fonet.telemetry.DevicePoll` to :func:`record_poll`; link
states are re-evaluated by :func:`update_link_states`. Rates come from the sample stored by
the poll before, so two separate ``fonet poll --once`` runs give rates.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from fonet.devices import upsert_interfaces
from fonet.store.models import Device, Interface, Link
from fonet.store.observed import (
    DeviceStatus,
    InterfaceRollup,
    InterfaceSample,
    LinkState,
    LinkStateChange,
)
from fonet.telemetry import (
    DevicePoll,
    EndpointReading,
    HealthThresholds,
    InterfaceRates,
    PollMeta,
    compute_rates,
    evaluate_link,
)
from fonet.telemetry import InterfaceSample as Reading

ROLLUP_S = 300
"""Width of a rollup bucket: five minutes."""


def _as_utc(moment: datetime) -> datetime:
    """Aware UTC (the store keeps UTC; SQLite hands back naive values)."""
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _reading(row: InterfaceSample, iface: Interface) -> Reading:
    return Reading(
        if_index=iface.if_index, name=iface.name, descr=iface.descr, alias=iface.alias,
        high_speed_mbps=iface.high_speed_mbps, oper=row.oper, admin=row.admin,
        in_octets=row.in_octets, out_octets=row.out_octets, counter_bits=row.counter_bits,
        in_errors=row.in_errors, out_errors=row.out_errors, last_change_cs=row.last_change_cs,
        discontinuity_cs=row.discontinuity_cs, rx_dbm=row.rx_power_dbm, tx_dbm=row.tx_power_dbm,
    )


def latest_sample(session: Session, interface_id: int) -> InterfaceSample | None:
    """Return the newest stored sample of an interface."""
    return session.scalar(select(InterfaceSample)
                          .where(InterfaceSample.interface_id == interface_id)
                          .order_by(InterfaceSample.id.desc()).limit(1))


def _round(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def record_poll(session: Session, poll: DevicePoll) -> dict[str, Any]:
    """Store one device poll: its status, its interfaces, a sample per interface with rates.

    Returns
    -------
    dict
        ``name``, ``reachable``, ``error``, ``seconds`` and ``interfaces`` (each with
        ``name``, ``oper``, ``admin``, ``in_bps``, ``out_bps``, ``in_errors_per_s``,
        ``rx_dbm``, ``tx_dbm``; rates are ``None`` until a sample before exists).
    """
    device = session.scalar(select(Device).where(Device.name == poll.name))
    if device is None:
        raise LookupError(f"no device named {poll.name!r}")
    status = session.get(DeviceStatus, device.id)
    if status is None:
        status = DeviceStatus(device_id=device.id, failures=0)
        session.add(status)
    status.reachable = poll.reachable
    status.error = poll.error[:500] if poll.error else None
    status.polled_at = poll.polled_at
    status.seconds = poll.seconds
    status.failures = 0 if poll.reachable else (status.failures or 0) + 1
    out: dict[str, Any] = {"name": poll.name, "reachable": poll.reachable, "error": poll.error,
                           "seconds": round(poll.seconds, 4), "interfaces": []}
    if not poll.reachable or not poll.interfaces:
        session.flush()
        return out
    interfaces = upsert_interfaces(session, device, poll.interfaces)
    cur_meta = poll.meta
    for cur in poll.interfaces:
        iface = interfaces[cur.if_index]
        prev_row = latest_sample(session, iface.id)
        rates = InterfaceRates()
        if prev_row is not None:
            prev_meta = PollMeta(_as_utc(prev_row.polled_at), prev_row.sys_uptime_cs)
            rates = compute_rates(_reading(prev_row, iface), prev_meta, cur, cur_meta)
        session.add(InterfaceSample(
            interface_id=iface.id, polled_at=poll.polled_at, sys_uptime_cs=poll.sys_uptime_cs,
            oper=cur.oper, admin=cur.admin, in_octets=cur.in_octets, out_octets=cur.out_octets,
            counter_bits=cur.counter_bits, in_errors=cur.in_errors, out_errors=cur.out_errors,
            last_change_cs=cur.last_change_cs, discontinuity_cs=cur.discontinuity_cs,
            rx_power_dbm=cur.rx_dbm, tx_power_dbm=cur.tx_dbm, in_rate_bps=rates.in_bps,
            out_rate_bps=rates.out_bps, in_errors_per_s=rates.in_errors_per_s,
            out_errors_per_s=rates.out_errors_per_s))
        out["interfaces"].append({
            "if_index": cur.if_index, "name": cur.name or iface.name, "oper": cur.oper,
            "admin": cur.admin, "in_bps": _round(rates.in_bps), "out_bps": _round(rates.out_bps),
            "in_errors_per_s": _round(rates.in_errors_per_s, 6),
            "rx_dbm": _round(cur.rx_dbm), "tx_dbm": _round(cur.tx_dbm)})
    session.flush()
    return out


def _latest_samples(session: Session, interface_ids: set[int]
                    ) -> dict[int, tuple[Interface, InterfaceSample | None]]:
    """Return each interface with its newest stored sample, in two queries."""
    if not interface_ids:
        return {}
    newest = (select(func.max(InterfaceSample.id))
              .where(InterfaceSample.interface_id.in_(interface_ids))
              .group_by(InterfaceSample.interface_id))
    samples = {row.interface_id: row for row in
               session.scalars(select(InterfaceSample).where(InterfaceSample.id.in_(newest)))}
    interfaces = session.scalars(select(Interface).where(Interface.id.in_(interface_ids))
                                 .options(selectinload(Interface.device)))
    return {i.id: (i, samples.get(i.id)) for i in interfaces}


def _endpoint(latest: dict[int, tuple[Interface, InterfaceSample | None]],
              interface_id: int | None, end: str) -> EndpointReading:
    if interface_id is None:
        return EndpointReading(None, None, label=f"end {end} (no interface attached)")
    iface, row = latest[interface_id]
    label = f"{iface.device.name}:{iface.name or iface.if_index}"
    if row is None:
        return EndpointReading(None, None, label=label)
    rates = InterfaceRates(in_errors_per_s=row.in_errors_per_s,
                           out_errors_per_s=row.out_errors_per_s)
    return EndpointReading(_reading(row, iface), _as_utc(row.polled_at), rates, label=label)


def update_link_states(
    session: Session,
    *,
    interval_s: float,
    thresholds: HealthThresholds | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Re-evaluate every link with an attached interface; store states and changes.

    Returns
    -------
    list of dict
        The changes: ``link``, ``from``, ``to``, ``reasons``, ``at``.
    """
    moment = _as_utc(now or datetime.now(UTC))
    changes = []
    links = list(session.scalars(select(Link).where((Link.a_interface_id.is_not(None))
                                                    | (Link.z_interface_id.is_not(None)))))
    latest = _latest_samples(session, {i for lk in links
                                       for i in (lk.a_interface_id, lk.z_interface_id)
                                       if i is not None})
    states = {st.link_id: st for st in session.scalars(
        select(LinkState).where(LinkState.link_id.in_([lk.id for lk in links])))}
    for link in links:
        health = evaluate_link(_endpoint(latest, link.a_interface_id, "A"),
                               _endpoint(latest, link.z_interface_id, "Z"),
                               thresholds=thresholds, interval_s=interval_s, now=moment)
        state = states.get(link.id)
        reasons = list(health.reasons)
        if state is None or state.state != health.state:
            changes.append({"link": link.name, "from": state.state if state else None,
                            "to": health.state, "reasons": reasons, "at": moment.isoformat()})
            session.add(LinkStateChange(link_id=link.id, at=moment,
                                        from_state=state.state if state else None,
                                        to_state=health.state, reasons=reasons))
            if state is None:
                state = LinkState(link_id=link.id)
                session.add(state)
            state.state, state.since = health.state, moment
        state.reasons, state.updated_at = reasons, moment
    session.flush()
    return changes


def link_states(session: Session) -> dict[str, dict[str, Any]]:
    """Return the current state of every link that has one, by link name."""
    rows = session.execute(select(Link.name, LinkState).join(LinkState,
                                                             LinkState.link_id == Link.id))
    return {name: {"state": st.state, "reasons": st.reasons,
                   "since": _as_utc(st.since).isoformat()} for name, st in rows}


def rollup_and_prune(session: Session, *, retention_s: float, now: datetime | None = None
                     ) -> dict[str, int]:
    """Fold samples older than ``retention_s`` into five-minute rollups, then delete them.

    Each raw sample is folded exactly once: in the pass that deletes it. The newest sample of
    each interface is kept (and not folded) until a newer one arrives.

    Rollups of a bucket that already exists are merged (counts and maxima exactly, averages
    weighted by sample count).
    """
    cutoff = _as_utc(now or datetime.now(UTC)) - timedelta(seconds=retention_s)
    # The newest sample of each interface stays (the next poll's rates need it), so it is not
    # folded either: a sample is folded in the pass that deletes it, hence exactly once, even
    # when a silent device's newest sample stays older than the cutoff for days.
    newest = select(func.max(InterfaceSample.id)).group_by(InterfaceSample.interface_id)
    old = list(session.scalars(select(InterfaceSample)
                               .where(InterfaceSample.polled_at < cutoff,
                                      InterfaceSample.id.not_in(newest))))
    buckets: dict[tuple[int, datetime], list[InterfaceSample]] = {}
    for row in old:
        t = _as_utc(row.polled_at)
        start = datetime.fromtimestamp(int(t.timestamp()) // ROLLUP_S * ROLLUP_S, UTC)
        buckets.setdefault((row.interface_id, start), []).append(row)

    def avg(xs: list[float | None]) -> tuple[float | None, int]:
        vals = [x for x in xs if x is not None]
        return (sum(vals) / len(vals), len(vals)) if vals else (None, 0)

    def merge_avg(old_v: float | None, old_n: int, new_v: float | None, new_n: int):  # noqa: ANN202
        if old_v is None:
            return new_v
        if new_v is None:
            return old_v
        return (old_v * old_n + new_v * new_n) / (old_n + new_n)

    def mx(*xs: float | None) -> float | None:
        vals = [x for x in xs if x is not None]
        return max(vals) if vals else None

    def mn(*xs: float | None) -> float | None:
        vals = [x for x in xs if x is not None]
        return min(vals) if vals else None

    for (iface_id, start), rows in buckets.items():
        in_avg, n_in = avg([r.in_rate_bps for r in rows])
        out_avg, n_out = avg([r.out_rate_bps for r in rows])
        rx_avg, n_rx = avg([r.rx_power_dbm for r in rows])
        err = [((r.in_errors_per_s or 0) + (r.out_errors_per_s or 0))
               if r.in_errors_per_s is not None or r.out_errors_per_s is not None else None
               for r in rows]
        down = sum(1 for r in rows if r.oper is not None and r.oper != "up")
        roll = session.get(InterfaceRollup, (iface_id, start))
        if roll is None:
            session.add(InterfaceRollup(
                interface_id=iface_id, bucket_start=start, samples=len(rows),
                in_rate_bps_avg=in_avg, in_rate_bps_max=mx(*(r.in_rate_bps for r in rows)),
                out_rate_bps_avg=out_avg, out_rate_bps_max=mx(*(r.out_rate_bps for r in rows)),
                errors_per_s_max=mx(*err), rx_power_dbm_min=mn(*(r.rx_power_dbm for r in rows)),
                rx_power_dbm_avg=rx_avg, oper_down_samples=down))
            continue
        n_old = roll.samples
        roll.in_rate_bps_avg = merge_avg(roll.in_rate_bps_avg, n_old, in_avg, n_in)
        roll.out_rate_bps_avg = merge_avg(roll.out_rate_bps_avg, n_old, out_avg, n_out)
        roll.rx_power_dbm_avg = merge_avg(roll.rx_power_dbm_avg, n_old, rx_avg, n_rx)
        roll.in_rate_bps_max = mx(roll.in_rate_bps_max, *(r.in_rate_bps for r in rows))
        roll.out_rate_bps_max = mx(roll.out_rate_bps_max, *(r.out_rate_bps for r in rows))
        roll.errors_per_s_max = mx(roll.errors_per_s_max, *err)
        roll.rx_power_dbm_min = mn(roll.rx_power_dbm_min, *(r.rx_power_dbm for r in rows))
        roll.samples = n_old + len(rows)
        roll.oper_down_samples += down
    ids = [row.id for row in old]
    deleted = 0
    for k in range(0, len(ids), 500):  # bounded IN lists
        result = session.execute(delete(InterfaceSample)
                                 .where(InterfaceSample.id.in_(ids[k:k + 500])))
        deleted += getattr(result, "rowcount", 0) or 0
    session.flush()
    return {"rolled_up": len(old), "buckets": len(buckets), "deleted": deleted}
