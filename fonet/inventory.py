"""The regency's areas and sites: what ``fonet init`` and ``fonet import sites`` write.

Readers in :mod:`gis` turn files into the plain records below; the functions here check them
against the store and write them in the caller's transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.errors import InputError, StateError
from fonet.geo import from_wkb, to_lonlat, to_metric, to_wkb
from fonet.store.models import LOCATION_SOURCES, SCHOOL_LEVELS, SITE_KINDS, Area, Site


@dataclass
class AreaRecord:
    """An administrative area read from a file (geometry in lon/lat)."""

    level: str
    code: str
    name: str
    geometry: BaseGeometry
    code_bps: str | None = None
    parent_code: str | None = None
    village_type: str | None = None
    area_km2: float | None = None
    inner_point: Point | None = None


@dataclass
class SiteRecord:
    """A site read from a file (lon/lat)."""

    code: str
    name: str
    kind: str
    lon: float
    lat: float
    location_source: str = "imported"
    attrs: dict[str, Any] = field(default_factory=dict)
    connected: bool = False
    """Already served by fibre in service."""
    capacity_mbps: float | None = None


@dataclass
class RegencyRecords:
    """Everything ``fonet init`` loads from the data directory."""

    boundary: AreaRecord
    kecamatan: list[AreaRecord]
    villages: list[AreaRecord]
    schools: list[SiteRecord]
    schools_skipped: dict[str, int] = field(default_factory=dict)
    """Schools left out, by reason (e.g. ``no_coordinates``)."""


def _area_row(rec: AreaRecord) -> Area:
    inner = rec.inner_point or rec.geometry.representative_point()
    return Area(
        level=rec.level,
        code=rec.code,
        code_bps=rec.code_bps,
        name=rec.name,
        village_type=rec.village_type,
        parent_code=rec.parent_code,
        area_km2=rec.area_km2,
        inner_lon=inner.x,
        inner_lat=inner.y,
        geometry_wkb=to_wkb(rec.geometry),
    )


def kecamatan_office_village(kec: AreaRecord, villages: list[AreaRecord]) -> AreaRecord:
    """Choose the village that hosts a kecamatan office.

    The village of the same name as the kecamatan where one exists (the kecamatan's seat is
    usually named after it), else the village nearest the kecamatan's centroid.
    """
    own = [v for v in villages if v.parent_code == kec.code]
    if not own:
        raise InputError("kecamatan", "has no villages", feature=kec.code)
    same = [v for v in own if v.name.casefold() == kec.name.casefold()]
    if same:
        return same[0]
    centre = to_metric(kec.geometry.centroid)
    return min(own, key=lambda v: to_metric(v.geometry).distance(centre))


def load_regency(session: Session, records: RegencyRecords) -> dict[str, int]:
    """Write the regency's areas, office sites and schools into an empty store.

    Parameters
    ----------
    session
        A session inside the caller's transaction.
    records
        What :func:`gis.regency.read_regency` read.

    Returns
    -------
    dict
        Counts of what was written.
    """
    code = records.boundary.code
    if session.scalar(select(func.count()).select_from(Area).where(Area.code == code)):
        raise StateError(f"the store already holds regency {code}")
    session.add(_area_row(records.boundary))
    session.add_all(_area_row(k) for k in records.kecamatan)
    session.add_all(_area_row(v) for v in records.villages)
    kec_by_code = {k.code: k for k in records.kecamatan}

    def office(code: str, name: str, kind: str, host: AreaRecord, kec: AreaRecord,
               placed_at: str) -> Site:
        inner = host.inner_point or host.geometry.representative_point()
        return Site(code=code, name=name, kind=kind, lon=inner.x, lat=inner.y,
                    village_code=host.code, village_code_bps=host.code_bps,
                    kecamatan_code=kec.code, kecamatan_code_bps=kec.code_bps,
                    location_source="approximate", attrs={"placed_at": placed_at})

    def kecamatan_of(village: AreaRecord) -> AreaRecord:
        kec = kec_by_code.get(village.parent_code or "")
        if kec is None:
            raise InputError("villages", f"no kecamatan {village.parent_code!r} for this village",
                             feature=village.code)
        return kec

    sites = [office(f"VO-{v.code}",
                    f"Kantor {'Kelurahan' if v.village_type == 'kelurahan' else 'Desa'} {v.name}",
                    "village_office", v, kecamatan_of(v), "village inner point")
             for v in records.villages]
    for k in records.kecamatan:
        host = kecamatan_office_village(k, records.villages)
        sites.append(office(f"KO-{k.code}", f"Kantor Kecamatan {k.name}", "kecamatan_office",
                            host, k, f"inner point of {host.name}"))
    session.add_all(sites)
    session.flush()
    locator = AreaLocator.from_session(session, regency_code=code)
    school_rows = [site_row(s, locator) for s in records.schools]
    session.add_all(school_rows)
    session.flush()
    return {
        "villages": len(records.villages),
        "kecamatan": len(records.kecamatan),
        "schools": len(school_rows),
        **{f"schools_skipped_{k}": n for k, n in records.schools_skipped.items()},
    }


class AreaLocator:
    """Answers which village and kecamatan a point lies in, and whether it is in the regency."""

    def __init__(
        self,
        boundary: BaseGeometry,
        villages: list[Area],
        kecamatan: dict[str, Area],
        *,
        buffer_m: float = 3000.0,
    ) -> None:
        self.boundary = boundary
        self.villages = villages
        self.kecamatan = kecamatan
        self._geoms = [from_wkb(v.geometry_wkb) for v in villages]
        self._tree = shapely.STRtree(self._geoms)
        filled = shapely.unary_union(
            [Polygon(p.exterior) for p in getattr(boundary, "geoms", [boundary])]
        )
        self.extent = to_lonlat(to_metric(filled).buffer(buffer_m))
        shapely.prepare(self.extent)
        self.buffer_m = buffer_m

    @classmethod
    def from_session(cls, session: Session, *, buffer_m: float = 3000.0,
                     regency_code: str | None = None) -> AreaLocator:
        """Build a locator from the areas in the store.

        Parameters
        ----------
        session
            An open session.
        buffer_m
            How far outside the regency a point may lie.
        regency_code
            Only this regency's areas; by default every regency the store holds (their
            outlines joined).
        """
        def scoped(level: str):  # noqa: ANN202
            q = select(Area).where(Area.level == level)
            if regency_code is not None:
                q = q.where((Area.code == regency_code) | Area.code.startswith(regency_code + "."))
            return session.scalars(q.order_by(Area.code))

        boundaries = list(scoped("regency"))
        if not boundaries:
            raise StateError(f"the store holds no regency {regency_code or ''}: run "
                             "`fonet init` first".replace("  ", " "))
        geoms = [from_wkb(b.geometry_wkb) for b in boundaries]
        boundary = geoms[0] if len(geoms) == 1 else shapely.unary_union(geoms)
        villages = list(scoped("village"))
        kec = {a.code: a for a in scoped("kecamatan")}
        return cls(boundary, villages, kec, buffer_m=buffer_m)

    def contains(self, lon: float, lat: float) -> bool:
        """Tell whether a point lies inside the regency's outer ring (hole filled) plus buffer."""
        return bool(self.extent.contains(Point(lon, lat)))

    def village_at(self, lon: float, lat: float) -> Area | None:
        """Return the village containing the point, or ``None`` (e.g. in Kota Mojokerto)."""
        pt = Point(lon, lat)
        for i in self._tree.query(pt, predicate="intersects"):
            return self.villages[int(i)]
        return None


def site_row(rec: SiteRecord, locator: AreaLocator) -> Site:
    """Turn a site record into a row, with the codes of the village and kecamatan it lies in."""
    village = locator.village_at(rec.lon, rec.lat)
    kec = locator.kecamatan.get(village.parent_code) if village and village.parent_code else None
    attrs = dict(rec.attrs)
    if village is None:
        attrs.setdefault("area_note", "outside every village of the regency")
    return Site(
        code=rec.code,
        name=rec.name,
        kind=rec.kind,
        lon=rec.lon,
        lat=rec.lat,
        village_code=village.code if village else None,
        village_code_bps=village.code_bps if village else None,
        kecamatan_code=kec.code if kec else None,
        kecamatan_code_bps=kec.code_bps if kec else None,
        location_source=rec.location_source,
        attrs=attrs,
        connected=rec.connected,
        capacity_mbps=rec.capacity_mbps,
    )


def check_sites(
    session: Session, records: list[SiteRecord], source: str, locator: AreaLocator
) -> None:
    """Check site records before import; raise :class:`InputError` at the first fault.

    Codes must be unique in the file and new to the store, kinds and location sources known,
    points inside the regency (outer ring with the hole filled, plus the buffer).
    """
    seen = Counter(r.code for r in records)
    existing = set(
        session.scalars(select(Site.code).where(Site.code.in_([r.code for r in records])))
    )
    for r in records:
        if not r.code:
            raise InputError(source, "empty site code", feature=r.name or "?", field="code")
        if seen[r.code] > 1:
            raise InputError(source, "duplicate code in the file", feature=r.code, field="code")
        if r.code in existing:
            raise InputError(source, "a site with this code exists already", feature=r.code,
                             field="code")
        if r.kind not in SITE_KINDS:
            raise InputError(
                source, f"unknown site kind {r.kind!r}; known: {', '.join(SITE_KINDS)}",
                feature=r.code, field="kind",
            )
        level = r.attrs.get("level")
        if r.kind == "school" and level is not None and str(level) not in SCHOOL_LEVELS:
            raise InputError(source, f"unknown school level {level!r}; known: "
                             f"{', '.join(SCHOOL_LEVELS)}", feature=r.code, field="level")
        if r.kind != "school" and level is not None:
            raise InputError(source, f"a level is for schools, not for a {r.kind}",
                             feature=r.code, field="level")
        if r.capacity_mbps is not None and not r.capacity_mbps >= 0:
            raise InputError(source, f"capacity must be zero or more Mb/s, got "
                             f"{r.capacity_mbps}", feature=r.code, field="capacity_mbps")
        if r.location_source not in LOCATION_SOURCES:
            raise InputError(
                source,
                f"unknown location_source {r.location_source!r}; known: "
                f"{', '.join(LOCATION_SOURCES)}",
                feature=r.code, field="location_source",
            )
        if not locator.contains(r.lon, r.lat):
            raise InputError(
                source,
                f"point ({r.lon:.6f}, {r.lat:.6f}) lies outside the regency "
                f"(outer boundary plus {locator.buffer_m / 1000:g} km)",
                feature=r.code,
            )


def add_sites(session: Session, records: list[SiteRecord], source: str) -> list[Site]:
    """Check and add sites in the caller's transaction; nothing is written on error."""
    locator = AreaLocator.from_session(session)
    check_sites(session, records, source, locator)
    rows = [site_row(r, locator) for r in records]
    session.add_all(rows)
    session.flush()
    return rows
