"""The bill of materials as a ledger whose rows add up.

Every item of the bill (a span's cable and drum joints, a route edge's poles and handholes, a
branch closure, a termination, a link's pair of transceivers) is priced once, in whole rupiah
and whole metres of cable, and belongs to exactly one *scope* (``backbone`` or a kecamatan
code) and one build *phase*. Any table of the plan (per kecamatan plus backbone, per phase, the
total) is a sum of items, so its rows add up to its total exactly, in every column.

Allocation of shared items (the rule the README states):

- cable and drum joints belong to their span (its scope and phase);
- a route edge's poles and handholes are counted once, for the backbone when any backbone span
  rides the edge, else for the kecamatan of lowest code among the access spans on it, in the
  earliest phase of its spans; poles are whole numbers per edge by cumulative rounding up over
  the edges in id order, so the total is the plan's aerial km times poles per km, rounded up;
- a branch closure belongs to the access tree (kecamatan) it branches, in the earliest phase of
  its spans at that node;
- the ODF termination of the core POP and of each hub belongs to the backbone, phase 1; that of
  each served site to the kecamatan that serves it, in the site's phase;
- a link's two transceivers belong to the link: a ring hop to the backbone, phase 1; an access
  link to its site's kecamatan and phase.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from fonet.planning.engineering import PlannedSpan
from fonet.planning.profile import Profile
from fonet.planning.result import BomFigures

BACKBONE = "backbone"


@dataclass
class BillItem:
    """One priced item of the bill, in one scope and one phase."""

    scope: str
    phase: int
    cable_m: dict[str, int] = field(default_factory=dict)
    poles: int = 0
    handholes: int = 0
    closures: int = 0
    drum_joints: int = 0
    terminations: int = 0
    transceivers: dict[str, int] = field(default_factory=dict)
    cable_cost_idr: int = 0
    hardware_cost_idr: int = 0
    optics_cost_idr: int = 0


def _ceil(x: float) -> int:
    return math.ceil(round(x, 6))


def _edge_items(spans: Sequence[PlannedSpan], profile: Profile) -> list[BillItem]:
    """Poles and handholes per route edge, allocated by the module's rule."""
    hw = profile.hardware
    by_edge: dict[int, list[PlannedSpan]] = defaultdict(list)
    for s in spans:
        if s.reuse == "new":
            by_edge[s.edge_id].append(s)
    items = []
    cum_aerial = cum_under = 0.0
    for edge_id in sorted(by_edge):
        group = by_edge[edge_id]
        first = group[0]
        if any(s.role == "backbone" for s in group):
            scope = BACKBONE
        else:
            scope = min(s.kecamatan_code or "" for s in group)
        phase = min(s.phase for s in group)
        poles = handholes = 0
        if first.method == "aerial":
            before = _ceil(cum_aerial / 1000 * hw.poles_per_km_aerial)
            cum_aerial += first.length_m
            poles = _ceil(cum_aerial / 1000 * hw.poles_per_km_aerial) - before
        elif first.method == "underground":
            before = _ceil(cum_under / hw.handhole_spacing_m)
            cum_under += first.length_m
            handholes = _ceil(cum_under / hw.handhole_spacing_m) - before
        if poles or handholes:
            items.append(BillItem(scope, phase, poles=poles, handholes=handholes,
                                  hardware_cost_idr=round(poles * hw.pole_cost_idr
                                                          + handholes * hw.handhole_cost_idr)))
    return items


def span_scope(span: PlannedSpan) -> str:
    """Return the bill scope of a span: the backbone or its kecamatan."""
    return BACKBONE if span.role == "backbone" else span.kecamatan_code or ""


def build_ledger(
    spans: Sequence[PlannedSpan],
    profile: Profile,
    *,
    branch_closures: Iterable[tuple[str, int]] = (),
    terminations: Iterable[tuple[str, int]] = (),
    optics: Iterable[tuple[str, int, str]] = (),
) -> list[BillItem]:
    """Price every item of a plan once.

    Parameters
    ----------
    spans
        The engineered spans (sized, costed, phased, with joints placed).
    profile
        Unit prices.
    branch_closures, terminations
        ``(scope, phase)`` of each branch closure and each termination.
    optics
        ``(scope, phase, class)`` of each link; a link takes two transceivers of its class.
    """
    hw = profile.hardware
    items: list[BillItem] = []
    for s in spans:
        cable = {} if s.reuse == "reused" else {f"{s.size}c {s.method}":
                                                round(s.length_m * s.count)}
        items.append(BillItem(span_scope(s), s.phase, cable_m=cable, closures=s.joints,
                              drum_joints=s.joints, cable_cost_idr=round(s.cost_idr),
                              hardware_cost_idr=round(s.joints * hw.closure_cost_idr)))
    items += _edge_items(spans, profile)
    for scope, phase in branch_closures:
        items.append(BillItem(scope, phase, closures=1,
                              hardware_cost_idr=round(hw.closure_cost_idr)))
    for scope, phase in terminations:
        items.append(BillItem(scope, phase, terminations=1,
                              hardware_cost_idr=round(hw.termination_cost_idr)))
    for scope, phase, name in optics:
        items.append(BillItem(scope, phase, transceivers={name: 2}, optics_cost_idr=round(
            2 * profile.optics.transceivers[name].cost_idr)))
    return items


def figures(items: Iterable[BillItem], keep: Callable[[BillItem], bool] | None = None
            ) -> BomFigures:
    """Sum the items (those ``keep`` accepts) into a bill of materials."""
    cable_m: dict[str, int] = defaultdict(int)
    trx: dict[str, int] = defaultdict(int)
    out = {"poles": 0, "handholes": 0, "closures": 0, "drum_joints": 0, "terminations": 0,
           "cable_cost_idr": 0, "hardware_cost_idr": 0, "optics_cost_idr": 0}
    for it in items:
        if keep is not None and not keep(it):
            continue
        for k, m in it.cable_m.items():
            cable_m[k] += m
        for k, n in it.transceivers.items():
            trx[k] += n
        for key in out:
            out[key] += getattr(it, key)
    return BomFigures(
        cable_km={k: cable_m[k] / 1000 for k in sorted(cable_m) if cable_m[k]},
        transceivers=dict(sorted(trx.items())),
        cost_idr=out["cable_cost_idr"] + out["hardware_cost_idr"] + out["optics_cost_idr"],
        **out)


def unit_prices(profile: Profile) -> dict[str, float]:
    """Return the unit prices the bill uses, by item (IDR)."""
    hw, m = profile.hardware, profile.methods
    out: dict[str, float] = {
        "pole": hw.pole_cost_idr, "handhole": hw.handhole_cost_idr,
        "closure": hw.closure_cost_idr, "termination": hw.termination_cost_idr,
    }
    for method in m.cost_idr_per_m:
        for size in profile.demand.core_sizes:
            out[f"cable_{size}c_{method}_per_m"] = profile.method_cost(method, size)
    for size in profile.demand.core_sizes:
        out[f"cable_{size}c_overlaid_per_m"] = (m.overlay_cost_idr_per_m
                                                + m.cable_cost_idr_per_m_by_cores[size])
    out["reused_core_per_m"] = m.reuse_cost_idr_per_m
    for name, t in sorted(profile.optics.transceivers.items()):
        out[f"transceiver_{name}"] = t.cost_idr
    return out
