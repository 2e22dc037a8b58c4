"""Plans: run one (engineer), list, read one, its spans and sites as GeoJSON, its coverage."""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import case, func, select

from api.caching import cached
from api.deps import Engineer, Id, Paging, Reader, Store, Viewer
from api.detail import ZoomQ, band_key, detail, simplified
from api.geojson import (
    GeoJSONResponse,
    area_features,
    collection,
    json_bytes,
    site_feature,
    span_features,
)
from api.routers.jobs import JOB_RESPONSES, accepted, submit
from api.schemas import FeatureCollection, JobOut, Page, iso
from api.schemas_plans import PROVINCE_EXCLUDES, PlanIn
from fonet.errors import InputError, NotFoundError
from fonet.planning.profile import profile_with_overrides
from fonet.planning.result import PlanResult
from fonet.store import reader, transaction
from fonet.store.models import Plan, PlanSite, Site, Span

router = APIRouter(tags=["plans"])
GEOJSON = "application/geo+json"

LAYERS_TTL_S = 30.0



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
            "archived_at": iso(p.archived_at),
            "pop": s.pop.model_dump() if s.pop else None, **{k: getattr(s, k) for k in keys}}


class PlanBrief(BaseModel):
    """A plan's headline figures."""

    id: int
    name: str
    created_at: str | None
    archived_at: str | None = Field(description="When it was archived (`DELETE`); `null` "
                                                "while it is current.")
    pop: dict[str, Any] | None
    villages_total: int
    villages_connected: int
    offices_connected: int
    opd_connected: int
    route_km: float
    cable_km: float
    cost_idr: float
    max_loss_db: float | None
    backbone_two_edge_connected: bool


class PlanOut(PlanBrief):
    """A plan: headline figures, whole summary (rings, hubs, bill of materials), profile."""

    summary: dict[str, Any]
    profile: dict[str, Any]


class PlanPatch(BaseModel):
    """What may change on a stored plan: its name, whether it is archived."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=128)
    archived: bool | None = Field(default=None, description="`false` restores an archived "
                                                            "plan.")


PLAN_ORDERS: dict[str, Any] = {"id": Plan.id.asc(), "-id": Plan.id.desc(), "name": Plan.name.asc(),
               "-name": Plan.name.desc(), "created_at": Plan.created_at.asc(),
               "-created_at": Plan.created_at.desc()}
PlanOrder = Literal["id", "-id", "name", "-name", "created_at", "-created_at"]


def plan_stamp(request: Request, session: Any, plan_id: int) -> tuple[Any, ...]:
    """Return a version of a plan and of what is drawn of it (a change renders anew)."""
    row = session.execute(select(Plan.name, Plan.archived_at).where(Plan.id == plan_id)
                          ).one_or_none()
    if row is None:
        raise NotFoundError(f"no plan with id {plan_id}")
    spans = session.execute(select(func.count(), func.max(Span.id),
                                   func.sum(case((Span.status == "planned", 0), else_=1)))
                            .where(Span.plan_id == plan_id)).one()
    return (*row, *spans, request.app.state.audit.writes)


@router.get("/plans", summary="List plans")
def list_plans(session: Reader, paging: Paging, _: Viewer,
               archived: Annotated[bool, Query(description="List archived plans instead of "
                                                           "current ones.")] = False,
               q: Annotated[str | None, Query(max_length=128, description="Text in the "
                                                                         "name.")] = None,
               order: Annotated[PlanOrder, Query(description="Sort key; `-` for descending."
                                                 )] = "-id",
               ) -> Page[PlanBrief]:
    """List stored plans (newest first by default) with their headline figures."""
    query = select(Plan).where(Plan.archived_at.is_not(None) if archived
                               else Plan.archived_at.is_(None))
    if q:
        query = query.where(Plan.name.ilike(f"%{q}%"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(PLAN_ORDERS[order], Plan.id).limit(paging.limit)
                           .offset(paging.offset))
    return paging.page([plan_brief(p) for p in rows], total)  # type: ignore[return-value]


@router.patch("/plans/{plan_id}", summary="Rename or (un)archive a plan (engineer)")
def update_plan(plan_id: Id, body: PlanPatch, engine: Store, _: Engineer) -> PlanOut:
    """Change a plan's name, or archive (`archived: true`) or restore it."""
    with transaction(engine) as s:
        p = _plan(s, plan_id)
        if body.name is not None:
            p.name = body.name
        if body.archived is not None:
            p.archived_at = (p.archived_at or datetime.now(UTC)) if body.archived else None
        s.flush()
        return PlanOut(**plan_brief(p), summary=p.summary or {}, profile=p.profile or {})


@router.delete("/plans/{plan_id}", summary="Archive a plan (engineer)")
def archive_plan(plan_id: Id, engine: Store, _: Engineer) -> PlanOut:
    """Archive a plan (it is kept).

    An archived plan leaves the list of current plans but is kept whole (its spans, links
    and exports still answer); `PATCH {"archived": false}` restores it.
    """
    with transaction(engine) as s:
        p = _plan(s, plan_id)
        p.archived_at = p.archived_at or datetime.now(UTC)
        s.flush()
        return PlanOut(**plan_brief(p), summary=p.summary or {}, profile=p.profile or {})


def _check_plan_input(engine: Any, body: PlanIn) -> None:
    """Refuse at once what the plan job would fail on: a bad profile or input.

    Sites, hubs, targets, budget, priority and a name already in use are checked.
    """
    profile_with_overrides(body.profile)
    if body.province is not None:
        _check_province_input(engine, body)
        return
    for field in ("workers", "scheduler"):
        if getattr(body, field) is not None:
            raise InputError("body", "applies to a province plan only (give `province`)",
                             field=field)
    from fonet.planning.plan import check_plan_request

    with reader(engine) as s:
        check_plan_request(s, name=body.name, pop_code=body.pop, hub_codes=body.hubs,
                           targets=body.targets, budget_idr=body.budget_idr,
                           priority=body.priority, regency=body.regency)


def _check_province_input(engine: Any, body: PlanIn) -> None:
    """Refuse a province plan the job would fail on: other fields, the code, the name."""
    from gis.province_plan import check_province_request

    for field in PROVINCE_EXCLUDES:
        if getattr(body, field) not in (None, {}):
            raise InputError("body", "a province plan plans every regency whole; "
                                     f"`{field}` applies to one regency", field=field)
    try:
        check_province_request(engine.url.render_as_string(hide_password=False),
                               body.province or "", body.name)
    except InputError as exc:  # name the body's field, not the CLI option
        if not exc.source.startswith("--"):
            raise
        raise InputError("body", exc.message, feature=exc.feature,
                         field=exc.source.lstrip("-")) from None


@router.post("/plans", status_code=202, summary="Run a plan as a job (engineer)",
             response_model=JobOut, responses=JOB_RESPONSES)
async def create_plan(body: PlanIn, engine: Store, request: Request, who: Engineer
                      ) -> JSONResponse:
    """Plan fibre to every office (and schools by option) and store it as a new scenario.

    Planning takes several seconds on the regency, so it runs as a job: the answer is
    `202 Accepted` with the job (`Location` names it). Follow `GET /api/v1/jobs/{id}` (or the
    `job` events of `/api/v1/events`); when it has succeeded, `links.result` is the new
    plan. A bad profile or an unknown site code is refused at once (422, 404).

    With `province` (e.g. `{"province": "35", "workers": 2}`) every regency of the province
    the store holds is planned on Dask, then the provincial backbone; the job's progress (and
    its `job` events) names each regency as it arrives (`35.79 Kota Batu: 24/24 villages`),
    and its result holds the scenario id, the villages connected and total and the
    backbone's single points of failure. A province the store does not hold, or a field of a
    one-regency plan beside it, is refused at once (422); an unreachable scheduler fails the
    job, and nothing of the scenario is kept.
    """
    await asyncio.to_thread(_check_plan_input, engine, body)
    job = await submit(request, who, "plan", body.model_dump(mode="json"))
    return accepted(job)


@router.get("/plans/{plan_id}", summary="One plan", response_model=PlanOut)
def get_plan(plan_id: Id, session: Reader, request: Request, _: Viewer) -> Response:
    """Return a plan's figures (rings, hubs, bill of materials...) and profile."""
    def build() -> bytes:
        p = _plan(session, plan_id)
        return json_bytes({**plan_brief(p), "summary": p.summary or {},
                           "profile": p.profile or {}})

    return cached(request, ("plan", plan_id), plan_stamp(request, session, plan_id), build)


@router.get("/plans/{plan_id}/spans", summary="A plan's spans as GeoJSON",
            response_class=GeoJSONResponse,
            response_model=FeatureCollection)
def plan_spans(plan_id: Id, session: Reader, request: Request, _: Viewer, zoom: ZoomQ = None
               ) -> Response:
    """Spans (fibre along route edges): role (backbone or access), ring, phase, cores, cost.

    With ``zoom`` (12 or less), lines are simplified to about a pixel at that zoom.
    """
    d = detail(zoom)
    return cached(request, ("spans", plan_id, band_key(zoom)),
                  plan_stamp(request, session, plan_id),
                  lambda: json_bytes(collection(span_features(
                      session, plan_id, functools.partial(simplified, d=d)),
                                                plan_id=plan_id)), GEOJSON)


@router.get("/plans/{plan_id}/sites", summary="The sites a plan serves, as GeoJSON",
            response_class=GeoJSONResponse,
            response_model=FeatureCollection)
def plan_sites(plan_id: Id, session: Reader, request: Request, _: Viewer) -> Response:
    """Return the core POP, hubs and access sites with hub, path length, loss, phase."""
    def build() -> bytes:
        rows = session.execute(select(PlanSite, Site).join(Site, Site.id == PlanSite.site_id)
                               .where(PlanSite.plan_id == plan_id).order_by(Site.code)).all()
        hub_codes = {i: c for i, c in session.execute(select(Site.id, Site.code).where(
            Site.id.in_({ps.hub_site_id for ps, _ in rows if ps.hub_site_id})))}
        feats = [site_feature(
            site, plan_role=ps.role,
            hub_code=hub_codes.get(ps.hub_site_id) if ps.hub_site_id else None,
            connected=ps.connected, path_m=ps.path_m, path_to_pop_m=ps.path_to_pop_m,
            loss_1310_db=ps.loss_1310_db, loss_1550_db=ps.loss_1550_db,
            over_budget=ps.over_budget, phase=ps.phase) for ps, site in rows]
        return json_bytes(collection(feats, plan_id=plan_id))

    return cached(request, ("plan-sites", plan_id), plan_stamp(request, session, plan_id),
                  build, GEOJSON)


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


class CoverageOut(BaseModel):
    """Coverage per kecamatan and in total (the figures of the coverage CSV export)."""

    plan_id: int
    kecamatan: list[dict[str, Any]]
    total: dict[str, Any]


@router.get("/plans/{plan_id}/coverage", summary="Coverage per kecamatan",
            response_model=CoverageOut)
def coverage(plan_id: Id, session: Reader, engine: Store, request: Request, _: Viewer
             ) -> Response:
    """Villages built (all their fibre in service), planned, and not covered, per kecamatan.

    From the plan's per-site rows; the same figures as the coverage CSV export.
    """
    from gis.export.tables import coverage_rows

    stamp = plan_stamp(request, session, plan_id)
    session.close()  # the layers are read on a connection of their own

    def build() -> bytes:
        rows = coverage_rows(_layers(request, engine, plan_id), "en")
        clean = [{k: _plain(v) for k, v in r.items()} for r in rows]
        return json_bytes({"plan_id": plan_id, "kecamatan": clean[:-1], "total": clean[-1]})

    return cached(request, ("coverage", plan_id), stamp, build)


@router.get("/plans/{plan_id}/villages", summary="Villages by coverage status, as GeoJSON",
            response_class=GeoJSONResponse,
            response_model=FeatureCollection)
def villages(plan_id: Id, session: Reader, engine: Store, request: Request, _: Viewer,
             zoom: ZoomQ = None) -> Response:
    """Village polygons with ``status``: ``built``, ``planned`` or ``not_covered``.

    The statuses are decided by :func:`fonet.coverage.plan_coverage`.
    """
    stamp = plan_stamp(request, session, plan_id)

    def build() -> bytes:
        layer = _layers(request, engine, plan_id).layers["villages"]
        keep = ("status", "office_code", "hub_code", "path_m", "loss_1310_db", "over_budget",
                "phase")
        props = {r["code"]: {k: _plain(r[k]) for k in keep}
                 for r in layer.drop(columns="geometry").to_dict("records")}
        d = detail(zoom)
        feats = area_features(session, "village", props=props,
                              shape=None if d is None else functools.partial(simplified, d=d))
        return json_bytes(collection(feats, plan_id=plan_id))

    return cached(request, ("villages", plan_id, band_key(zoom)), stamp, build, GEOJSON)
