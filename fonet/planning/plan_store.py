"""Plans in the store: storing a plan, listing plans, committing one to the inventory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError, StateError
from fonet.planning.brownfield import EXISTING
from fonet.planning.hubs import PlanSiteRef
from fonet.planning.plan_engineer import Design, Engineered
from fonet.planning.profile import Profile
from fonet.planning.result import PlanResult
from fonet.store.models import Link, LinkSpan, Plan, PlanSite, Site, Span

COMMIT_STATUSES = ("under_construction", "built")


def check_name(session: Session, name: str | None) -> str:
    """Return the plan's name, unique among plans.

    ``name`` if no plan has it (else an error); by default the first free ``plan-<n>``.
    """
    taken = set(session.scalars(select(Plan.name)))
    if name is not None:
        name = name.strip()
        if not name:
            raise InputError("--name", "a plan name cannot be empty")
        if name in taken:
            raise InputError("--name", f"a plan named {name!r} exists already; names are "
                             "unique (see `fonet plan list`)")
        return name
    n = (session.scalar(select(func.count()).select_from(Plan)) or 0) + 1
    while f"plan-{n}" in taken:
        n += 1
    return f"plan-{n}"


def committed_backbone(session: Session, refs: dict[int, PlanSiteRef]
                       ) -> tuple[int, PlanSiteRef, dict[str, PlanSiteRef],
                                  dict[int, float]] | None:
    """Return the POP and hubs of the newest plan with spans built or under construction.

    Returns
    -------
    tuple or None
        ``(plan id, POP, hubs by kecamatan, route metres from each to the POP)``, or None when
        no plan is committed.
    """
    plan_id = session.scalar(select(func.max(Span.plan_id)).where(
        Span.status.in_(EXISTING), Span.plan_id.is_not(None)))
    if plan_id is None:
        return None
    pop = None
    hubs: dict[str, PlanSiteRef] = {}
    to_pop: dict[int, float] = {}
    for ps in session.scalars(select(PlanSite).where(PlanSite.plan_id == plan_id,
                                                     PlanSite.role.in_(("pop", "hub")))):
        ref = refs.get(ps.site_id)
        if ref is None:
            continue
        to_pop[ps.site_id] = ps.path_to_pop_m or 0.0
        if ps.role == "pop":
            pop = ref
        elif ps.kecamatan_code:
            hubs[ps.kecamatan_code] = ref
    if pop is None:
        return None
    return plan_id, pop, hubs, to_pop


def _store_links(session: Session, plan: Plan, span_rows: dict[int, Span],
                 eng: Engineered, skip: set[int]) -> None:
    """Store the plan's logical links: one per ring hop and one per served site."""
    links = []
    for ring, a, b, leg, chk in eng.hops:
        links.append((Link(name=f"P{plan.id}:BB{ring}:{a.code}>{b.code}", plan_id=plan.id,
                           a_site_id=a.site_id, z_site_id=b.site_id), leg))
        _ = chk
    for sid, r in eng.sites.items():
        if r.spans is None or r.path_m is None or sid in skip:
            continue
        links.append((Link(name=f"P{plan.id}:AC:{r.ref.code}", plan_id=plan.id,
                           a_site_id=r.hub.site_id, z_site_id=sid), r.spans))
    session.add_all(link for link, _ in links)
    session.flush()
    session.add_all(LinkSpan(link_id=link.id, seq=k, span_id=span_rows[id(sp)].id)
                    for link, path in links for k, sp in enumerate(path))


def store_plan(session: Session, profile: Profile, name: str, eng: Engineered,
               design: Design) -> Plan:
    """Store the plan, its spans, logical links and per-site results."""
    plan = Plan(name=name, profile=profile.model_dump(mode="json"), summary={})
    session.add(plan)
    session.flush()
    span_rows = {id(s): Span(
        plan_id=plan.id, route_edge_id=s.edge_id, a_node_id=s.u, z_node_id=s.v,
        length_m=s.length_m, cores=s.size * s.count, install_method=s.method, status="planned",
        role=s.role, phase=s.phase, cost_idr=s.cost_idr,
        attrs={"cable_size": s.size, "cables": s.count, "cores_needed": s.cores_needed,
               "kecamatan_code": s.kecamatan_code, "ring": s.ring, "site_ids": s.site_ids,
               "joints": s.joints, "reuse": s.reuse})
        for s in eng.spans}
    session.add_all(span_rows.values())
    session.flush()
    pop, hubs = design.pop, design.hubs
    _store_links(session, plan, span_rows, eng,
                 {pop.site_id, *(h.site_id for h, _ in hubs.values())})
    hub_ids = {h.site_id: k for k, (h, _) in hubs.items()}
    session.add(PlanSite(plan_id=plan.id, site_id=pop.site_id, role="pop",
                         kecamatan_code=pop.kecamatan_code, connected=True, path_m=0.0,
                         path_to_pop_m=0.0, phase=1))
    for sid, kec in hub_ids.items():
        if sid == pop.site_id:
            continue
        session.add(PlanSite(plan_id=plan.id, site_id=sid, role="hub", kecamatan_code=kec,
                             connected=True, path_m=0.0,
                             path_to_pop_m=eng.hub_to_pop_m.get(sid), phase=1))
    for sid, r in eng.sites.items():
        if sid in hub_ids or sid == pop.site_id:
            continue
        loss = r.loss
        session.add(PlanSite(
            plan_id=plan.id, site_id=sid, role="access", hub_site_id=r.hub.site_id,
            kecamatan_code=r.ref.kecamatan_code or r.kec, connected=r.path_m is not None,
            path_m=r.path_m, path_to_pop_m=r.path_to_pop_m, loss_to_pop_db=r.loss_to_pop_db,
            loss_1310_db=loss.loss_1310_db if loss else None,
            loss_1550_db=loss.loss_1550_db if loss else None,
            over_budget=bool(loss and loss.over_budget), phase=r.phase,
            attrs={"transceiver": loss.transceiver, "budget_db": loss.budget_db,
                   "fits": loss.fits} if loss else {}))
    session.flush()
    return plan


def list_plans(session: Session) -> list[dict[str, Any]]:
    """Every stored plan, oldest first, with its headline figures and inventory status."""
    status: dict[int, dict[str, int]] = {}
    for pid, st, n in session.execute(select(Span.plan_id, Span.status, func.count())
                                      .where(Span.plan_id.is_not(None))
                                      .group_by(Span.plan_id, Span.status)):
        if pid is not None:
            status.setdefault(pid, {})[st] = n
    out = []
    for p in session.scalars(select(Plan).order_by(Plan.id)):
        r = PlanResult.of_plan(p.summary)
        out.append({
            "plan_id": p.id, "name": p.name,
            "created_at": p.created_at.isoformat() if p.created_at else None,
            "pop": r.pop.code if r.pop else None, "targets": r.targets, "year": r.year,
            "villages_connected": r.villages_connected, "targets_connected":
                r.targets_connected, "route_km": r.route_km, "cost_idr": r.cost_idr,
            "spans_by_status": dict(sorted(status.get(p.id, {}).items())),
        })
    return out


def commit_plan(session: Session, plan_id: int, status: str,
                site_codes: Sequence[str] | None = None) -> dict[str, Any]:
    """Turn a plan's spans into inventory: ``under_construction`` or ``built``.

    Parameters
    ----------
    plan_id
        The plan.
    status
        New status of the spans and links.
    site_codes
        Only the spans serving these sites (and the backbone); by default every span.

    Returns
    -------
    dict
        ``plan_id``, ``status``, ``spans`` and ``links`` changed, ``sites_connected``.
    """
    if status not in COMMIT_STATUSES:
        raise InputError("--status", f"expected one of {', '.join(COMMIT_STATUSES)}, got "
                         f"{status!r}")
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFoundError(f"no plan with id {plan_id}")
    links = list(session.scalars(select(Link).where(Link.plan_id == plan_id)))
    sites = {s.id: s for s in session.scalars(
        select(Site).join(PlanSite, PlanSite.site_id == Site.id)
        .where(PlanSite.plan_id == plan_id, PlanSite.connected.is_(True)))}
    active = set(session.scalars(select(PlanSite.site_id).where(
        PlanSite.plan_id == plan_id, PlanSite.role.in_(("pop", "hub")))))
    if site_codes:
        by_code = {s.code: s for s in sites.values()}
        unknown = [c for c in site_codes if c not in by_code]
        if unknown:
            raise InputError("--sites", f"not served by plan {plan_id}",
                             feature=", ".join(unknown))
        chosen = {by_code[c].id for c in site_codes} | active
        links = [lk for lk in links if ":BB" in lk.name or lk.z_site_id in chosen]
        span_ids = {ls.span_id for lk in links for ls in lk.spans}
        span_ids |= set(session.scalars(select(Span.id).where(Span.plan_id == plan_id,
                                                              Span.role == "backbone")))
    else:
        chosen = set(sites)
        span_ids = set(session.scalars(select(Span.id).where(Span.plan_id == plan_id)))
    if not span_ids:
        raise StateError(f"plan {plan_id} has no spans to commit")
    session.execute(update(Span).where(Span.id.in_(span_ids)).values(status=status))
    done = len(span_ids)
    for lk in links:
        lk.status = status
    connected = 0
    if status == "built":
        for sid in chosen:
            site = sites.get(sid)
            if site is not None and not site.connected:
                site.connected = True
                connected += 1
    session.flush()
    return {"plan_id": plan_id, "status": status, "spans": done, "links": len(links),
            "sites_connected": connected}
