"""Reading as-built network files: cable lines and closure / ODF points.

GeoJSON, GeoPackage or KML. Lines carry ``id``, ``cores`` and optionally ``install_method``
(aerial, underground, existing_duct; default aerial), ``status`` (built, under_construction;
default built), ``owner``, ``year`` and ``cores_used`` (cores in service; default 0). Points
carry ``id``, ``kind`` (closure or odf) and optionally ``name``. A GeoPackage must declare its
CRS; GeoJSON and KML are lon/lat by definition.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, MultiLineString

from fonet.asbuilt import AsBuilt, CableRecord
from fonet.errors import InputError
from fonet.inventory import SiteRecord
from gis.readers import read_vector, require_columns

SUFFIXES = {".geojson", ".json", ".gpkg", ".kml"}
KNOWN = {"id", "cores", "install_method", "status", "owner", "year", "cores_used", "kind",
         "name", "geometry"}
KML_FIELDS = {"description", "timestamp", "begin", "end", "altitudemode", "tessellate",
              "extrude", "visibility", "draworder", "icon", "snippet"}
"""Columns the KML driver adds to every placemark; not attributes of the cable."""


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (
        isinstance(v, str) and not v.strip())


def _int(v: Any, source: str, key: str, field: str, *, default: int | None = None) -> int:
    if _missing(v):
        if default is not None:
            return default
        raise InputError(source, "missing value", feature=key, field=field)
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(source, f"not a number: {v!r}", feature=key, field=field) from None
    if f != int(f):
        raise InputError(source, f"not a whole number: {v!r}", feature=key, field=field)
    return int(f)


def _text(v: Any, default: str | None = None) -> str | None:
    return default if _missing(v) else str(v).strip()


def read_asbuilt(path: Path | str) -> AsBuilt:
    """Read an as-built file into cable and point records (see the module doc).

    Raises
    ------
    InputError
        Naming the file, the feature (its id) and the field: unknown file type, no CRS in a
        GeoPackage, implausible coordinates, missing ids, missing or non-numeric cores,
        geometries other than lines and points.
    """
    path = Path(path)
    source = str(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(source, "unknown file type; expected .geojson, .gpkg or .kml")
    if path.suffix.lower() == ".gpkg" and path.is_file():
        import pyogrio

        info = pyogrio.read_info(path)
        if not info.get("crs"):
            raise InputError(source, "the GeoPackage declares no CRS; set it (e.g. EPSG:4326 "
                             "or EPSG:32749) so its coordinates can be placed")
    gdf = read_vector(path)
    if gdf.empty:
        raise InputError(source, "no features in the file")
    if path.suffix.lower() == ".kml":
        # the driver reads the placemark's own id as ``id`` and an ``id`` of the extended data
        # as ``id2``; a placemark without either is named by its <name>
        gdf = gdf.drop(columns=[c for c in gdf.columns if c.lower() in KML_FIELDS])
        if "id2" in gdf.columns:
            gdf = gdf.drop(columns=["id"]).rename(columns={"id2": "id"})
        elif "Name" in gdf.columns and gdf["Name"].notna().all():
            gdf = gdf.drop(columns=["id"], errors="ignore").rename(columns={"Name": "id"})
    cols = {c.lower(): c for c in gdf.columns}
    gdf = gdf.rename(columns={v: k for k, v in cols.items() if k in KNOWN})
    require_columns(gdf, ["id"], path)
    cables: list[CableRecord] = []
    points: list[SiteRecord] = []
    for i, row in enumerate(gdf.to_dict("records")):
        key = _text(row.get("id"))
        if key is None:
            raise InputError(source, "missing id", feature=f"#{i}", field="id")
        geom = row.get("geometry")
        if geom is None or geom.is_empty:
            raise InputError(source, "has no geometry", feature=key)
        extra = {k: (v if isinstance(v, str | int | float | bool) else str(v))
                 for k, v in row.items() if k not in KNOWN and not _missing(v)}
        if geom.geom_type == "Point":
            points.append(SiteRecord(code=key, name=_text(row.get("name"), key) or key,
                                     kind=_text(row.get("kind"), "") or "", lon=geom.x,
                                     lat=geom.y, location_source="surveyed", attrs=extra))
            continue
        if isinstance(geom, MultiLineString):
            parts = list(geom.geoms)
            if len(parts) != 1:
                from shapely.ops import linemerge

                merged = linemerge(geom)
                if merged.geom_type != "LineString":
                    raise InputError(source, "a cable must be one continuous line",
                                     feature=key)
                geom = merged
            else:
                geom = parts[0]
        if not isinstance(geom, LineString):
            raise InputError(source, f"expected a LineString or Point, found {geom.geom_type}",
                             feature=key)
        if "cores" not in gdf.columns:
            raise InputError(source, "missing column", feature=key, field="cores")
        year = row.get("year")
        cables.append(CableRecord(
            id=key, geometry=LineString([(x, y) for x, y, *_ in geom.coords]),
            cores=_int(row.get("cores"), source, key, "cores"),
            install_method=_text(row.get("install_method"), "aerial") or "aerial",
            status=_text(row.get("status"), "built") or "built",
            owner=_text(row.get("owner")),
            year=None if _missing(year) else _int(year, source, key, "year"),
            cores_used=_int(row.get("cores_used"), source, key, "cores_used", default=0),
            attrs=extra))
    return AsBuilt(cables, points)
