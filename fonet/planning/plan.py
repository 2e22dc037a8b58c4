"""The coverage plan: core POP → rings of hubs → access trees to every office, OPD and school.

:func:`run_plan` reads the store, plans on the network that exists (built spans are reused
where they have spare cores), engineers and stores the plan as a scenario; its result is what
``fonet plan --json`` prints. With ``targets`` it plans an extension phase: only sites of those
kinds not yet connected, from the POP and hubs of the newest committed plan, chosen within a
budget (:mod:`fonet.planning.extension`).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError, StateError
from fonet.graph import route_graph, site_nodes
from fonet.planning.access import REGION_MARGIN_M, AccessTree, NodeIndex, access_tree
from fonet.planning.brownfield import existing_bridges, mark_built
from fonet.planning.hubs import (
    HUB_CANDIDATE_KINDS,
    POP_CANDIDATE_KINDS,
    PlanSiteRef,
    choose_hubs,
    propose_pop,
)
from fonet.planning.network import Distances, priced_graph
from fonet.planning.plan_engineer import Design, engineer
from fonet.planning.plan_store import check_name, committed_backbone, store_plan
from fonet.planning.profile import Profile
from fonet.planning.result import PlanResult, PopFigures, SpofEdge
from fonet.planning.rings import backbone_bridges, build_ring, petals
from fonet.planning.scope import regencies, regency_bbox, regency_subgraph, resolve_regency
from fonet.store.models import SITE_KINDS, Area, Site

SERVED_KINDS = ("kecamatan_office", "village_office", "opd")


def _refs(session: Session, g: nx.Graph) -> list[PlanSiteRef]:
    nodes = site_nodes(g)
    refs = []
    for s in session.scalars(select(Site).order_by(Site.id)):
        node = nodes.get(s.id)
        if node is None:
            continue
        entry = next(iter(g.neighbors(node)), node)
        drop = g.edges[node, entry]["length_m"] if entry != node else 0.0
        refs.append(PlanSiteRef(s.id, s.code, s.name, s.kind, s.kecamatan_code, node, entry,
                                drop))
    return refs


def _resolve_pinned(
    session: Session, refs: dict[str, PlanSiteRef], hub_codes: Mapping[str, str]
) -> dict[str, PlanSiteRef]:
    """Check ``--hub KEC=CODE`` pins.

    A known kecamatan, a hub-capable site of that kecamatan, one hub per kecamatan.
    """
    kec = {a.code: a for a in session.scalars(select(Area).where(Area.level == "kecamatan"))}
    kecs = {r.kecamatan_code for r in refs.values()}
    kec = {c: a for c, a in kec.items() if c in kecs}  # those of the regency planned
    by_name = {a.name.casefold(): a.code for a in kec.values()}
    pinned: dict[str, PlanSiteRef] = {}
    for key, code in hub_codes.items():
        kcode = key if key in kec else by_name.get(key.casefold())
        if kcode is None:
            raise InputError("--hub", f"unknown kecamatan {key!r}", feature=key)
        if code not in refs:
            raise NotFoundError(f"--hub {key}={code}: no site with code {code!r}")
        ref = refs[code]
        if ref.kind not in HUB_CANDIDATE_KINDS:
            raise InputError("--hub", f"site {code} is a {ref.kind}; a hub is a "
                             f"{', '.join(HUB_CANDIDATE_KINDS)} site", feature=f"{key}={code}")
        if ref.kecamatan_code != kcode:
            where = kec[ref.kecamatan_code].name if ref.kecamatan_code in kec else "no kecamatan"
            raise InputError("--hub", f"site {code} lies in {where}, not in "
                             f"{kec[kcode].name}", feature=f"{key}={code}")
        if kcode in pinned:
            raise InputError("--hub", f"{kec[kcode].name} is pinned twice", feature=key)
        pinned[kcode] = ref
    return pinned


def _check_targets(targets: Sequence[str] | None, budget_idr: float | None,
                   priority: Mapping[str, float] | None, by_code: dict[str, PlanSiteRef]
                   ) -> None:
    if budget_idr is not None and not budget_idr > 0:
        raise InputError("--budget-idr", f"a budget must be more than zero, got {budget_idr:g}")
    if budget_idr is not None and not targets:
        raise InputError("--budget-idr", "a budget needs --targets (the kinds of site to serve)")
    for kind in targets or ():
        if kind not in SITE_KINDS:
            raise InputError("--targets", f"unknown site kind {kind!r}; known: "
                             f"{', '.join(SITE_KINDS)}", feature=kind)
    for code, value in (priority or {}).items():
        if code not in by_code:
            raise InputError("--priority", "no site with this code", feature=code)
        if not value >= 0:
            raise InputError("--priority", f"priority must be zero or more, got {value}",
                             feature=code)


def _checked_input(session: Session, *, pop_code: str | None,
                   hub_codes: Mapping[str, str] | None, targets: Sequence[str] | None,
                   budget_idr: float | None, priority: Mapping[str, float] | None,
                   regency: str | None = None
                   ) -> tuple[nx.Graph, list[PlanSiteRef], dict[str, PlanSiteRef]]:
    """Check a plan request against the store; return the route graph, sites and pinned hubs.

    When the store holds several regencies, the graph and sites are those of ``regency`` (by
    default the first one).
    """
    code = resolve_regency(session, regency)
    several = code is not None and len(regencies(session)) > 1
    g = route_graph(session, bbox=regency_bbox(session, code) if several else None)
    if g.number_of_nodes() == 0:
        raise StateError("the store has no route graph: run `fonet init` first")
    if several and code is not None:
        site_kec = {i: k for i, k in session.execute(select(Site.id, Site.kecamatan_code))}
        g = regency_subgraph(g, site_kec, code)
    refs = _refs(session, g)
    by_code = {r.code: r for r in refs}
    _check_targets(targets, budget_idr, priority, by_code)
    pinned = _resolve_pinned(session, by_code, hub_codes or {})
    if pop_code is not None and pop_code not in by_code:
        raise NotFoundError(f"--pop: no site with code {pop_code!r}")
    return g, refs, pinned


def check_plan_request(session: Session, *, name: str | None = None,
                       pop_code: str | None = None, hub_codes: Mapping[str, str] | None = None,
                       targets: Sequence[str] | None = None, budget_idr: float | None = None,
                       priority: Mapping[str, float] | None = None,
                       regency: str | None = None) -> None:
    """Refuse a plan request that :func:`run_plan` would refuse, without planning.

    The service calls it before queueing a plan job, so bad input is answered at once.

    Raises
    ------
    InputError, NotFoundError, StateError
        As :func:`run_plan` raises them for the same input.
    """
    if name is not None:
        check_name(session, name)
    _checked_input(session, pop_code=pop_code, hub_codes=hub_codes, targets=targets,
                   budget_idr=budget_idr, priority=priority, regency=regency)


def run_plan(
    session: Session,
    profile: Profile,
    *,
    name: str | None = None,
    pop_code: str | None = None,
    hub_codes: Mapping[str, str] | None = None,
    include_schools: bool | None = None,
    seed: int = 0,
    targets: Sequence[str] | None = None,
    budget_idr: float | None = None,
    year: int | None = None,
    priority: Mapping[str, float] | None = None,
    regency: str | None = None,
) -> PlanResult:
    """Plan the regency's coverage (or an extension phase) and store it as a new scenario.

    Parameters
    ----------
    session
        A session inside the caller's transaction (the plan is stored whole or not at all).
    profile
        The planning profile.
    name
        Scenario name (default: ``plan-<n>``); names are unique.
    pop_code
        Code of the site to use as core POP; by default one is proposed (see
        :func:`fonet.planning.hubs.propose_pop`).
    hub_codes
        Pinned hubs: kecamatan code or name → site code of that kecamatan. Other kecamatan get
        a 1-median hub.
    include_schools
        Serve schools too (default: the profile's ``topology.include_schools``).
    seed
        Seed of the Steiner engine.
    targets
        Site kinds of an extension phase (e.g. ``puskesmas``, ``school``): only sites of these
        kinds not yet connected are served, from the POP and hubs of the newest committed plan
        (or new ones, with their rings, when nothing is committed).
    budget_idr
        Most the phase may cost; the targets of greatest total priority that fit are chosen
        and the rest listed with their marginal cost.
    year
        Label of the phase.
    priority
        Site code → weight (default 1 for every target).
    regency
        Code of the regency to plan when the store holds several (default: the first); the
        plan reads and writes only that regency's graph and sites.

    Returns
    -------
    PlanResult
        The plan's figures, with its id and name (see the README for each field).
    """
    t0 = time.perf_counter()
    if include_schools is None:
        include_schools = profile.topology.include_schools
    plan_name = check_name(session, name)
    code = resolve_regency(session, regency)
    g, refs, pinned = _checked_input(session, pop_code=pop_code, hub_codes=hub_codes,
                                     targets=targets, budget_idr=budget_idr, priority=priority,
                                     regency=code)
    mark_built(session, g)
    priced_graph(g, profile)
    if targets:
        from fonet.planning.plan_targets import plan_targets

        design, eng = plan_targets(session, g, profile, refs, targets=list(targets),
                                   budget_idr=budget_idr, priority=priority or {},
                                   pop_code=pop_code, pinned=pinned, seed=seed)
    else:
        kinds = SERVED_KINDS + (("school",) if include_schools else ())
        demand = [r for r in refs if r.kind in kinds]
        design = design_network(g, profile, refs, demand, pop_code=pop_code, pinned=pinned,
                                seed=seed)
        eng = engineer(g, profile, design)
    result = eng.figures
    result.pop = PopFigures(code=design.pop.code, name=design.pop.name,
                            chosen_by=design.pop_how)
    villages = select(func.count()).select_from(Area).where(Area.level == "village")
    if code is not None:
        villages = villages.where(Area.code.startswith(code + "."))
    result.villages_total = session.scalar(villages) or 0
    result.regency_code = code
    result.existing_single_points = [
        SpofEdge(route_edge_id=g.edges[u, v]["edge_id"], u=u, v=v,
                 length_m=round(g.edges[u, v]["length_m"], 1)) for u, v in existing_bridges(g)]
    result.year = year
    plan = store_plan(session, profile, plan_name, eng, design)
    result.plan_id = plan.id
    result.name = plan.name
    result.seconds = round(time.perf_counter() - t0, 3)
    plan.summary = result.to_json()
    session.flush()
    return result


def design_network(g: nx.Graph, profile: Profile, refs: list[PlanSiteRef],
                   demand: list[PlanSiteRef], *, pop_code: str | None,
                   pinned: Mapping[str, PlanSiteRef], seed: int,
                   trees: bool = True) -> Design:
    """Choose the POP and hubs, build the rings and (unless ``trees`` is False) access trees."""
    by_code = {r.code: r for r in refs}
    dist = Distances(g, "cost")
    demand_by_kec: dict[str, list[PlanSiteRef]] = defaultdict(list)
    for r in demand:
        if r.kecamatan_code:
            demand_by_kec[r.kecamatan_code].append(r)
    candidates_by_kec: dict[str, list[PlanSiteRef]] = defaultdict(list)
    for r in refs:
        if r.kecamatan_code and r.kind in HUB_CANDIDATE_KINDS:
            candidates_by_kec[r.kecamatan_code].append(r)
    index = NodeIndex(g)
    hubs = {}
    for kec in sorted(demand_by_kec):  # each kecamatan's 1-median on its part of the graph
        part = [r.node for r in demand_by_kec[kec] + candidates_by_kec.get(kec, [])]
        sub = dist.subset(index.around(part, REGION_MARGIN_M))
        hubs.update(choose_hubs(sub, {kec: demand_by_kec[kec]}, candidates_by_kec, pinned))
    hub_refs = [h for h, _ in hubs.values()]
    if pop_code is not None:
        pop, pop_how = by_code[pop_code], "named"
    else:
        pop = propose_pop(dist, [r for r in refs if r.kind in POP_CANDIDATE_KINDS], hub_refs)
        pop_how = "existing core_pop" if pop.kind == "core_pop" else "1-median over hubs"
    rings = [build_ring(g, [pop, *group], dist=dist)
             for group in petals(g, pop, hub_refs, profile.topology.max_hubs_per_ring)]
    design = Design(pop, pop_how, hubs, rings, {}, backbone_bridges(g, rings), demand)
    if trees:
        served_by = served_sites(dist, hubs, demand, design)
        design.trees = access_trees(g, profile, hubs, served_by, seed=seed)
    return design


def access_trees(g: nx.Graph, profile: Profile, hubs: dict[str, tuple[PlanSiteRef, str]],
                 served_by: Mapping[str, list[PlanSiteRef]], *, seed: int) -> dict:
    """Build the access tree of every hub to the sites it serves."""
    index = NodeIndex(g)
    jobs = sorted(((kec, hub, served_by.get(kec, [])) for kec, (hub, _) in hubs.items()),
                  key=lambda j: -len(j[2]))
    limit = profile.topology.steiner_time_limit_s
    workers = _workers(g, len(jobs))
    if workers > 1:
        global _SHARED
        _SHARED = (g, index, limit, seed)
        try:
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
                done = list(pool.map(_tree_job, jobs))
        finally:
            _SHARED = None
    else:
        done = [access_tree(g, hub, sites, weight="cost", time_limit_s=limit, seed=seed,
                            index=index) for _, hub, sites in jobs]
    trees = {kec: t for (kec, _, _), t in zip(jobs, done, strict=True)}
    return {kec: trees[kec] for kec in hubs}


PARALLEL_MIN_NODES = 20_000
"""Graphs at least this large plan their access trees in parallel processes."""
_SHARED: tuple | None = None


def _workers(g: nx.Graph, jobs: int) -> int:
    """Return how many processes plan the access trees (the cores, on a large graph, if safe).

    Forking is safe only from a process running a single thread (the command line); the
    service plans in one process.
    """
    if g.number_of_nodes() < PARALLEL_MIN_NODES or jobs < 2:
        return 1
    if threading.active_count() > 1 or "fork" not in mp.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, jobs, 4))


def _tree_job(job: tuple) -> AccessTree:
    """One access tree, in a worker forked with the graph in :data:`_SHARED`."""
    assert _SHARED is not None
    g, index, limit, seed = _SHARED
    _, hub, sites = job
    return access_tree(g, hub, sites, weight="cost", time_limit_s=limit, seed=seed,
                       index=index)


def served_sites(dist: Distances, hubs: dict[str, tuple[PlanSiteRef, str]],
                 demand: list[PlanSiteRef], design: Design) -> dict[str, list[PlanSiteRef]]:
    """Sites each hub serves.

    Its kecamatan's, plus the sites outside every kecamatan (e.g. OPD offices in Kota
    Mojokerto) or in a kecamatan without a hub, at the hub it reaches at the least route
    cost. The POP and the hubs are on the rings, not on access trees.
    """
    active = {design.pop.site_id, *(h.site_id for h, _ in hubs.values())}
    served_by: dict[str, list[PlanSiteRef]] = defaultdict(list)
    stray = []
    for r in demand:
        if r.site_id in active:
            continue
        if r.kecamatan_code in hubs:
            served_by[r.kecamatan_code].append(r)
        else:
            stray.append(r)
    if stray and hubs:
        hub_refs = [h for h, _ in hubs.values()]
        d = dist.between([h.node for h in hub_refs], [s.node for s in stray])
        kec_codes = list(hubs)
        for j, s in enumerate(stray):
            served_by[kec_codes[int(d[:, j].argmin())]].append(s)
    return served_by


__all__ = ["SERVED_KINDS", "check_plan_request", "committed_backbone", "design_network",
           "run_plan"]
