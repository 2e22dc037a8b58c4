"""Reading vector files with clear errors: encoding, syntax, CRS and geometry checks."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from fonet.errors import InputError

WGS84 = "EPSG:4326"


def check_utf8(path: Path) -> str:
    """Return the text of ``path``, or raise :class:`InputError` if it is missing or not UTF-8."""
    if not path.is_file():
        raise InputError(str(path), "file not found")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            str(path), f"not UTF-8 text (byte {exc.start}, line {line}): {exc.reason}"
        ) from None
    if not text.strip():
        raise InputError(str(path), "file is empty")
    return text


def _plausible_lonlat(gdf: gpd.GeoDataFrame) -> bool:
    present = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if present.empty:
        return True
    minx, miny, maxx, maxy = present.total_bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def read_vector(path: Path, *, id_field: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoJSON (or other OGR vector file) into EPSG:4326 with checks.

    Parameters
    ----------
    path
        The file.
    id_field
        Column naming each feature in error messages.

    Returns
    -------
    GeoDataFrame
        Features in lon/lat; rows keep their file order.

    Raises
    ------
    InputError
        Missing, empty, non-UTF-8 or malformed files; coordinates that are not plausible lon/lat
        in a file that declares no other CRS.
    """
    path = Path(path)
    if path.suffix.lower() in {".geojson", ".json"}:
        text = check_utf8(path)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                str(path), f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
            raise InputError(str(path), "not a GeoJSON FeatureCollection")
    elif not path.is_file():
        raise InputError(str(path), "file not found")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; all mean a bad file
        raise InputError(str(path), f"cannot read as a vector file: {exc}") from None
    if gdf.crs is not None and gdf.crs.is_projected:
        gdf = gdf.to_crs(WGS84)
    else:  # none declared, or geographic (GeoJSON's CRS84 is lon/lat like EPSG:4326)
        gdf = gdf.set_crs(WGS84, allow_override=True)
    if not _plausible_lonlat(gdf):
        raise InputError(
            str(path),
            "coordinates are not plausible lon/lat and the file declares no CRS "
            f"(bounds {', '.join(f'{b:.1f}' for b in gdf.total_bounds)})",
        )
    return gdf


def require_columns(frame: pd.DataFrame, columns: list[str], source: Path | str) -> None:
    """Raise :class:`InputError` naming the first of ``columns`` missing from ``frame``."""
    for col in columns:
        if col not in frame.columns:
            raise InputError(
                str(source), f"missing column; the file has: {', '.join(map(str, frame.columns))}",
                field=col,
            )


def check_geometries(gdf: gpd.GeoDataFrame, source: Path | str, id_field: str) -> None:
    """Raise :class:`InputError` for the first missing, empty or invalid geometry."""
    from shapely.validation import explain_validity

    for key, geom in zip(gdf[id_field], gdf.geometry, strict=True):
        if geom is None or geom.is_empty:
            raise InputError(str(source), "has no geometry", feature=key)
        if not geom.is_valid:
            raise InputError(str(source), f"invalid geometry: {explain_validity(geom)}",
                             feature=key)


def check_unique(frame: pd.DataFrame, column: str, source: Path | str) -> None:
    """Raise :class:`InputError` naming the first value of ``column`` that repeats."""
    dup = frame[column][frame[column].duplicated()]
    if not dup.empty:
        raise InputError(str(source), "duplicate code", feature=dup.iloc[0], field=column)
