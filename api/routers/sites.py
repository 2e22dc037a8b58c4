"""Sites: list, read, GeoJSON, and create (engineer)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from api.deps import Engineer, Paging, Reader, Store, Viewer
from api.geojson import GeoJSONResponse, collection, site_feature, site_properties
from fonet.errors import NotFoundError
from fonet.inventory import SiteRecord, add_sites
from fonet.routes import attach_sites
from fonet.store import transaction
from fonet.store.models import SITE_KINDS, Site

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


@router.get("/sites", summary="List sites")
def list_sites(session: Reader, paging: Paging, _: Viewer, kind: KindQ = None,
               kecamatan: KecQ = None, q: TextQ = None) -> dict[str, Any]:
    """Sites, ordered by code, with their village and kecamatan codes."""
    query = _filtered(kind, kecamatan, q)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Site.code).limit(paging.limit)
                           .offset(paging.offset))
    return paging.page([site_out(s) for s in rows], total)


@router.get("/sites/geojson", summary="Sites as GeoJSON", response_class=GeoJSONResponse)
def sites_geojson(session: Reader, _: Viewer, kind: KindQ = None, kecamatan: KecQ = None,
                  q: TextQ = None) -> GeoJSONResponse:
    """Return sites as Point features."""
    rows = session.scalars(_filtered(kind, kecamatan, q).order_by(Site.code))
    return GeoJSONResponse(collection(site_feature(s) for s in rows))


@router.get("/sites/{code}", summary="One site")
def get_site(code: str, session: Reader, _: Viewer) -> dict[str, Any]:
    """Return a site by its code."""
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise NotFoundError(f"no site with code {code!r}")
    return site_out(site)


@router.post("/sites", status_code=201, summary="Add a site (engineer)")
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
