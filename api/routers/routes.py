"""Least-cost routes between two sites or points (engineer)."""

from __future__ import annotations

import math
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry import LineString, MultiLineString
from sqlalchemy import select

from api.deps import Engineer, Reader
from api.geojson import collection, feature, geometry
from api.schemas import RouteOut
from fonet.errors import InputError
from fonet.geo import from_wkb
from fonet.inventory import AreaLocator
from fonet.planning.routing import route_between
from fonet.store.models import RouteEdge

router = APIRouter(tags=["routes"])


class Position(BaseModel):
    """A WGS84 position."""

    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180, examples=[112.434])
    lat: float = Field(ge=-90, le=90, examples=[-7.472])


SiteCode = Annotated[str, Field(min_length=1, max_length=64, examples=["KO-35.16.10"])]


class RouteIn(BaseModel):
    """Two ends (site codes or positions) and how many route-diverse routes."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    a: SiteCode | Position = Field(alias="from")
    b: SiteCode | Position = Field(alias="to")
    k: int = Field(default=1, ge=1, le=4, description="How many routes sharing no route "
                                                       "edge.")


def _locator(request: Request, session: Any) -> AreaLocator:
    cache = request.app.state.cache
    if "locator" not in cache:
        cache["locator"] = AreaLocator.from_session(session)
    return cache["locator"]


def _as_position(text: str) -> Position | None:
    """Read a ``lon,lat`` string as a position (``None`` for a site code)."""
    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        return None  # a site code with a comma
    if not (math.isfinite(lon) and math.isfinite(lat)
            and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError("body", f"{text!r} is not a lon,lat position")
    return Position(lon=lon, lat=lat)


def _end(request: Request, session: Any, end: str | Position, name: str) -> str:
    if isinstance(end, str):
        pos = _as_position(end)
        if pos is None:
            return end
        end = pos  # a "lon,lat" string is checked as a position is
    loc = _locator(request, session)
    if not loc.contains(end.lon, end.lat):
        raise InputError(f"body.{name}", f"point ({end.lon:.6f}, {end.lat:.6f}) lies outside "
                                         f"the regency (outer boundary plus "
                                         f"{loc.buffer_m / 1000:g} km)")
    return f"{end.lon!r},{end.lat!r}"


def _route_geometry(session: Any, edge_ids: list[int], coords: list[list[float]]) -> Any:
    edges = {e.id: e for e in session.scalars(select(RouteEdge).where(RouteEdge.id.in_(
        edge_ids)))} if edge_ids else {}
    geoms = [from_wkb(edges[i].geometry_wkb) for i in edge_ids if i in edges]
    lines = [g for g in geoms if isinstance(g, LineString) and g.length > 0]
    if lines:
        merged = shapely.line_merge(MultiLineString(lines))
        if not merged.is_empty:
            return merged
    return LineString(coords) if len(coords) > 1 else None


@router.post("/routes", summary="Least-cost route between two sites or points (engineer)",
             response_model=RouteOut)
def route(body: RouteIn, session: Reader, request: Request, _: Engineer) -> dict[str, Any]:
    """Find the least-cost route and ``k`` routes that share no route edge.

    Routes are priced with the default planning profile. Ends are site codes or positions
    (a position joins the nearest route node and must lie inside the regency plus 3 km).

    The answer has ``least_cost`` and ``routes`` (each with ``length_m``, ``cost_idr``,
    ``edge_ids``) and ``geojson``: the routes as LineString features.
    """
    a = _end(request, session, body.a, "from")
    b = _end(request, session, body.b, "to")
    result = route_between(session, a, b, k=body.k)
    feats = []
    for rank, r in enumerate(result["routes"], 1):
        geom = _route_geometry(session, r["edge_ids"], r["coordinates"])
        feats.append(feature(geometry(geom) if geom is not None else None,
                             {"rank": rank, "length_m": r["length_m"],
                              "cost_idr": r["cost_idr"], "edges": len(r["edge_ids"])}, rank))
    result["geojson"] = collection(feats)
    return result
