"""Interfaces of the devices: list, read, describe, remove (admin), and their history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from api.deps import Admin, Id, Paging, Reader, Store, Viewer
from api.schemas import Page
from fonet.errors import InputError, NotFoundError
from fonet.series import MAX_POINTS, interface_series
from fonet.store import transaction
from fonet.store.models import Device, Interface, Link

router = APIRouter(tags=["interfaces"])

MAX_RANGE = timedelta(days=400)


class InterfaceOut(BaseModel):
    """An interface of a device, with the links it terminates."""

    id: int
    device: str
    device_id: int
    if_index: int
    name: str | None
    descr: str | None
    alias: str | None
    high_speed_mbps: int | None
    links: list[str]


class InterfacePatch(BaseModel):
    """What an operator may set on an interface (the rest is discovered over SNMP)."""

    model_config = ConfigDict(extra="forbid")

    alias: str | None = Field(default=None, max_length=256)
    descr: str | None = Field(default=None, max_length=256)


class SeriesOut(BaseModel):
    """A metric of an interface in buckets.

    ``t``: bucket starts (Unix seconds); ``value``: average; ``peak``: maximum (for
    ``rx_dbm`` the minimum); ``null`` without data.
    """

    interface_id: int
    interface: str
    metric: str
    unit: str
    start: str = Field(serialization_alias="from")
    end: str = Field(serialization_alias="to")
    step_s: int
    source: str = Field(description="`raw` samples, five-minute `rollup`s, both, or `none`.")
    t: list[int]
    value: list[float | None]
    peak: list[float | None]


def _links_of(session: Any, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for name, a, z in session.execute(select(Link.name, Link.a_interface_id,
                                                 Link.z_interface_id).where(or_(
                Link.a_interface_id.in_(ids), Link.z_interface_id.in_(ids)))):
            for i in (a, z):
                if i in out:
                    out[i].append(name)
    return out


def interface_out(i: Interface, device: str, links: list[str]) -> InterfaceOut:
    """Return an interface as the API shows it."""
    return InterfaceOut(id=i.id, device=device, device_id=i.device_id, if_index=i.if_index,
                        name=i.name, descr=i.descr, alias=i.alias,
                        high_speed_mbps=i.high_speed_mbps, links=sorted(links))


ORDERS: dict[str, Any] = {"id": Interface.id.asc(), "-id": Interface.id.desc(),
          "device": Device.name.asc(), "-device": Device.name.desc(),
          "if_index": Interface.if_index.asc(), "-if_index": Interface.if_index.desc()}


@router.get("/interfaces", summary="List interfaces")
def list_interfaces(
    session: Reader, paging: Paging, _: Viewer,
    device: Annotated[str | None, Query(max_length=128, description="Device name.")] = None,
    q: Annotated[str | None, Query(max_length=128, description="Text in the name, "
                                                              "description or alias.")] = None,
    linked: Annotated[bool | None, Query(description="Only interfaces that terminate (true) "
                                                     "or do not terminate (false) a link.")]
    = None,
    order: Annotated[Literal["id", "-id", "device", "-device", "if_index", "-if_index"],
                     Query(description="Sort key; `-` for descending.")] = "device",
) -> Page[InterfaceOut]:
    """Interfaces discovered on the devices, with the links they terminate."""
    query = select(Interface, Device.name).join(Device, Device.id == Interface.device_id)
    if device:
        query = query.where(Device.name == device)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Interface.name.ilike(like), Interface.descr.ilike(like),
                                Interface.alias.ilike(like)))
    if linked is not None:
        used = select(Link.a_interface_id).where(Link.a_interface_id.is_not(None)).union(
            select(Link.z_interface_id).where(Link.z_interface_id.is_not(None)))
        query = query.where(Interface.id.in_(used) if linked else Interface.id.not_in(used))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(ORDERS[order], Interface.if_index, Interface.id)
                           .limit(paging.limit).offset(paging.offset)).all()
    links = _links_of(session, [i.id for i, _ in rows])
    return paging.page([interface_out(i, d, links[i.id]) for i, d in rows],  # type: ignore
                       total)


def _interface(session: Any, interface_id: int) -> tuple[Interface, str]:
    row = session.execute(select(Interface, Device.name).join(
        Device, Device.id == Interface.device_id).where(Interface.id == interface_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no interface with id {interface_id}")
    return row[0], row[1]


@router.get("/interfaces/{interface_id}", summary="One interface")
def get_interface(interface_id: Id, session: Reader, _: Viewer) -> InterfaceOut:
    """Return an interface with the links it terminates."""
    i, d = _interface(session, interface_id)
    return interface_out(i, d, _links_of(session, [i.id])[i.id])


@router.patch("/interfaces/{interface_id}", summary="Set an interface's alias or "
                                                    "description (admin)")
def update_interface(interface_id: Id, body: InterfacePatch, engine: Store, _: Admin
                     ) -> InterfaceOut:
    """Set the alias or description the NOC knows an interface by."""
    with transaction(engine) as s:
        i, d = _interface(s, interface_id)
        for k in body.model_fields_set:
            setattr(i, k, getattr(body, k))
        s.flush()
        return interface_out(i, d, _links_of(s, [i.id])[i.id])


@router.delete("/interfaces/{interface_id}", status_code=204,
               summary="Remove an interface (admin)")
def delete_interface(interface_id: Id, engine: Store, _: Admin) -> Response:
    """Remove an interface and its samples; links it terminated lose that end.

    The next poll of its device discovers it again if the device still has it.
    """
    with transaction(engine) as s:
        i, _d = _interface(s, interface_id)
        s.delete(i)
    return Response(status_code=204)


Metric = Literal["in_bps", "out_bps", "rx_dbm", "errors"]


@router.get("/interfaces/{interface_id}/series", summary="History of an interface",
            response_model=SeriesOut, response_model_by_alias=True)
def series(
    interface_id: Id, session: Reader, _: Viewer,
    metric: Annotated[Metric, Query(description="`in_bps`, `out_bps` (bit/s), `rx_dbm` "
                                                "(optical receive power) or `errors` "
                                                "(in + out errors per second).")],
    start: Annotated[AwareDatetime | None, Query(alias="from", description="Start (ISO 8601 "
                                                 "with zone) [default: `to` − 24 h].")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to", description="End (ISO 8601 with "
                                               "zone) [default: now].")] = None,
    step: Annotated[int | None, Query(ge=10, le=86_400 * 7, description="Bucket width in "
                                      f"seconds [default: about 720 buckets; at most "
                                      f"{MAX_POINTS}].")] = None,
) -> Any:
    """Buckets of a metric over a range, from raw samples and from five-minute rollups.

    Raw samples (one per poll) hold the recent past and rollups the older history; the range
    reads whichever holds it. Each bucket has the average and the peak (``null`` without
    data). Links terminated on the interface: see `GET /api/v1/interfaces/{id}`.
    """
    end = end or datetime.now(UTC)
    start = start or end - timedelta(hours=24)
    if end - start > MAX_RANGE:
        raise InputError("from", f"the range is longer than {MAX_RANGE.days} days",
                         field="from")
    s = interface_series(session, interface_id, metric, start, end, step)
    return SeriesOut(interface_id=s.interface_id, interface=s.interface, metric=s.metric,
                     unit=s.unit, start=s.start.isoformat(), end=s.end.isoformat(),
                     step_s=s.step_s, source=s.source, t=s.t, value=s.value, peak=s.peak)
