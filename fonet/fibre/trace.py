"""Tracing a circuit fibre by fibre: ports, cables, fibres and colours, closures and splices.

The loss along a trace is worked out by :func:`fonet.planning.engineering.check_path_loss`
from the fibre length, the splices and the connectors the trace passes: the same rule the
planner's loss budget uses, so a designed circuit's trace shows its link's planned loss.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import NotFoundError
from fonet.fibre.integrity import circuit_path_problems
from fonet.fibre.lookup import find_cable
from fonet.planning.engineering import check_loss, check_path_loss, path_loss_db
from fonet.planning.profile import Profile, load_profile, profile_from_dict
from fonet.store.fibre import (
    Circuit,
    CircuitFibre,
    Closure,
    Fibre,
    FibreCable,
    Odf,
    OdfPort,
    Patch,
    Splice,
)
from fonet.store.models import Device, Interface, Link, LinkSpan, Plan, PlanSite, Site, Span


def link_profile(session: Session, link: Link) -> Profile:
    """Return the profile of the link's plan (the default profile for a link outside a plan)."""
    plan = session.get(Plan, link.plan_id) if link.plan_id else None
    return profile_from_dict(plan.profile, f"plan {plan.id}") if plan else load_profile()


def _transceiver(session: Session, link: Link, profile: Profile, role: str) -> str:
    if role == "access":
        ps = session.get(PlanSite, (link.plan_id, link.z_site_id)) if link.plan_id else None
        if ps is not None and ps.attrs.get("transceiver") in profile.optics.transceivers:
            return str(ps.attrs["transceiver"])
        return profile.optics.access_transceiver
    return profile.optics.backbone_transceiver


def planned_loss(session: Session, link: Link) -> dict[str, Any] | None:
    """Return the plan's loss budget for a link: per site (access) or per ring hop (backbone)."""
    if link.plan_id is None:
        return None
    profile = link_profile(session, link)
    spans = session.scalars(select(Span).join(LinkSpan, LinkSpan.span_id == Span.id)
                            .where(LinkSpan.link_id == link.id)).all()
    if not spans or spans[0].role == "access":  # no span: a site standing on its hub's node
        ps = session.get(PlanSite, (link.plan_id, link.z_site_id))
        if ps is None or ps.loss_1310_db is None:
            return None
        t = _transceiver(session, link, profile, "access")
        wl = profile.optics.transceivers[t].wavelength_nm
        return {"transceiver": t, "loss_1310_db": ps.loss_1310_db,
                "loss_1550_db": ps.loss_1550_db,
                "loss_db": ps.loss_1310_db if wl == 1310 else ps.loss_1550_db}
    chk = check_loss(sum(s.length_m for s in spans), 0, profile,
                     profile.optics.backbone_transceiver)
    return {"transceiver": chk.transceiver, "loss_1310_db": chk.loss_1310_db,
            "loss_1550_db": chk.loss_1550_db, "loss_db": chk.loss_db}


def _port_hop(session: Session, odf_id: int | None, fibre_id: int) -> dict[str, Any]:
    odf = session.get(Odf, odf_id) if odf_id else None
    port = session.scalar(select(OdfPort).where(OdfPort.odf_id == odf_id,
                                                OdfPort.fibre_id == fibre_id))
    hop: dict[str, Any] = {"kind": "port", "odf": odf.code if odf else None,
                           "port": port.number if port else None}
    if odf is not None:
        site = session.get(Site, odf.site_id)
        hop["site"] = site.code if site else None
    patch = session.scalar(select(Patch).where(Patch.port_id == port.id)) if port else None
    if patch is not None:
        hop["patch"] = patch.label
        iface = session.get(Interface, patch.interface_id) if patch.interface_id else None
        if iface is not None:
            dev = session.get(Device, iface.device_id)
            hop["interface"] = f"{dev.name if dev else iface.device_id}:{iface.name}"
    return hop


def trace_circuit(session: Session, link: Link) -> dict[str, Any]:
    """Trace a link's circuit hop by hop with cumulative length and loss.

    Returns
    -------
    dict
        ``link``, ``transceiver``, ``wavelength_nm``, ``strands`` (each a list of hops:
        ``port``, ``fibre`` and ``splice`` with ``cum_length_m`` and ``cum_loss_db``),
        ``length_m``, ``splices``, ``connectors``, ``loss_1310_db``, ``loss_1550_db``,
        ``loss_db``, ``budget_db``, ``over_budget``, ``complete``, ``problems`` and
        ``plan_loss`` (the plan's own figure for the link).

    Raises
    ------
    NotFoundError
        If the link has no circuit (run ``fonet fibre design``).
    """
    circ = session.scalar(select(Circuit).where(Circuit.link_id == link.id))
    if circ is None:
        raise NotFoundError(f"link {link.name} has no circuit: run `fonet fibre design`")
    profile = link_profile(session, link)
    rows = session.execute(select(CircuitFibre.strand, Fibre, FibreCable)
                           .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
                           .join(FibreCable, FibreCable.id == Fibre.cable_id)
                           .where(CircuitFibre.circuit_id == circ.id)
                           .order_by(CircuitFibre.strand, CircuitFibre.seq)).all()
    role = rows[0][2].role if rows else "access"
    transceiver = _transceiver(session, link, profile, role)
    wl = profile.optics.transceivers[transceiver].wavelength_nm
    strands = []
    totals = (0.0, 0, 0)
    for strand in sorted({r[0] for r in rows}):
        path = [(f, c) for s, f, c in rows if s == strand]
        hops, totals = _strand_hops(session, path, profile, wl)
        strands.append({"strand": strand, "hops": hops})
    length, splices, connectors = totals
    chk = check_path_loss(length, splices, profile, transceiver, connectors=connectors)
    problems = circuit_path_problems(session, circ.id)
    return {"link": link.name, "circuit_id": circ.id, "status": circ.status,
            "transceiver": transceiver, "wavelength_nm": wl, "strands": strands,
            "length_m": round(length, 3), "splices": splices, "connectors": connectors,
            "loss_1310_db": chk.loss_1310_db, "loss_1550_db": chk.loss_1550_db,
            "loss_db": chk.loss_db, "budget_db": chk.budget_db,
            "over_budget": chk.over_budget, "complete": not problems, "problems": problems,
            "plan_loss": planned_loss(session, link)}


def _strand_hops(session: Session, path: list[tuple[Fibre, FibreCable]], profile: Profile,
                 wl: int) -> tuple[list[dict[str, Any]], tuple[float, int, int]]:
    optics = profile.optics
    length, splices, connectors = 0.0, 0, 0
    hops: list[dict[str, Any]] = []

    def close(hop: dict[str, Any]) -> None:
        hop["cum_length_m"] = round(length, 3)
        hop["cum_loss_db"] = round(path_loss_db(length, splices, optics, wl, connectors), 3)
        hops.append(hop)

    connectors += 1
    close(_port_hop(session, path[0][1].a_odf_id, path[0][0].id) if path else {"kind": "port"})
    for k, (f, c) in enumerate(path):
        if k:
            prev = path[k - 1][0]
            clo_id = path[k - 1][1].z_closure_id
            sp = session.scalar(select(Splice).where(
                Splice.closure_id == clo_id,
                ((Splice.a_fibre_id == prev.id) & (Splice.b_fibre_id == f.id))
                | ((Splice.a_fibre_id == f.id) & (Splice.b_fibre_id == prev.id))))
            clo = session.get(Closure, clo_id) if clo_id else None
            splices += 1
            close({"kind": "splice", "closure": clo.code if clo else None,
                   "closure_id": clo_id, "closure_kind": clo.kind if clo else None,
                   "tray": sp.tray if sp else None, "splice_id": sp.id if sp else None,
                   "splice_loss_db": sp.loss_db if sp else None})
        length += c.length_m
        close({"kind": "fibre", "cable": c.code, "cable_id": c.id, "fibre": f.number,
               "tube": f.tube, "tube_colour": f.tube_colour, "colour": f.colour,
               "state": f.state, "length_m": round(c.length_m, 3)})
    if path:
        connectors += 1
        close(_port_hop(session, path[-1][1].z_odf_id, path[-1][0].id))
    return hops, (length, splices, connectors)


def trace_fibre(session: Session, cable_ref: str | int, number: int) -> dict[str, Any]:
    """Which circuit uses fibre ``number`` of a cable, with its trace when there is one."""
    cable = find_cable(session, cable_ref)
    fibre = session.scalar(select(Fibre).where(Fibre.cable_id == cable.id,
                                               Fibre.number == number))
    if fibre is None:
        raise NotFoundError(f"cable {cable.code} has no fibre {number} (it has {cable.cores})")
    out: dict[str, Any] = {"cable": cable.code, "cable_id": cable.id, "fibre": number,
                           "tube": fibre.tube, "tube_colour": fibre.tube_colour,
                           "colour": fibre.colour, "state": fibre.state, "circuit": None}
    link = session.scalar(select(Link).join(Circuit, Circuit.link_id == Link.id)
                          .join(CircuitFibre, CircuitFibre.circuit_id == Circuit.id)
                          .where(CircuitFibre.fibre_id == fibre.id))
    if link is not None:
        out["circuit"] = link.name
        out["trace"] = trace_circuit(session, link)
    return out
