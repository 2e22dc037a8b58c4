"""Map layers as RFC 7946 GeoJSON FeatureCollections (EPSG:4326, lon/lat).

Coordinates are rounded to 6 decimals (about 0.1 m); polygons of areas are simplified in
UTM 49S (a tolerance in metres) for display, their codes and names kept whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import orjson
import shapely
from shapely.geometry import LineString, MultiLineString, mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse

from fonet.geo import from_wkb, to_lonlat, to_metric
from fonet.store.models import Area, Link, LinkSpan, RouteEdge, Site, Span
from fonet.store.observed import LinkState

PRECISION = 6


def geometry(geom: BaseGeometry, decimals: int = PRECISION) -> dict[str, Any]:
    """Return a GeoJSON geometry object with coordinates rounded to ``decimals``."""
    return mapping(shapely.transform(geom, lambda xy: np.round(xy, decimals)))


def degenerate(geom: BaseGeometry) -> bool:
    """Tell whether a line has no length (a drop of 0 m): nothing to draw."""
    return geom.is_empty or (geom.geom_type.endswith("LineString") and geom.length == 0)


def point(lon: float, lat: float) -> dict[str, Any]:
    """Return a GeoJSON Point."""
    return {"type": "Point", "coordinates": [round(lon, PRECISION), round(lat, PRECISION)]}


def feature(geom: dict[str, Any] | None, properties: dict[str, Any],
            fid: str | int | None = None) -> dict[str, Any]:
    """Return a GeoJSON Feature."""
    out: dict[str, Any] = {"type": "Feature", "geometry": geom, "properties": properties}
    if fid is not None:
        out["id"] = fid
    return out


def collection(features: Iterable[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """Return a FeatureCollection (extra top-level members allowed by RFC 7946 §6.1)."""
    feats = list(features)
    bbox = _bbox(feats)
    out: dict[str, Any] = {"type": "FeatureCollection", "features": feats}
    if bbox:
        out["bbox"] = bbox
    out.update(members)
    return out


def _coords(geom: dict[str, Any] | None) -> Iterable[list[float]]:
    if not geom:
        return
    c = geom.get("coordinates")
    stack = [c]
    while stack:
        x = stack.pop()
        if x and isinstance(x[0], (int, float)):
            yield x
        elif x:
            stack.extend(x)


def _bbox(feats: list[dict[str, Any]]) -> list[float] | None:
    xs, ys = [], []
    for f in feats:
        for x, y, *_ in _coords(f.get("geometry")):
            xs.append(x)
            ys.append(y)
    if not xs:
        return None
    return [min(xs), min(ys), max(xs), max(ys)]


def area_features(session: Session, level: str, *, tolerance_m: float = 20.0,
                  props: dict[str, dict[str, Any]] | None = None,
                  shape: Callable[[BaseGeometry], dict[str, Any]] | None = None
                  ) -> list[dict[str, Any]]:
    """Features of the areas of one level, simplified by ``tolerance_m`` for display.

    ``props`` adds properties per area code (e.g. a village's coverage status); ``shape``
    replaces the simplification (see :func:`api.detail.simplified`).
    """
    out = []
    for a in session.scalars(select(Area).where(Area.level == level).order_by(Area.code)):
        geom = from_wkb(a.geometry_wkb)
        if shape is None and tolerance_m > 0:
            geom = to_lonlat(to_metric(geom).simplify(tolerance_m, preserve_topology=True))
        p = {"code": a.code, "code_bps": a.code_bps, "name": a.name, "level": a.level,
             "parent_code": a.parent_code, "area_km2": a.area_km2}
        if a.village_type:
            p["village_type"] = a.village_type
        if props:
            p.update(props.get(a.code, {}))
        out.append(feature(shape(geom) if shape else geometry(geom), p, a.code))
    return out


def site_properties(s: Site) -> dict[str, Any]:
    """Public properties of a site."""
    return {"code": s.code, "name": s.name, "kind": s.kind, "village_code": s.village_code,
            "village_code_bps": s.village_code_bps, "kecamatan_code": s.kecamatan_code,
            "kecamatan_code_bps": s.kecamatan_code_bps, "location_source": s.location_source,
            "snap_m": s.snap_m, "attrs": s.attrs or {}}


def site_feature(s: Site, **extra: Any) -> dict[str, Any]:
    """Return a site as a Point feature."""
    return feature(point(s.lon, s.lat), {**site_properties(s), **extra}, s.code)


def edge_features(session: Session, kinds: tuple[str, ...] | None = None
                  ) -> list[dict[str, Any]]:
    """Features of the route graph's edges (edges of no length are left out)."""
    q = select(RouteEdge).order_by(RouteEdge.id)
    if kinds:
        q = q.where(RouteEdge.kind.in_(kinds))
    out = []
    for e in session.scalars(q):
        geom = from_wkb(e.geometry_wkb)
        if degenerate(geom):
            continue
        out.append(feature(geometry(geom), {
            "id": e.id, "u": e.u, "v": e.v, "kind": e.kind, "length_m": round(e.length_m, 1),
            "road_class": e.road_class, "install_methods": e.install_methods.split(","),
            "name": e.name}, e.id))
    return out


def span_features(session: Session, plan_id: int,
                  shape: Callable[[BaseGeometry], dict[str, Any]] = geometry
                  ) -> list[dict[str, Any]]:
    """Features of a plan's spans, each along its route edge (spans of no length left out).

    ``shape`` writes a geometry (default: whole, see :func:`api.detail.simplified`).
    """
    rows = session.execute(select(Span, RouteEdge.geometry_wkb, RouteEdge.kind)
                           .join(RouteEdge, RouteEdge.id == Span.route_edge_id)
                           .where(Span.plan_id == plan_id).order_by(Span.id))
    out = []
    for sp, wkb, kind in rows:
        attrs = sp.attrs or {}
        geom = from_wkb(wkb)
        if degenerate(geom):
            continue
        out.append(feature(shape(geom), {
            "id": sp.id, "route_edge_id": sp.route_edge_id, "edge_kind": kind,
            "role": sp.role, "ring": attrs.get("ring"), "phase": sp.phase,
            "status": sp.status, "length_m": round(sp.length_m, 1), "cores": sp.cores,
            "cable_size": attrs.get("cable_size"), "cables": attrs.get("cables"),
            "install_method": sp.install_method, "cost_idr": round(sp.cost_idr or 0),
            "kecamatan_code": attrs.get("kecamatan_code")}, sp.id))
    return out


def link_geometries(session: Session, link_ids: list[int]) -> dict[int, BaseGeometry]:
    """Geometry of each link: its spans in order, else a line between its end sites.

    Links with neither (or whose ends stand at one point) are left out of the answer.
    """
    out: dict[int, BaseGeometry] = {}
    parts: dict[int, list[BaseGeometry]] = {}
    for chunk in range(0, len(link_ids), 500):
        ids = link_ids[chunk:chunk + 500]
        q = (select(LinkSpan.link_id, RouteEdge.geometry_wkb)
             .join(Span, Span.id == LinkSpan.span_id)
             .join(RouteEdge, RouteEdge.id == Span.route_edge_id)
             .where(LinkSpan.link_id.in_(ids)).order_by(LinkSpan.link_id, LinkSpan.seq))
        for lid, wkb in session.execute(q):
            parts.setdefault(lid, []).append(from_wkb(wkb))
    for lid, geoms in parts.items():
        lines = [g for g in geoms if isinstance(g, LineString) and not degenerate(g)]
        merged = shapely.line_merge(MultiLineString(lines)) if lines else None
        if merged is not None and not merged.is_empty:
            out[lid] = merged
    missing = [i for i in link_ids if i not in out]
    if missing:
        links = {lk.id: lk for lk in session.scalars(select(Link).where(Link.id.in_(missing)))}
        site_ids = {x for lk in links.values() for x in (lk.a_site_id, lk.z_site_id) if x}
        sites = {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(site_ids)))}
        for lid, lk in links.items():
            a, z = sites.get(lk.a_site_id or -1), sites.get(lk.z_site_id or -1)
            line = LineString([(a.lon, a.lat), (z.lon, z.lat)]) if a and z else None
            if line is not None and not degenerate(line):
                out[lid] = line
    return out


LINK_COLUMNS = (Link.id, Link.name, Link.plan_id, Link.status, Link.a_site_id, Link.z_site_id,
                Link.a_interface_id, Link.z_interface_id, LinkState.state, LinkState.reasons,
                LinkState.since, LinkState.updated_at)


def link_rows(session: Session, *, plan_id: int | None = None, monitored: bool | None = None,
              state: str | None = None, observed: bool = False,
              link_ids: list[int] | None = None) -> list[Any]:
    """Links with their live state (``state`` is ``None`` when never evaluated), by name.

    Rows carry the columns of :data:`LINK_COLUMNS`; ``observed`` keeps only links with an
    interface attached or a live state.
    """
    q = select(*LINK_COLUMNS).outerjoin(LinkState, LinkState.link_id == Link.id)
    if link_ids is not None:
        q = q.where(Link.id.in_(link_ids))
    if plan_id is not None:
        q = q.where(Link.plan_id == plan_id)
    if monitored is True:
        q = q.where(Link.a_interface_id.is_not(None) | Link.z_interface_id.is_not(None))
    elif monitored is False:
        q = q.where(Link.a_interface_id.is_(None) & Link.z_interface_id.is_(None))
    if observed:
        q = q.where(Link.a_interface_id.is_not(None) | Link.z_interface_id.is_not(None)
                    | LinkState.link_id.is_not(None))
    if state == "unknown":
        q = q.where(LinkState.state.is_(None) | (LinkState.state == "unknown"))
    elif state is not None:
        q = q.where(LinkState.state == state)
    return list(session.execute(q.order_by(Link.name)))


class GeoJSONResponse(JSONResponse):
    """A GeoJSON answer (``application/geo+json``, RFC 7946 §12), rendered compactly."""

    media_type = "application/geo+json"

    def render(self, content: Any) -> bytes:  # noqa: D102
        if isinstance(content, bytes):
            return content
        return json_bytes(content)


def json_bytes(obj: Any) -> bytes:
    """Render plain JSON data compactly with orjson (no model validation: built here).

    NaN and infinities become ``null``; numpy scalars and arrays are written as numbers and
    lists.
    """
    try:
        return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY, default=_default)
    except TypeError as exc:
        raise ValueError(f"cannot render as JSON: {exc}") from exc


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
