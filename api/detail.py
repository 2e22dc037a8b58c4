"""Map layers at the detail a zoom level can show, for a slow connection.

A phone on a rural link should not download every vertex of 304 village outlines to draw
them 300 pixels wide. A layer asked for with ``zoom`` is simplified to about one screen pixel
at that zoom (shapely ``simplify(preserve_topology=True)`` in metres, UTM 49S) and its
coordinates are written with only the decimals a pixel needs; every feature and property is
kept. Zooms fall in a few bands (:data:`BANDS`) so that the answers stay few and cached
(:mod:`api.caching`: ``ETag``, ``304``, gzip); above the last band the layer is whole (area
outlines are then simplified by 20 m, about a pixel at zoom 13).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from api.geojson import PRECISION, degenerate, geometry
from fonet.geo import to_lonlat, to_metric

BANDS = (10, 12)
"""A zoom at or below a band is served at that band's detail; above the last, in full."""
REGENCY_LAT = -7.5
"""Latitude of the regency, for metres per pixel."""

ZoomQ = Annotated[int | None, Query(
    ge=0, le=24, description="The map's zoom: the layer simplified to about a pixel at it "
                             "(zooms above 12, or none: full detail). Every feature is kept.")]


@dataclass(frozen=True)
class Detail:
    """How much of a geometry a zoom band shows.

    Attributes
    ----------
    band
        The zoom band (see :data:`BANDS`).
    tolerance_m
        Simplification tolerance in metres (one pixel at the band's zoom).
    decimals
        Decimals of the coordinates (half a pixel or finer).
    """

    band: int
    tolerance_m: float
    decimals: int


def detail(zoom: int | None) -> Detail | None:
    """Return the detail of ``zoom`` (``None``: full detail).

    Parameters
    ----------
    zoom
        A web map zoom level (256-pixel tiles), or ``None``.
    """
    if zoom is None:
        return None
    band = next((b for b in BANDS if zoom <= b), None)
    if band is None:
        return None
    metres_per_px = 2 * math.pi * 6378137 * math.cos(math.radians(REGENCY_LAT)) / (256 << band)
    degrees_per_px = 360 / (256 << band)
    decimals = min(PRECISION, max(3, math.ceil(-math.log10(degrees_per_px / 2))))
    return Detail(band, round(metres_per_px, 1), decimals)


def band_key(zoom: int | None) -> int | None:
    """Return the cache key part of ``zoom`` (its band, or ``None`` for full detail)."""
    d = detail(zoom)
    return None if d is None else d.band


def simplified(geom: BaseGeometry, d: Detail | None) -> dict[str, Any]:
    """Return ``geom`` (lon/lat) as GeoJSON at the detail ``d`` (whole when ``None``).

    A line that simplifying and rounding would leave without length is sent whole, so no
    feature disappears.
    """
    if d is None or geom.is_empty:
        return geometry(geom)
    small = to_lonlat(to_metric(geom).simplify(d.tolerance_m, preserve_topology=True))
    out = geometry(small, d.decimals)
    if small.is_empty or degenerate(shape(out)):
        return geometry(geom)
    return out
