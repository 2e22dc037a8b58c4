"""Alarms (list, acknowledge), the impact of failures (what-if and live), the located cut."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.caching import cached_async
from api.deps import MAX_ID, Engineer, Id, Paging, Reader, Store, Viewer
from api.geojson import collection, feature, geometry, json_bytes
from api.places import add_places
from api.routers.links import live_stamp
from api.schemas import AlarmOut, Open, Page
from fonet.geo import from_wkb
from fonet.noc.alarms import acknowledge, alarm_dict, list_alarms
from fonet.noc.impact import live_impact, what_if
from fonet.noc.locate import locate_live
from fonet.noc.topology import load_topology
from fonet.store import reader, transaction
from fonet.store.models import RouteEdge, Span

router = APIRouter(tags=["noc"])

PlanQ = Annotated[int | None, Query(ge=1, le=MAX_ID,
                                    description="The plan [default: the newest].")]
Ids = Annotated[list[int], Field(default_factory=list, max_length=10_000)]
Names = Annotated[list[Annotated[str, Field(max_length=256)]],
                  Field(default_factory=list, max_length=10_000)]


class AckIn(BaseModel):
    """Why an alarm is acknowledged."""

    model_config = ConfigDict(extra="forbid")

    comment: str = Field(min_length=1, max_length=1024, examples=["crew on the way"])


class FailureIn(BaseModel):
    """What fails together: spans, route edges (trenches), links (by name), devices."""

    model_config = ConfigDict(extra="forbid")

    plan_id: int | None = Field(default=None, ge=1, le=MAX_ID,
                                 description="Default: the newest plan.")
    spans: Ids
    route_edges: Ids
    links: Names
    devices: Names


SEVERITIES = ("critical", "major", "minor", "warning")


@router.get("/alarms", summary="List alarms", response_model=Page[Open])
async def alarms(paging: Paging, request: Request, _: Viewer,
           open: Annotated[bool, Query(description="Only alarms not cleared.")] = False,
           severity: Annotated[list[Literal[SEVERITIES]] | None,  # type: ignore[valid-type]
                               Query(description="Only these severities (repeatable).")]
           = None,
           kind: Annotated[str | None, Query(max_length=32, description="Only this kind "
                                                                       "(`link_down`...).")]
           = None,
           ) -> Response:
    """Root alarms, newest first, each with the alarms grouped under it.

    Each alarm has a ``place``: the village and kecamatan (names and codes) and the point to
    zoom to, or ``null`` when it is not known.
    """
    def build() -> bytes:
        with reader(request.app.state.engine) as session:
            rows = list_alarms(session, open_only=open, limit=100_000)
            if severity:
                rows = [r for r in rows if r["severity"] in severity]
            if kind:
                rows = [r for r in rows if r["kind"] == kind]
            window = rows[paging.offset:paging.offset + paging.limit]
            add_places(session, window)
        return json_bytes(paging.page(window, len(rows)))

    return await cached_async(request, ("alarms", str(request.url.query)),
                              live_stamp(request), build)


@router.post("/alarms/{alarm_id}/ack", summary="Acknowledge an alarm (engineer)",
             response_model=AlarmOut)
def ack(alarm_id: Id, body: AckIn, engine: Store, who: Engineer) -> dict[str, Any]:
    """Acknowledge an alarm in the name of the token used, with a comment."""
    with transaction(engine) as s:
        return alarm_dict(acknowledge(s, alarm_id, user=who.name, comment=body.comment))


@router.post("/impact/what-if", summary="What a failure would cut off", response_model=Open)
def impact_what_if(body: FailureIn, session: Reader, _: Viewer) -> dict[str, Any]:
    """Sites cut off from the core POP and sites left on one path if these fail together."""
    topo = load_topology(session, body.plan_id)
    return what_if(topo, spans=body.spans, route_edges=body.route_edges, links=body.links,
                   devices=body.devices)


@router.get("/impact/live", summary="What the failures now cut off", response_model=Open)
def impact_live(session: Reader, _: Viewer, plan_id: PlanQ = None) -> dict[str, Any]:
    """Impact of the links down now and the sites whose devices are all unreachable."""
    return live_impact(session, load_topology(session, plan_id))


@router.get("/noc/cut", summary="Where the fibre is most likely cut", response_model=Open)
async def located_cut(request: Request, _: Viewer, plan_id: PlanQ = None) -> Response:
    """Ranked places (sections of spans, trenches) whose cut explains the links down now.

    ``geojson`` draws the places of the most likely hypothesis.
    """
    def build() -> bytes:
        with reader(request.app.state.engine) as session:
            return json_bytes(_located_cut(session, plan_id))

    return await cached_async(request, ("cut", plan_id), live_stamp(request), build)


def _located_cut(session: Any, plan_id: int | None) -> dict[str, Any]:
    result = locate_live(session, load_topology(session, plan_id))
    places = (result.get("hypotheses") or [{}])[0].get("places", [])
    span_ids = sorted({sp for p in places for sp in p.get("spans", [])})
    feats = []
    if span_ids:
        rows = session.execute(select(Span.id, Span.length_m, RouteEdge.geometry_wkb)
                               .join(RouteEdge, RouteEdge.id == Span.route_edge_id)
                               .where(Span.id.in_(span_ids)))
        feats = [feature(geometry(from_wkb(wkb)), {"span_id": sid,
                                                   "length_m": round(length, 1)}, sid)
                 for sid, length, wkb in rows]
    result["geojson"] = collection(feats)
    return result
