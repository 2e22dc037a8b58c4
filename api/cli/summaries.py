"""Human summaries of the CLI's results, worded by the catalogue of :mod:`fonet.i18n`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fonet.i18n import number, rupiah, t

if TYPE_CHECKING:
    from fonet.planning.result import PlanResult


def plan_summary(r: PlanResult, lang: str) -> str:
    """Return the one-paragraph summary of a plan in ``lang`` (catalogue ``cli.plan.summary``)."""
    return t("cli.plan.summary", lang, id=r.plan_id, name=r.name,
             villages_connected=r.villages_connected, villages_total=r.villages_total,
             offices_connected=r.offices_connected, offices_total=r.offices_total,
             opd_connected=r.opd_connected, opd_total=r.opd_total,
             pop=r.pop.code if r.pop else "-", rings=len(r.rings),
             two_edge=t("cli.yes" if r.backbone_two_edge_connected else "cli.no", lang),
             route_km=number(r.route_km, lang), cable_km=number(r.cable_km, lang),
             cost=rupiah(r.cost_idr, lang),
             max_loss="-" if r.max_loss_db is None else number(r.max_loss_db, lang),
             over_budget=len(r.sites_over_budget), seconds=number(r.seconds, lang))
