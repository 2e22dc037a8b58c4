"""The fibre layer: cables, closures, ODFs and circuit traces, as JSON and GeoJSON."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from api.deps import MAX_ID, Engineer, Paging, Reader, Store, Viewer
from api.geojson import GeoJSONResponse, collection, degenerate, feature, geometry, point
from api.schemas import FeatureCollection, Page
from api.schemas_fibre import (
    CableCutOut,
    CableDetail,
    CableOut,
    ClosureDetail,
    ClosureOut,
    DesignOut,
    SpliceOut,
    TraceGeoJSON,
    TraceOut,
)
from fonet.fibre.design import design
from fonet.fibre.edit import splice
from fonet.fibre.geometry import cable_lines, odf_points
from fonet.fibre.lookup import find_cable, find_closure, find_link
from fonet.fibre.sheets import cable_schematic, splice_sheet
from fonet.fibre.trace import trace_circuit
from fonet.noc.impact import cable_cut
from fonet.noc.topology import load_topology
from fonet.store import transaction
from fonet.store.fibre import Closure, Fibre, FibreCable, Odf, Splice
from fonet.store.models import Site

router = APIRouter(tags=["fibre"])

Ref = Annotated[str, PathParam(min_length=1, max_length=128, description="Code or id.")]
LinkRef = Annotated[str, PathParam(min_length=1, max_length=128, description="Link name or id.")]
RoleQ = Annotated[Literal["backbone", "access"] | None,
                  Query(description="Only cables of this role.")]


def _fibre_counts(session: Any) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for cid, state, n in session.execute(select(Fibre.cable_id, Fibre.state, func.count())
                                         .group_by(Fibre.cable_id, Fibre.state)):
        out.setdefault(cid, {})[state] = n
    return out


def _cable_out(c: FibreCable, counts: dict[int, dict[str, int]]) -> dict[str, Any]:
    n = counts.get(c.id, {})
    return {"id": c.id, "code": c.code, "role": c.role, "cores": c.cores,
            "tube_layout": c.tube_layout, "colour_standard": c.colour_standard,
            "cable_type": c.cable_type, "install_method": c.install_method,
            "status": c.status, "length_m": round(c.length_m, 1), "plan_id": c.plan_id,
            "fibres_in_use": n.get("in_use", 0), "fibres_spare": n.get("spare", 0),
            "fibres_dark": n.get("dark", 0), "fibres_broken": n.get("broken", 0)}


@router.get("/cables", summary="Cables of the fibre layer", response_model=Page[CableOut])
def list_cables(session: Reader, paging: Paging, _: Viewer, role: RoleQ = None
                ) -> dict[str, Any]:
    """Cables by code, with their fibre counts by state."""
    q = select(FibreCable).order_by(FibreCable.code)
    if role:
        q = q.where(FibreCable.role == role)
    rows = session.scalars(q).all()
    counts = _fibre_counts(session)
    window = rows[paging.offset:paging.offset + paging.limit]
    return paging.page([_cable_out(c, counts) for c in window], len(rows))


@router.get("/cables/geojson", summary="Cables as GeoJSON", response_class=GeoJSONResponse,
            response_model=FeatureCollection)
def cables_geojson(session: Reader, _: Viewer, role: RoleQ = None) -> GeoJSONResponse:
    """Each cable along the route edges it runs, with its fibre counts."""
    q = select(FibreCable).order_by(FibreCable.id)
    if role:
        q = q.where(FibreCable.role == role)
    rows = session.scalars(q).all()
    lines = cable_lines(session, [c.id for c in rows])
    counts = _fibre_counts(session)
    return GeoJSONResponse(collection(
        feature(geometry(lines[c.id]) if c.id in lines and not degenerate(lines[c.id])
                else None, _cable_out(c, counts), c.id)
        for c in rows))


@router.get("/cables/{ref}", summary="A cable: its fibres, their colours, state and circuit",
            response_model=CableDetail)
def get_cable(ref: Ref, session: Reader, _: Viewer) -> dict[str, Any]:
    """Return the cable with every fibre by tube: colours, state, circuit, where each goes."""
    cable = find_cable(session, ref)
    out = _cable_out(cable, _fibre_counts(session))
    out["schematic"] = cable_schematic(session, cable.id)
    return out


@router.get("/cables/{ref}/cut", summary="What-if: what a cut of this cable breaks",
            response_model=CableCutOut)
def cut_cable(ref: Ref, session: Reader, _: Viewer,
              plan_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description=(
                  "The plan whose sites are assessed [default: the newest]."))] = None
              ) -> dict[str, Any]:
    """Return the circuits with a fibre on the cable and the sites they cut off.

    Each broken circuit lists the spare fibres on the cables of its path (``restore``).
    """
    return cable_cut(session, load_topology(session, plan_id), [ref], redundancy=False)


def _closure_out(c: Closure, splices: dict[int, int]) -> dict[str, Any]:
    return {"id": c.id, "code": c.code, "kind": c.kind, "status": c.status, "trays": c.trays,
            "splices": splices.get(c.id, 0), "route_node_id": c.route_node_id,
            "route_edge_id": c.route_edge_id, "at_m": c.at_m, "lon": c.lon, "lat": c.lat}


def _splices(session: Any) -> dict[int, int]:
    return dict(session.execute(select(Splice.closure_id, func.count())
                                .group_by(Splice.closure_id)).all())


@router.get("/closures", summary="Closures (joint boxes)", response_model=Page[ClosureOut])
def list_closures(session: Reader, paging: Paging, _: Viewer) -> dict[str, Any]:
    """Closures by code, with their splice counts."""
    rows = session.scalars(select(Closure).order_by(Closure.code)).all()
    n = _splices(session)
    window = rows[paging.offset:paging.offset + paging.limit]
    return paging.page([_closure_out(c, n) for c in window], len(rows))


@router.get("/closures/geojson", summary="Closures as GeoJSON", response_class=GeoJSONResponse,
            response_model=FeatureCollection)
def closures_geojson(session: Reader, _: Viewer) -> GeoJSONResponse:
    """Each closure as a point."""
    rows = session.scalars(select(Closure).order_by(Closure.id)).all()
    n = _splices(session)
    return GeoJSONResponse(collection(feature(point(c.lon, c.lat), _closure_out(c, n), c.id)
                                      for c in rows))


@router.get("/closures/{ref}", summary="A closure and its splice sheet",
            response_model=ClosureDetail)
def get_closure(ref: Ref, session: Reader, _: Viewer) -> dict[str, Any]:
    """Return the closure's splices: tray, in-fibre and out-fibre with colours, circuit."""
    clo = find_closure(session, ref)
    return {**_closure_out(clo, _splices(session)), "sheet": splice_sheet(session, clo.id)}


SHEET_MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/closures/{ref}/sheet.{fmt}", summary="A closure's splice sheet as a file",
            response_class=Response,
            responses={200: {"content": {m: {"schema": {"type": "string", "format": "binary"}}
                                         for m in SHEET_MEDIA.values()},
                             "description": "The splice sheet (PDF or Excel)."}})
def closure_sheet_file(ref: Ref, fmt: Literal["pdf", "xlsx"], session: Reader, _: Viewer
                       ) -> Response:
    """Return the splice sheet for the field team: tray, both fibres with colours, circuit."""
    from gis.export.fibre_docs import write_splice_sheet

    sheet = splice_sheet(session, ref)
    with tempfile.TemporaryDirectory(prefix="fonet-sheet-") as tmp:
        out = write_splice_sheet(sheet, Path(tmp) / f"splices-{sheet['closure']}.{fmt}")
        body = out.read_bytes()
    return Response(body, media_type=SHEET_MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="splices-{sheet["closure"]}.{fmt}"'})


@router.get("/odfs/geojson", summary="ODFs and termination boxes as GeoJSON",
            response_class=GeoJSONResponse, response_model=FeatureCollection)
def odfs_geojson(session: Reader, _: Viewer) -> GeoJSONResponse:
    """Each ODF (patch panel at the POP or a hub) or OTB (at a served site) at its site."""
    pts = odf_points(session)
    rows = session.execute(select(Odf, Site.code).join(Site, Site.id == Odf.site_id)
                           .order_by(Odf.id)).all()
    return GeoJSONResponse(collection(
        feature(geometry(pts[o.id]), {"id": o.id, "code": o.code, "kind": o.kind,
                                      "site": code, "ports": o.ports, "status": o.status},
                o.id) for o, code in rows))


@router.get("/traces/{link}", summary="A link's circuit traced fibre by fibre",
            response_model=TraceOut, response_model_exclude_unset=True)
def get_trace(link: LinkRef, session: Reader, _: Viewer) -> dict[str, Any]:
    """Each hop (port, fibre with colours, splice) with cumulative length and loss."""
    return trace_circuit(session, find_link(session, link))


@router.get("/traces/{link}/geojson", summary="A link's trace as GeoJSON",
            response_class=GeoJSONResponse, response_model=TraceGeoJSON)
def trace_geojson(link: LinkRef, session: Reader, _: Viewer) -> GeoJSONResponse:
    """Strand 1 of the trace: each fibre along its cable (a line), each splice (a point)."""
    tr = trace_circuit(session, find_link(session, link))
    hops = tr["strands"][0]["hops"] if tr["strands"] else []
    lines = cable_lines(session, [h["cable_id"] for h in hops if h["kind"] == "fibre"])
    closures = {c.id: c for c in session.scalars(select(Closure).where(Closure.id.in_(
        [h["closure_id"] for h in hops if h["kind"] == "splice"])))}
    feats = []
    for k, h in enumerate(hops):
        if h["kind"] == "fibre" and h["cable_id"] in lines and not degenerate(
                lines[h["cable_id"]]):
            feats.append(feature(geometry(lines[h["cable_id"]]), {"seq": k, **h}, k))
        elif h["kind"] == "splice" and h["closure_id"] in closures:
            c = closures[h["closure_id"]]
            feats.append(feature(point(c.lon, c.lat), {"seq": k, **h}, k))
    summary = {k: tr[k] for k in ("link", "length_m", "splices", "loss_db", "budget_db",
                                  "transceiver", "complete")}
    return GeoJSONResponse(collection(feats, trace=summary))


class DesignIn(BaseModel):
    """The plan whose fibre layer to design."""

    model_config = ConfigDict(extra="forbid")

    plan_id: int = Field(ge=1, le=MAX_ID)


@router.post("/fibre/design", summary="Design the fibre layer of a plan (engineer)",
             response_model=DesignOut)
def post_design(body: DesignIn, engine: Store, _: Engineer) -> dict[str, Any]:
    """Cables, closures, ODFs, fibre pairs and splices for every link of the plan.

    A re-run keeps what is built and whatever still fits (see ``fonet fibre design``).
    """
    with transaction(engine) as s:
        return design(s, body.plan_id).to_json()


class FibreRef(BaseModel):
    """A fibre: its cable (code or id) and number."""

    model_config = ConfigDict(extra="forbid")

    cable: str = Field(min_length=1, max_length=64)
    fibre: int = Field(ge=1, le=10_000)


class SpliceIn(BaseModel):
    """Two fibres of cables ending at the closure, and optionally the tray."""

    model_config = ConfigDict(extra="forbid")

    a: FibreRef
    b: FibreRef
    tray: int | None = Field(default=None, ge=1, le=1000)


@router.post("/closures/{ref}/splices", status_code=201,
             summary="Splice two fibres in a closure (engineer)", response_model=SpliceOut)
def post_splice(ref: Ref, body: SpliceIn, engine: Store, _: Engineer) -> dict[str, Any]:
    """Splice fibre ``a`` to fibre ``b`` in the closure.

    A fibre already spliced there, or on a cable not ending at the closure, is a 422 problem
    and nothing is stored.
    """
    with transaction(engine) as s:
        sp = splice(s, ref, (body.a.cable, body.a.fibre), (body.b.cable, body.b.fibre),
                    tray=body.tray)
        return {"id": sp.id, "closure_id": sp.closure_id, "tray": sp.tray,
                "loss_db": sp.loss_db}
