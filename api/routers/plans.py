"""Plans: run one (engineer), list, read one, its spans and sites as GeoJSON, its coverage."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from api.deps import Engineer, Id, Paging, Reader, Store, Viewer
from api.geojson import (
    GeoJSONResponse,
    area_features,
    collection,
    site_feature,
    span_features,
)
from fonet.errors import NotFoundError
from fonet.planning.profile import load_profile, profile_from_dict
from fonet.planning.result import PlanResult
from fonet.store import transaction
from fonet.store.models import Plan, PlanSite, Site

router = APIRouter(tags=["plans"])

LAYERS_TTL_S = 30.0


class PlanIn(BaseModel):
    """What to plan: all optional, the defaults are ``fonet plan``'s."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=128)
    pop: str | None = Field(default=None, max_length=64, description="Site code of the core "
                                                                     "POP.")
    hubs: dict[str, str] = Field(default_factory=dict, max_length=64,
                                 description="Pinned hubs: kecamatan code or name → site "
                                             "code.")
    schools: bool | None = Field(default=None, description="Serve schools too.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    targets: list[str] | None = Field(
        default=None, max_length=16, description="Extension phase: serve only sites of these "
                                                 "kinds not yet connected (e.g. puskesmas, "
                                                 "school).")
    budget_idr: float | None = Field(default=None, description="Most the phase may cost.")
    year: int | None = Field(default=None, ge=1900, le=2200, description="Year of the phase.")
    priority: dict[str, float] | None = Field(
        default=None, max_length=10_000, description="Site code → priority of a target.")
    profile: dict[str, Any] | None = Field(
        default=None, description="Sections of the planning profile to override (merged into "
                                  "the default profile).")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) \
            else v
    return out


def _plan(session: Any, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFoundError(f"no plan with id {plan_id}")
    return plan


def plan_brief(p: Plan) -> dict[str, Any]:
    """Headline figures of a plan."""
    s = PlanResult.of_plan(p.summary)
    keys = ("villages_total", "villages_connected", "offices_connected", "opd_connected",
            "route_km", "cable_km", "cost_idr", "max_loss_db", "backbone_two_edge_connected")
    return {"id": p.id, "name": p.name,
            "created_at": p.created_at.isoformat() if p.created_at else None,
            "pop": s.pop.model_dump() if s.pop else None, **{k: getattr(s, k) for k in keys}}


@router.get("/plans", summary="List plans")
def list_plans(session: Reader, paging: Paging, _: Viewer) -> dict[str, Any]:
    """List stored plans, newest first, with their headline figures."""
    total = session.scalar(select(func.count()).select_from(Plan)) or 0
    rows = session.scalars(select(Plan).order_by(Plan.id.desc()).limit(paging.limit)
                           .offset(paging.offset))
    return paging.page([plan_brief(p) for p in rows], total)


@router.post("/plans", status_code=201, summary="Run a plan (engineer)")
def create_plan(body: PlanIn, engine: Store, request: Request, _: Engineer) -> PlanResult:
    """Plan fibre to every office (and schools by option) and store it as a new scenario.

    Takes several seconds on the regency. The result is what `fonet plan --json` prints.
    """
    from fonet.planning.plan import run_plan

    profile = load_profile()
    if body.profile:
        profile = profile_from_dict(_merge(profile.model_dump(mode="json"), body.profile),
                                    "body.profile")
    with transaction(engine) as s:
        result = run_plan(s, profile, name=body.name, pop_code=body.pop, hub_codes=body.hubs,
                          include_schools=body.schools, seed=body.seed, targets=body.targets,
                          budget_idr=body.budget_idr, year=body.year, priority=body.priority)
    return result


@router.get("/plans/{plan_id}", summary="One plan")
def get_plan(plan_id: Id, session: Reader, _: Viewer) -> dict[str, Any]:
    """Return a plan's figures (rings, hubs, bill of materials...) and profile."""
    p = _plan(session, plan_id)
    return {**plan_brief(p), "summary": p.summary or {}, "profile": p.profile or {}}


@router.get("/plans/{plan_id}/spans", summary="A plan's spans as GeoJSON",
            response_class=GeoJSONResponse)
def plan_spans(plan_id: Id, session: Reader, _: Viewer) -> GeoJSONResponse:
    """Spans (fibre along route edges): role (backbone or access), ring, phase, cores, cost."""
    _plan(session, plan_id)
    feats = span_features(session, plan_id)
    return GeoJSONResponse(collection(feats, plan_id=plan_id))


@router.get("/plans/{plan_id}/sites", summary="The sites a plan serves, as GeoJSON",
            response_class=GeoJSONResponse)
def plan_sites(plan_id: Id, session: Reader, _: Viewer) -> GeoJSONResponse:
    """Return the core POP, hubs and access sites with hub, path length, loss, phase."""
    _plan(session, plan_id)
    rows = session.execute(select(PlanSite, Site).join(Site, Site.id == PlanSite.site_id)
                           .where(PlanSite.plan_id == plan_id).order_by(Site.code)).all()
    hub_codes = {i: c for i, c in session.execute(select(Site.id, Site.code).where(
        Site.id.in_({ps.hub_site_id for ps, _ in rows if ps.hub_site_id})))}
    feats = [site_feature(
        site, plan_role=ps.role, hub_code=hub_codes.get(ps.hub_site_id),
        connected=ps.connected, path_m=ps.path_m, path_to_pop_m=ps.path_to_pop_m,
        loss_1310_db=ps.loss_1310_db, loss_1550_db=ps.loss_1550_db,
        over_budget=ps.over_budget, phase=ps.phase) for ps, site in rows]
    return GeoJSONResponse(collection(feats, plan_id=plan_id))


def _plain(value: Any) -> Any:
    """Return a pandas / numpy scalar as plain JSON (missing values as ``None``)."""
    import pandas as pd

    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _layers(request: Request, engine: Any, plan_id: int) -> Any:
    """Return the plan's export layers (cached a short while: they take a second)."""
    from gis.export.layers import load_layers

    cache = request.app.state.cache
    key = ("layers", plan_id)
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < LAYERS_TTL_S:
        return hit[1]
    layers = load_layers(engine, plan_id)
    now = time.monotonic()
    for old in [k for k, v in cache.items() if k[0] == "layers" and now - v[0] >= LAYERS_TTL_S]:
        cache.pop(old, None)
    cache[key] = (now, layers)
    return layers


@router.get("/plans/{plan_id}/coverage", summary="Coverage per kecamatan")
def coverage(plan_id: Id, session: Reader, engine: Store, request: Request, _: Viewer
             ) -> dict[str, Any]:
    """Villages built (all their fibre in service), planned, and not covered, per kecamatan.

    From the plan's per-site rows; the same figures as the coverage CSV export.
    """
    from gis.export.tables import coverage_rows

    _plan(session, plan_id)
    session.close()  # the layers are read on a connection of their own
    rows = coverage_rows(_layers(request, engine, plan_id), "en")
    clean = [{k: _plain(v) for k, v in r.items()} for r in rows]
    return {"plan_id": plan_id, "kecamatan": clean[:-1], "total": clean[-1]}


@router.get("/plans/{plan_id}/villages", summary="Villages by coverage status, as GeoJSON",
            response_class=GeoJSONResponse)
def villages(plan_id: Id, session: Reader, engine: Store, request: Request, _: Viewer
             ) -> GeoJSONResponse:
    """Village polygons with ``status``: ``built``, ``planned`` or ``not_covered``.

    The statuses are decided by :func:`fonet.coverage.plan_coverage`.
    """
    _plan(session, plan_id)
    session.close()  # the layers are read on a connection of their own
    layer = _layers(request, engine, plan_id).layers["villages"]
    keep = ("status", "office_code", "hub_code", "path_m", "loss_1310_db", "over_budget",
            "phase")
    props = {r["code"]: {k: _plain(r[k]) for k in keep}
             for r in layer.drop(columns="geometry").to_dict("records")}
    feats = area_features(session, "village", props=props)
    return GeoJSONResponse(collection(feats, plan_id=plan_id))
