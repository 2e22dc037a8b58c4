"""Targeted extension phases: serve sites of given kinds, within a budget, from what exists.

The POP and hubs are those of the newest committed plan (its backbone exists and is not
planned again); with nothing committed they are chosen, and their rings planned, as for a full
plan, and the backbone's cost comes out of the budget first. Targets are the sites of the
given kinds not yet connected. With a budget the targets are chosen by
:func:`fonet.planning.extension.select_greedy` on the priced graph (built cable with spare
cores costs its splicing only), the access trees are built to the chosen ones and engineered,
and while the bill exceeds the budget the chosen target of least priority per marginal rupiah
is deferred. Deferred targets are listed with their marginal cost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import networkx as nx

from fonet.errors import InputError
from fonet.planning.access import AccessTree
from fonet.planning.extension import Candidate, select_greedy
from fonet.planning.hubs import PlanSiteRef
from fonet.planning.network import Distances
from fonet.planning.plan_engineer import Design, Engineered, engineer
from fonet.planning.plan_store import committed_backbone
from fonet.planning.profile import Profile
from fonet.planning.result import DeferredTarget, Selection

MAX_PRUNE_ROUNDS = 60
FILL_ROUNDS = 4


def _per_m_full(g: nx.Graph, profile: Profile) -> None:
    """Set ``bill_cost``: the edge's routing cost plus its poles or handholes per metre."""
    hw = profile.hardware
    for _, _, d in g.edges(data=True):
        extra = 0.0
        if not d.get("built"):
            if d["method"] == "aerial":
                extra = hw.poles_per_km_aerial / 1000 * hw.pole_cost_idr
            elif d["method"] == "underground":
                extra = hw.handhole_cost_idr / hw.handhole_spacing_m
        d["bill_cost"] = d["cost"] + d["length_m"] * extra


def _fixed_cost(profile: Profile) -> float:
    """Cost every served site brings whatever its route: termination and two transceivers."""
    o = profile.optics
    rate = o.access_transceiver.split("BASE")[0]
    cheapest = min(t.cost_idr for k, t in o.transceivers.items() if k.split("BASE")[0] == rate)
    return profile.hardware.termination_cost_idr + 2 * cheapest


def plan_targets(session, g: nx.Graph, profile: Profile, refs: list[PlanSiteRef], *,  # noqa: ANN001
                 targets: Sequence[str], budget_idr: float | None,
                 priority: Mapping[str, float], pop_code: str | None,
                 pinned: Mapping[str, PlanSiteRef], seed: int
                 ) -> tuple[Design, Engineered]:
    """Design and engineer an extension phase (see the module doc)."""
    from sqlalchemy import select

    from fonet.planning.plan import access_trees, design_network, served_sites
    from fonet.store.models import Site

    connected = set(session.scalars(select(Site.id).where(Site.connected.is_(True))))
    want = [r for r in refs if r.kind in targets]
    if not want:
        raise InputError("--targets", f"the store holds no site of kind "
                         f"{' or '.join(targets)}", feature=",".join(targets))
    demand = [r for r in want if r.site_id not in connected]
    by_id = {r.site_id: r for r in refs}
    existing = committed_backbone(session, by_id)
    to_pop = None
    if existing is not None and pop_code is None and not pinned:
        _, pop, hubs, to_pop = existing
        design = Design(pop, "committed plan", {k: (h, "committed plan")
                                                for k, h in hubs.items()},
                        [], {}, [], demand, existing_backbone=True)
    else:
        design = design_network(g, profile, refs, demand, pop_code=pop_code, pinned=pinned,
                                seed=seed, trees=False)
    dist = Distances(g, "cost")
    served_by = served_sites(dist, design.hubs, demand, design)
    prio = {r.site_id: float(priority.get(r.code, 1.0)) for r in demand}
    selection = None
    deferred: list[DeferredTarget] = []
    if budget_idr is None:
        design.trees = access_trees(g, profile, design.hubs, served_by, seed=seed)
        eng = engineer(g, profile, design, to_pop)
    else:
        eng, selection, deferred = _within_budget(g, profile, design, served_by, prio,
                                                  budget_idr, to_pop, seed)
    r = eng.figures
    if design.existing_backbone and existing is not None:
        # the backbone is the committed plan's: report its resilience, not a planned one
        from fonet.planning.result import PlanResult
        from fonet.store.models import Plan

        base = PlanResult.of_plan(session.get(Plan, existing[0]).summary)
        r.backbone_two_edge_connected = base.backbone_two_edge_connected
        r.single_points_of_failure = base.single_points_of_failure
        r.single_entry_drops = base.single_entry_drops
    r.targets = list(targets)
    r.targets_total = len(want)
    reached = {sid for sid, row in eng.sites.items() if row.path_m is not None}
    r.targets_connected = sum(1 for x in want if x.site_id in connected or x.site_id in reached)
    r.budget_idr = None if budget_idr is None else round(budget_idr)
    r.selection = selection
    r.targets_deferred = deferred
    return design, eng


def _within_budget(g: nx.Graph, profile: Profile, design: Design,
                   served_by: Mapping[str, list[PlanSiteRef]], prio: dict[int, float],
                   budget: float, to_pop: dict[int, float] | None, seed: int
                   ) -> tuple[Engineered, Selection, list[DeferredTarget]]:
    from fonet.planning.plan import access_trees

    base = engineer(g, profile, design, to_pop)  # the backbone alone (no access trees yet)
    fixed_spend = base.figures.cost_idr
    if fixed_spend > budget:
        raise InputError("--budget-idr", f"the backbone alone costs Rp{fixed_spend:,}, more "
                         f"than the budget of Rp{round(budget):,}")
    _per_m_full(g, profile)
    fixed = _fixed_cost(profile)
    cands = []
    ref_of = {}
    for kec, sites in served_by.items():
        for s in sites:
            ref_of[s.site_id] = (kec, s)
            cands.append(Candidate(s.site_id, kec, s.node, prio.get(s.site_id, 1.0), fixed))
    roots = {kec: [h.node] for kec, (h, _) in design.hubs.items()}
    choice = select_greedy(g, roots, cands, budget - fixed_spend, weight="bill_cost")
    chosen = list(choice.chosen)
    marginal = dict(choice.marginal)
    eng = base
    for _ in range(MAX_PRUNE_ROUNDS):
        keep = set(chosen)
        by_kec: dict[str, list[PlanSiteRef]] = {}
        for sid in chosen:
            kec, s = ref_of[sid]
            by_kec.setdefault(kec, []).append(s)
        design.trees = access_trees(g, profile, design.hubs, by_kec, seed=seed) if keep else {
            k: AccessTree(h, [], nx.Graph()) for k, (h, _) in design.hubs.items()}
        eng = engineer(g, profile, design, to_pop)
        over = eng.figures.cost_idr - budget
        if over <= 0:
            break
        # defer the last-chosen targets (least priority per rupiah) worth the overspend
        share = max(1, math.ceil(len(chosen) * over / max(1.0, eng.figures.cost_idr)))
        for sid in chosen[-share:]:
            marginal[sid] = None
        chosen = chosen[:-share]
    else:
        raise InputError("--budget-idr", "could not fit the phase into the budget")
    factor = 0.8
    for _ in range(FILL_ROUNDS):  # spend what pruning left: add what still fits
        slack = (budget - eng.figures.cost_idr) * factor
        trees_now = {kec: [design.hubs[kec][0].node, *t.tree.nodes]
                     for kec, t in design.trees.items()}
        left = [c for c in cands if c.key not in set(chosen)]
        more = select_greedy(g, trees_now, left, slack, weight="bill_cost").chosen if left \
            else []
        if not more:
            break
        trial = chosen + list(more)
        by_kec = {}
        for sid in trial:
            kec, s = ref_of[sid]
            by_kec.setdefault(kec, []).append(s)
        saved = design.trees
        design.trees = access_trees(g, profile, design.hubs, by_kec, seed=seed)
        attempt = engineer(g, profile, design, to_pop)
        if attempt.figures.cost_idr > budget:
            design.trees = saved
            factor /= 2
            continue
        chosen, eng = trial, attempt
    # marginal cost of each target left out, from the network this phase leaves
    tree_nodes = {kec: [design.hubs[kec][0].node, *t.tree.nodes] for kec, t in
                  design.trees.items()}
    left = [c for c in cands if c.key not in set(chosen)]
    after = select_greedy(g, tree_nodes, left, 0.0, weight="bill_cost") if left else None
    deferred = []
    for c in left:
        m = after.marginal.get(c.key) if after else None
        s = ref_of[c.key][1]
        deferred.append(DeferredTarget(code=s.code, kind=s.kind, priority=c.prize,
                                       marginal_cost_idr=None if m is None else round(m)))
    deferred.sort(key=lambda d: (d.marginal_cost_idr is None, d.marginal_cost_idr or 0, d.code))
    sel = Selection(method="greedy", optimal=False,
                    priority_served=sum(prio.get(k, 1.0) for k in chosen),
                    priority_total=sum(c.prize for c in cands))
    return eng, sel, deferred
