"""Engineering a plan for tender.

Spans with cable sizes and methods, optical loss, bill of materials, cost and build phases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx

from fonet.planning.profile import Optics, Profile


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
    joints: int = 0
    """Drum joint closures placed on this span (see :func:`place_joints`)."""
    reuse: str = "new"
    """``new`` cable on a new route, ``overlaid`` (new cable along built cable: no trench, no
    poles) or ``reused`` (spare cores of built cable: splicing only)."""
    spare_cores: int = 0
    """Spare cores of the built cable along the edge (brownfield planning)."""


def size_and_cost(span: PlannedSpan, profile: Profile) -> PlannedSpan:
    """Fix the span's cable size and count from its demand, and its cable cost.

    A span along built cable with enough spare cores is ``reused`` (splicing and testing only,
    no new cable); along built cable without them it is ``overlaid`` (a new cable, priced
    without trench or poles).
    """
    span.size, span.count = profile.cable_size(span.cores_needed)
    if span.reuse != "new" and span.spare_cores >= span.cores_needed:
        span.reuse = "reused"
        span.cost_idr = span.length_m * profile.methods.reuse_cost_idr_per_m
        return span
    if span.reuse != "new":
        span.reuse = "overlaid"
        per_m = (profile.methods.overlay_cost_idr_per_m
                 + profile.methods.cable_cost_idr_per_m_by_cores[span.size])
        span.cost_idr = span.length_m * per_m * span.count
        return span
    span.cost_idr = span.length_m * profile.method_cost(span.method, span.size) * span.count
    return span


def place_joints(runs: Iterable[Sequence[PlannedSpan]], drum_length_m: float) -> int:
    """Place a joint closure wherever a continuous cable run exceeds the drum length.

    Each run is a sequence of spans one cable follows without a break (a ring leg, or an
    access-tree section between branch closures). Walking the run, a joint is put on the span
    where the run's length passes each multiple of the drum length, once per parallel cable.
    Reused spans (no new cable) end a run.

    Returns
    -------
    int
        The joints placed.
    """
    placed = 0
    for run in runs:
        walked = 0.0
        for sp in run:
            if sp.reuse == "reused":
                walked = 0.0
                continue
            before = int(walked // drum_length_m)
            walked += sp.length_m
            n = int(walked // drum_length_m) - before
            sp.joints += n * max(1, sp.count)
            placed += n * max(1, sp.count)
    return placed


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


def _same_rate(profile: Profile, transceiver: str) -> list[str]:
    """Classes of the same line rate as ``transceiver``, cheapest (then least budget) first."""
    o = profile.optics
    rate = transceiver.split("BASE")[0]
    return sorted((k for k in o.transceivers if k.split("BASE")[0] == rate),
                  key=lambda k: (o.transceivers[k].cost_idr, o.transceivers[k].budget_db, k))


def check_loss(length_m: float, closures_passed: int, profile: Profile, transceiver: str, *,
               splices: int | None = None) -> LossCheck:
    """Check a path against a transceiver class, with the planning margin.

    ``splices`` overrides the count of splices (by default :func:`splices_on_path`: a joint per
    drum length plus one per closure passed); see :func:`check_path_loss`.
    """
    if splices is None:
        splices = splices_on_path(length_m, closures_passed, profile.hardware.drum_length_m)
    return check_path_loss(length_m, splices, profile, transceiver)


def check_path_loss(length_m: float, splices: int, profile: Profile, transceiver: str, *,
                    connectors: int | None = None) -> LossCheck:
    """Check a path of known splices and connectors against a transceiver class.

    The planner counts the splices a path will have (:func:`check_loss`); a fibre trace counts
    those it passes. Both come here, so both apply the same rule. ``fits`` is the cheapest
    class of the same line rate whose budget covers the loss plus the margin.
    """
    o = profile.optics
    l1310 = path_loss_db(length_m, splices, o, 1310, connectors)
    l1550 = path_loss_db(length_m, splices, o, 1550, connectors)
    t = o.transceivers[transceiver]
    loss = l1310 if t.wavelength_nm == 1310 else l1550
    over = loss + o.margin_db > t.budget_db
    fits = None
    for name in _same_rate(profile, transceiver):
        cls = o.transceivers[name]
        lw = l1310 if cls.wavelength_nm == 1310 else l1550
        if lw + o.margin_db <= cls.budget_db:
            fits = name
            break
    return LossCheck(round(l1310, 3), round(l1550, 3), transceiver, round(t.budget_db, 2),
                     round(loss, 3), over, fits)


def choose_optic(length_m: float, splices: int, profile: Profile, reference: str) -> LossCheck:
    """Assign a link the cheapest transceiver class that fits it.

    Classes are those of the same line rate as ``reference`` (the profile's access or
    backbone class). The returned check is against the chosen class; it is over budget only
    when no class fits, and then names the class with the largest budget.
    """
    chk = check_loss(length_m, 0, profile, reference, splices=splices)
    o = profile.optics
    name = chk.fits or max(_same_rate(profile, reference),
                           key=lambda k: o.transceivers[k].budget_db)
    return check_loss(length_m, 0, profile, name, splices=splices)


def branch_nodes(tree: nx.Graph) -> set[int]:
    """Nodes where a tree branches (degree 3 or more): each needs a closure."""
    return {n for n in tree.nodes if tree.degree(n) >= 3}


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
