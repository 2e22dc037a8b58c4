"""Coverage of the regency by a plan: the one place a village's status is decided.

The words, used alike by the API, the web map, the CSV, the KML and the printed map:

- a site is **connected** by a plan when the plan reaches it (``PlanSite.connected``);
- a village is **built** when the plan connects its office and every span that office rides
  (its access path and its hub's backbone ring) has the inventory status ``built``: the fibre
  is in service. An office that rides no span at all stays ``planned``;
- a village is **planned** when the plan connects its office but some of that fibre is not
  built yet;
- a village is **not covered** when the plan does not reach its office (or it has none).

``built`` + ``planned`` are the villages the plan reaches; their share is ``coverage_pct``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import NotFoundError
from fonet.planning.result import PlanResult
from fonet.store.models import Area, Plan, PlanSite, Site, Span


class CoverageStatus(StrEnum):
    """Coverage status of a village (or of a served site)."""

    built = "built"
    planned = "planned"
    not_covered = "not_covered"


STATUSES: tuple[CoverageStatus, ...] = tuple(CoverageStatus)
"""The statuses in legend order."""


@dataclass
class CoverageCounts:
    """Villages by status in one kecamatan (or the whole regency)."""

    built: int = 0
    planned: int = 0
    not_covered: int = 0

    @property
    def villages(self) -> int:
        """Every village counted."""
        return self.built + self.planned + self.not_covered

    @property
    def reached(self) -> int:
        """Villages the plan reaches (built or planned)."""
        return self.built + self.planned

    @property
    def coverage_pct(self) -> float:
        """Share of villages the plan reaches, in percent to 0.1."""
        return round(100 * self.reached / self.villages, 1) if self.villages else 0.0

    def add(self, status: CoverageStatus) -> None:
        """Count one village of ``status``."""
        setattr(self, status.value, getattr(self, status.value) + 1)


@dataclass
class PlanCoverage:
    """Coverage of the regency by one plan.

    Attributes
    ----------
    plan_id
        The plan.
    sites
        Status of every site, by site id (sites the plan does not serve are ``not_covered``).
    villages
        Status of every village, by Kemendagri code, from its village office.
    office_of
        The village office's site id, by village code (villages without one are absent).
    per_kecamatan
        Counts by kecamatan code, in code order.
    total
        Counts over the regency.
    """

    plan_id: int
    sites: dict[int, CoverageStatus] = field(default_factory=dict)
    villages: dict[str, CoverageStatus] = field(default_factory=dict)
    office_of: dict[str, int] = field(default_factory=dict)
    per_kecamatan: dict[str, CoverageCounts] = field(default_factory=dict)
    total: CoverageCounts = field(default_factory=CoverageCounts)


def _built_flags(spans: list[Span]) -> tuple[dict[int, list[bool]], dict[int, list[bool]]]:
    """Whether each span is built, grouped by backbone ring and by the sites it serves."""
    ring_spans: dict[int, list[bool]] = defaultdict(list)
    site_spans: dict[int, list[bool]] = defaultdict(list)
    for sp in spans:
        attrs = sp.attrs or {}
        if sp.role == "backbone" and attrs.get("ring") is not None:
            ring_spans[int(attrs["ring"])].append(sp.status == "built")
        for sid in attrs.get("site_ids") or []:
            site_spans[int(sid)].append(sp.status == "built")
    return ring_spans, site_spans


def plan_coverage(session: Session, plan_id: int) -> PlanCoverage:
    """Decide the coverage status of every site and village for a stored plan.

    Parameters
    ----------
    session
        A session on the store.
    plan_id
        The plan.

    Returns
    -------
    PlanCoverage
        Statuses and counts.

    Raises
    ------
    NotFoundError
        No plan has ``plan_id``.
    """
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFoundError(f"no plan with id {plan_id}")
    figures = PlanResult.of_plan(plan.summary)
    sites = {x.id: x for x in session.scalars(select(Site))}
    psites = {p.site_id: p for p in
              session.scalars(select(PlanSite).where(PlanSite.plan_id == plan_id))}
    spans = list(session.scalars(select(Span).where(Span.plan_id == plan_id)))
    ring_spans, site_spans = _built_flags(spans)
    ring_of: dict[str, set[int]] = defaultdict(set)
    for r in figures.rings:
        for code in r.members:
            ring_of[code].add(r.ring)

    def status_of(site: Site) -> CoverageStatus:
        ps = psites.get(site.id)
        if ps is None or not ps.connected:
            return CoverageStatus.not_covered
        hub = sites.get(ps.hub_site_id) if ps.hub_site_id else site
        rings = ring_of.get(hub.code if hub else site.code, set())
        rides = site_spans.get(site.id, []) + [b for r in rings for b in ring_spans.get(r, [])]
        return CoverageStatus.built if rides and all(rides) else CoverageStatus.planned

    out = PlanCoverage(plan_id, sites={sid: status_of(x) for sid, x in sites.items()})
    out.office_of = {x.village_code: x.id for x in sites.values()
                     if x.kind == "village_office" and x.village_code}
    villages = session.execute(select(Area.code, Area.parent_code)
                               .where(Area.level == "village").order_by(Area.code)).all()
    kecamatan = session.scalars(select(Area.code).where(Area.level == "kecamatan")
                                .order_by(Area.code)).all()
    out.per_kecamatan = {code: CoverageCounts() for code in kecamatan}
    for code, parent in villages:
        office = out.office_of.get(code)
        status = out.sites[office] if office is not None else CoverageStatus.not_covered
        out.villages[code] = status
        out.per_kecamatan.setdefault(parent or "", CoverageCounts()).add(status)
        out.total.add(status)
    return out
