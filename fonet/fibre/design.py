"""From a plan to a splice plan: cables, closures, ODFs, fibre assignment and splices.

:func:`design` lays the plan's links out as cables (:mod:`fonet.fibre.layout`), brings the
store's fibre layer to that layout and puts every link on a fibre pair
(:mod:`fonet.fibre.assign`). What is built (status other than ``planned``) is kept: a re-run
after a plan change reuses every cable, closure and ODF whose code still fits, removes only
planned parts the new plan no longer needs, and keeps circuits whose fibre path still holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from fonet.errors import NotFoundError
from fonet.fibre.assign import LinkChain, assign_circuits
from fonet.fibre.colours import default_layout, fibre_colours
from fonet.fibre.layout import CableRun, EndRef, GroupLayout, SpanRef, lay_out
from fonet.fibre.plan_links import plan_links
from fonet.geo import from_wkb
from fonet.planning.profile import Profile, profile_from_dict
from fonet.store.fibre import (
    CableSegment,
    Circuit,
    Closure,
    Fibre,
    FibreCable,
    Odf,
    OdfPort,
)
from fonet.store.models import Link, Plan, RouteEdge, RouteNode, Site

BUILT_OR_BUILDING = ("under_construction", "built")


@dataclass
class DesignResult:
    """What a design run did (``fonet fibre design --json``)."""

    plan_id: int
    cables: int = 0
    cables_created: int = 0
    cables_kept: int = 0
    cables_removed: int = 0
    closures: int = 0
    odfs: int = 0
    fibres: int = 0
    splices: int = 0
    circuits: int = 0
    circuits_kept: int = 0
    links_without_fibre: list[str] = field(default_factory=list)
    unassigned: list[dict[str, Any]] = field(default_factory=list)
    cables_short_of_spares: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        return dict(self.__dict__)


def plan_profile(session: Session, plan_id: int) -> tuple[Plan, Profile]:
    """Return the stored plan and the profile it was made with."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFoundError(f"--plan: no plan with id {plan_id}")
    return plan, profile_from_dict(plan.profile, f"plan {plan_id} profile")


def _closure_point(session: Session, end: EndRef, edges: dict[int, RouteEdge],
                   nodes: dict[int, RouteNode]) -> tuple[float, float, int | None, float | None]:
    """Lon, lat, route edge and metres from the edge's ``u`` of a closure."""
    if end.kind == "branch":
        n = nodes[end.node]  # type: ignore[index]
        return n.lon, n.lat, None, None
    e = edges[end.edge_id]  # type: ignore[index]
    offset = end.offset_m or 0.0
    at_u = offset if end.from_node == e.u else e.length_m - offset
    geom = from_wkb(e.geometry_wkb)
    u = nodes[e.u]
    start = geom.coords[0]
    frac = at_u / e.length_m if e.length_m > 0 else 0.0
    if abs(start[0] - u.lon) + abs(start[1] - u.lat) > abs(geom.coords[-1][0] - u.lon) + abs(
            geom.coords[-1][1] - u.lat):
        frac = 1 - frac  # the geometry runs from v to u
    p = geom.interpolate(min(1.0, max(0.0, frac)), normalized=True)
    return p.x, p.y, e.id, round(at_u, 3)


def design(session: Session, plan_id: int) -> DesignResult:
    """Design (or re-design) the fibre layer of a stored plan; see the module docstring.

    Parameters
    ----------
    session
        A session inside the caller's transaction: the design is stored whole or not at all.
    plan_id
        The plan.

    Returns
    -------
    DesignResult
        Counts of what the fibre layer holds and what this run changed.
    """
    plan, profile = plan_profile(session, plan_id)
    drum = profile.hardware.drum_length_m
    result = DesignResult(plan_id=plan.id)
    links = plan_links(session, plan.id, profile)
    result.links_without_fibre = links.empty
    layouts: list[tuple[str, GroupLayout, list[tuple[Link, list[SpanRef]]]]] = []
    for (label, role, root), members in sorted(links.groups.items()):
        layouts.append((label, lay_out(label, role, root, [p for _, p in members], drum),
                        members))
    # planned circuits of other plans' links give their fibres back
    plan_link_ids = select(Link.id).where(Link.plan_id == plan.id)
    session.execute(delete(Circuit).where(Circuit.status == "planned",
                                          Circuit.link_id.not_in(plan_link_ids)))
    runs = {run.code: run for _, lay, _ in layouts for run in lay.cables}
    odf_ids = _odfs(session, plan.id, runs.values(), links.site_at)
    closure_ids = _closures(session, plan.id, runs.values())
    cable_ids = _cables(session, plan.id, profile, runs, odf_ids, closure_ids, result)
    _remove_unused(session, set(closure_ids.values()), set(odf_ids.values()))
    _ports(session, [cable_ids[c] for c in runs])
    chains = []
    for _, lay, members in layouts:
        for link, path in members:
            seq: list[CableRun] = []
            for sp in path:
                for run in lay.by_span[sp.span_id]:
                    if not seq or seq[-1] is not run:
                        seq.append(run)
            chains.append(LinkChain(link, [cable_ids[r.code] for r in seq]))
    stats = assign_circuits(session, chains, profile)
    result.circuits, result.circuits_kept = stats.circuits, stats.kept
    result.unassigned = stats.unassigned
    result.cables_short_of_spares = stats.short_of_spares
    result.splices = stats.splices
    result.cables = len(runs)
    result.closures = len(set(closure_ids.values()))
    result.odfs = len(set(odf_ids.values()))
    result.fibres = sum(r.cores for r in runs.values())
    return result


def _odfs(session: Session, plan_id: int, runs: Any, site_of_node: dict[int, int]
          ) -> dict[int, int]:
    """ODF id at each route node where a cable ends on a site; created if missing."""
    nodes = {e.node for r in runs for e in (r.a, r.z) if e is not None and e.kind == "odf"}
    hubs = {r.a.node for r in runs if r.a.kind == "odf"}
    sites = {s.id: s for s in session.scalars(
        select(Site).where(Site.id.in_([site_of_node[n] for n in nodes if n in site_of_node])))}
    existing = {o.site_id: o for o in session.scalars(select(Odf))}
    out = {}
    for n in sorted(nodes):
        sid = site_of_node.get(n)
        if sid is None:
            raise NotFoundError(f"route node {n} ends a cable but holds no site")
        kind = "odf" if n in hubs else "otb"
        odf = existing.get(sid)
        if odf is None:
            odf = Odf(code=f"{kind.upper()}-{sites[sid].code}", site_id=sid, plan_id=plan_id,
                      kind=kind, ports=0, status="planned")
            session.add(odf)
            existing[sid] = odf
        elif odf.status == "planned" and kind == "odf":
            odf.kind = kind
        out[n] = odf
    session.flush()
    return {n: o.id for n, o in out.items()}


def _closures(session: Session, plan_id: int, runs: Any) -> dict[str, int]:
    """Closure id by code for every closure the runs end at; created if missing."""
    wanted: dict[str, EndRef] = {}
    for r in runs:
        for e in (r.a, r.z):
            if e is not None and e.kind != "odf":
                wanted[e.key(r.group)] = e
    existing = {c.code: c for c in session.scalars(select(Closure))}
    need_edges = {e.edge_id for e in wanted.values() if e.edge_id is not None}
    edges = {e.id: e for e in session.scalars(
        select(RouteEdge).where(RouteEdge.id.in_(need_edges)))}
    need_nodes = {e.node for e in wanted.values() if e.node} | {e.u for e in edges.values()}
    nodes = {n.id: n for n in session.scalars(
        select(RouteNode).where(RouteNode.id.in_(need_nodes)))}
    for code, end in sorted(wanted.items()):
        if code in existing:
            continue
        lon, lat, edge_id, at_m = _closure_point(session, end, edges, nodes)
        c = Closure(code=code, plan_id=plan_id, kind=end.kind, route_node_id=end.node,
                    route_edge_id=edge_id, at_m=at_m, lon=lon, lat=lat, trays=1,
                    status="planned")
        session.add(c)
        existing[code] = c
    session.flush()
    return {code: existing[code].id for code in wanted}


def _cables(session: Session, plan_id: int, profile: Profile, runs: dict[str, CableRun],
            odf_ids: dict[int, int], closure_ids: dict[str, int], result: DesignResult
            ) -> dict[str, int]:
    """Cable id by code for every run; missing cables created with their fibres."""
    rules = profile.fibre
    existing = {c.code: c for c in session.scalars(select(FibreCable))}
    keep_codes = set(runs)
    stale = [c.id for code, c in existing.items()
             if code not in keep_codes and c.status == "planned"]
    if stale:
        session.execute(delete(FibreCable).where(FibreCable.id.in_(stale)))
    result.cables_removed = len(stale)
    out: dict[str, int] = {}
    new_fibres: list[dict[str, Any]] = []
    for code, run in sorted(runs.items()):
        if code in existing:
            out[code] = existing[code].id
            result.cables_kept += 1
            continue
        ends: dict[str, int | None] = {}
        for side, end in (("a", run.a), ("z", run.z)):
            assert end is not None
            ends[f"{side}_odf_id"] = (odf_ids[end.node] if end.kind == "odf"
                                      and end.node is not None else None)
            ends[f"{side}_closure_id"] = (closure_ids[end.key(run.group)]
                                          if end.kind != "odf" else None)
        layout = default_layout(run.cores, rules.fibres_per_tube)
        cable = FibreCable(code=code, plan_id=plan_id, role=run.role, cores=run.cores,
                           tube_layout=str(layout), colour_standard=rules.colour_standard,
                           cable_type=rules.cable_type_by_method.get(run.method, "cable"),
                           install_method=run.method, status="planned",
                           length_m=round(run.length_m, 3), attrs={"group": run.group},
                           **ends)
        session.add(cable)
        session.flush()
        out[code] = cable.id
        result.cables_created += 1
        session.add_all(CableSegment(
            cable_id=cable.id, seq=k, route_edge_id=p.span.edge_id,
            span_id=None if p.span.is_entry else p.span.span_id,
            from_node_id=p.from_node, to_node_id=p.to_node, start_m=round(p.start_m, 3),
            end_m=round(p.end_m, 3)) for k, p in enumerate(run.pieces))
        for n in range(1, run.cores + 1):
            tube, tube_colour, colour = fibre_colours(n, layout, rules.colour_standard)
            new_fibres.append({"cable_id": cable.id, "number": n, "tube": tube,
                               "tube_colour": tube_colour, "colour": colour, "state": "dark"})
    if new_fibres:
        session.execute(insert(Fibre), new_fibres)
    session.flush()
    return out


def _remove_unused(session: Session, closures: set[int], odfs: set[int]) -> None:
    """Remove planned closures and ODFs no cable ends at any more."""
    used_c: set[int | None] = set()
    used_o: set[int | None] = set()
    for a_c, z_c, a_o, z_o in session.execute(select(
            FibreCable.a_closure_id, FibreCable.z_closure_id, FibreCable.a_odf_id,
            FibreCable.z_odf_id)):
        used_c |= {a_c, z_c}
        used_o |= {a_o, z_o}
    session.execute(delete(Closure).where(Closure.status == "planned",
                                          Closure.id.not_in((used_c | closures) - {None})))
    session.execute(delete(Odf).where(Odf.status == "planned",
                                      Odf.id.not_in((used_o | odfs) - {None})))


def _ports(session: Session, cable_ids: list[int]) -> None:
    """Give every fibre of a cable ending at an ODF a port there (missing ports added).

    Ports of planned ODFs left without a fibre (their cable removed) are removed.
    """
    session.execute(delete(OdfPort).where(
        OdfPort.fibre_id.is_(None),
        OdfPort.odf_id.in_(select(Odf.id).where(Odf.status == "planned")))
        .execution_options(synchronize_session=False))
    rows = session.execute(select(FibreCable.id, FibreCable.a_odf_id, FibreCable.z_odf_id)
                           .where(FibreCable.id.in_(cable_ids))).all()
    fibres: dict[int, list[int]] = defaultdict(list)
    for fid, cid in session.execute(select(Fibre.id, Fibre.cable_id)
                                    .where(Fibre.cable_id.in_(cable_ids)).order_by(Fibre.number)):
        fibres[cid].append(fid)
    taken: dict[int, set[int]] = defaultdict(set)
    top: dict[int, int] = defaultdict(int)
    for odf_id, number, port_fibre in session.execute(select(OdfPort.odf_id, OdfPort.number,
                                                             OdfPort.fibre_id)):
        if port_fibre is not None:
            taken[odf_id].add(port_fibre)
        top[odf_id] = max(top[odf_id], number)
    new = []
    for cid, a_odf, z_odf in sorted(rows):
        for end_odf in (a_odf, z_odf):
            if end_odf is None:
                continue
            for fid in fibres[cid]:
                if fid not in taken[end_odf]:
                    top[end_odf] += 1
                    taken[end_odf].add(fid)
                    new.append({"odf_id": end_odf, "number": top[end_odf], "fibre_id": fid})
    if new:
        session.execute(insert(OdfPort), new)
    for odf in session.scalars(select(Odf)):
        odf.ports = top.get(odf.id, 0)
    session.flush()
