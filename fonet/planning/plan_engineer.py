"""Engineering a designed plan: spans, drum joints, optics per link, phases and the bill.

The design (POP, hubs, rings, access trees) comes from :mod:`fonet.planning.plan`; this module
turns it into spans sized and priced, joint closures placed where cable runs exceed the drum
length, the cheapest transceiver class that fits each link, build phases, and the figures of
:class:`~fonet.planning.result.PlanResult` whose tables add up (:mod:`fonet.planning.bill`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from fonet.planning.access import AccessTree
from fonet.planning.bill import BACKBONE, BillItem, build_ledger, figures, unit_prices
from fonet.planning.engineering import (
    LossCheck,
    PlannedSpan,
    assign_phases,
    branch_nodes,
    choose_optic,
    path_loss_db,
    place_joints,
    size_and_cost,
)
from fonet.planning.hubs import ENTRY_TOLERANCE_M, PlanSiteRef
from fonet.planning.profile import Profile
from fonet.planning.result import (
    EntryDrop,
    HopOverBudget,
    HubFigures,
    KecamatanFigures,
    PlanResult,
    RingFigures,
    SpofEdge,
)
from fonet.planning.rings import Ring


@dataclass
class SiteRow:
    """One served site as the plan engineers it."""

    ref: PlanSiteRef
    hub: PlanSiteRef
    kec: str
    path_m: float | None
    loss: LossCheck | None = None
    spans: list[PlannedSpan] | None = None
    path_to_pop_m: float | None = None
    loss_to_pop_db: float | None = None
    phase: int | None = None
    nodes: list[int] = field(default_factory=list)
    branches_passed: int = 0


@dataclass
class Design:
    """The topology chosen for a plan: POP, hubs, rings, access trees and backbone bridges."""

    pop: PlanSiteRef
    pop_how: str
    hubs: dict[str, tuple[PlanSiteRef, str]]
    rings: list[Ring]
    trees: dict[str, AccessTree]
    bridges: list[tuple[int, int]]
    demand: list[PlanSiteRef]
    existing_backbone: bool = False
    """The POP and hubs are those of a committed plan; its backbone is not planned again."""


@dataclass
class Engineered:
    """A plan engineered but not yet stored: its figures and the parts the store needs."""

    figures: PlanResult
    spans: list[PlannedSpan]
    sites: dict[int, SiteRow]
    hops: list[tuple[int, PlanSiteRef, PlanSiteRef, list[PlannedSpan], LossCheck]]
    hub_to_pop_m: dict[int, float]


def has_span(g: nx.Graph, u: int, v: int) -> bool:
    """Whether cable is laid along edge ``(u, v)``: not for a site standing on its node."""
    d = g.edges[u, v]
    return not (d.get("kind") == "drop" and d["length_m"] <= ENTRY_TOLERANCE_M)


def _new_span(g: nx.Graph, u: int, v: int, role: str, cores: int, **kw: Any) -> PlannedSpan:
    d = g.edges[u, v]
    sp = PlannedSpan(u, v, d["edge_id"], d["length_m"], d["method"], role, cores, **kw)
    if d.get("built"):
        sp.reuse = "built"
        sp.spare_cores = int(d.get("spare_cores", 0))
    return sp


def _backbone(g: nx.Graph, profile: Profile, rings: list[Ring]
              ) -> tuple[list[PlannedSpan], list[list[tuple[PlanSiteRef, PlanSiteRef,
                                                             list[PlannedSpan], float]]]]:
    """Spans of every ring (one per route edge and ring) and each ring's hops with spans."""
    spans: list[PlannedSpan] = []
    hops = []
    for i, ring in enumerate(rings):
        cores = profile.demand.backbone_cores_per_hub * (len(ring.members) - 1)
        mine: dict[int, PlannedSpan] = {}
        ring_hops = []
        seq = [*ring.members, ring.members[0]]
        for leg, (a, b) in zip(ring.legs, itertools.pairwise(seq), strict=True):
            leg_spans = []
            for u, v in itertools.pairwise(leg):
                if not has_span(g, u, v):
                    continue
                eid = g.edges[u, v]["edge_id"]
                if eid in mine:  # the ring rides this edge again (a bridge): one cable, both ways
                    mine[eid].cores_needed += cores
                else:
                    mine[eid] = _new_span(g, u, v, "backbone", cores, ring=i)
                    spans.append(mine[eid])
                leg_spans.append(mine[eid])
            length = sum(g.edges[u, v]["length_m"] for u, v in itertools.pairwise(leg))
            ring_hops.append((a, b, leg_spans, length))
        hops.append(ring_hops)
    return spans, hops


def _access(g: nx.Graph, profile: Profile, trees: dict[str, AccessTree],
            kind: dict[int, str]) -> tuple[list[PlannedSpan], dict[int, SiteRow],
                                           dict[str, set[int]], list[list[PlannedSpan]]]:
    """Spans of the access trees, each site's row, branch nodes per tree, and cable runs."""
    cores_of = profile.demand.cores_per_site
    spans: list[PlannedSpan] = []
    rows: dict[int, SiteRow] = {}
    branches_of: dict[str, set[int]] = {}
    runs: list[list[PlannedSpan]] = []
    for kec, tree in trees.items():
        by_pair: dict[tuple[int, int], PlannedSpan] = {}
        children: dict[int, list[int]] = defaultdict(list)
        for (a, b), sids in tree.downstream().items():
            children[a].append(b)
            if not has_span(g, a, b):
                continue
            need = sum(cores_of.get(kind.get(s, "other"), 2) for s in sids)
            by_pair[a, b] = _new_span(g, a, b, "access", need, kecamatan_code=kec,
                                      site_ids=sids)
            spans.append(by_pair[a, b])
        branches = branch_nodes(tree.tree)
        branches_of[kec] = branches
        site_node = {s.node for s in tree.sites}
        breaks = branches | site_node | {tree.hub.node}
        # cable runs: sections between the hub, branch closures and served sites
        stack: list[tuple[int, list[PlannedSpan] | None]] = [(tree.hub.node, None)]
        while stack:
            node, run = stack.pop()
            for c in children.get(node, ()):
                sp = by_pair.get((node, c))
                cont = run
                if sp is not None:
                    if (cont is None or node in breaks or len(children[node]) > 1
                            or (cont and cont[-1].cores_needed != sp.cores_needed)):
                        cont = []
                        runs.append(cont)
                    cont.append(sp)
                stack.append((c, cont))
        paths = tree.paths()
        for s in tree.sites:
            path = paths.get(s.site_id)
            if path is None:
                continue
            length = sum(g.edges[u, v]["length_m"] for u, v in itertools.pairwise(path))
            rows[s.site_id] = SiteRow(
                s, tree.hub, kec, length,
                spans=[by_pair[e] for e in itertools.pairwise(path) if e in by_pair],
                nodes=path, branches_passed=sum(1 for n in path[1:-1] if n in branches))
        for s in tree.unreachable:
            rows[s.site_id] = SiteRow(s, tree.hub, kec, None)
    return spans, rows, branches_of, runs


def _joints_on(spans: list[PlannedSpan]) -> int:
    """Drum joints a fibre passes along these spans (one per joint position)."""
    return sum(sp.joints // max(1, sp.count) for sp in spans)


def paths_to_pop(g: nx.Graph, pop: PlanSiteRef, hubs: dict[str, tuple[PlanSiteRef, str]],
                 rings: list[Ring]) -> dict[int, float]:
    """Route metres from the POP and each hub to the POP: the shorter way round its ring."""
    to_pop: dict[int, float] = {pop.site_id: 0.0}
    for h, _ in hubs.values():
        if h.ring_node == pop.ring_node:  # a hub at the POP's own node needs no ring
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


def engineer(g: nx.Graph, profile: Profile, design: Design,
             hub_to_pop_m: dict[int, float] | None = None) -> Engineered:
    """Spans, joints, optics, loss, phases and the bill; the figures without ids."""
    pop, hubs, demand = design.pop, design.hubs, design.demand
    kind = {r.site_id: r.kind for r in demand}
    bb_spans, ring_hops = _backbone(g, profile, design.rings)
    ac_spans, rows, branches_of, runs = _access(g, profile, design.trees, kind)
    spans = bb_spans + ac_spans
    for s in spans:
        size_and_cost(s, profile)
    drum = profile.hardware.drum_length_m
    place_joints([leg for hops in ring_hops for _, _, leg, _ in hops], drum)
    place_joints(runs, drum)
    phases = assign_phases(spans, kind, {r.site_id: r.kecamatan_code for r in demand},
                           profile.topology.phase_count)
    to_pop = hub_to_pop_m if hub_to_pop_m is not None else paths_to_pop(g, pop, hubs,
                                                                        design.rings)
    o = profile.optics
    for row in rows.values():
        row.phase = phases.get(row.ref.site_id)
        if row.path_m is None:
            continue
        splices = _joints_on(row.spans or []) + row.branches_passed
        row.loss = choose_optic(row.path_m, splices, profile, o.access_transceiver)
        hub_to_pop = to_pop.get(row.hub.site_id)
        if hub_to_pop is not None:
            row.path_to_pop_m = row.path_m + hub_to_pop
            extra = int(hub_to_pop // profile.hardware.drum_length_m)
            row.loss_to_pop_db = round(path_loss_db(row.path_to_pop_m, splices + extra, o,
                                                    1550), 3)
    hops: list[tuple[int, PlanSiteRef, PlanSiteRef, list[PlannedSpan], LossCheck]] = []
    ring_info, hop_over = [], []
    for i, ring_h in enumerate(ring_hops):
        for a, b, leg, length in ring_h:
            chk = choose_optic(length, _joints_on(leg), profile, o.backbone_transceiver)
            hops.append((i, a, b, leg, chk))
            if chk.over_budget:
                hop_over.append(HopOverBudget.model_validate(
                    {"from": a.code, "to": b.code, "loss_db": chk.loss_db,
                     "budget_db": chk.budget_db, "fits": chk.fits}))
        ring_info.append(RingFigures(ring=i, members=[m.code for m in design.rings[i].members],
                                     km=round(sum(x[3] for x in ring_h) / 1000, 3),
                                     legs_m=[round(x[3]) for x in ring_h]))
    connected = {sid for sid, r in rows.items() if r.path_m is not None}
    connected |= {h.site_id for h, _ in hubs.values()} | {pop.site_id}
    result = PlanResult(
        hubs=[HubFigures(kecamatan=k, site=h.code, name=h.name, chosen_by=how,
                         at_pop=h.ring_node == pop.ring_node)
              for k, (h, how) in sorted(hubs.items())],
        rings=ring_info,
        ring_hops_over_budget=hop_over,
        **_coverage(demand, connected, rows),
        **_network(g, design, spans),
        **_bill(spans, profile, design, rows, branches_of, hops),
    )
    result.cable_km = result.bill_of_materials.cable_km_total  # whole metres per span, as billed
    return Engineered(result, spans, rows, hops, to_pop)


def _coverage(demand: list[PlanSiteRef], connected: set[int],
              rows: dict[int, SiteRow]) -> dict[str, Any]:
    """Sites reached by kind, unreachable sites, loss figures."""
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in demand:
        by_kind[r.kind][0] += 1
        by_kind[r.kind][1] += r.site_id in connected
    losses = [r.loss.loss_db for r in rows.values() if r.loss]
    trx: dict[str, int] = defaultdict(int)
    for row in rows.values():
        if row.loss:
            trx[row.loss.transceiver] += 1
    return {
        "villages_connected": by_kind["village_office"][1],
        "offices_total": by_kind["village_office"][0] + by_kind["kecamatan_office"][0],
        "offices_connected": by_kind["village_office"][1] + by_kind["kecamatan_office"][1],
        "opd_total": by_kind["opd"][0],
        "opd_connected": by_kind["opd"][1],
        "schools_connected": by_kind["school"][1] if "school" in by_kind else 0,
        "unreachable_sites": sorted(r.ref.code for r in rows.values()
                                    if r.path_m is None and r.ref.site_id not in connected),
        "max_loss_db": round(max(losses), 3) if losses else None,
        "sites_over_budget": sorted(r.ref.code for r in rows.values()
                                    if r.loss and r.loss.over_budget),
        "links_by_transceiver": dict(sorted(trx.items())),
    }


def _network(g: nx.Graph, design: Design, spans: list[PlannedSpan]) -> dict[str, Any]:
    """Route and cable lengths, reuse of built cable, resilience of the backbone, phases."""
    drops = []
    for ref in [design.pop, *(h for h, _ in design.hubs.values())]:
        if ref.drop_m > ENTRY_TOLERANCE_M and g.degree(ref.node) < 2:
            drops.append(EntryDrop(site=ref.code, drop_m=round(ref.drop_m)))
    one_per_edge: dict[int, PlannedSpan] = {}
    for s in spans:  # an edge is reused only if every span on it is
        prev = one_per_edge.get(s.edge_id)
        if prev is None or _rank(s.reuse) > _rank(prev.reuse):
            one_per_edge[s.edge_id] = s
    km: dict[str, float] = defaultdict(float)
    for s in one_per_edge.values():
        km[s.reuse] += s.length_m / 1000
    return {
        "backbone_two_edge_connected": not design.bridges and not design.existing_backbone,
        "single_points_of_failure": [
            SpofEdge(route_edge_id=g.edges[u, v]["edge_id"], u=u, v=v,
                     length_m=round(g.edges[u, v]["length_m"], 1)) for u, v in design.bridges],
        "single_entry_drops": drops,
        "route_km": round(sum(s.length_m for s in one_per_edge.values()) / 1000, 3),
        "route_edges_used": len(one_per_edge),
        "reused_km": round(km["reused"], 3),
        "overlaid_km": round(km["overlaid"], 3),
        "new_km": round(km["new"], 3),
        "phases": {str(p): sum(1 for s in spans if s.phase == p)
                   for p in sorted({s.phase for s in spans})},
    }


def _in_scope(scope: str) -> Callable[[BillItem], bool]:
    return lambda it: it.scope == scope


def _in_phase(phase: int) -> Callable[[BillItem], bool]:
    return lambda it: it.phase == phase


def _rank(reuse: str) -> int:
    return {"reused": 0, "overlaid": 1, "new": 2}.get(reuse, 2)


def _bill(spans: list[PlannedSpan], profile: Profile, design: Design,
          rows: dict[int, SiteRow], branches_of: dict[str, set[int]],
          hops: list[tuple[int, PlanSiteRef, PlanSiteRef, list[PlannedSpan], LossCheck]]
          ) -> dict[str, Any]:
    """Price the plan and sum its tables: total, backbone, per kecamatan, per phase."""
    hubs = design.hubs
    phase_at: dict[tuple[str, int], int] = {}
    for s in spans:
        if s.role == "access" and s.kecamatan_code is not None:
            for n in (s.u, s.v):
                key = (s.kecamatan_code, n)
                phase_at[key] = min(phase_at.get(key, s.phase), s.phase)
    branch = [(kec, phase_at.get((kec, n), 1)) for kec, nodes in branches_of.items()
              for n in nodes]
    active = {design.pop.site_id, *(h.site_id for h, _ in hubs.values())}
    terms = [] if design.existing_backbone else [(BACKBONE, 1)] * len(active)
    optics = [] if design.existing_backbone else [(BACKBONE, 1, chk.transceiver)
                                                  for *_, chk in hops]
    for sid, r in rows.items():
        if r.path_m is None or sid in active:
            continue
        terms.append((r.kec, r.phase or 1))
        if r.loss is not None:
            optics.append((r.kec, r.phase or 1, r.loss.transceiver))
    ledger = build_ledger(spans, profile, branch_closures=branch, terminations=terms,
                          optics=optics)
    per_kec = {}
    for kec in sorted(design.trees):
        n_sites = sum(1 for r in rows.values() if r.kec == kec and r.path_m is not None
                      and r.ref.site_id not in active)
        per_kec[kec] = KecamatanFigures(hub=hubs[kec][0].code, hub_chosen_by=hubs[kec][1],
                                        sites=n_sites,
                                        **figures(ledger, _in_scope(kec)).model_dump())
    total = figures(ledger)
    phases = sorted({it.phase for it in ledger})
    return {"cost_idr": total.cost_idr, "bill_of_materials": total,
            "backbone": figures(ledger, lambda it: it.scope == BACKBONE),
            "per_kecamatan": per_kec,
            "per_phase": {str(p): figures(ledger, _in_phase(p)) for p in phases},
            "unit_prices": unit_prices(profile)}
