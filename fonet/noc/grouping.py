"""Grouping open alarms under their root cause, with the newest plan's graph.

- the ``link_down`` alarms of links one uncontradicted cut explains go under a ``fibre_cut``
  alarm for that cut (raised here, cleared when the cut no longer explains two down links);
- the alarms of sites cut off behind down links (their devices' ``device_unreachable``, the
  down links among them) go under the root of the earliest alarm on their boundary;
- a site whose equipment failed (see :func:`fonet.noc.impact.dead_sites`) is a root cause:
  its ``device_unreachable`` alarm is the root of its down links and of the sites behind it;
- otherwise a ``link_down`` alarm goes under the ``flapping`` alarm of its link, if open;
- a ``device_unreachable`` alarm grouped under a fibre root cause (a cut, a down link) is
  suppressed: lowered to ``warning``, naming its root in ``details.suppressed_by``.

Links ending on such a failed site are left out of cut localisation: the site explains them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.i18n.keyed import en
from fonet.noc.impact import dead_sites, failure_groups, live_failures
from fonet.noc.locate import live_states, locate
from fonet.noc.topology import PlanTopology, load_topology
from fonet.store.observed import Alarm

GROUPED_KINDS = ("link_down", "device_unreachable")
SUPPRESSING_KINDS = ("fibre_cut", "link_down", "flapping")
"""Root causes that explain a device's silence: the fibre that carries its management."""


def explained_by_sites(topo: PlanTopology, down: set[int], failed_sites: set[int]
                       ) -> set[int]:
    """Down links ending on a site whose equipment failed (see :func:`dead_sites`)."""
    dead = dead_sites(topo, down, failed_sites)
    return {lid for s in dead for _, lid in topo.adjacency[s] if lid in down}


def _span_text(spans: list[int]) -> str:
    if len(spans) <= 4:
        return ", ".join(map(str, spans))
    return en("term.span_list_more", first=", ".join(map(str, spans[:3])), n=len(spans))


def _cuts(session: Session, topo: PlanTopology, down: set[int], up: set[int],
          link_alarm: dict[str, Alarm], desired: dict[int, Alarm | None],
          now: datetime) -> None:
    from fonet.noc.alarms import clear_alarm, cut_key, raise_alarm

    current = set()
    found = locate(topo, down, up) if down else {"hypotheses": []}
    for place in (found["hypotheses"][0]["places"] if found["hypotheses"] else []):
        if len(place["explains"]) < 2:
            continue
        key = cut_key(topo.plan_id, place["spans"])
        current.add(key)
        where = en("term.cut_where", kind=en(f"term.{place['kind']}"),
                   spans=_span_text(place["spans"]), edges=_span_text(place["route_edges"]))
        root, _ = raise_alarm(
            session, key, kind="fibre_cut", severity="critical", object_type="span",
            object_name=where, now=now,
            message=en("alarm.msg.fibre_cut", where=where, n=len(place["explains"])),
            details={"plan_id": topo.plan_id, "spans": place["spans"],
                     "route_edges": place["route_edges"], "length_m": place["length_m"],
                     "explains": place["explains"],
                     "also_cuts_unobserved": place["also_cuts_unobserved"]})
        for name in place["explains"]:
            if name in link_alarm:
                desired[link_alarm[name].id] = root
    for alarm in session.scalars(select(Alarm).where(Alarm.kind == "fibre_cut",
                                                     Alarm.cleared_at.is_(None))):
        if alarm.key not in current:
            clear_alarm(session, alarm.key, now=now)


def group_alarms(session: Session, now: datetime, *, unreachable_after: int = 2) -> None:
    """Set ``parent_id`` of the open alarms from the newest plan's graph (see the module)."""
    rows = list(session.scalars(select(Alarm).where(Alarm.cleared_at.is_(None))))
    targets = [a for a in rows if a.kind in GROUPED_KINDS]
    if not targets and not any(a.kind == "fibre_cut" for a in rows):
        return
    try:
        topo = load_topology(session)
    except (NotFoundError, InputError):
        return
    link_alarm = {a.object_name: a for a in targets if a.kind == "link_down"}
    device_alarm = {a.object_name: a for a in targets if a.kind == "device_unreachable"}
    site_alarms: dict[int, list[Alarm]] = {}
    for name, (site_id, _) in topo.devices.items():
        if name in device_alarm and site_id is not None:
            site_alarms.setdefault(site_id, []).append(device_alarm[name])
    flaps = {a.object_name: a for a in rows if a.kind == "flapping"}
    desired: dict[int, Alarm | None] = {a.id: None for a in targets}
    for name, alarm in link_alarm.items():
        desired[alarm.id] = flaps.get(name)

    down, up = live_states(session, topo)
    _, failed_sites, _ = live_failures(session, topo, unreachable_after=unreachable_after)
    _cuts(session, topo, down - explained_by_sites(topo, down, failed_sites), up,
          link_alarm, desired, now)

    def root_of(alarm: Alarm) -> Alarm:
        seen = {alarm.id}
        while (parent := desired.get(alarm.id)) is not None and parent.id not in seen:
            seen.add(parent.id)
            alarm = parent
        return alarm

    def order(a: Alarm) -> tuple:
        return (a.raised_at.replace(tzinfo=None), a.id)

    for group in failure_groups(topo, down, failed_sites):
        if group.cause_sites:
            causes = [a for s in group.cause_sites for a in site_alarms.get(s, [])]
        else:
            causes = [link_alarm[n] for n in (topo.links[i].name for i in group.cause_links)
                      if n in link_alarm]
        if not causes:
            continue
        root = min((root_of(c) for c in causes), key=order)
        effects = [a for s in group.sites for a in site_alarms.get(s, [])]
        effects += [link_alarm[n] for n in (topo.links[i].name for i in group.links)
                    if n in link_alarm]
        for alarm in effects:
            if alarm.id != root.id and root_of(root).id != alarm.id:
                desired[alarm.id] = root
    for alarm in targets:
        parent = desired.get(alarm.id)
        alarm.parent_id = parent.id if parent is not None else None
        if alarm.kind == "device_unreachable":
            _suppress(alarm, root_of(alarm) if parent is not None else None)


def _suppress(alarm: Alarm, root: Alarm | None) -> None:
    """Parent suppression of a ``device_unreachable`` alarm explained by a fibre failure.

    A device cut off behind a fibre cut or a down link is managed over that fibre (in band):
    its silence is explained by the root cause, so its alarm is lowered to ``warning`` and
    names the root; it is critical again when nothing explains it.
    """
    details = dict(alarm.details or {})
    if root is not None and root.id != alarm.id and root.kind in SUPPRESSING_KINDS:
        if details.get("suppressed_by") != root.id or alarm.severity != "warning":
            details.update(suppressed_by=root.id, explained_by=root.kind)
            alarm.details, alarm.severity = details, "warning"
    elif "suppressed_by" in details:
        details.pop("suppressed_by")
        details.pop("explained_by", None)
        alarm.details, alarm.severity = details, "critical"
