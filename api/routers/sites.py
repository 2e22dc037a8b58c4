"""Sites: list, read, GeoJSON, and create (engineer)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from api.deps import Engineer, Paging, Reader, Store, Viewer
from api.geojson import GeoJSONResponse, collection, site_feature, site_properties
from api.schemas import FeatureCollection, Page
from fonet.errors import InputError, NotFoundError, StateError
from fonet.inventory import SiteRecord, add_sites
from fonet.routes import attach_sites
from fonet.store import transaction
from fonet.store.models import SITE_KINDS, Link, PlanSite, RouteEdge, RouteNode, Site, Span

router = APIRouter(tags=["sites"])

SiteKind = Literal[SITE_KINDS]  # type: ignore[valid-type]


class SiteIn(BaseModel):
    """A new site."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
                      examples=["OPD-DINKOMINFO"])
    name: str = Field(min_length=1, max_length=256, examples=["Dinas Kominfo"])
    kind: SiteKind = Field(examples=["opd"])
    lon: float = Field(ge=-180, le=180, description="Longitude (WGS84).", examples=[112.434])
    lat: float = Field(ge=-90, le=90, description="Latitude (WGS84).", examples=[-7.472])
    location_source: Literal["surveyed", "imported", "approximate"] = "surveyed"
    attrs: dict[str, Any] = Field(default_factory=dict)


class SiteOut(BaseModel):
    """A site with its village and kecamatan codes."""

    id: int
    code: str
    name: str
    kind: str
    village_code: str | None
    village_code_bps: str | None
    kecamatan_code: str | None
    kecamatan_code_bps: str | None
    location_source: str
    snap_m: float | None
    attrs: dict[str, Any]
    lon: float
    lat: float


class SitePatch(BaseModel):
    """What may change on a site (to move one, remove it and add it again)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=256)
    kind: SiteKind | None = None
    location_source: Literal["surveyed", "imported", "approximate"] | None = None
    attrs: dict[str, Any] | None = None


def site_out(s: Site) -> dict[str, Any]:
    """Return a site as JSON."""
    return {"id": s.id, **site_properties(s), "lon": s.lon, "lat": s.lat}


def _filtered(kind: list[str] | None, kecamatan: str | None, q: str | None):  # noqa: ANN202
    query = select(Site)
    if kind:
        query = query.where(Site.kind.in_(kind))
    if kecamatan:
        query = query.where(or_(Site.kecamatan_code == kecamatan,
                                Site.kecamatan_code_bps == kecamatan))
    if q:
        like = f"%{q}%"
        query = query.where(or_(Site.code.ilike(like), Site.name.ilike(like)))
    return query


KindQ = Annotated[list[Literal[SITE_KINDS]] | None,  # type: ignore[valid-type]
                  Query(description="Only these kinds (repeatable).")]
KecQ = Annotated[str | None, Query(max_length=32, description="Kecamatan code (Kemendagri "
                                                              "or BPS).")]
TextQ = Annotated[str | None, Query(max_length=128, description="Text in the code or name.")]


SITE_ORDERS: dict[str, Any] = {
    "code": Site.code.asc(), "-code": Site.code.desc(), "name": Site.name.asc(),
    "-name": Site.name.desc(), "kind": Site.kind.asc(), "-kind": Site.kind.desc(),
    "id": Site.id.asc(), "-id": Site.id.desc()}


@router.get("/sites", summary="List sites")
def list_sites(session: Reader, paging: Paging, _: Viewer, kind: KindQ = None,
               kecamatan: KecQ = None, q: TextQ = None,
               order: Annotated[Literal[tuple(SITE_ORDERS)],  # type: ignore[valid-type]
                                Query(description="Sort key; `-` for descending.")] = "code",
               ) -> Page[SiteOut]:
    """Sites (by code unless ordered otherwise), with their village and kecamatan codes."""
    query = _filtered(kind, kecamatan, q)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(SITE_ORDERS[order], Site.id).limit(paging.limit)
                           .offset(paging.offset))
    return paging.page([site_out(s) for s in rows], total)  # type: ignore[return-value]


@router.get("/sites/geojson", summary="Sites as GeoJSON", response_class=GeoJSONResponse,
            response_model=FeatureCollection)
def sites_geojson(session: Reader, _: Viewer, kind: KindQ = None, kecamatan: KecQ = None,
                  q: TextQ = None) -> GeoJSONResponse:
    """Return sites as Point features."""
    rows = session.scalars(_filtered(kind, kecamatan, q).order_by(Site.code))
    return GeoJSONResponse(collection(site_feature(s) for s in rows))


@router.get("/sites/{code}", summary="One site", response_model=SiteOut)
def get_site(code: str, session: Reader, _: Viewer) -> dict[str, Any]:
    """Return a site by its code."""
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise NotFoundError(f"no site with code {code!r}")
    return site_out(site)


@router.post("/sites", status_code=201, summary="Add a site (engineer)",
             response_model=SiteOut)
def create_site(body: SiteIn, engine: Store, _: Engineer) -> dict[str, Any]:
    """Add a site inside the regency (plus 3 km) and join it to the route graph.

    The site gets the codes of the village and kecamatan it lies in; the whole request is
    stored or nothing is (an unknown kind, a code in use, or a point outside the regency is
    a 422 problem).
    """
    rec = SiteRecord(code=body.code, name=body.name, kind=body.kind, lon=body.lon,
                     lat=body.lat, location_source=body.location_source, attrs=body.attrs)
    with transaction(engine) as s:
        rows = add_sites(s, [rec], "request body")
        attach_sites(s, rows)
        s.refresh(rows[0])
        return site_out(rows[0])


def _site(session: Any, code: str) -> Site:
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise NotFoundError(f"no site with code {code!r}")
    return site


@router.patch("/sites/{code}", summary="Change a site (engineer)", response_model=SiteOut)
def update_site(code: str, body: SitePatch, engine: Store, _: Engineer) -> dict[str, Any]:
    """Change a site's name, kind, location source or attributes."""
    with transaction(engine) as s:
        site = _site(s, code)
        for k in body.model_fields_set:
            v = getattr(body, k)
            if v is None:
                raise InputError(f"body.{k}", "may not be null", field=k)
            setattr(site, k, v)
        s.flush()
        return site_out(site)


@router.delete("/sites/{code}", status_code=204, summary="Remove a site (engineer)")
def delete_site(code: str, engine: Store, _: Engineer) -> Response:
    """Remove a site no plan serves and no link ends at, with its drop to the route graph.

    A site a plan serves or a link ends at is kept (409): archive the plan first.
    """
    with transaction(engine) as s:
        site = _site(s, code)
        plans = s.scalar(select(func.count()).select_from(PlanSite)
                         .where(or_(PlanSite.site_id == site.id,
                                    PlanSite.hub_site_id == site.id))) or 0
        links = s.scalar(select(func.count()).select_from(Link).where(
            or_(Link.a_site_id == site.id, Link.z_site_id == site.id))) or 0
        if plans or links:
            raise StateError(f"site {code!r} is served by {plans} plan rows and ends {links} "
                             "links: it is kept")
        node = s.scalar(select(RouteNode.id).where(RouteNode.site_id == site.id))
        if node is not None:
            edges = select(RouteEdge.id).where(or_(RouteEdge.u == node, RouteEdge.v == node))
            used = s.scalar(select(func.count()).select_from(Span)
                            .where(Span.route_edge_id.in_(edges))) or 0
            if used:
                raise StateError(f"site {code!r}: fibre is laid on its drop: it is kept")
        s.delete(site)
    return Response(status_code=204)
