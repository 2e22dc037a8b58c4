"""The contents of the field documents: a closure's splice sheet and a cable's schematic.

Rendering (PDF, ``.xlsx``) lives in :mod:`gis.export.fibre_docs`; this module only reads the
store.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.fibre.lookup import find_cable, find_closure
from fonet.store.fibre import (
    Circuit,
    CircuitFibre,
    Closure,
    Fibre,
    FibreCable,
    Odf,
    OdfPort,
    Splice,
)
from fonet.store.models import Link


def _circuit_of(session: Session, fibre_ids: set[int]) -> dict[int, str]:
    return dict(session.execute(
        select(CircuitFibre.fibre_id, Link.name)
        .join(Circuit, Circuit.id == CircuitFibre.circuit_id)
        .join(Link, Link.id == Circuit.link_id)
        .where(CircuitFibre.fibre_id.in_(fibre_ids))).all())


def splice_sheet(session: Session, closure_ref: str | int) -> dict[str, Any]:
    """Every splice of a closure: tray, in-fibre and out-fibre with colours, circuit.

    The *in* fibre is on the cable arriving at the closure (whose Z end is there), the *out*
    fibre on the cable leaving it.
    """
    clo = find_closure(session, closure_ref)
    splices = session.scalars(select(Splice).where(Splice.closure_id == clo.id)
                              .order_by(Splice.tray, Splice.id)).all()
    fids = {s.a_fibre_id for s in splices} | {s.b_fibre_id for s in splices}
    fibres = {f.id: f for f in session.scalars(select(Fibre).where(Fibre.id.in_(fids)))}
    cables = {c.id: c for c in session.scalars(select(FibreCable).where(
        (FibreCable.a_closure_id == clo.id) | (FibreCable.z_closure_id == clo.id)))}
    circuit = _circuit_of(session, fids)

    def side(f: Fibre) -> dict[str, Any]:
        c = cables.get(f.cable_id)
        return {"cable": c.code if c else str(f.cable_id), "fibre": f.number, "tube": f.tube,
                "tube_colour": f.tube_colour, "colour": f.colour}

    rows = []
    for s in splices:
        a, b = fibres[s.a_fibre_id], fibres[s.b_fibre_id]
        ca = cables.get(a.cable_id)
        if ca is not None and ca.a_closure_id == clo.id and ca.z_closure_id != clo.id:
            a, b = b, a
        rows.append({"tray": s.tray, "splice_id": s.id, "in": side(a), "out": side(b),
                     "circuit": circuit.get(a.id) or circuit.get(b.id),
                     "loss_db": s.loss_db})
    return {"closure": clo.code, "kind": clo.kind, "status": clo.status, "lon": clo.lon,
            "lat": clo.lat, "trays": clo.trays,
            "cables": [{"code": c.code, "cores": c.cores, "tube_layout": c.tube_layout,
                        "end": "Z" if c.z_closure_id == clo.id else "A"}
                       for c in sorted(cables.values(), key=lambda c: c.code)],
            "splices": rows}


def _end(session: Session, cable: FibreCable, side: str, fibres: list[Fibre]
         ) -> tuple[str, dict[int, str]]:
    """Name of a cable end and, per fibre, where the fibre goes there."""
    clo_id = getattr(cable, f"{side}_closure_id")
    odf_id = getattr(cable, f"{side}_odf_id")
    ids = {f.id for f in fibres}
    where: dict[int, str] = {}
    if odf_id is not None:
        odf = session.get(Odf, odf_id)
        for fid, number in session.execute(select(OdfPort.fibre_id, OdfPort.number).where(
                OdfPort.odf_id == odf_id, OdfPort.fibre_id.in_(ids))):
            if fid is not None:
                where[fid] = f"port {number}"
        return (odf.code if odf else f"ODF {odf_id}"), where
    clo = session.get(Closure, clo_id)
    others: dict[int, int] = {}
    for a, b in session.execute(select(Splice.a_fibre_id, Splice.b_fibre_id)
                                .where(Splice.closure_id == clo_id)):
        others[a], others[b] = b, a
    far = {f.id: f for f in session.scalars(select(Fibre).where(
        Fibre.id.in_([others[i] for i in ids if i in others])))}
    codes = dict(session.execute(select(FibreCable.id, FibreCable.code).where(
        FibreCable.id.in_({f.cable_id for f in far.values()}))).all())
    for fid in ids:
        g = far.get(others.get(fid, -1))
        if g is not None:
            where[fid] = f"{codes[g.cable_id]}/{g.number} ({g.tube_colour}/{g.colour})"
    return (clo.code if clo else f"closure {clo_id}"), where


def cable_schematic(session: Session, cable_ref: str | int) -> dict[str, Any]:
    """Return a cable's fibres and where each goes at both ends (port or spliced fibre), by tube."""
    cable = find_cable(session, cable_ref)
    fibres = session.scalars(select(Fibre).where(Fibre.cable_id == cable.id)
                             .order_by(Fibre.number)).all()
    a_name, a_where = _end(session, cable, "a", list(fibres))
    z_name, z_where = _end(session, cable, "z", list(fibres))
    circuit = _circuit_of(session, {f.id for f in fibres})
    tubes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in fibres:
        tubes[f.tube].append({"fibre": f.number, "tube_colour": f.tube_colour,
                              "colour": f.colour, "state": f.state,
                              "circuit": circuit.get(f.id), "a": a_where.get(f.id),
                              "z": z_where.get(f.id)})
    return {"cable": cable.code, "id": cable.id, "cores": cable.cores,
            "tube_layout": cable.tube_layout, "colour_standard": cable.colour_standard,
            "length_m": cable.length_m, "status": cable.status, "role": cable.role,
            "a_end": a_name, "z_end": z_name,
            "tubes": [{"tube": t, "fibres": rows} for t, rows in sorted(tubes.items())]}
