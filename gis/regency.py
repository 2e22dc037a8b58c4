"""Reading the regency from its data directory (see ``SOURCES.md`` there)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from fonet.datasets import packaged_data_dir, verify_data_dir
from fonet.errors import InputError
from fonet.inventory import AreaRecord, RegencyRecords, SiteRecord
from gis.readers import (
    check_geometries,
    check_unique,
    check_utf8,
    read_vector,
    require_columns,
)

if TYPE_CHECKING:
    import geopandas as gpd

SUFFIXES = {
    "boundary": "_boundary.geojson",
    "kecamatan": "_kecamatan.geojson",
    "villages": "_desa_kelurahan.geojson",
    "codes": "_kode_wilayah.csv",
    "schools": "_sekolah_kemdikbud_2019.geojson",
}
"""How each file of a regency data directory ends, by role (the stem names the regency)."""
FILES = {role: f"kab_mojokerto{suffix}" for role, suffix in SUFFIXES.items()}
"""The files of the packaged regency's data directory, by role."""


def data_files(data_dir: Path) -> dict[str, str]:
    """Return the files of a regency data directory by role (as :data:`FILES`).

    The files share a stem named after the regency (``kab_jombang_boundary.geojson``); the
    stem is that of the one ``*_boundary.geojson`` in the directory.

    Raises
    ------
    InputError
        When the directory holds the boundaries of more than one regency.
    """
    found = (sorted(Path(data_dir).glob("*" + SUFFIXES["boundary"]))
             if Path(data_dir).is_dir() else [])
    if not found:
        return dict(FILES)
    if len(found) > 1:
        raise InputError(str(data_dir), "holds more than one regency boundary: "
                                        f"{', '.join(p.name for p in found)}")
    stem = found[0].name.removesuffix(SUFFIXES["boundary"])
    return {role: stem + suffix for role, suffix in SUFFIXES.items()}

REGENCY_TOLERANCE_M = 3000.0
"""How far outside the boundary a kecamatan, village or school may reach before it is an error."""


def _str(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value).strip()


def read_regency(data_dir: Path | str) -> RegencyRecords:
    """Read and check the regency's boundary, kecamatan, villages and schools.

    Parameters
    ----------
    data_dir
        A directory with the files named in :func:`data_files`; its ``SHA256SUMS`` manifest, when
        present (always for the packaged data), is verified first.

    Returns
    -------
    RegencyRecords
        Plain records ready for :func:`fonet.inventory.load_regency`.

    Raises
    ------
    InputError
        Naming the file, feature and field at fault.
    """
    data_dir = Path(data_dir)
    files = data_files(data_dir)
    verify_data_dir(data_dir, files.values(),
                    require_manifest=data_dir.resolve() == packaged_data_dir().resolve())
    paths = {role: data_dir / name for role, name in files.items()}

    boundary = _read_boundary(paths["boundary"])
    extent = _regency_extent(boundary.geometry)
    kecamatan = _read_kecamatan(paths["kecamatan"], boundary.code, extent)
    villages = _read_villages(paths["villages"], paths["codes"], {a.code for a in kecamatan},
                              extent)
    schools, skipped = _read_schools(paths["schools"], extent)
    return RegencyRecords(boundary=boundary, kecamatan=kecamatan, villages=villages,
                          schools=schools, schools_skipped=skipped)


def _read_boundary(path: Path) -> AreaRecord:
    """Read the regency's boundary: one feature with its code and name.

    Parameters
    ----------
    path
        The boundary file.

    Returns
    -------
    AreaRecord
        The regency's area record.

    Raises
    ------
    InputError
        Naming the file, feature and field at fault.
    """
    b = read_vector(path)
    require_columns(b, ["kode", "nama"], path)
    if len(b) != 1:
        raise InputError(str(path), f"expected 1 feature, found {len(b)}")
    check_geometries(b, path, "kode")
    return AreaRecord(
        level="regency", code=str(b["kode"].iloc[0]), name=str(b["nama"].iloc[0]),
        code_bps=_str(b.get("kode_bps", pd.Series([None])).iloc[0]), geometry=b.geometry.iloc[0],
        area_km2=float(b["luas_km2"].iloc[0]) if "luas_km2" in b else None,
    )


def _regency_extent(boundary_geom: BaseGeometry) -> BaseGeometry:
    """Return the boundary without holes, grown by :data:`REGENCY_TOLERANCE_M`.

    Parameters
    ----------
    boundary_geom
        The regency's (multi)polygon, in longitude and latitude.

    Returns
    -------
    BaseGeometry
        The area every kecamatan, village and school must lie in, in longitude and latitude.
    """
    from fonet.geo import to_lonlat, to_metric

    polygons = (list(boundary_geom.geoms) if isinstance(boundary_geom, shapely.MultiPolygon)
                else [boundary_geom] if isinstance(boundary_geom, shapely.Polygon) else [])
    filled = shapely.unary_union([shapely.Polygon(p.exterior) for p in polygons])
    return to_lonlat(to_metric(filled).buffer(REGENCY_TOLERANCE_M))


def _check_inside(gdf: gpd.GeoDataFrame, path: Path, id_field: str,
                  extent: BaseGeometry) -> None:
    """Raise :class:`InputError` for the first feature that reaches outside ``extent``."""
    for key, geom in zip(gdf[id_field], gdf.geometry, strict=True):
        if geom is not None and not geom.is_empty and not extent.contains(geom):
            raise InputError(str(path), "geometry lies outside the regency boundary",
                             feature=key)


def _read_kecamatan(path: Path, regency_code: str, extent: BaseGeometry) -> list[AreaRecord]:
    """Read and check the kecamatan polygons.

    Parameters
    ----------
    path
        The kecamatan file.
    regency_code
        Code of the regency (their parent).
    extent
        The area they must lie in (see :func:`_regency_extent`).

    Returns
    -------
    list of AreaRecord
        One record per kecamatan, in file order.

    Raises
    ------
    InputError
        Naming the file, feature and field at fault.
    """
    k = read_vector(path)
    require_columns(k, ["kode", "kode_bps", "nama"], path)
    check_unique(k, "kode", path)
    check_unique(k, "kode_bps", path)
    check_geometries(k, path, "kode")
    _check_inside(k, path, "kode", extent)
    return [
        AreaRecord(level="kecamatan", code=str(r.kode), code_bps=str(r.kode_bps), name=str(r.nama),
                   geometry=r.geometry, parent_code=regency_code,
                   area_km2=float(r.luas_km2) if "luas_km2" in k else None)
        for r in k.itertuples()
    ]


def _read_villages(path: Path, codes_path: Path, kec_codes: set[str],
                   extent: BaseGeometry) -> list[AreaRecord]:
    """Read and check the village polygons and their inner points.

    Parameters
    ----------
    path
        The village file.
    codes_path
        The code table holding each village's inner point (optional file).
    kec_codes
        Codes of the kecamatan a village may belong to.
    extent
        The area they must lie in (see :func:`_regency_extent`).

    Returns
    -------
    list of AreaRecord
        One record per village, in file order.

    Raises
    ------
    InputError
        Naming the file, feature and field at fault.
    """
    v = read_vector(path)
    require_columns(v, ["kode", "kode_bps_2018", "nama", "jenis", "kode_kec"], path)
    check_unique(v, "kode", path)
    check_unique(v[v["kode_bps_2018"].notna()], "kode_bps_2018", path)
    check_geometries(v, path, "kode")
    _check_inside(v, path, "kode", extent)
    inner = _read_inner_points(codes_path)
    villages: list[AreaRecord] = []
    for r in v.itertuples():
        if r.kode_kec not in kec_codes:
            raise InputError(str(path), f"unknown kecamatan {r.kode_kec!r}",
                             feature=r.kode, field="kode_kec")
        point = inner.get(r.kode)
        if point is not None and not r.geometry.buffer(1e-4).contains(point):
            raise InputError(str(codes_path), "inner point lies outside its village polygon",
                             feature=r.kode)
        villages.append(
            AreaRecord(level="village", code=str(r.kode), code_bps=_str(r.kode_bps_2018),
                       name=str(r.nama), village_type=str(r.jenis), parent_code=str(r.kode_kec),
                       geometry=r.geometry, inner_point=point,
                       area_km2=float(r.luas_km2) if "luas_km2" in v else None)
        )
    return villages


def _read_inner_points(path: Path) -> dict[str, Point]:
    """Read the inner point of each village from the code table (optional file)."""
    if not path.exists():
        return {}
    from io import StringIO

    text = check_utf8(path)
    try:
        table = pd.read_csv(StringIO(text), dtype=str)
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(str(path), f"malformed CSV: {exc}") from None
    require_columns(table, ["kode_kemendagri", "inner_point_lat", "inner_point_lng"], path)
    check_unique(table, "kode_kemendagri", path)
    points = {}
    for i, row in enumerate(table.itertuples(), start=2):
        try:
            lon, lat = float(row.inner_point_lng), float(row.inner_point_lat)
        except (TypeError, ValueError):
            raise InputError(str(path), "inner point is not a number",
                             feature=f"row {i} ({row.kode_kemendagri})") from None
        points[row.kode_kemendagri] = Point(lon, lat)
    return points


def _read_schools(path: Path, extent) -> tuple[list[SiteRecord], dict[str, int]]:  # noqa: ANN001
    """Read school points; those without coordinates are counted, not invented."""
    s = read_vector(path)
    if s.empty:  # a regency whose sources hold no school list
        return [], {}
    require_columns(s, ["npsn", "nama", "bentuk", "qa"], path)
    check_unique(s, "npsn", path)
    records: list[SiteRecord] = []
    skipped: dict[str, int] = {}
    for r in s.itertuples():
        geom = r.geometry
        if geom is None or geom.is_empty:
            skipped["no_coordinates"] = skipped.get("no_coordinates", 0) + 1
            continue
        if geom.geom_type != "Point":
            raise InputError(str(path), f"expected a Point, found {geom.geom_type}",
                             feature=r.npsn)
        if not extent.contains(geom):
            raise InputError(str(path), "school lies outside the regency", feature=r.npsn)
        attrs = {"npsn": str(r.npsn), "bentuk": _str(r.bentuk), "qa": _str(r.qa)}
        for col in ("status", "alamat_jalan"):
            if col in s.columns:
                attrs[col] = _str(getattr(r, col))
        records.append(SiteRecord(code=f"SCH-{r.npsn}", name=str(r.nama).strip(), kind="school",
                                  lon=geom.x, lat=geom.y, location_source="imported",
                                  attrs=attrs))
    return records, skipped
