"""Reading user site files (CSV with lon/lat columns, or GeoJSON points)."""

from __future__ import annotations

import math
from io import StringIO
from pathlib import Path

import pandas as pd

from fonet.errors import InputError
from fonet.inventory import SiteRecord
from gis.readers import check_utf8, read_vector, require_columns

LON_NAMES = ("lon", "lng", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
CORE_FIELDS = {"code", "name", "kind", "location_source", "geometry", "connected",
               "capacity_mbps", *LON_NAMES, *LAT_NAMES}
TRUE_WORDS = {"true", "1", "yes", "ya", "y"}
FALSE_WORDS = {"false", "0", "no", "tidak", "n", ""}


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _attrs(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if k in CORE_FIELDS or v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        out[str(k)] = v if isinstance(v, str | int | float | bool) else str(v)
    return out


def _record(row: dict, lon: float, lat: float, label: str, source: str) -> SiteRecord:
    code = "" if pd.isna(row.get("code")) else str(row.get("code")).strip()
    name = "" if pd.isna(row.get("name")) else str(row.get("name")).strip()
    if not code:
        raise InputError(source, "empty code", feature=label, field="code")
    if not name:
        raise InputError(source, "empty name", feature=f"{label} ({code})", field="name")
    kind = "" if pd.isna(row.get("kind")) else str(row.get("kind")).strip()
    src = row.get("location_source")
    src = "imported" if src is None or pd.isna(src) or not str(src).strip() else str(src).strip()
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(source, f"({lon}, {lat}) is not a lon/lat position",
                         feature=f"{label} ({code})")
    flag = row.get("connected")
    flag = "" if flag is None or (isinstance(flag, float) and math.isnan(flag)) else flag
    word = str(flag).strip().casefold()
    if isinstance(flag, bool):
        connected = flag
    elif word in TRUE_WORDS or word in FALSE_WORDS:
        connected = word in TRUE_WORDS
    else:
        raise InputError(source, f"expected true or false, got {flag!r}",
                         feature=f"{label} ({code})", field="connected")
    cap = row.get("capacity_mbps")
    capacity = None
    if cap is not None and not (isinstance(cap, float) and math.isnan(cap)) and str(cap).strip():
        try:
            capacity = float(cap)
        except (TypeError, ValueError):
            raise InputError(source, f"not a number: {cap!r}", feature=f"{label} ({code})",
                             field="capacity_mbps") from None
    return SiteRecord(code=code, name=name, kind=kind, lon=lon, lat=lat, location_source=src,
                      attrs=_attrs(row), connected=connected, capacity_mbps=capacity)


def read_sites(path: Path | str) -> list[SiteRecord]:
    """Read sites from a CSV (``code,name,kind,lon,lat[,location_source,...]``) or GeoJSON.

    Optional ``connected`` (true/false: already served by fibre in service) and
    ``capacity_mbps``; a school's ``level`` (SD, SMP, SMA, SMK, SLB). Extra columns or
    properties are kept as the site's attributes.

    Raises
    ------
    InputError
        Naming the file, the row (CSV, counting the header as row 1) or feature, and the field.
    """
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    records: list[SiteRecord] = []
    if suffix == ".csv":
        text = check_utf8(path)
        try:
            table = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, ValueError) as exc:
            raise InputError(source, f"malformed CSV: {exc}") from None
        table.columns = [c.strip() for c in table.columns]
        require_columns(table, ["code", "name", "kind"], path)
        lon_col, lat_col = _pick(list(table.columns), LON_NAMES), _pick(list(table.columns),
                                                                         LAT_NAMES)
        if lon_col is None:
            raise InputError(source, "missing longitude column (lon, lng or longitude)",
                             field="lon")
        if lat_col is None:
            raise InputError(source, "missing latitude column (lat or latitude)", field="lat")
        for i, row in enumerate(table.to_dict("records"), start=2):
            row = {k: (v if v != "" else None) for k, v in row.items()}
            try:
                lon, lat = float(row[lon_col]), float(row[lat_col])
            except (TypeError, ValueError):
                bad = lon_col if not _is_number(row[lon_col]) else lat_col
                raise InputError(source, f"not a number: {row[bad]!r}", feature=f"row {i}",
                                 field=bad) from None
            records.append(_record(row, lon, lat, f"row {i}", source))
    elif suffix in {".geojson", ".json", ".gpkg"}:
        gdf = read_vector(path)
        require_columns(gdf, ["code", "name", "kind"], path)
        for i, row in enumerate(gdf.to_dict("records")):
            geom = row.get("geometry")
            label = f"#{i}"
            if geom is None or geom.is_empty:
                raise InputError(source, "has no geometry", feature=f"{label} ({row.get('code')})")
            if geom.geom_type != "Point":
                raise InputError(source, f"expected a Point, found {geom.geom_type}",
                                 feature=f"{label} ({row.get('code')})")
            records.append(_record(row, geom.x, geom.y, label, source))
    else:
        raise InputError(source, "unknown file type; expected .csv, .geojson or .gpkg")
    if not records:
        raise InputError(source, "no sites in the file")
    return records


def _is_number(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True
