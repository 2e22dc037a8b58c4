"""The regency's areas (boundary, kecamatan, villages) and the route graph, as GeoJSON."""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, select

from api.caching import cached
from api.deps import Reader, Viewer
from api.detail import ZoomQ, detail, simplified
from api.geojson import GeoJSONResponse, area_features, collection, edge_features, json_bytes
from api.schemas import FeatureCollection
from fonet.store.models import EDGE_KINDS, Area, RouteEdge

router = APIRouter(tags=["map layers"])
GEOJSON = "application/geo+json"

DEFAULT_TOLERANCE_M = 20.0


class Level(StrEnum):
    """Area levels."""

    regency = "regency"
    kecamatan = "kecamatan"
    village = "village"


class EdgeKind(StrEnum):
    """Route edge kinds."""

    road = "road"
    corridor = "corridor"
    drop = "drop"
    cable = "cable"


assert tuple(EdgeKind) == EDGE_KINDS


@router.get("/areas/{level}", summary="Areas of one level as GeoJSON",
            response_class=GeoJSONResponse,
            response_model=FeatureCollection)
def areas(
    level: Level, session: Reader, request: Request, _: Viewer,
    tolerance_m: Annotated[float, Query(ge=0, le=500, description="Simplify outlines by this "
                                                                  "many metres (display).")]
    = DEFAULT_TOLERANCE_M,
    zoom: ZoomQ = None,
) -> Response:
    """Return the regency boundary, its 18 kecamatan or 304 villages.

    With ``zoom`` (12 or less), outlines are simplified to about a pixel at that zoom, with
    fewer decimals, instead of by ``tolerance_m``.
    """
    stamp = tuple(session.execute(select(func.count(), func.max(Area.id))
                                  .where(Area.level == level.value)).one())
    d = detail(zoom)
    shape = None if d is None else functools.partial(simplified, d=d)
    return cached(request, ("areas", level.value, tolerance_m if d is None else d.band), stamp,
                  lambda: json_bytes(collection(area_features(session, level.value,
                                                              tolerance_m=tolerance_m,
                                                              shape=shape),
                                                level=level.value)),
                  GEOJSON)


@router.get("/graph", summary="The route graph as GeoJSON", response_class=GeoJSONResponse,
            response_model=FeatureCollection)
def graph(
    session: Reader, request: Request, _: Viewer,
    kind: Annotated[list[EdgeKind] | None, Query(description="Only these edge kinds "
                                                             "(repeatable).")] = None,
) -> Response:
    """Every edge a cable may follow (roads, corridors, site drops) with length and kind."""
    kinds = tuple(sorted(k.value for k in kind)) if kind else None
    stamp = tuple(session.execute(select(func.count(), func.max(RouteEdge.id))).one())

    def build() -> bytes:
        feats = edge_features(session, kinds)
        return json_bytes(collection(feats, edges=len(feats),
                                     length_m=round(sum(f["properties"]["length_m"]
                                                        for f in feats), 1)))

    return cached(request, ("graph", kinds), stamp, build, GEOJSON)
