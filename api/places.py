"""Where an alarm is: the village and kecamatan (by name) and a point to zoom to.

An operator reads "Desa Sooko, Kec. Sooko", not a link code. Links are placed at their far
(``z``) end site, else their ``a`` end; interfaces and devices at their device's site; a
fibre cut at the middle of its first span's route edge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.geo import from_wkb
from fonet.store.models import Area, Device, Link, RouteEdge, Site, Span


def _site_place(site: Site, names: dict[str, str]) -> dict[str, Any]:
    return {"site": site.code, "site_name": site.name,
            "village": names.get(site.village_code or ""),
            "village_code": site.village_code,
            "kecamatan": names.get(site.kecamatan_code or ""),
            "kecamatan_code": site.kecamatan_code, "lon": site.lon, "lat": site.lat}


def add_places(session: Session, alarms: list[dict[str, Any]]) -> None:
    """Set ``place`` on each alarm dict (and on its ``children``); ``None`` when unknown."""
    flat = [a for root in alarms for a in (root, *(root.get("children") or []))]
    if not flat:
        return
    names = {c: n for c, n in session.execute(select(Area.code, Area.name).where(
        Area.level.in_(("village", "kecamatan"))))}
    link_names = {a["object_name"] for a in flat if a["object_type"] == "link"}
    device_names = {a["object_name"].split(":", 1)[0] for a in flat
                    if a["object_type"] in ("device", "interface")}
    link_site = {n: z or a for n, a, z in session.execute(
        select(Link.name, Link.a_site_id, Link.z_site_id).where(Link.name.in_(link_names)))
    } if link_names else {}
    device_site = {n: s for n, s in session.execute(
        select(Device.name, Device.site_id).where(Device.name.in_(device_names)))
    } if device_names else {}
    site_ids = {i for i in (*link_site.values(), *device_site.values()) if i}
    sites = {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(site_ids)))
             } if site_ids else {}
    for a in flat:
        place = None
        kind, name = a["object_type"], a["object_name"]
        sid = link_site.get(name) if kind == "link" else \
            device_site.get(name.split(":", 1)[0]) if kind in ("device", "interface") else None
        if sid in sites:
            place = _site_place(sites[sid], names)
        elif kind == "span":
            place = _span_place(session, a.get("details") or {}, names)
        a["place"] = place


def _span_place(session: Session, details: dict[str, Any], names: dict[str, str]
                ) -> dict[str, Any] | None:
    spans = details.get("spans") or []
    if not spans:
        return None
    row = session.execute(select(Span.attrs, RouteEdge.geometry_wkb)
                          .join(RouteEdge, RouteEdge.id == Span.route_edge_id)
                          .where(Span.id == spans[0])).one_or_none()
    if row is None:
        return None
    attrs, wkb = row
    mid = from_wkb(wkb).interpolate(0.5, normalized=True)
    kec = (attrs or {}).get("kecamatan_code")
    return {"site": None, "site_name": None, "village": None, "village_code": None,
            "kecamatan": names.get(kec or ""), "kecamatan_code": kec, "lon": mid.x,
            "lat": mid.y}
