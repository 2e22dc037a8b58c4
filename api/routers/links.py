"""Links with their live state, as JSON and GeoJSON, and the NOC's state in one answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.caching import cached_async
from api.deps import MAX_ID, Admin, Id, Paging, Reader, Store, Viewer
from api.events import alarm_info
from api.geojson import (
    GeoJSONResponse,
    collection,
    feature,
    geometry,
    json_bytes,
    link_geometries,
    link_rows,
)
from api.schemas import FeatureCollection, NocStateOut, Page
from fonet.errors import NotFoundError
from fonet.i18n.keyed import en, keyed
from fonet.store import reader, transaction
from fonet.store.models import Device, Interface, Link, Site
from fonet.store.observed import Alarm

router = APIRouter(tags=["links"])

State = Literal["up", "down", "degraded", "unknown"]
PlanQ = Annotated[int | None, Query(ge=1, le=MAX_ID,
                                    description="Only the links of this plan.")]
MonitoredQ = Annotated[bool | None, Query(description="Only links with (true) or without "
                                                      "(false) an interface attached.")]
StateQ = Annotated[State | None, Query(description="Only links in this live state.")]


def _iso(t: datetime | None) -> str | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).isoformat()


def _names(session: Any, rows: list[Any]) -> tuple[dict[int, str], dict[int, str]]:
    site_ids = {x for r in rows for x in (r.a_site_id, r.z_site_id) if x}
    if_ids = {x for r in rows for x in (r.a_interface_id, r.z_interface_id) if x}
    sites = {}
    for chunk in range(0, len(site_ids), 500):
        ids = sorted(site_ids)[chunk:chunk + 500]
        sites.update({i: c for i, c in session.execute(select(Site.id, Site.code)
                                                       .where(Site.id.in_(ids)))})
    ifaces = {}
    if if_ids:
        for iid, dname, iname, idx in session.execute(
                select(Interface.id, Device.name, Interface.name, Interface.if_index)
                .join(Device, Device.id == Interface.device_id)
                .where(Interface.id.in_(if_ids))):
            ifaces[iid] = f"{dname}:{iname or idx}"
    return sites, ifaces


def link_role(name: str) -> str:
    """Return ``backbone`` (ring hops, ``P<n>:BB<ring>:...``), ``access`` or ``other``."""
    parts = name.split(":")
    if len(parts) > 1 and parts[1].startswith("BB"):
        return "backbone"
    if len(parts) > 1 and parts[1] == "AC":
        return "access"
    return "other"


def link_out(r: Any, sites: dict[int, str], ifaces: dict[int, str]) -> dict[str, Any]:
    """Return a link row (see :func:`api.geojson.link_rows`) with its live state as JSON."""
    known = r.state is not None
    reasons = (r.reasons or []) if known else [en("link.reason.never_evaluated")]
    return {"id": r.id, "name": r.name, "plan_id": r.plan_id, "status": r.status,
            "role": link_role(r.name),
            "a_interface_id": r.a_interface_id, "z_interface_id": r.z_interface_id,
            "a_site": sites.get(r.a_site_id), "z_site": sites.get(r.z_site_id),
            "a_interface": ifaces.get(r.a_interface_id),
            "z_interface": ifaces.get(r.z_interface_id),
            "monitored": r.a_interface_id is not None or r.z_interface_id is not None,
            "state": r.state if known else "unknown",
            "reasons": reasons,
            "reason_keys": [keyed(x, "link.reason.") for x in reasons],
            "since": _iso(r.since) if known else None,
            "updated_at": _iso(r.updated_at) if known else None}


class LinkOut(BaseModel):
    """A link with its ends and live state."""

    id: int
    name: str
    plan_id: int | None
    status: str
    role: Literal["backbone", "access", "other"]
    a_interface_id: int | None
    z_interface_id: int | None
    a_site: str | None
    z_site: str | None
    a_interface: str | None
    z_interface: str | None
    monitored: bool
    state: State
    reasons: list[str]
    reason_keys: list[dict[str, Any]] = Field(
        default_factory=list, description="Each reason as a catalogue key and parameters "
                                          "(key null when it has none), to render it in the "
                                          "client's language.")
    since: str | None
    updated_at: str | None


RoleQ = Annotated[Literal["backbone", "access", "other"] | None,
                  Query(description="Only backbone (ring) or access links.")]
LINK_ORDERS = ("name", "-name", "id", "-id", "state", "-state", "since", "-since")
STATE_RANK = {"down": 0, "degraded": 1, "unknown": 2, "up": 3}


def _sort(items: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
    key = order.lstrip("-")
    rev = order.startswith("-")
    if key == "state":
        return sorted(items, key=lambda x: (STATE_RANK.get(x["state"], 9), x["name"]),
                      reverse=rev)
    return sorted(items, key=lambda x: (x[key] is None, x[key] or "" if key != "id"
                                        else x[key]), reverse=rev)


@router.get("/links", summary="Links with live state")
def list_links(session: Reader, paging: Paging, _: Viewer, plan_id: PlanQ = None,
               monitored: MonitoredQ = None, state: StateQ = None, role: RoleQ = None,
               order: Annotated[Literal[LINK_ORDERS],  # type: ignore[valid-type]
                                Query(description="Sort key (`state`: down first); `-` for "
                                                  "descending.")] = "name",
               ) -> Page[LinkOut]:
    """Links (circuits between two interfaces, riding spans) with live state."""
    rows = link_rows(session, plan_id=plan_id, monitored=monitored, state=state)
    if role:
        rows = [r for r in rows if link_role(r.name) == role]
    sites, ifaces = _names(session, rows)
    items = _sort([link_out(r, sites, ifaces) for r in rows], order)
    return paging.page(items[paging.offset:paging.offset + paging.limit],  # type: ignore
                       len(items))


class TerminationsIn(BaseModel):
    """The two interfaces that terminate a link.

    Each as ``DEVICE:INTERFACE`` (ifName, ifDescr or ifIndex).
    """

    model_config = ConfigDict(extra="forbid")

    a: str = Field(min_length=3, max_length=300, examples=["olt-mojosari:xe-1/0/1"])
    z: str = Field(min_length=3, max_length=300, examples=["olt-sooko:xe-1/0/1"])


def live_stamp(request: Request) -> tuple[Any, ...]:
    """Return a version of the links and their live state.

    It changes with every live event, every write through the API and every link added,
    removed or (de)terminated by another process (the event hub watches the links).
    """
    return (request.app.state.events.version, request.app.state.audit.writes)


@router.get("/links/geojson", summary="Links with live state, as GeoJSON",
            response_class=GeoJSONResponse, response_model=FeatureCollection)
async def links_geojson(request: Request, _: Viewer, plan_id: PlanQ = None,
                        monitored: MonitoredQ = None, state: StateQ = None) -> Response:
    """Each link along its spans (or straight between its end sites), with ``state``."""
    def build() -> bytes:
        with reader(request.app.state.engine) as session:
            rows = link_rows(session, plan_id=plan_id, monitored=monitored, state=state)
            geoms = link_geometries(session, [r.id for r in rows])
            sites, ifaces = _names(session, rows)
            feats = [feature(geometry(geoms[r.id]) if r.id in geoms else None,
                             link_out(r, sites, ifaces), r.id) for r in rows]
        return json_bytes(collection(feats))

    return await cached_async(request, ("links", plan_id, monitored, state),
                              live_stamp(request), build, "application/geo+json")


@router.get("/noc/state", summary="The NOC's state: monitored links and open alarms",
            response_model=NocStateOut)
async def noc_state(request: Request, _: Viewer) -> Response:
    """Every link with an interface attached or a live state, and every open alarm.

    ``cursor`` is the id of the newest live event: a client that then opens
    `/api/v1/events` with ``Last-Event-ID: cursor`` misses nothing in between. The answer is
    rendered once per version of the live state (``at`` tells when), with an ``ETag``.
    """
    cursor = request.app.state.events.cursor

    def build() -> bytes:
        with reader(request.app.state.engine) as session:
            rows = link_rows(session, observed=True)
            sites, ifaces = _names(session, rows)
            alarms = list(session.execute(select(Alarm.__table__)
                                          .where(Alarm.cleared_at.is_(None))
                                          .order_by(Alarm.raised_at.desc(), Alarm.id.desc())))
        counts: dict[str, int] = {"up": 0, "down": 0, "degraded": 0, "unknown": 0}
        links = [link_out(r, sites, ifaces) for r in rows]
        for lo in links:
            counts[lo["state"]] = counts.get(lo["state"], 0) + 1
        return json_bytes({"at": datetime.now(UTC).isoformat(), "cursor": cursor,
                           "counts": counts, "links": links,
                           "alarms": [alarm_info(a) for a in alarms]})

    return await cached_async(request, ("noc",), (cursor, *live_stamp(request)), build)


def _one_link(session: Any, link_id: int) -> LinkOut:
    rows = [r for r in link_rows(session, link_ids=[link_id])]
    if not rows:
        raise NotFoundError(f"no link with id {link_id}")
    sites, ifaces = _names(session, rows)
    return LinkOut(**link_out(rows[0], sites, ifaces))


@router.get("/links/{link_id}", summary="One link")
def get_link(link_id: Id, session: Reader, _: Viewer) -> LinkOut:
    """Return a link with its ends and live state."""
    return _one_link(session, link_id)


@router.put("/links/{link_id}/terminations", summary="Attach a link to two interfaces "
                                                     "(admin)")
def attach(link_id: Id, body: TerminationsIn, engine: Store, _: Admin) -> LinkOut:
    """Say which interfaces terminate a link: its live state follows them from the next poll."""
    from fonet.devices import attach_link

    with transaction(engine) as s:
        link = s.get(Link, link_id)
        if link is None:
            raise NotFoundError(f"no link with id {link_id}")
        attach_link(s, link.name, body.a, body.z, create=False)
        s.flush()
        return _one_link(s, link_id)


@router.delete("/links/{link_id}/terminations", summary="Detach a link from its interfaces "
                                                        "(admin)")
def detach(link_id: Id, engine: Store, _: Admin) -> LinkOut:
    """Forget which interfaces terminate a link: it is no longer monitored."""
    with transaction(engine) as s:
        link = s.get(Link, link_id)
        if link is None:
            raise NotFoundError(f"no link with id {link_id}")
        link.a_interface_id = link.z_interface_id = None
        s.flush()
        return _one_link(s, link_id)
