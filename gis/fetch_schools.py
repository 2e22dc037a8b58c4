"""Schools from the Kemdikbud (Dapodik) JSON snapshot, placed in villages and checked.

Each school gets the village and kecamatan its point falls in, and a QA flag:

- ``ok``: the point lies in the kecamatan Dapodik states;
- ``point_in_other_kecamatan``: it lies in another kecamatan of the regency;
- ``no_coordinates``: the source gives no usable coordinates (the geometry is null);
- ``point_outside_regency``: the point falls in no village polygon.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from fonet.errors import InputError

STATUS = {"N": "negeri", "S": "swasta"}
"""Dapodik status letters."""

REQUIRED = ("npsn", "sekolah", "bentuk", "status", "alamat_jalan", "kode_kec", "kecamatan",
            "lintang", "bujur")
"""Fields every school record must have."""


@dataclass
class School:
    """One school as the converter writes it (``lon``/``lat`` are None without coordinates)."""

    npsn: str
    nama: str
    bentuk: str
    status: str
    alamat_jalan: str
    kecamatan_dapodik: str
    kode_kec_dapodik: str
    lon: float | None
    lat: float | None
    kode_desa: str | None = None
    nama_desa: str | None = None
    kode_kec: str | None = None
    nama_kec: str | None = None
    qa: str = "no_coordinates"


def norm_name(name: str | None) -> str:
    """Normalise a place name for matching: lower case letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", (name or "").lower())


def _coord(value: object, path: Path, where: str, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        v = float(value)
    elif isinstance(value, str):
        if not value.strip():
            return None
        try:
            v = float(value.strip())
        except ValueError:
            raise InputError(str(path), f"{field} {value!r} is not a number", feature=where,
                             field=field) from None
    else:
        raise InputError(str(path), f"{field} is a {type(value).__name__}, expected a number "
                                    "or a numeric string", feature=where, field=field)
    return v if math.isfinite(v) else None


def read_schools(path: Path, text: str, *, region_key: str) -> list[School]:
    """Parse the schools JSON: ``{region_key: [record, ...]}``.

    Coordinates of 0 or empty (``".0000000"``) mean none. Names and codes are stripped;
    ``"Kec. "`` is dropped from the kecamatan name.

    Raises
    ------
    InputError
        Not JSON, another top-level shape, a record without a required field, a bad
        coordinate, or a repeated NPSN; naming the record.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"malformed JSON at line {exc.lineno}, column {exc.colno}: "
                                    f"{exc.msg}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get(region_key), list):
        keys = list(doc)[:5] if isinstance(doc, dict) else type(doc).__name__
        raise InputError(str(path), f"expected an object with a list under {region_key!r}, "
                                    f"found {keys}")
    schools: list[School] = []
    seen: set[str] = set()
    for i, rec in enumerate(doc[region_key], start=1):
        where = f"record {i}"
        if not isinstance(rec, dict):
            raise InputError(str(path), f"expected an object, found {type(rec).__name__}",
                             feature=where)
        for field in REQUIRED:
            if field not in rec:
                raise InputError(str(path), "missing field", feature=where, field=field)
        npsn = str(rec["npsn"]).strip()
        if not npsn:
            raise InputError(str(path), "npsn is empty", feature=where, field="npsn")
        where = f"record {i} (npsn {npsn})"
        if npsn in seen:
            raise InputError(str(path), "duplicate npsn", feature=where, field="npsn")
        seen.add(npsn)
        lat = _coord(rec["lintang"], path, where, "lintang")
        lon = _coord(rec["bujur"], path, where, "bujur")
        if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
            lat = lon = None
        kec = re.sub(r"^\s*kec(amatan)?\.?\s+", "", str(rec["kecamatan"] or ""),
                     flags=re.IGNORECASE).strip()
        status = str(rec["status"] or "").strip()
        schools.append(School(
            npsn=npsn, nama=str(rec["sekolah"] or "").strip(),
            bentuk=str(rec["bentuk"] or "").strip(),
            status=STATUS.get(status.upper(), status.lower()),
            alamat_jalan=str(rec["alamat_jalan"] or "").strip(),
            kecamatan_dapodik=kec, kode_kec_dapodik=str(rec["kode_kec"] or "").strip(),
            lon=None if lon is None else round(lon, 6), lat=None if lat is None else round(lat, 6),
        ))
    if not schools:
        raise InputError(str(path), f"no school records under {region_key!r}")
    return schools


def place_schools(schools: list[School], villages: list[tuple[str, str, str, BaseGeometry]],
                  kecamatan_names: dict[str, str], path: Path) -> None:
    """Fill each school's village, kecamatan and QA flag by point-in-polygon.

    Parameters
    ----------
    schools
        Parsed schools (modified in place).
    villages
        ``(kode, nama, kode_kec, geometry)`` in code order; where polygons overlap, the first
        one containing the point wins.
    kecamatan_names
        Kecamatan name by Kemendagri code.
    path
        The schools file (for messages).

    Raises
    ------
    InputError
        When a school's Dapodik kecamatan matches no kecamatan of the regency by name.
    """
    by_norm = {norm_name(n): code for code, n in kecamatan_names.items()}
    geoms = [v[3] for v in villages]
    tree = shapely.STRtree(geoms)
    for s in schools:
        if norm_name(s.kecamatan_dapodik) not in by_norm:
            raise InputError(str(path), f"kecamatan {s.kecamatan_dapodik!r} is not one of the "
                                        f"regency's: {', '.join(kecamatan_names.values())}",
                             feature=f"npsn {s.npsn}", field="kecamatan")
        if s.lon is None or s.lat is None:
            s.qa = "no_coordinates"
            continue
        pt = Point(s.lon, s.lat)
        hits = sorted(int(i) for i in tree.query(pt, predicate="intersects"))
        if not hits:
            s.qa = "point_outside_regency"
            continue
        kode, nama, kode_kec, _ = villages[hits[0]]
        s.kode_desa, s.nama_desa = kode, nama
        s.kode_kec, s.nama_kec = kode_kec, kecamatan_names[kode_kec]
        stated = by_norm[norm_name(s.kecamatan_dapodik)]
        s.qa = "ok" if stated == kode_kec else "point_in_other_kecamatan"
