"""Choosing the core POP and one hub per kecamatan.

Both are 1-median choices on the priced route graph: the hub of a kecamatan is the office site
of that kecamatan (its kecamatan office or one of its village offices) whose least-cost routes
to every site the kecamatan must serve add up to the least; the proposed core POP is the office
or OPD site whose least-cost routes to all hubs add up to the least. Users may pin either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fonet.planning.network import Distances

HUB_CANDIDATE_KINDS = ("hub", "kecamatan_office", "village_office")
POP_CANDIDATE_KINDS = ("core_pop", "kecamatan_office", "opd")
ENTRY_TOLERANCE_M = 0.5
"""A drop no longer than this is the site standing on its route node: no line, no span."""


@dataclass(frozen=True)
class PlanSiteRef:
    """A site as the planner sees it."""

    site_id: int
    code: str
    name: str
    kind: str
    kecamatan_code: str | None
    node: int
    """The site's own route node."""
    entry: int
    """The route node the site's drop joins."""
    drop_m: float = 0.0
    """Length of the site's building entry (its drop edge)."""

    @property
    def ring_node(self) -> int:
        """Where a backbone ring must pass the site.

        The site's own node when its building entry is a real line (the ring enters the
        building, through a second entry where the graph has one), else the node it stands on.
        """
        return self.node if self.drop_m > ENTRY_TOLERANCE_M else self.entry


def one_median(
    dist: Distances, candidates: Sequence[PlanSiteRef], demand: Sequence[PlanSiteRef]
) -> tuple[PlanSiteRef, float]:
    """Return the candidate with the least total route cost to the demand sites.

    Unreachable demand counts as a large penalty so a candidate reaching more sites wins.
    """
    if not candidates:
        raise ValueError("no candidate sites")
    d = dist.between([c.node for c in candidates], [s.node for s in demand])
    finite = np.where(np.isfinite(d), d, np.nan)
    penalty = np.nanmax(finite) * 10 if np.isfinite(np.nanmax(finite)) else 1.0
    totals = np.where(np.isfinite(d), d, penalty).sum(axis=1)
    best = int(np.argmin(totals))
    return candidates[best], float(totals[best])


def choose_hubs(
    dist: Distances,
    demand_by_kecamatan: Mapping[str, Sequence[PlanSiteRef]],
    candidates_by_kecamatan: Mapping[str, Sequence[PlanSiteRef]],
    pinned: Mapping[str, PlanSiteRef],
) -> dict[str, tuple[PlanSiteRef, str]]:
    """Return, per kecamatan code, its hub and how it was chosen (``pinned`` or ``1-median``).

    Candidates are the kecamatan's ``hub``, ``kecamatan_office`` and ``village_office`` sites
    (else its demand sites); the demand is every site the kecamatan must serve.
    """
    hubs: dict[str, tuple[PlanSiteRef, str]] = {}
    for kec, sites in sorted(demand_by_kecamatan.items()):
        if kec in pinned:
            hubs[kec] = (pinned[kec], "pinned")
            continue
        candidates = [s for s in candidates_by_kecamatan.get(kec, ())
                      if s.kind in HUB_CANDIDATE_KINDS] or list(sites)
        hub, _ = one_median(dist, candidates, sites)
        hubs[kec] = (hub, "1-median")
    return hubs


def propose_pop(
    dist: Distances, candidates: Sequence[PlanSiteRef], hubs: Sequence[PlanSiteRef]
) -> PlanSiteRef:
    """Propose the core POP.

    An existing ``core_pop`` site if there is exactly one, else the office or OPD site with the
    least total route cost to all hubs.
    """
    pops = [c for c in candidates if c.kind == "core_pop"]
    if len(pops) == 1:
        return pops[0]
    pool = [c for c in candidates if c.kind in POP_CANDIDATE_KINDS] or list(candidates)
    best, _ = one_median(dist, pool, hubs)
    return best
