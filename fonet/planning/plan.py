"""The coverage plan: core POP → rings of hubs → access trees to every office, OPD and school.

:func:`run_plan` reads the store, plans, engineers and stores the plan as a scenario; its result
is what ``fonet plan --json`` prints.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError, StateError
from fonet.graph import route_graph, site_nodes
from fonet.planning.access import AccessTree, access_tree
from fonet.planning.engineering import (
    LossCheck,
    PlannedSpan,
    assign_phases,
    bill_of_materials,
    branch_nodes,
    check_loss,
    path_loss_db,
    size_and_cost,
    splices_on_path,
)
from fonet.planning.hubs import (
    HUB_CANDIDATE_KINDS,
    POP_CANDIDATE_KINDS,
    PlanSiteRef,
    choose_hubs,
    propose_pop,
)
from fonet.planning.network import Distances, priced_graph
from fonet.planning.profile import Profile
from fonet.planning.result import (
    EntryDrop,
    HopOverBudget,
    HubFigures,
    KecamatanFigures,
    PlanResult,
    PopFigures,
    RingFigures,
    SpofEdge,
)
from fonet.planning.rings import Ring, backbone_bridges, build_ring, petals
from fonet.store.models import Area, Link, LinkSpan, Plan, PlanSite, Site, Span

SERVED_KINDS = ("kecamatan_office", "village_office", "opd")


def _refs(session: Session, g: nx.Graph) -> list[PlanSiteRef]:
    nodes = site_nodes(g)
    refs = []
    for s in session.scalars(select(Site).order_by(Site.id)):
        node = nodes.get(s.id)
        if node is None:
            continue
        entry = next(iter(g.neighbors(node)), node)
        refs.append(PlanSiteRef(s.id, s.code, s.name, s.kind, s.kecamatan_code, node, entry))
    return refs


def _resolve_pinned(
    session: Session, refs: dict[str, PlanSiteRef], hub_codes: Mapping[str, str]
) -> dict[str, PlanSiteRef]:
    kec = {a.code: a for a in session.scalars(select(Area).where(Area.level == "kecamatan"))}
    by_name = {a.name.casefold(): a.code for a in kec.values()}
    pinned = {}
    for key, code in hub_codes.items():
        kcode = key if key in kec else by_name.get(key.casefold())
        if kcode is None:
            raise InputError("--hub", f"unknown kecamatan {key!r}", feature=key)
        if code not in refs:
            raise NotFoundError(f"--hub {key}={code}: no site with code {code!r}")
        pinned[kcode] = refs[code]
    return pinned


@dataclass
class _SiteRow:
    """One served site as the plan engineers it."""

    ref: PlanSiteRef
    hub: PlanSiteRef
    kec: str
    path_m: float | None
    loss: LossCheck | None
    spans: list[PlannedSpan] | None = None
    path_to_pop_m: float | None = None
    loss_to_pop_db: float | None = None
    phase: int | None = None


@dataclass
class _Engineered:
    """A plan engineered but not yet stored: its figures and the parts the store needs."""

    figures: PlanResult
    spans: list[PlannedSpan]
    sites: dict[int, _SiteRow]
    hops: list[tuple[int, PlanSiteRef, PlanSiteRef, list[PlannedSpan]]]
    hub_to_pop_m: dict[int, float]


@dataclass
class _Design:
    """The topology chosen for a plan: POP, hubs, rings, access trees and backbone bridges."""

    pop: PlanSiteRef
    pop_how: str
    hubs: dict[str, tuple[PlanSiteRef, str]]
    rings: list[Ring]
    trees: dict[str, AccessTree]
    bridges: list[tuple[int, int]]
    demand: list[PlanSiteRef]


def run_plan(
    session: Session,
    profile: Profile,
    *,
    name: str | None = None,
    pop_code: str | None = None,
    hub_codes: Mapping[str, str] | None = None,
    include_schools: bool | None = None,
    seed: int = 0,
) -> PlanResult:
    """Plan the regency's coverage and store it as a new scenario.

    Parameters
    ----------
    session
        A session inside the caller's transaction (the plan is stored whole or not at all).
    profile
        The planning profile.
    name
        Scenario name (default: ``plan-<n>``).
    pop_code
        Code of the site to use as core POP; by default one is proposed (see
        :func:`fonet.planning.hubs.propose_pop`).
    hub_codes
        Pinned hubs: kecamatan code or name → site code. Other kecamatan get a 1-median hub.
    include_schools
        Serve schools too (default: the profile's ``topology.include_schools``).
    seed
        Seed of the Steiner engine.

    Returns
    -------
    PlanResult
        The plan's figures, with its id and name (see the README for each field).
    """
    t0 = time.perf_counter()
    if include_schools is None:
        include_schools = profile.topology.include_schools
    g = route_graph(session)
    if g.number_of_nodes() == 0:
        raise StateError("the store has no route graph: run `fonet init` first")
    priced_graph(g, profile)
    design = _design(session, g, profile, pop_code=pop_code, hub_codes=hub_codes or {},
                     include_schools=include_schools, seed=seed)
    eng = _engineer(g, profile, design)
    result = eng.figures
    result.pop = PopFigures(code=design.pop.code, name=design.pop.name,
                            chosen_by=design.pop_how)
    result.villages_total = session.scalar(
        select(func.count()).select_from(Area).where(Area.level == "village")) or 0
    plan = _store(session, profile, name, eng, design)
    result.plan_id = plan.id
    result.name = plan.name
    result.seconds = round(time.perf_counter() - t0, 3)
    plan.summary = result.to_json()
    session.flush()
    return result


def _design(session: Session, g: nx.Graph, profile: Profile, *, pop_code: str | None,
            hub_codes: Mapping[str, str], include_schools: bool, seed: int) -> _Design:
    """Choose the POP and hubs, build the rings and the access trees."""
    refs = _refs(session, g)
    by_code = {r.code: r for r in refs}
    kinds = SERVED_KINDS + (("school",) if include_schools else ())
    demand = [r for r in refs if r.kind in kinds]
    pinned = _resolve_pinned(session, by_code, hub_codes)
    if pop_code is not None and pop_code not in by_code:
        raise NotFoundError(f"--pop: no site with code {pop_code!r}")

    dist = Distances(g, "cost")
    demand_by_kec: dict[str, list[PlanSiteRef]] = defaultdict(list)
    for r in demand:
        if r.kecamatan_code:
            demand_by_kec[r.kecamatan_code].append(r)
    candidates_by_kec: dict[str, list[PlanSiteRef]] = defaultdict(list)
    for r in refs:
        if r.kecamatan_code and r.kind in HUB_CANDIDATE_KINDS:
            candidates_by_kec[r.kecamatan_code].append(r)
    hubs = choose_hubs(dist, demand_by_kec, candidates_by_kec, pinned)
    hub_refs = [h for h, _ in hubs.values()]
    if pop_code is not None:
        pop, pop_how = by_code[pop_code], "named"
    else:
        pop = propose_pop(dist, [r for r in refs if r.kind in POP_CANDIDATE_KINDS], hub_refs)
        pop_how = "existing core_pop" if pop.kind == "core_pop" else "1-median over hubs"
    served_by = _served_by(dist, hubs, demand_by_kec, demand)

    rings = [build_ring(g, [pop, *group])
             for group in petals(g, pop, hub_refs, profile.topology.max_hubs_per_ring)]
    trees = {kec: access_tree(g, hub, served_by.get(kec, []), weight="cost",
                              time_limit_s=profile.topology.steiner_time_limit_s, seed=seed)
             for kec, (hub, _) in hubs.items()}
    return _Design(pop, pop_how, hubs, rings, trees, backbone_bridges(g, rings), demand)


def _served_by(dist: Distances, hubs: dict[str, tuple[PlanSiteRef, str]],
               demand_by_kec: dict[str, list[PlanSiteRef]], demand: list[PlanSiteRef]
               ) -> dict[str, list[PlanSiteRef]]:
    """Sites each hub serves.

    Its kecamatan's, plus the sites outside every kecamatan (e.g. OPD offices in Kota
    Mojokerto) that it reaches at the least route cost.
    """
    served_by: dict[str, list[PlanSiteRef]] = {k: list(v) for k, v in demand_by_kec.items()}
    stray = [r for r in demand if not r.kecamatan_code]
    if stray:
        hub_refs = [h for h, _ in hubs.values()]
        d = dist.between([h.node for h in hub_refs], [s.node for s in stray])
        kec_codes = list(hubs)
        for j, s in enumerate(stray):
            served_by.setdefault(kec_codes[int(d[:, j].argmin())], []).append(s)
    return served_by


def _engineer_backbone(g: nx.Graph, profile: Profile, rings: list[Ring]
                       ) -> tuple[list[PlannedSpan], list[RingFigures], list[HopOverBudget],
                                  list[tuple[int, PlanSiteRef, PlanSiteRef, list[PlannedSpan]]]]:
    """Spans of every ring leg, ring figures, ring hops over budget and the hops' spans."""
    spans: list[PlannedSpan] = []
    ring_info: list[RingFigures] = []
    hop_over: list[HopOverBudget] = []
    hops = []
    for i, ring in enumerate(rings):
        cores = profile.demand.backbone_cores_per_hub * (len(ring.members) - 1)
        legs_m = []
        seq = [*ring.members, ring.members[0]]
        for leg, (a, b) in zip(ring.legs, itertools.pairwise(seq), strict=True):
            leg_spans = [PlannedSpan(u, v, g.edges[u, v]["edge_id"], g.edges[u, v]["length_m"],
                                     g.edges[u, v]["method"], "backbone", cores, ring=i)
                         for u, v in itertools.pairwise(leg)]
            spans.extend(leg_spans)
            hops.append((i, a, b, leg_spans))
            length = sum(sp.length_m for sp in leg_spans)
            legs_m.append(length)
            chk = check_loss(length, 0, profile, profile.optics.backbone_transceiver)
            if chk.over_budget:
                hop_over.append(HopOverBudget.model_validate(
                    {"from": a.code, "to": b.code, "loss_db": chk.loss_db,
                     "budget_db": chk.budget_db, "fits": chk.fits}))
        ring_info.append(RingFigures(ring=i, members=[m.code for m in ring.members],
                                     km=round(sum(legs_m) / 1000, 3),
                                     legs_m=[round(x) for x in legs_m]))
    return spans, ring_info, hop_over, hops


def _engineer_access(g: nx.Graph, profile: Profile, trees: dict[str, AccessTree],
                     demand: list[PlanSiteRef]
                     ) -> tuple[list[PlannedSpan], dict[int, _SiteRow], dict[str, int]]:
    """Engineer the access trees.

    Returns the spans sized from the sites downstream, each site's path and loss, and the
    branch closures per kecamatan.
    """
    cores_of = profile.demand.cores_per_site
    kind = {r.site_id: r.kind for r in demand}
    spans: list[PlannedSpan] = []
    site_rows: dict[int, _SiteRow] = {}
    kec_branch: dict[str, int] = {}
    for kec, tree in trees.items():
        by_pair = {}
        for (a, b), sids in tree.downstream().items():
            d = g.edges[a, b]
            need = sum(cores_of.get(kind.get(s, "other"), 2) for s in sids)
            by_pair[a, b] = PlannedSpan(a, b, d["edge_id"], d["length_m"], d["method"], "access",
                                        need, kecamatan_code=kec, site_ids=sids)
            spans.append(by_pair[a, b])
        branches = branch_nodes(tree.tree)
        kec_branch[kec] = len(branches)
        paths = tree.paths()
        for s in tree.sites:
            path = paths.get(s.site_id)
            if path is None:
                continue
            length = sum(g.edges[u, v]["length_m"] for u, v in itertools.pairwise(path))
            chk = check_loss(length, sum(1 for n in path[1:-1] if n in branches), profile,
                             profile.optics.access_transceiver)
            site_rows[s.site_id] = _SiteRow(s, tree.hub, kec, length, chk,
                                            [by_pair[e] for e in itertools.pairwise(path)])
        for s in tree.unreachable:
            site_rows[s.site_id] = _SiteRow(s, tree.hub, kec, None, None)
    return spans, site_rows, kec_branch


def _paths_to_pop(g: nx.Graph, pop: PlanSiteRef, hubs: dict[str, tuple[PlanSiteRef, str]],
                  rings: list[Ring]) -> dict[int, float]:
    """Route metres from the POP and each hub to the POP: the shorter way round its ring."""
    to_pop: dict[int, float] = {pop.site_id: 0.0}
    for h, _ in hubs.values():
        if h.entry == pop.entry:  # a hub at the POP's own route node needs no ring
            to_pop[h.site_id] = 0.0
    for ring in rings:
        total = 0.0
        cum = []
        for leg in ring.legs:
            cum.append(total)
            total += sum(g.edges[u, v]["length_m"] for u, v in itertools.pairwise(leg))
        for k, m in enumerate(ring.members):
            to_pop[m.site_id] = min(to_pop.get(m.site_id, float("inf")), cum[k], total - cum[k])
    return to_pop


def _complete_site_rows(site_rows: dict[int, _SiteRow], to_pop: dict[int, float],
                        phases: dict[int, int], profile: Profile) -> None:
    """Give each site its build phase and its path and loss to the POP.

    The path runs to its hub, then the shorter way round the hub's ring.
    """
    for row in site_rows.values():
        hub_to_pop = to_pop.get(row.hub.site_id)
        row.path_to_pop_m = (None if row.path_m is None or hub_to_pop is None
                             else row.path_m + hub_to_pop)
        row.phase = phases.get(row.ref.site_id)
        if row.path_to_pop_m is not None:
            splices = splices_on_path(row.path_to_pop_m, 0, profile.hardware.drum_length_m)
            row.loss_to_pop_db = round(path_loss_db(row.path_to_pop_m, splices, profile.optics,
                                                    1550), 3)


def _engineer(g: nx.Graph, profile: Profile, design: _Design) -> _Engineered:
    """Spans, loss, phases and bill of materials; the figures without ids."""
    pop, hubs, demand = design.pop, design.hubs, design.demand
    bb_spans, ring_info, hop_over, hops = _engineer_backbone(g, profile, design.rings)
    ac_spans, site_rows, kec_branch = _engineer_access(g, profile, design.trees, demand)
    spans = bb_spans + ac_spans
    for s in spans:
        size_and_cost(s, profile)
    kind = {r.site_id: r.kind for r in demand}
    phases = assign_phases(spans, kind, {r.site_id: r.kecamatan_code for r in demand},
                           profile.topology.phase_count)
    to_pop = _paths_to_pop(g, pop, hubs, design.rings)
    _complete_site_rows(site_rows, to_pop, phases, profile)

    connected = {sid for sid, r in site_rows.items() if r.path_m is not None}
    connected |= {h.site_id for h, _ in hubs.values()}
    figures = PlanResult(
        hubs=[HubFigures(kecamatan=k, site=h.code, name=h.name, chosen_by=how,
                         at_pop=h.entry == pop.entry) for k, (h, how) in sorted(hubs.items())],
        rings=ring_info,
        ring_hops_over_budget=hop_over,
        **_coverage_figures(demand, connected, site_rows),
        **_network_figures(g, design, spans),
        **_bill_figures(spans, profile, design, site_rows, kec_branch, connected),
    )
    return _Engineered(figures, spans, site_rows, hops, to_pop)


def _coverage_figures(demand: list[PlanSiteRef], connected: set[int],
                      site_rows: dict[int, _SiteRow]) -> dict[str, Any]:
    """Sites reached by kind, unreachable sites, loss figures."""
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in demand:
        by_kind[r.kind][0] += 1
        by_kind[r.kind][1] += r.site_id in connected
    losses = [r.loss.loss_db for r in site_rows.values() if r.loss]
    return {
        "villages_connected": by_kind["village_office"][1],
        "offices_total": by_kind["village_office"][0] + by_kind["kecamatan_office"][0],
        "offices_connected": by_kind["village_office"][1] + by_kind["kecamatan_office"][1],
        "opd_total": by_kind["opd"][0],
        "opd_connected": by_kind["opd"][1],
        "schools_connected": by_kind["school"][1] if "school" in by_kind else 0,
        "unreachable_sites": sorted(r.ref.code for r in site_rows.values()
                                    if r.path_m is None and r.ref.site_id not in connected),
        "max_loss_db": round(max(losses), 3) if losses else None,
        "sites_over_budget": sorted(r.ref.code for r in site_rows.values()
                                    if r.loss and r.loss.over_budget),
    }


def _network_figures(g: nx.Graph, design: _Design, spans: list[PlannedSpan]) -> dict[str, Any]:
    """Route and cable lengths, resilience of the backbone, phases."""
    hub_drops = []
    for ref in [design.pop, *(h for h, _ in design.hubs.values())]:
        drop_m = g.edges[ref.node, ref.entry]["length_m"] if ref.node != ref.entry else 0.0
        if drop_m > 0.5:
            hub_drops.append(EntryDrop(site=ref.code, drop_m=round(drop_m)))
    one_per_edge = {s.edge_id: s for s in spans}
    return {
        "backbone_two_edge_connected": not design.bridges,
        "single_points_of_failure": [
            SpofEdge(route_edge_id=g.edges[u, v]["edge_id"], u=u, v=v,
                     length_m=round(g.edges[u, v]["length_m"], 1)) for u, v in design.bridges],
        "single_entry_drops": hub_drops,
        "route_km": round(sum(g.edges[s.u, s.v]["length_m"] for s in one_per_edge.values())
                          / 1000, 3),
        "route_edges_used": len(one_per_edge),
        "cable_km": round(sum(s.length_m * s.count for s in spans) / 1000, 3),
        "phases": {str(p): sum(1 for s in spans if s.phase == p)
                   for p in sorted({s.phase for s in spans})},
    }


def _bill_figures(spans: list[PlannedSpan], profile: Profile, design: _Design,
                  site_rows: dict[int, _SiteRow], kec_branch: dict[str, int],
                  connected: set[int]) -> dict[str, Any]:
    """Bill of materials in total, for the backbone and per kecamatan."""
    hubs = design.hubs
    bom = bill_of_materials(spans, profile, branch_closures=sum(kec_branch.values()),
                            terminations=len(connected) + len(hubs) + 1)
    per_kec = {}
    for kec in sorted(design.trees):
        kspans = [s for s in spans if s.kecamatan_code == kec]
        n_sites = sum(1 for r in site_rows.values() if r.kec == kec and r.path_m is not None)
        kbom = bill_of_materials(kspans, profile, branch_closures=kec_branch[kec],
                                 terminations=n_sites + 1)
        per_kec[kec] = KecamatanFigures(hub=hubs[kec][0].code, hub_chosen_by=hubs[kec][1],
                                        sites=n_sites, **kbom.figures().model_dump())
    backbone = bill_of_materials([s for s in spans if s.role == "backbone"], profile,
                                 branch_closures=0, terminations=2 * len(hubs))
    return {"cost_idr": round(bom.cost_idr), "bill_of_materials": bom.figures(),
            "backbone": backbone.figures(), "per_kecamatan": per_kec}


def _store_links(session: Session, plan: Plan, span_rows: dict[int, Span],
                 eng: _Engineered, skip: set[int]) -> None:
    """Store the plan's logical links: one per ring hop and one per served site."""
    links = []
    for ring, a, b, leg in eng.hops:
        links.append((Link(name=f"P{plan.id}:BB{ring}:{a.code}>{b.code}", plan_id=plan.id,
                           a_site_id=a.site_id, z_site_id=b.site_id), leg))
    for sid, r in eng.sites.items():
        if r.spans is None or sid in skip:
            continue
        links.append((Link(name=f"P{plan.id}:AC:{r.ref.code}", plan_id=plan.id,
                           a_site_id=r.hub.site_id, z_site_id=sid), r.spans))
    session.add_all(link for link, _ in links)
    session.flush()
    session.add_all(LinkSpan(link_id=link.id, seq=k, span_id=span_rows[id(sp)].id)
                    for link, path in links for k, sp in enumerate(path))


def _store(session: Session, profile: Profile, name: str | None, eng: _Engineered,
           design: _Design) -> Plan:
    """Store the plan, its spans, logical links and per-site results."""
    n = (session.scalar(select(func.count()).select_from(Plan)) or 0) + 1
    plan = Plan(name=name or f"plan-{n}", profile=profile.model_dump(mode="json"), summary={})
    session.add(plan)
    session.flush()
    span_rows = {id(s): Span(
        plan_id=plan.id, route_edge_id=s.edge_id, a_node_id=s.u, z_node_id=s.v,
        length_m=s.length_m, cores=s.size * s.count, install_method=s.method, status="planned",
        role=s.role, phase=s.phase, cost_idr=s.cost_idr,
        attrs={"cable_size": s.size, "cables": s.count, "cores_needed": s.cores_needed,
               "kecamatan_code": s.kecamatan_code, "ring": s.ring, "site_ids": s.site_ids})
        for s in eng.spans}
    session.add_all(span_rows.values())
    session.flush()
    pop, hubs = design.pop, design.hubs
    _store_links(session, plan, span_rows, eng, {pop.site_id, *(h.site_id for h, _ in
                                                               hubs.values())})
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
