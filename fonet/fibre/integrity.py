"""The rules the fibre layer must hold, checked over the store.

Each violation is a dict ``{"check", "object", "message"}``; :func:`check` returns them all
(``fonet fibre check --json`` prints ``{"violations": [...]}``). The editing functions of
:mod:`fonet.fibre.edit` refuse a change that would break one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import InputError
from fonet.fibre.colours import STANDARDS, fibre_colours, parse_layout
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
from fonet.store.models import Link, RouteEdge, RouteNode

TOL_M = 0.5


def _v(check: str, obj: str, message: str) -> dict[str, Any]:
    return {"check": check, "object": obj, "message": message}


def cable_ends(cable: FibreCable) -> tuple[tuple[str, int | None], tuple[str, int | None]]:
    """``(("closure"|"odf", id), ...)`` of the cable's A and Z ends."""
    a = ("closure", cable.a_closure_id) if cable.a_closure_id else ("odf", cable.a_odf_id)
    z = ("closure", cable.z_closure_id) if cable.z_closure_id else ("odf", cable.z_odf_id)
    return a, z


def route_problems(segments: list[CableSegment], edges: dict[int, RouteEdge]) -> list[str]:
    """Why a cable's segments do not make one continuous run (empty when they do)."""
    out = []
    if not segments:
        return ["the cable runs along no route edge"]
    for k, s in enumerate(segments):
        e = edges.get(s.route_edge_id)
        if e is None:
            out.append(f"segment {k}: no route edge {s.route_edge_id}")
            continue
        if {s.from_node_id, s.to_node_id} != {e.u, e.v}:
            out.append(f"segment {k}: nodes {s.from_node_id}-{s.to_node_id} are not the ends "
                       f"of route edge {e.id}")
        if not (-TOL_M <= s.start_m <= s.end_m <= e.length_m + TOL_M):
            out.append(f"segment {k}: {s.start_m}-{s.end_m} m is not within route edge {e.id}")
        if k and segments[k - 1].to_node_id != s.from_node_id:
            out.append(f"segments {k - 1} and {k} do not connect: route node "
                       f"{segments[k - 1].to_node_id} then {s.from_node_id}")
        if k and s.start_m > TOL_M:
            out.append(f"segment {k} starts {s.start_m} m along its edge, not at its node")
        if k < len(segments) - 1 and e.length_m - s.end_m > TOL_M:
            out.append(f"segment {k} ends before route node {s.to_node_id}")
    return out


def end_on_route(segments: list[CableSegment], side: str, closure: Closure | None,
                 odf_nodes: set[int], edges: dict[int, RouteEdge]) -> bool:
    """Whether a cable's end (a closure, or an ODF) is where its run ends.

    An ODF's cables end at its site's route node or at the node its drop edge joins.
    """
    seg = segments[0] if side == "a" else segments[-1]
    node = seg.from_node_id if side == "a" else seg.to_node_id
    at = seg.start_m if side == "a" else seg.end_m
    e = edges[seg.route_edge_id]
    at_end = at <= TOL_M if side == "a" else e.length_m - at <= TOL_M
    if closure is None:
        return at_end and node in odf_nodes
    if closure.route_node_id is not None:
        return at_end and closure.route_node_id == node
    if closure.route_edge_id != seg.route_edge_id or closure.at_m is None:
        return False
    from_u = at if seg.from_node_id == e.u else e.length_m - at
    return abs(from_u - closure.at_m) <= TOL_M


def odf_route_nodes(session: Session) -> dict[int, set[int]]:
    """Route nodes where each ODF's cables may end: its site's node and the drop edge's far end."""
    out: dict[int, set[int]] = defaultdict(set)
    node_odfs: dict[int, list[int]] = defaultdict(list)
    for odf_id, node in session.execute(select(Odf.id, RouteNode.id)
                                        .join(RouteNode, RouteNode.site_id == Odf.site_id)):
        out[odf_id].add(node)
        node_odfs[node].append(odf_id)
    for u, v in session.execute(select(RouteEdge.u, RouteEdge.v).where(RouteEdge.kind == "drop")):
        for a, b in ((u, v), (v, u)):
            for odf_id in node_odfs.get(a, ()):
                out[odf_id].add(b)
    return dict(out)


def check(session: Session) -> list[dict[str, Any]]:
    """Every violation of the fibre layer's rules (empty when all hold)."""
    out: list[dict[str, Any]] = []
    cables = {c.id: c for c in session.scalars(select(FibreCable))}
    fibres = {f.id: f for f in session.scalars(select(Fibre))}
    closures = {c.id: c for c in session.scalars(select(Closure))}
    odf_node = odf_route_nodes(session)
    segs: dict[int, list[CableSegment]] = defaultdict(list)
    for s in session.scalars(select(CableSegment).order_by(CableSegment.cable_id,
                                                           CableSegment.seq)):
        segs[s.cable_id].append(s)
    edges = {e.id: e for e in session.scalars(select(RouteEdge).where(
        RouteEdge.id.in_({s.route_edge_id for ss in segs.values() for s in ss})))}
    by_cable: dict[int, list[Fibre]] = defaultdict(list)
    for f in sorted(fibres.values(), key=lambda f: (f.cable_id, f.number)):
        by_cable[f.cable_id].append(f)
    for c in cables.values():
        out += _cable_problems(c, segs[c.id], by_cable[c.id], closures, odf_node, edges)
    out += _splice_problems(session, cables, fibres)
    used = Counter(session.scalars(select(CircuitFibre.fibre_id)))
    for fid, n in used.items():
        if n > 1:
            out.append(_v("fibre_in_one_circuit", f"fibre {fid}", f"in {n} circuits"))
    for f in fibres.values():
        if (f.state == "in_use") != (f.id in used):
            out.append(_v("fibre_state", _fname(f, cables),
                          f"state {f.state} but {'in' if f.id in used else 'in no'} circuit"))
    ctx = PathContext(session)
    links = {lk.id: lk for lk in session.scalars(select(Link).where(
        Link.id.in_(select(Circuit.link_id))))}
    circ_link = dict(session.execute(select(Circuit.id, Circuit.link_id)).all())
    rows: dict[int, list[tuple[int, Fibre, FibreCable]]] = defaultdict(list)
    for cid, strand, fid in session.execute(select(CircuitFibre.circuit_id, CircuitFibre.strand,
                                                   CircuitFibre.fibre_id)
                                            .order_by(CircuitFibre.circuit_id,
                                                      CircuitFibre.strand, CircuitFibre.seq)):
        f = fibres[fid]
        rows[cid].append((strand, f, cables[f.cable_id]))
    for cid, lid in sorted(circ_link.items()):
        link = links.get(lid)
        out += strand_problems(f"circuit {link.name if link else cid}", link, rows.get(cid, []),
                               ctx)
    return out


def _fname(f: Fibre, cables: dict[int, FibreCable]) -> str:
    c = cables.get(f.cable_id)
    return f"{c.code if c else f.cable_id}/{f.number}"


def _cable_problems(c: FibreCable, segments: list[CableSegment], fibres: list[Fibre],
                    closures: dict[int, Closure], odf_node: dict[int, set[int]],
                    edges: dict[int, RouteEdge]) -> list[dict[str, Any]]:
    out = []
    name = f"cable {c.code}"
    for msg in route_problems(segments, edges):
        out.append(_v("cable_route_continuous", name, msg))
    for side in ("a", "z"):
        clo, odf = getattr(c, f"{side}_closure_id"), getattr(c, f"{side}_odf_id")
        if (clo is None) == (odf is None):
            out.append(_v("cable_end", name, f"{side.upper()} end needs exactly one closure "
                                             f"or ODF"))
            continue
        if segments and not out and not end_on_route(
                segments, side, closures.get(clo) if clo else None, odf_node.get(odf, set()),
                edges):
            what = f"closure {closures[clo].code}" if clo in closures else f"ODF {odf}"
            out.append(_v("closure_on_route", name,
                          f"{side.upper()} end {what} is not where the cable's route ends"))
    if c.colour_standard not in STANDARDS:
        out.append(_v("colour_standard", name, f"unknown colour standard {c.colour_standard!r}"))
        return out
    try:
        layout = parse_layout(c.tube_layout, c.cores)
    except InputError as exc:
        out.append(_v("tube_layout", name, exc.message))
        return out
    if len(fibres) != c.cores or [f.number for f in fibres] != list(range(1, c.cores + 1)):
        out.append(_v("fibre_count", name, f"{len(fibres)} fibres for {c.cores} cores"))
    for f in fibres:
        tube, tc, col = fibre_colours(f.number, layout, c.colour_standard)
        if (f.tube, f.tube_colour, f.colour) != (tube, tc, col):
            out.append(_v("fibre_colour", f"{c.code}/{f.number}",
                          f"tube {f.tube} {f.tube_colour}/{f.colour}, {c.colour_standard} "
                          f"says tube {tube} {tc}/{col}"))
    return out


def _splice_problems(session: Session, cables: dict[int, FibreCable],
                     fibres: dict[int, Fibre]) -> list[dict[str, Any]]:
    out = []
    ends: Counter[tuple[int, int]] = Counter()
    for s in session.scalars(select(Splice)):
        name = f"splice {s.id}"
        if s.a_fibre_id == s.b_fibre_id:
            out.append(_v("splice_same_closure", name, "joins a fibre to itself"))
        for fid in (s.a_fibre_id, s.b_fibre_id):
            ends[s.closure_id, fid] += 1
            f = fibres.get(fid)
            c = cables.get(f.cable_id) if f else None
            if c is None or s.closure_id not in (c.a_closure_id, c.z_closure_id):
                out.append(_v("splice_same_closure", name,
                              f"fibre {_fname(f, cables) if f else fid} is on a cable that does "
                              f"not end at the splice's closure {s.closure_id}"))
    for (clo, fid), n in ends.items():
        if n > 1:
            out.append(_v("fibre_spliced_once", f"fibre {_fname(fibres[fid], cables)}",
                          f"spliced {n} times in closure {clo}"))
    return out


class PathContext:
    """What the circuit path check reads, loaded once for many circuits."""

    def __init__(self, session: Session, fibre_ids: set[int] | None = None) -> None:
        q_splices = select(Splice.closure_id, Splice.a_fibre_id, Splice.b_fibre_id)
        q_ports = select(OdfPort.odf_id, OdfPort.fibre_id)
        if fibre_ids is not None:
            q_splices = q_splices.where(Splice.a_fibre_id.in_(fibre_ids)
                                        | Splice.b_fibre_id.in_(fibre_ids))
            q_ports = q_ports.where(OdfPort.fibre_id.in_(fibre_ids))
        self.splices: set[tuple[int, int, int]] = set()
        for clo, a, b in session.execute(q_splices):
            self.splices |= {(clo, a, b), (clo, b, a)}
        self.ports = {(o, f) for o, f in session.execute(q_ports)}
        self.site_odfs: dict[int, set[int]] = defaultdict(set)
        for odf_id, sid in session.execute(select(Odf.id, Odf.site_id)):
            self.site_odfs[sid].add(odf_id)


def circuit_path_problems(session: Session, circuit_id: int, ctx: PathContext | None = None
                          ) -> list[dict[str, Any]]:
    """Why a circuit's strands are not continuous fibre paths between its link's ends."""
    circ = session.get(Circuit, circuit_id)
    if circ is None:
        return []
    link = session.get(Link, circ.link_id)
    name = f"circuit {link.name if link else circuit_id}"
    rows = session.execute(select(CircuitFibre.strand, Fibre, FibreCable)
                           .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
                           .join(FibreCable, FibreCable.id == Fibre.cable_id)
                           .where(CircuitFibre.circuit_id == circuit_id)
                           .order_by(CircuitFibre.strand, CircuitFibre.seq)).all()
    return strand_problems(name, link, [(st, f, c) for st, f, c in rows],
                           ctx or PathContext(session, {f.id for _, f, _ in rows}))


def strand_problems(name: str, link: Link | None,
                    rows: list[tuple[int, Fibre, FibreCable]], ctx: PathContext
                    ) -> list[dict[str, Any]]:
    """Why strands (``(strand, fibre, cable)`` in order) are not continuous fibre paths."""
    strands: dict[int, list[tuple[Fibre, FibreCable]]] = defaultdict(list)
    for strand, f, c in rows:
        strands[strand].append((f, c))
    out = []
    if sorted(strands) != [1, 2]:
        out.append(_v("circuit_continuous", name, f"has strands {sorted(strands)}, not 1 and 2"))
    site_odfs = {}
    if link is not None:
        site_odfs = {"A": ctx.site_odfs.get(link.a_site_id or -1, set()),
                     "Z": ctx.site_odfs.get(link.z_site_id or -1, set())}
    for strand, path in sorted(strands.items()):
        where = f"{name} strand {strand}"
        for k in range(1, len(path)):
            (f0, c0), (f1, c1) = path[k - 1], path[k]
            clo = c0.z_closure_id
            if clo is None or clo not in (c1.a_closure_id, c1.z_closure_id):
                out.append(_v("circuit_continuous", where, f"cables {c0.code} and {c1.code} do "
                                                          f"not meet in a closure"))
            elif (clo, f0.id, f1.id) not in ctx.splices:
                out.append(_v("circuit_continuous", where,
                              f"no splice joins {c0.code}/{f0.number} to {c1.code}/{f1.number}"))
        for side, (f, c), odf_id in (("A", path[0], path[0][1].a_odf_id),
                                     ("Z", path[-1], path[-1][1].z_odf_id)):
            if (odf_id is None or (odf_id, f.id) not in ctx.ports
                    or (site_odfs and odf_id not in site_odfs[side])):
                out.append(_v("circuit_continuous", where,
                              f"{side} end {c.code}/{f.number} is not on a port of the ODF at "
                              f"the link's {side} site"))
    return out
