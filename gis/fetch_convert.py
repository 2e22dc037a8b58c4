"""Turning the parsed sources into the regency data files that :func:`read_regency` reads.

Geometry stays in WGS84 lon/lat, rounded to 6 decimals on output; areas are measured in UTM 49S
(EPSG:32749) on the unrounded geometry. Kecamatan and the regency outline are dissolved from the
village polygons, dropping interior rings smaller than :data:`SLIVER_KM2` (gaps where the
simplified village polygons do not tile) and keeping real holes (another regency's enclave).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from fonet.geo import to_metric
from gis.fetch_crosswalk import Crosswalk
from gis.fetch_parse import BoundaryRow
from gis.fetch_schools import School

DECIMALS = 6
"""Decimals kept in output coordinates (about 0.1 m)."""
SLIVER_KM2 = 0.01
"""Interior rings of a dissolved area smaller than this are gaps between villages, not holes."""
CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
INNER_POINT_NOTE = "inner_point_computed (source centroid falls outside polygon)"
CENTROID_NOTE = "polygon_centroid_from_source"


@dataclass(frozen=True)
class Regency:
    """Identity of the regency being built."""

    code: str
    code_bps: str
    name: str
    hole_note: str = ""


def area_km2(geom: BaseGeometry) -> float:
    """Return the area of a lon/lat geometry in km², measured in UTM 49S, to 4 decimals."""
    return round(float(to_metric(geom).area) / 1e6, 4)


def round_geometry(geom: BaseGeometry) -> BaseGeometry:
    """Round coordinates to :data:`DECIMALS`; snap to the grid instead if rounding breaks it."""
    out = shapely.transform(geom, lambda xy: np.round(xy, DECIMALS))
    if not out.is_valid:
        out = shapely.set_precision(geom, 10.0 ** -DECIMALS)
    return out


def drop_slivers(geom: BaseGeometry, min_km2: float = SLIVER_KM2) -> BaseGeometry:
    """Remove interior rings smaller than ``min_km2`` (measured in UTM 49S)."""
    def clean(poly: Polygon) -> Polygon:
        keep = [r for r in poly.interiors if area_km2(Polygon(r)) >= min_km2]
        return Polygon(poly.exterior, keep)

    if isinstance(geom, Polygon):
        return clean(geom)
    parts = [clean(p) for p in getattr(geom, "geoms", []) if isinstance(p, Polygon)]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def dissolve(geoms: list[BaseGeometry]) -> BaseGeometry:
    """Union polygons and drop sliver holes; the result is a Polygon or MultiPolygon."""
    union = shapely.unary_union(geoms)
    if isinstance(union, GeometryCollection):
        union = shapely.unary_union([g for g in union.geoms
                                     if g.geom_type in ("Polygon", "MultiPolygon")])
    out = drop_slivers(union)
    if not out.is_valid:  # a sliver held a tiny part of its own: the filled ring swallows it
        out = shapely.unary_union(list(getattr(out, "geoms", [out])))
    return out


def _holes(geom: BaseGeometry) -> int:
    return sum(len(p.interiors) for p in getattr(geom, "geoms", [geom]))


def feature(props: dict[str, Any], geom: BaseGeometry | None) -> dict[str, Any]:
    """Return a GeoJSON feature (geometry already rounded, or None)."""
    return {"type": "Feature", "properties": props,
            "geometry": None if geom is None else mapping(geom)}


def write_geojson(path: Path, features: list[dict[str, Any]]) -> None:
    """Write a FeatureCollection named after the file, with the CRS84 member, one feature a line."""
    head = json.dumps({"type": "FeatureCollection", "name": path.stem, "crs": CRS84},
                      ensure_ascii=False, separators=(",", ":"))[:-1]
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    path.write_text(head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


@dataclass
class VillageOut:
    """A village ready to write."""

    props: dict[str, Any]
    geometry: BaseGeometry  # rounded
    point: Point
    point_type: str
    centroid_inside: bool
    inner_point: Point


def build_villages(villages: list[BoundaryRow], kec_names: dict[str, str], cw: Crosswalk,
                   regency: Regency) -> list[VillageOut]:
    """Attach codes and names, measure areas, and pick a point inside each village."""
    out: list[VillageOut] = []
    for v in sorted(villages, key=lambda r: r.code):
        kec = v.code[:8]
        rounded = round_geometry(v.geometry)
        lat, lng = round(v.lat, DECIMALS), round(v.lng, DECIMALS)
        props: dict[str, Any] = {
            "kode": v.code, "kode_bps_2018": cw.village_bps[v.code], "nama": v.name,
            "jenis": "kelurahan" if v.code[9] == "1" else "desa",
            "kode_kec": kec, "nama_kec": kec_names[kec], "kode_bps_kec": cw.kecamatan_bps[kec],
            "kode_kab": regency.code, "nama_kab": regency.name,
            "luas_km2": area_km2(v.geometry),
            "lat": lat, "lng": lng,
        }
        centroid = Point(lng, lat)
        inside = bool(v.geometry.contains(Point(v.lng, v.lat)))
        rep = v.geometry.representative_point()
        inner = Point(round(rep.x, DECIMALS), round(rep.y, DECIMALS))
        if not rounded.contains(inner):  # rounding moved the edge past it; ask again
            rep = rounded.representative_point()
            inner = Point(round(rep.x, DECIMALS), round(rep.y, DECIMALS))
        out.append(VillageOut(props, rounded, centroid if inside else inner,
                              CENTROID_NOTE if inside else INNER_POINT_NOTE, inside, inner))
    return out


def write_villages(out_dir: Path, stem: str, villages: list[VillageOut]) -> None:
    """Write the village polygons, their points and the code table."""
    write_geojson(out_dir / f"{stem}_desa_kelurahan.geojson",
                  [feature(v.props, v.geometry) for v in villages])
    write_geojson(out_dir / f"{stem}_desa_kelurahan_centroids.geojson",
                  [feature({**v.props, "point_type": v.point_type}, v.point) for v in villages])


def write_code_table(path: Path, villages: list[VillageOut], cw: Crosswalk) -> None:
    """Write the CSV code table (Kemendagri and BPS codes, names, areas, centroid, inner point)."""
    cols = ["kode_kemendagri", "kode_bps_2018", "nama", "jenis", "kode_kec", "nama_kec",
            "kode_bps_kec", "nama_bps_2018", "luas_km2", "centroid_lat", "centroid_lng",
            "centroid_inside_polygon", "inner_point_lat", "inner_point_lng"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for v in villages:
            p = v.props
            w.writerow([p["kode"], p["kode_bps_2018"], p["nama"], p["jenis"], p["kode_kec"],
                        p["nama_kec"], p["kode_bps_kec"], cw.village_bps_name[p["kode"]],
                        p["luas_km2"], p["lat"], p["lng"], v.centroid_inside,
                        round(v.inner_point.y, DECIMALS), round(v.inner_point.x, DECIMALS)])


def build_kecamatan(out_dir: Path, stem: str, kecamatan: list[BoundaryRow],
                    villages: list[VillageOut], cw: Crosswalk) -> list[dict[str, Any]]:
    """Write the dissolved kecamatan and the source's own (coarse) kecamatan polygons.

    Returns
    -------
    list
        The dissolved kecamatan as ``{"kode", "nama", "geometry", "holes"}`` (for the notes).
    """
    dissolved = []
    feats = []
    for k in sorted(kecamatan, key=lambda r: r.code):
        members = [v.geometry for v in villages if v.props["kode_kec"] == k.code]
        geom = dissolve(members)
        feats.append(feature({"kode": k.code, "kode_bps": cw.kecamatan_bps[k.code],
                              "nama": k.name, "jumlah_desa_kel": len(members),
                              "luas_km2": area_km2(geom),
                              "derived": "dissolve of desa/kelurahan polygons"},
                             round_geometry(geom)))
        dissolved.append({"kode": k.code, "nama": k.name, "holes": _holes(geom)})
    write_geojson(out_dir / f"{stem}_kecamatan.geojson", feats)
    write_geojson(out_dir / f"{stem}_kecamatan_source_simplified.geojson", [
        feature({"kode": k.code, "kode_bps": cw.kecamatan_bps[k.code], "nama": k.name,
                 "lat": k.lat, "lng": k.lng, "luas_km2": area_km2(k.geometry),
                 "derived": "as provided by source (heavily simplified)"},
                round_geometry(k.geometry))
        for k in sorted(kecamatan, key=lambda r: r.code)
    ])
    return dissolved


def hole_note(geom: BaseGeometry, regions: list[BoundaryRow], own_code: str) -> str:
    """Name the kabupaten/kota lying in each hole of ``geom`` (``"Kota Mojokerto (35.76)"``).

    A hole is credited to the other region whose coarse outline overlaps it most.
    """
    names = []
    others = [r for r in regions if r.code != own_code]
    for poly in getattr(geom, "geoms", [geom]):
        for ring in poly.interiors:
            hole = Polygon(ring)
            best = max(others, default=None,
                       key=lambda r: r.geometry.intersection(hole).area)
            if best is not None and best.geometry.intersection(hole).area > 0:
                label = f"{best.name} ({best.code})"
                if label not in names:
                    names.append(label)
    return ", ".join(names)


def build_boundary(path: Path, villages: list[VillageOut], regency: Regency,
                   regions: list[BoundaryRow] | None = None) -> dict[str, Any]:
    """Write the regency outline dissolved from the villages; return its area and holes.

    Parameters
    ----------
    path
        The boundary file to write.
    villages
        The regency's villages.
    regency
        Its identity.
    regions
        The province's kabupaten/kota (to name what lies in the outline's holes); without it
        :attr:`Regency.hole_note` is used.
    """
    geom = dissolve([v.geometry for v in villages])
    holes = _holes(geom)
    derived = "dissolve of desa/kelurahan polygons"
    note = hole_note(geom, regions, regency.code) if regions else regency.hole_note
    if holes and note:
        derived += f"; interior hole = {note}"
    props = {"kode": regency.code, "kode_bps": regency.code_bps, "nama": regency.name,
             "luas_km2": area_km2(geom), "derived": derived}
    write_geojson(path, [feature(props, round_geometry(geom))])
    hole_km2 = [area_km2(Polygon(r)) for p in getattr(geom, "geoms", [geom]) for r in p.interiors]
    return {"luas_km2": props["luas_km2"], "holes_km2": sorted(hole_km2, reverse=True),
            "parts": len(getattr(geom, "geoms", [geom])), "hole_note": note if holes else ""}


def write_schools(path: Path, schools: list[School]) -> None:
    """Write the school points (null geometry where the source has no coordinates)."""
    feats = []
    for s in schools:
        props = {"npsn": s.npsn, "nama": s.nama, "bentuk": s.bentuk, "status": s.status,
                 "alamat_jalan": s.alamat_jalan, "kecamatan_dapodik": s.kecamatan_dapodik,
                 "kode_kec_dapodik": s.kode_kec_dapodik, "kode_desa": s.kode_desa,
                 "nama_desa": s.nama_desa, "kode_kec": s.kode_kec, "nama_kec": s.nama_kec,
                 "qa": s.qa}
        geom = None if s.lon is None or s.lat is None else Point(s.lon, s.lat)
        feats.append(feature(props, geom))
    write_geojson(path, feats)
