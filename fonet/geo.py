"""Plain geometry helpers: CRS transforms, geodesic lengths, WKB round trips.

Coordinates are stored as WGS84 lon/lat (EPSG:4326); distances are measured geodesically on the
WGS84 ellipsoid or in UTM zone 49S (EPSG:32749), never in degrees.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TypeVar

import shapely
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = "EPSG:4326"
UTM49S = "EPSG:32749"
GEOD = Geod(ellps="WGS84")

G = TypeVar("G", bound=BaseGeometry)


@lru_cache(maxsize=8)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_metric(geom: G, crs: str = UTM49S) -> G:
    """Project a lon/lat geometry to a metric CRS (UTM 49S by default)."""
    # types-shapely types the callable as one-argument (interleaved=True) only
    return shapely.transform(geom, _transformer(WGS84, crs).transform,  # type: ignore[arg-type]
                             interleaved=False)


def to_lonlat(geom: G, crs: str = UTM49S) -> G:
    """Project a geometry from a metric CRS (UTM 49S by default) back to lon/lat."""
    # types-shapely types the callable as one-argument (interleaved=True) only
    return shapely.transform(geom, _transformer(crs, WGS84).transform,  # type: ignore[arg-type]
                             interleaved=False)


def geodesic_length_m(geom: BaseGeometry) -> float:
    """Return the geodesic length in metres of a lon/lat (multi)line on the WGS84 ellipsoid."""
    return float(GEOD.geometry_length(geom))


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the geodesic distance in metres between two lon/lat points."""
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def to_wkb(geom: BaseGeometry) -> bytes:
    """Encode a geometry as WKB for the store."""
    return shapely.to_wkb(geom)


def from_wkb(data: bytes) -> BaseGeometry:
    """Decode a geometry stored as WKB."""
    return shapely.from_wkb(data)
