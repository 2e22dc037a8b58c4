"""Engineering a plan for tender.

Spans with cable sizes and methods, optical loss, bill of materials, cost and build phases.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx

from fonet.planning.profile import Optics, Profile
from fonet.planning.result import BomFigures


@dataclass
class PlannedSpan:
    """Cable to lay along one route edge."""

    u: int
    v: int
    edge_id: int
    length_m: float
    method: str
    role: str
    """``backbone`` or ``access``."""
    cores_needed: int
    size: int = 0
    count: int = 1
    cost_idr: float = 0.0
    kecamatan_code: str | None = None
    phase: int = 1
    ring: int | None = None
    site_ids: list[int] = field(default_factory=list)
    """Sites served through the span (access spans)."""


def size_and_cost(span: PlannedSpan, profile: Profile) -> PlannedSpan:
    """Fix the span's cable size and count from its demand, and its cable cost."""
    span.size, span.count = profile.cable_size(span.cores_needed)
    span.cost_idr = span.length_m * profile.method_cost(span.method, span.size) * span.count
    return span


def splices_on_path(length_m: float, closures_passed: int, drum_length_m: float) -> int:
    """Splices on a fibre path: a joint at each drum end, one in each closure passed."""
    return int(length_m // drum_length_m) + closures_passed


def path_loss_db(length_m: float, splices: int, optics: Optics, wavelength_nm: int,
                 connectors: int | None = None) -> float:
    """Link loss of a passive fibre path (fibre, splices, connectors; no margin).

    The one loss rule of fonet: the planner's budget and the fibre layer's traces both use it.
    ``connectors`` defaults to the profile's ``connectors_per_path``.
    """
    att = optics.attenuation_db_per_km[str(wavelength_nm)]
    if connectors is None:
        connectors = optics.connectors_per_path
    return (length_m / 1000 * att + splices * optics.splice_loss_db
            + connectors * optics.connector_loss_db)


@dataclass
class LossCheck:
    """Loss of one path against a transceiver class."""

    loss_1310_db: float
    loss_1550_db: float
    transceiver: str
    budget_db: float
    loss_db: float
    """Loss at the transceiver's wavelength."""
    over_budget: bool
    fits: str | None
    """The class of the same line rate with the least budget that fits (None if none does)."""


def check_loss(length_m: float, closures_passed: int, profile: Profile, transceiver: str
               ) -> LossCheck:
    """Check a path against a transceiver class, with the planning margin.

    The splices are counted by :func:`splices_on_path`; see :func:`check_path_loss`.
    """
    splices = splices_on_path(length_m, closures_passed, profile.hardware.drum_length_m)
    return check_path_loss(length_m, splices, profile, transceiver)


def check_path_loss(length_m: float, splices: int, profile: Profile, transceiver: str, *,
                    connectors: int | None = None) -> LossCheck:
    """Check a path of known splices and connectors against a transceiver class.

    The planner counts the splices a path will have (:func:`check_loss`); a fibre trace counts
    those it passes. Both come here, so both apply the same rule.
    """
    o = profile.optics
    l1310 = path_loss_db(length_m, splices, o, 1310, connectors)
    l1550 = path_loss_db(length_m, splices, o, 1550, connectors)
    t = o.transceivers[transceiver]
    loss = l1310 if t.wavelength_nm == 1310 else l1550
    over = loss + o.margin_db > t.budget_db
    fits = None
    rate = transceiver.split("BASE")[0]
    same_rate = {k: v for k, v in o.transceivers.items() if k.split("BASE")[0] == rate}
    for name, cls in sorted(same_rate.items(), key=lambda kv: kv[1].budget_db):
        lw = l1310 if cls.wavelength_nm == 1310 else l1550
        if lw + o.margin_db <= cls.budget_db:
            fits = name
            break
    return LossCheck(round(l1310, 3), round(l1550, 3), transceiver, round(t.budget_db, 2),
                     round(loss, 3), over, fits)


def branch_nodes(tree: nx.Graph) -> set[int]:
    """Nodes where a tree branches (degree 3 or more): each needs a closure."""
    return {n for n in tree.nodes if tree.degree(n) >= 3}


@dataclass
class Bom:
    """Bill of materials and cost of a set of spans."""

    cable_km: dict[str, float]
    """Cable km by ``"<cores>c <method>"``."""
    poles: int
    handholes: int
    closures: int
    terminations: int
    cable_cost_idr: float
    hardware_cost_idr: float

    @property
    def cost_idr(self) -> float:
        """Total cost."""
        return self.cable_cost_idr + self.hardware_cost_idr

    def figures(self) -> BomFigures:
        """Return the rounded figures a plan reports."""
        return BomFigures(
            cable_km={k: round(v, 3) for k, v in sorted(self.cable_km.items()) if v >= 0.0005},
            poles=self.poles, handholes=self.handholes, closures=self.closures,
            terminations=self.terminations, cable_cost_idr=round(self.cable_cost_idr),
            hardware_cost_idr=round(self.hardware_cost_idr), cost_idr=round(self.cost_idr))


def bill_of_materials(spans: Sequence[PlannedSpan], profile: Profile, *, branch_closures: int,
                      terminations: int) -> Bom:
    """Count cable, poles, handholes, closures and terminations, and price them.

    Poles and handholes are counted once per route edge, however many cables share it.
    """
    hw = profile.hardware
    cable_km: dict[str, float] = defaultdict(float)
    aerial_m: dict[int, float] = {}
    underground_m: dict[int, float] = {}
    joints = 0
    for s in spans:
        cable_km[f"{s.size}c {s.method}"] += s.length_m * s.count / 1000
        if s.method == "aerial":
            aerial_m[s.edge_id] = s.length_m
        elif s.method == "underground":
            underground_m[s.edge_id] = s.length_m
        joints += int(s.length_m // hw.drum_length_m) * s.count
    poles = math.ceil(sum(aerial_m.values()) / 1000 * hw.poles_per_km_aerial)
    handholes = math.ceil(sum(underground_m.values()) / hw.handhole_spacing_m)
    closures = joints + branch_closures
    hardware = (poles * hw.pole_cost_idr + handholes * hw.handhole_cost_idr
                + closures * hw.closure_cost_idr + terminations * hw.termination_cost_idr)
    return Bom(dict(cable_km), poles, handholes, closures, terminations,
               sum(s.cost_idr for s in spans), hardware)


def assign_phases(
    spans: Iterable[PlannedSpan],
    site_kind: dict[int, str],
    site_kec: dict[int, str | None],
    phase_count: int,
) -> dict[int, int]:
    """Set each span's build phase and return each site's phase.

    Phase 1 is the backbone and every span on the way to an office or OPD. The spans left
    (those serving only schools and other sites) are grouped by kecamatan and the groups ranked
    by cost per site served; the ranked groups fill phases 2 .. ``phase_count + 1`` evenly.
    """
    spans = list(spans)
    first = {sid for sid, kind in site_kind.items() if kind != "school" and kind != "other"}
    later_cost: dict[str | None, float] = defaultdict(float)
    later_sites: dict[str | None, set[int]] = defaultdict(set)
    for s in spans:
        s.phase = 1 if s.role == "backbone" or any(sid in first for sid in s.site_ids) else 0
        if s.phase == 0:
            later_cost[s.kecamatan_code] += s.cost_idr
            later_sites[s.kecamatan_code].update(s.site_ids)
    ranked = sorted(later_cost, key=lambda k: later_cost[k] / max(1, len(later_sites[k])))
    group_phase = {}
    for i, kec in enumerate(ranked):
        group_phase[kec] = 2 + (i * phase_count) // max(1, len(ranked))
    for s in spans:
        if s.phase != 1:
            s.phase = group_phase.get(s.kecamatan_code, 2)
    return {sid: 1 if sid in first else group_phase.get(site_kec.get(sid), 2)
            for sid in site_kind}
