"""Coverage status decided once, in the domain: built, planned, not covered."""

from __future__ import annotations

from sqlalchemy import select, update

from fonet.coverage import CoverageStatus, plan_coverage
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import reader, transaction
from fonet.store.models import PlanSite, Site, Span


def test_statuses_follow_the_inventory_status_of_the_fibre(regency_engine) -> None:
    with transaction(regency_engine) as s:
        plan = run_plan(s, load_profile())
    with reader(regency_engine) as s:
        cov = plan_coverage(s, plan.plan_id)
    # nothing is built yet: every village the plan reaches is planned, none built
    assert cov.total.villages == 304 and len(cov.per_kecamatan) == 18
    assert cov.total.built == 0
    assert cov.total.planned == plan.villages_connected == 304
    assert sum(c.villages for c in cov.per_kecamatan.values()) == 304
    assert cov.total.coverage_pct == 100.0

    # build the access path of one village office and its hub's ring: that village is built
    office = "VO-35.16.03.2001"
    with transaction(regency_engine) as s:
        sid = s.scalar(select(Site.id).where(Site.code == office))
        ps = s.get(PlanSite, (plan.plan_id, sid))
        hub = s.get(Site, ps.hub_site_id).code
        rings = {r.ring for r in plan.rings if hub in r.members}
        built = [sp for sp in s.scalars(select(Span).where(Span.plan_id == plan.plan_id))
                 if sid in (sp.attrs.get("site_ids") or []) or sp.attrs.get("ring") in rings]
        assert built
        for sp in built:
            sp.status = "built"
        # and drop another village from the plan: it is not covered
        other = s.scalar(select(Site.id).where(Site.code == "VO-35.16.01.2001"))
        s.execute(update(PlanSite).where(PlanSite.plan_id == plan.plan_id,
                                         PlanSite.site_id == other).values(connected=False))
    with reader(regency_engine) as s:
        cov = plan_coverage(s, plan.plan_id)
    assert cov.villages["35.16.03.2001"] is CoverageStatus.built
    assert cov.villages["35.16.01.2001"] is CoverageStatus.not_covered
    assert cov.per_kecamatan["35.16.01"].not_covered == 1
    assert cov.total.not_covered == 1
    # a village whose office is reached but not all of whose fibre is built stays planned
    partly = [code for code, st in cov.villages.items()
              if st is CoverageStatus.planned and code.startswith("35.16.03.")]
    assert partly and cov.total.built >= 1
    assert cov.total.built + cov.total.planned + cov.total.not_covered == 304
