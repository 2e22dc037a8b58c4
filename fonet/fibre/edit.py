"""Editing the fibre layer by hand: closures, cables, splices and fibre assignment.

Each function checks the change against the layer's rules (:mod:`fonet.fibre.integrity`)
before writing anything, and raises :class:`~fonet.errors.InputError` naming what is at
fault: a cable whose route edges do not connect, a closure not on the cable's route, a tube
layout that does not sum to the core count, an unknown colour standard, a fibre already
spliced or already in use.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.fibre.colours import colour_table, fibre_colours, parse_layout
from fonet.fibre.integrity import (
    PathContext,
    end_on_route,
    odf_route_nodes,
    route_problems,
    strand_problems,
)
from fonet.fibre.lookup import find_cable, find_closure, find_odf
from fonet.store.fibre import (
    CableSegment,
    Circuit,
    CircuitFibre,
    Closure,
    Fibre,
    FibreCable,
    Odf,
    OdfPort,
    Splice,
)
from fonet.store.models import INSTALL_METHODS, Link, RouteEdge, RouteNode


def find_fibre(session: Session, cable_ref: str | int, number: int) -> Fibre:
    """Fibre ``number`` of a cable; :class:`NotFoundError` if there is none."""
    cable = find_cable(session, cable_ref)
    f = session.scalar(select(Fibre).where(Fibre.cable_id == cable.id, Fibre.number == number))
    if f is None:
        raise NotFoundError(f"cable {cable.code} has no fibre {number} (it has {cable.cores})")
    return f


def add_closure(session: Session, code: str, route_node_id: int, *, kind: str = "joint",
                status: str = "planned") -> Closure:
    """Add a closure at a route node."""
    node = session.get(RouteNode, route_node_id)
    if node is None:
        raise InputError("closure", f"no route node {route_node_id}", feature=code,
                         field="route_node_id")
    if session.scalar(select(Closure.id).where(Closure.code == code)) is not None:
        raise InputError("closure", "a closure with this code exists", feature=code,
                         field="code")
    c = Closure(code=code, kind=kind, route_node_id=node.id, lon=node.lon, lat=node.lat,
                trays=1, status=status)
    session.add(c)
    session.flush()
    return c


def add_cable(session: Session, code: str, route_edge_ids: Sequence[int], *, cores: int,
              tube_layout: str, colour_standard: str = "TIA-598",
              install_method: str = "aerial", cable_type: str = "ADSS",
              a_closure: str | None = None, a_odf: str | None = None,
              z_closure: str | None = None, z_odf: str | None = None,
              status: str = "planned", start_node_id: int | None = None) -> FibreCable:
    """Add a cable along whole route edges (in order) with its fibres.

    Parameters
    ----------
    start_node_id
        Where the run starts when its first edge alone does not say (a one-edge cable).
    """
    src = f"cable {code}"
    colour_table(colour_standard)
    layout = parse_layout(tube_layout, cores)
    if install_method not in INSTALL_METHODS:
        raise InputError(src, f"unknown install method {install_method!r}",
                         field="install_method")
    if session.scalar(select(FibreCable.id).where(FibreCable.code == code)) is not None:
        raise InputError(src, "a cable with this code exists", field="code")
    edges = {e.id: e for e in session.scalars(select(RouteEdge).where(
        RouteEdge.id.in_(route_edge_ids)))}
    missing = [i for i in route_edge_ids if i not in edges]
    if missing or not route_edge_ids:
        raise InputError(src, f"no route edges {missing}" if missing else "no route edges",
                         field="route_edges")
    segments = _segments(route_edge_ids, edges, start_node_id)
    problems = route_problems(segments, edges)
    if problems:
        raise InputError(src, "its route edges do not connect: " + "; ".join(problems),
                         field="route_edges")
    ends: dict[str, int | None] = {}
    odf_nodes = odf_route_nodes(session)
    for side, clo_ref, odf_ref in (("a", a_closure, a_odf), ("z", z_closure, z_odf)):
        if (clo_ref is None) == (odf_ref is None):
            raise InputError(src, "name exactly one closure or ODF", field=f"{side}_end")
        clo = find_closure(session, clo_ref) if clo_ref else None
        odf = find_odf(session, odf_ref) if odf_ref else None
        if not end_on_route(segments, side, clo, odf_nodes.get(odf.id, set()) if odf else set(),
                            edges):
            what = f"closure {clo.code}" if clo else f"ODF {odf.code}"  # type: ignore[union-attr]
            node = segments[0].from_node_id if side == "a" else segments[-1].to_node_id
            raise InputError(src, f"{what} is not on the cable's route (the run "
                                  f"{'starts' if side == 'a' else 'ends'} at route node {node})",
                             field=f"{side}_end")
        ends[f"{side}_closure_id"] = clo.id if clo else None
        ends[f"{side}_odf_id"] = odf.id if odf else None
    cable = FibreCable(code=code, role="access", cores=cores, tube_layout=str(layout),
                       colour_standard=colour_standard, cable_type=cable_type,
                       install_method=install_method, status=status,
                       length_m=round(sum(s.end_m - s.start_m for s in segments), 3), attrs={},
                       **ends)
    session.add(cable)
    session.flush()
    for s in segments:
        s.cable_id = cable.id
    session.add_all(segments)
    for n in range(1, cores + 1):
        tube, tc, col = fibre_colours(n, layout, colour_standard)
        session.add(Fibre(cable_id=cable.id, number=n, tube=tube, tube_colour=tc, colour=col,
                          state="dark"))
    session.flush()
    for side in ("a", "z"):
        odf_id = ends[f"{side}_odf_id"]
        if odf_id is not None:
            _terminate(session, odf_id, cable.id)
    return cable


def _segments(ids: Sequence[int], edges: dict[int, RouteEdge], start: int | None
              ) -> list[CableSegment]:
    first = edges[ids[0]]
    if start is None:
        if len(ids) > 1 and first.u in (edges[ids[1]].u, edges[ids[1]].v):
            start = first.v
        else:
            start = first.u
    out = []
    node = start
    for k, i in enumerate(ids):
        e = edges[i]
        nxt = e.v if e.u == node else e.u if e.v == node else None
        frm = node if nxt is not None else e.u
        to = nxt if nxt is not None else e.v
        out.append(CableSegment(seq=k, route_edge_id=e.id, from_node_id=frm, to_node_id=to,
                                start_m=0.0, end_m=e.length_m))
        node = to
    return out


def _terminate(session: Session, odf_id: int, cable_id: int) -> None:
    top = max(session.scalars(select(OdfPort.number).where(OdfPort.odf_id == odf_id)),
              default=0)
    for f in session.scalars(select(Fibre).where(Fibre.cable_id == cable_id)
                             .order_by(Fibre.number)):
        top += 1
        session.add(OdfPort(odf_id=odf_id, number=top, fibre_id=f.id))
    odf = session.get(Odf, odf_id)
    if odf is not None:
        odf.ports = top
    session.flush()


def splice(session: Session, closure_ref: str | int, a: tuple[str | int, int],
           b: tuple[str | int, int], *, tray: int | None = None, loss_db: float = 0.1
           ) -> Splice:
    """Splice fibre ``a`` to fibre ``b`` (each ``(cable, number)``) in a closure."""
    clo = find_closure(session, closure_ref)
    fa, fb = find_fibre(session, *a), find_fibre(session, *b)
    src = f"splice in closure {clo.code}"
    if fa.id == fb.id:
        raise InputError(src, "a fibre cannot be spliced to itself")
    for f, ref in ((fa, a), (fb, b)):
        cable = session.get(FibreCable, f.cable_id)
        assert cable is not None
        if clo.id not in (cable.a_closure_id, cable.z_closure_id):
            raise InputError(src, f"cable {cable.code} does not end at this closure",
                             feature=f"{ref[0]}/{ref[1]}")
        taken = session.scalar(select(Splice).where(
            Splice.closure_id == clo.id,
            (Splice.a_fibre_id == f.id) | (Splice.b_fibre_id == f.id)))
        if taken is not None:
            raise InputError(src, f"fibre {cable.code}/{f.number} is already spliced here "
                                  f"(splice {taken.id})", feature=f"{ref[0]}/{ref[1]}")
    count = len(session.scalars(select(Splice.id).where(Splice.closure_id == clo.id)).all())
    s = Splice(closure_id=clo.id, tray=tray or count // 12 + 1, a_fibre_id=fa.id,
               b_fibre_id=fb.id, loss_db=loss_db)
    session.add(s)
    session.flush()
    return s


def assign(session: Session, link_ref: str | int,
           strands: Sequence[Sequence[tuple[str | int, int]]]) -> Circuit:
    """Put a link on two strands of fibres (each a list of ``(cable, number)`` from A to Z).

    The fibres must be free and already joined by splices and terminated on the ODFs at the
    link's two sites.
    """
    from fonet.fibre.lookup import find_link

    link = find_link(session, link_ref)
    src = f"circuit of link {link.name}"
    if session.scalar(select(Circuit.id).where(Circuit.link_id == link.id)) is not None:
        raise InputError(src, "the link already has a circuit")
    if len(strands) != 2:
        raise InputError(src, f"a circuit takes a fibre pair: 2 strands, not {len(strands)}")
    rows: list[tuple[int, Fibre, FibreCable]] = []
    for k, strand in enumerate(strands, start=1):
        for ref in strand:
            f = find_fibre(session, *ref)
            if f.state == "broken":
                raise InputError(src, "the fibre is broken", feature=f"{ref[0]}/{ref[1]}")
            user = session.scalar(select(Link.name).join(Circuit, Circuit.link_id == Link.id)
                                  .join(CircuitFibre, CircuitFibre.circuit_id == Circuit.id)
                                  .where(CircuitFibre.fibre_id == f.id))
            if user is not None or any(f is r[1] for r in rows):
                raise InputError(src, f"the fibre is in use (by {user or 'this circuit'})",
                                 feature=f"{ref[0]}/{ref[1]}")
            cable = session.get(FibreCable, f.cable_id)
            assert cable is not None
            rows.append((k, f, cable))
    ids = {f.id for _, f, _ in rows}
    problems = strand_problems(src, link, rows, PathContext(session, ids))
    if problems:
        raise InputError(src, "; ".join(p["message"] for p in problems))
    circ = Circuit(link_id=link.id, status="planned")
    session.add(circ)
    session.flush()
    seq: dict[int, int] = {}
    for k, f, _ in rows:
        session.add(CircuitFibre(circuit_id=circ.id, strand=k, seq=seq.get(k, 0), fibre_id=f.id))
        seq[k] = seq.get(k, 0) + 1
        f.state = "in_use"
    session.flush()
    return circ
