"""The coverage plan: core POP → rings of hubs → access trees to every office, OPD and school.

:func:`run_plan` reads the store, plans, engineers and stores the plan as a scenario; its result
is what ``fonet plan --json`` prints.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError, StateError
from fonet.graph import route_graph, site_nodes
from fonet.planning.access import AccessTree, access_tree
from fonet.planning.engineering import (
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


def run_plan(
    session: Session,
    profile: Profile,
    *,
    name: str | None = None,
    pop_code: str | None = None,
    hub_codes: Mapping[str, str] | None = None,
    include_schools: bool | None = None,
    seed: int = 0,
) -> dict[str, Any]:
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
    dict
        The plan's figures (see the README for each key).
    """
    t0 = time.perf_counter()
    if include_schools is None:
        include_schools = profile.topology.include_schools
    g = route_graph(session)
    if g.number_of_nodes() == 0:
        raise StateError("the store has no route graph: run `fonet init` first")
    priced_graph(g, profile)
    refs = _refs(session, g)
    by_code = {r.code: r for r in refs}
    kinds = SERVED_KINDS + (("school",) if include_schools else ())
    demand = [r for r in refs if r.kind in kinds]
    pinned = _resolve_pinned(session, by_code, hub_codes or {})
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

    # sites outside every kecamatan (e.g. OPD offices in Kota Mojokerto): nearest hub
    served_by: dict[str, list[PlanSiteRef]] = {k: list(v) for k, v in demand_by_kec.items()}
    stray = [r for r in demand if not r.kecamatan_code]
    if stray:
        d = dist.between([h.node for h in hub_refs], [s.node for s in stray])
        kec_codes = list(hubs)
        for j, s in enumerate(stray):
            served_by[kec_codes[int(d[:, j].argmin())]].append(s)

    # backbone
    rings: list[Ring] = []
    for group in petals(g, pop, hub_refs, profile.topology.max_hubs_per_ring):
        rings.append(build_ring(g, [pop, *group]))
    bridges = backbone_bridges(g, rings)

    # access trees
    trees: dict[str, AccessTree] = {}
    for kec, (hub, _) in hubs.items():
        trees[kec] = access_tree(g, hub, served_by.get(kec, []), weight="cost",
                                 time_limit_s=profile.topology.steiner_time_limit_s, seed=seed)

    result = _engineer(g, profile, pop, hubs, rings, trees, bridges, demand)
    result["pop"] = {"code": pop.code, "name": pop.name, "chosen_by": pop_how}
    result["villages_total"] = session.scalar(
        select(func.count()).select_from(Area).where(Area.level == "village"))
    plan = _store(session, profile, name, result, rings, trees, pop, hubs)
    result["plan_id"] = plan.id
    result["name"] = plan.name
    result["seconds"] = round(time.perf_counter() - t0, 3)
    plan.summary = {k: v for k, v in result.items() if k != "sites"}
    session.flush()
    return result


def _engineer(g, profile, pop, hubs, rings, trees, bridges, demand):  # noqa: ANN001, ANN202
    """Spans, loss, phases and bill of materials; returns the result without ids."""
    spans: list[PlannedSpan] = []
    bb_cores = profile.demand.backbone_cores_per_hub
    ring_info = []
    hop_over = []
    hops = []  # (ring, a, b, spans) for the plan's backbone links
    for i, ring in enumerate(rings):
        cores = bb_cores * (len(ring.members) - 1)
        legs_m = []
        seq = [*ring.members, ring.members[0]]
        for leg, (a, b) in zip(ring.legs, itertools.pairwise(seq), strict=True):
            length = 0.0
            leg_spans = []
            for u, v in itertools.pairwise(leg):
                d = g.edges[u, v]
                length += d["length_m"]
                leg_spans.append(PlannedSpan(u, v, d["edge_id"], d["length_m"], d["method"],
                                             "backbone", cores, ring=i))
            spans.extend(leg_spans)
            hops.append((i, a, b, leg_spans))
            legs_m.append(length)
        for (a, b), length in zip(itertools.pairwise(seq), legs_m, strict=True):
            chk = check_loss(length, 0, profile, profile.optics.backbone_transceiver)
            if chk.over_budget:
                hop_over.append({"from": a.code, "to": b.code, "loss_db": chk.loss_db,
                                 "budget_db": chk.budget_db, "fits": chk.fits})
        ring_info.append({"ring": i, "members": [m.code for m in ring.members],
                          "km": round(sum(legs_m) / 1000, 3), "legs_m": [round(x) for x in legs_m]})

    cores_of = profile.demand.cores_per_site
    site_rows: dict[int, dict] = {}
    kind = {r.site_id: r.kind for r in demand}
    kec_of = {r.site_id: r.kecamatan_code for r in demand}
    branch_total = 0
    kec_branch: dict[str, int] = {}
    for kec, tree in trees.items():
        down = tree.downstream()
        by_pair = {}
        for (a, b), sids in down.items():
            d = g.edges[a, b]
            need = sum(cores_of.get(kind.get(s, "other"), 2) for s in sids)
            by_pair[a, b] = PlannedSpan(a, b, d["edge_id"], d["length_m"], d["method"], "access",
                                        need, kecamatan_code=kec, site_ids=sids)
            spans.append(by_pair[a, b])
        branches = branch_nodes(tree.tree)
        kec_branch[kec] = len(branches)
        branch_total += len(branches)
        paths = tree.paths()
        for s in tree.sites:
            path = paths.get(s.site_id)
            if path is None:
                continue
            length = sum(g.edges[u, v]["length_m"] for u, v in itertools.pairwise(path))
            chk = check_loss(length, sum(1 for n in path[1:-1] if n in branches), profile,
                             profile.optics.access_transceiver)
            site_rows[s.site_id] = {"ref": s, "hub": tree.hub, "kec": kec, "path_m": length,
                                    "loss": chk, "spans": [by_pair[e] for e in
                                                           itertools.pairwise(path)]}
        for s in tree.unreachable:
            site_rows[s.site_id] = {"ref": s, "hub": tree.hub, "kec": kec, "path_m": None,
                                    "loss": None}
    for s in spans:
        size_and_cost(s, profile)
    phases = assign_phases(spans, kind, kec_of, profile.topology.phase_count)

    # path to the POP: to the hub, then the shorter way round the hub's ring
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
    for row in site_rows.values():
        hub_to_pop = to_pop.get(row["hub"].site_id)
        row["path_to_pop_m"] = (None if row["path_m"] is None or hub_to_pop is None
                                else row["path_m"] + hub_to_pop)
        row["phase"] = phases.get(row["ref"].site_id)
        if row["path_to_pop_m"] is not None:
            length = row["path_to_pop_m"]
            splices = splices_on_path(length, 0, profile.hardware.drum_length_m)
            row["loss_to_pop_db"] = round(path_loss_db(length, splices, profile.optics, 1550), 3)

    connected = {sid for sid, r in site_rows.items() if r["path_m"] is not None}
    connected |= {h.site_id for h, _ in hubs.values()}
    unreachable = sorted(r["ref"].code for r in site_rows.values() if r["path_m"] is None
                         and r["ref"].site_id not in connected)
    over = sorted(r["ref"].code for r in site_rows.values() if r["loss"] and r["loss"].over_budget)
    losses = [r["loss"].loss_db for r in site_rows.values() if r["loss"]]

    total_terms = len(connected) + len(hubs) + 1
    bom = bill_of_materials(spans, profile, branch_closures=branch_total,
                            terminations=total_terms)
    per_kec = {}
    for kec in sorted(trees):
        kspans = [s for s in spans if s.kecamatan_code == kec]
        n_sites = sum(1 for r in site_rows.values() if r["kec"] == kec and r["path_m"] is not None)
        per_kec[kec] = {"hub": hubs[kec][0].code, "hub_chosen_by": hubs[kec][1],
                        "sites": n_sites,
                        **bill_of_materials(kspans, profile, branch_closures=kec_branch[kec],
                                            terminations=n_sites + 1).as_dict()}
    bspans = [s for s in spans if s.role == "backbone"]
    backbone_bom = bill_of_materials(bspans, profile, branch_closures=0,
                                     terminations=2 * len(hubs)).as_dict()
    route_edges = {s.edge_id for s in spans}
    route_m = sum(g.edges[s.u, s.v]["length_m"] for s in
                  {s.edge_id: s for s in spans}.values())
    by_kind = defaultdict(lambda: [0, 0])
    for r in demand:
        by_kind[r.kind][0] += 1
        by_kind[r.kind][1] += r.site_id in connected
    hub_drops = []
    for ref in [pop, *(h for h, _ in hubs.values())]:
        drop_m = g.edges[ref.node, ref.entry]["length_m"] if ref.node != ref.entry else 0.0
        if drop_m > 0.5:
            hub_drops.append({"site": ref.code, "drop_m": round(drop_m)})
    return {
        "villages_connected": by_kind["village_office"][1],
        "offices_total": by_kind["village_office"][0] + by_kind["kecamatan_office"][0],
        "offices_connected": by_kind["village_office"][1] + by_kind["kecamatan_office"][1],
        "opd_total": by_kind["opd"][0],
        "opd_connected": by_kind["opd"][1],
        "schools_connected": by_kind["school"][1] if "school" in by_kind else 0,
        "hubs": [{"kecamatan": k, "site": h.code, "name": h.name, "chosen_by": how,
                  "at_pop": h.entry == pop.entry}
                 for k, (h, how) in sorted(hubs.items())],
        "rings": ring_info,
        "backbone_two_edge_connected": not bridges,
        "single_points_of_failure": [
            {"route_edge_id": g.edges[u, v]["edge_id"], "u": u, "v": v,
             "length_m": round(g.edges[u, v]["length_m"], 1)} for u, v in bridges],
        "single_entry_drops": hub_drops,
        "unreachable_sites": unreachable,
        "route_km": round(route_m / 1000, 3),
        "route_edges_used": len(route_edges),
        "cable_km": round(sum(s.length_m * s.count for s in spans) / 1000, 3),
        "cost_idr": round(bom.cost_idr),
        "bill_of_materials": bom.as_dict(),
        "backbone": backbone_bom,
        "per_kecamatan": per_kec,
        "max_loss_db": round(max(losses), 3) if losses else None,
        "sites_over_budget": over,
        "ring_hops_over_budget": hop_over,
        "phases": {str(p): sum(1 for s in spans if s.phase == p)
                   for p in sorted({s.phase for s in spans})},
        "spans": spans,
        "sites": site_rows,
        "hops": hops,
        "hub_to_pop_m": to_pop,
    }


def _store_links(session, plan, span_rows, hops, rows, skip) -> None:  # noqa: ANN001
    """Store the plan's logical links: one per ring hop and one per served site."""
    links = []
    for ring, a, b, leg in hops:
        links.append((Link(name=f"P{plan.id}:BB{ring}:{a.code}>{b.code}", plan_id=plan.id,
                           a_site_id=a.site_id, z_site_id=b.site_id), leg))
    for sid, r in rows.items():
        if r.get("spans") is None or sid in skip:
            continue
        links.append((Link(name=f"P{plan.id}:AC:{r['ref'].code}", plan_id=plan.id,
                           a_site_id=r["hub"].site_id, z_site_id=sid), r["spans"]))
    session.add_all(link for link, _ in links)
    session.flush()
    session.add_all(LinkSpan(link_id=link.id, seq=k, span_id=span_rows[id(sp)].id)
                    for link, path in links for k, sp in enumerate(path))


def _store(session, profile, name, result, rings, trees, pop, hubs) -> Plan:  # noqa: ANN001
    n = (session.scalar(select(func.count()).select_from(Plan)) or 0) + 1
    plan = Plan(name=name or f"plan-{n}", profile=profile.model_dump(mode="json"), summary={})
    session.add(plan)
    session.flush()
    spans: list[PlannedSpan] = result.pop("spans")
    span_rows = {id(s): Span(
        plan_id=plan.id, route_edge_id=s.edge_id, a_node_id=s.u, z_node_id=s.v,
        length_m=s.length_m, cores=s.size * s.count, install_method=s.method, status="planned",
        role=s.role, phase=s.phase, cost_idr=s.cost_idr,
        attrs={"cable_size": s.size, "cables": s.count, "cores_needed": s.cores_needed,
               "kecamatan_code": s.kecamatan_code, "ring": s.ring, "site_ids": s.site_ids})
        for s in spans}
    session.add_all(span_rows.values())
    session.flush()
    rows = result.pop("sites")
    hops = result.pop("hops")
    to_pop = result.pop("hub_to_pop_m")
    _store_links(session, plan, span_rows, hops, rows,
                 {pop.site_id, *(h.site_id for h, _ in hubs.values())})
    hub_ids = {h.site_id: k for k, (h, _) in hubs.items()}
    session.add(PlanSite(plan_id=plan.id, site_id=pop.site_id, role="pop",
                         kecamatan_code=pop.kecamatan_code, connected=True, path_m=0.0,
                         path_to_pop_m=0.0, phase=1))
    for sid, kec in hub_ids.items():
        if sid == pop.site_id:
            continue
        session.add(PlanSite(plan_id=plan.id, site_id=sid, role="hub", kecamatan_code=kec,
                             connected=True, path_m=0.0, path_to_pop_m=to_pop.get(sid),
                             phase=1))
    for sid, r in rows.items():
        if sid in hub_ids or sid == pop.site_id:
            continue
        loss = r["loss"]
        session.add(PlanSite(
            plan_id=plan.id, site_id=sid, role="access", hub_site_id=r["hub"].site_id,
            kecamatan_code=r["ref"].kecamatan_code or r["kec"], connected=r["path_m"] is not None,
            path_m=r["path_m"], path_to_pop_m=r["path_to_pop_m"],
            loss_to_pop_db=r.get("loss_to_pop_db"),
            loss_1310_db=loss.loss_1310_db if loss else None,
            loss_1550_db=loss.loss_1550_db if loss else None,
            over_budget=bool(loss and loss.over_budget), phase=r["phase"],
            attrs={"transceiver": loss.transceiver, "budget_db": loss.budget_db,
                   "fits": loss.fits} if loss else {}))
    session.flush()
    return plan
