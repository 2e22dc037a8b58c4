"""From an OTDR distance to a point on the map, along a link's ordered spans.

The fibre of a link runs from one end site through its spans in order. An OTDR measures
*optical* distance: metres of fibre. Route distance is shorter: the cable is longer than the
route (sag, snaking, rises at poles; the profile's ``otdr.overlength_factor``), and at each
joint closure a slack loop is stored (``otdr.slack_loop_m``), as is some fibre in the ODF at
each end (``otdr.site_slack_m``). Closures stand at every node where the plan's cables branch
and at each drum end (``hardware.drum_length_m`` of cable after the last closure).

Walking from the measuring end, optical distance is used up by the end's slack, then by each
route metre times the factor, and by each closure's loop; where it runs out is the break. The
uncertainty (metres of route) adds in quadrature the instrument's accuracy and sampling
resolution, the factor's uncertainty over the distance walked, and each loop's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from shapely.geometry import LineString, Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.geo import from_wkb, to_lonlat, to_metric
from fonet.planning.profile import Otdr, Profile, load_profile, profile_from_dict
from fonet.store.models import Device, Link, LinkSpan, Plan, RouteEdge, RouteNode, Site, Span

__all__ = ["FibrePath", "fibre_path", "locate_distance", "otdr_settings"]


@dataclass(frozen=True)
class PathSpan:
    """One span of the path, oriented from the measuring end."""

    span_id: int
    route_edge_id: int
    seq: int
    start_m: float
    length_m: float
    from_node: int
    to_node: int
    line: LineString
    """Geometry in UTM 49S, oriented along the path."""


@dataclass(frozen=True)
class Closure:
    """A joint closure on the path (a slack loop is stored in it)."""

    at_m: float
    kind: str
    """``branch`` (the plan's cables branch at a route node) or ``drum`` (a drum ends)."""
    node_id: int | None


@dataclass(frozen=True)
class FibrePath:
    """The fibre of a link (or one cable) from the measuring end."""

    label: str
    link: str | None
    plan_id: int | None
    start: str
    end: str
    spans: tuple[PathSpan, ...]
    closures: tuple[Closure, ...]
    nodes: dict[int, tuple[float, float]]
    """Route node id -> (lon, lat) of the nodes on the path."""

    @property
    def length_m(self) -> float:
        """Route length of the path."""
        return sum(s.length_m for s in self.spans)


def otdr_settings(session: Session, plan_id: int | None) -> tuple[Otdr, float]:
    """Return the ``otdr`` section and drum length of the plan's profile (or the default)."""
    profile: Profile | None = None
    if plan_id is not None:
        plan = session.get(Plan, plan_id)
        if plan is not None and plan.profile:
            try:
                profile = profile_from_dict(plan.profile, f"plan {plan_id} profile")
            except InputError:
                profile = None
    profile = profile or load_profile()
    return profile.otdr, profile.hardware.drum_length_m


def _endpoint(session: Session, name: str) -> tuple[str, int | None, int | None]:
    """``--from``: a site code, a device name (its site) or ``node:ID``; (label, site, node)."""
    if name.startswith("node:"):
        try:
            node_id = int(name[5:])
        except ValueError:
            raise InputError("--from", f"{name!r}: node:ID needs a number") from None
        return name, None, node_id
    site = session.scalar(select(Site).where(Site.code == name))
    if site is not None:
        return site.code, site.id, None
    device = session.scalar(select(Device).where(Device.name == name))
    if device is not None:
        if device.site_id is None:
            raise InputError("--from", f"device {name!r} stands at no site")
        return device.name, device.site_id, None
    raise NotFoundError(f"--from {name}: no site code, device name or node:ID {name!r}")


def _orient(spans: list[Span]) -> list[tuple[Span, int, int]]:
    """Each span with (from node, to node) along the order given."""
    out = []
    if len(spans) == 1:
        return [(spans[0], spans[0].a_node_id, spans[0].z_node_id)]
    first, second = spans[0], spans[1]
    start = first.a_node_id if first.z_node_id in (second.a_node_id, second.z_node_id) \
        else first.z_node_id
    node = start
    for sp in spans:
        if sp.a_node_id == node:
            out.append((sp, sp.a_node_id, sp.z_node_id))
            node = sp.z_node_id
        elif sp.z_node_id == node:
            out.append((sp, sp.z_node_id, sp.a_node_id))
            node = sp.a_node_id
        else:
            raise InputError(f"span {sp.id}", "the link's spans do not join end to end")
    return out


def _site_of_nodes(session: Session, node_ids: set[int]) -> dict[int, int]:
    rows = session.execute(select(RouteNode.id, RouteNode.site_id)
                           .where(RouteNode.id.in_(node_ids), RouteNode.site_id.is_not(None)))
    return {n: s for n, s in rows if s is not None}


def fibre_path(session: Session, *, link: str | None = None, cable: int | None = None,
               from_: str, drum_length_m: float | None = None) -> FibrePath:
    """Return the ordered path of a link's fibre (or of one cable, a span) from the ``from_`` end.

    Raises
    ------
    NotFoundError
        No such link, span or end.
    InputError
        Neither or both of link and cable; a link with no spans; an end not on the link.
    """
    if (link is None) == (cable is None):
        raise InputError("otdr locate", "name either --link or --cable")
    label, site_id, node_id = _endpoint(session, from_)
    plan_id: int | None
    if link is not None:
        row = session.scalar(select(Link).where(Link.name == link))
        if row is None:
            raise NotFoundError(f"--link {link}: no link named {link!r}")
        spans = list(session.scalars(select(Span).join(LinkSpan, LinkSpan.span_id == Span.id)
                                     .where(LinkSpan.link_id == row.id)
                                     .order_by(LinkSpan.seq)))
        if not spans:
            raise InputError(f"--link {link}", "the link rides no spans: nothing to walk")
        plan_id = row.plan_id
        oriented = _orient(spans)
        ends = {row.a_site_id: "a", row.z_site_id: "z"}
        if site_id is not None:
            if site_id not in ends:
                names = dict(session.execute(select(Site.id, Site.code).where(
                    Site.id.in_([i for i in ends if i is not None]))).all())
                raise InputError("--from", f"{label} is not an end of link {link} (its ends: "
                                           f"{', '.join(sorted(names.values()))})")
            reverse = ends[site_id] == "z"
        else:
            first, last = oriented[0][1], oriented[-1][2]
            if node_id not in (first, last):
                raise InputError("--from", f"{label} is not an end of link {link}")
            reverse = node_id == last
        title, path_link = f"link {link}", link
    else:
        span = session.get(Span, cable)
        if span is None:
            raise NotFoundError(f"--cable {cable}: no span (cable) with id {cable}")
        spans, plan_id = [span], span.plan_id
        oriented = _orient(spans)
        at_site = _site_of_nodes(session, {span.a_node_id, span.z_node_id})
        if site_id is not None:
            node_id = next((n for n, s in at_site.items() if s == site_id), None)
        if node_id not in (span.a_node_id, span.z_node_id):
            raise InputError("--from", f"{label} is not an end of cable {cable} (route nodes "
                                       f"{span.a_node_id} and {span.z_node_id})")
        reverse = node_id == span.z_node_id
        title, path_link = f"cable {cable}", None
    if reverse:
        oriented = [(sp, b, a) for sp, a, b in reversed(oriented)]
    seqs = {sp.id: k for k, (sp, _, _) in enumerate(oriented, start=1)}
    edges = {e.id: e for e in session.scalars(select(RouteEdge).where(
        RouteEdge.id.in_({sp.route_edge_id for sp, _, _ in oriented})))}
    node_ids = {n for _, a, b in oriented for n in (a, b)}
    nodes = {n.id: (n.lon, n.lat) for n in session.scalars(
        select(RouteNode).where(RouteNode.id.in_(node_ids)))}
    path_spans, at = [], 0.0
    for sp, a, b in oriented:
        edge = edges[sp.route_edge_id]
        line = to_metric(from_wkb(edge.geometry_wkb))
        start_pt = to_metric(Point(*nodes[a]))
        coords = list(line.coords)
        if Point(coords[0]).distance(start_pt) > Point(coords[-1]).distance(start_pt):
            coords.reverse()
        path_spans.append(PathSpan(sp.id, sp.route_edge_id, seqs[sp.id], at, sp.length_m, a,
                                   b, LineString(coords)))
        at += sp.length_m
    closures = _closures(session, plan_id, path_spans, drum_length_m)
    end_label = _end_label(session, path_spans[-1].to_node, title)
    return FibrePath(title, path_link, plan_id, label, end_label, tuple(path_spans),
                     tuple(closures), nodes)


def _end_label(session: Session, node: int, title: str) -> str:
    site_id = _site_of_nodes(session, {node}).get(node)
    if site_id is None:
        return f"node:{node}"
    return session.scalar(select(Site.code).where(Site.id == site_id)) or f"node:{node}"


def _closures(session: Session, plan_id: int | None, spans: list[PathSpan],
              drum_length_m: float | None) -> list[Closure]:
    """Branch closures at the path's inner nodes where the plan's cables branch; drum joints."""
    inner = [s.from_node for s in spans[1:]]
    total = sum(s.length_m for s in spans)
    degree: dict[int, int] = {}
    if inner and plan_id is not None:
        for column in (Span.a_node_id, Span.z_node_id):
            for node, n in session.execute(
                    select(column, func.count()).where(Span.plan_id == plan_id,
                                                       column.in_(inner)).group_by(column)):
                degree[node] = degree.get(node, 0) + n
    out, since = [], 0.0
    for k, s in enumerate(spans):
        if k > 0 and degree.get(s.from_node, 0) >= 3 and 1.0 < s.start_m < total - 1.0:
            out.append(Closure(s.start_m, "branch", s.from_node))
            since = s.start_m
        if drum_length_m:
            while since + drum_length_m < s.start_m + s.length_m:
                since += drum_length_m
                out.append(Closure(since, "drum", None))
    return out


def _point_at(path: FibrePath, x: float) -> tuple[PathSpan, tuple[float, float]]:
    span = next((s for s in path.spans if x <= s.start_m + s.length_m + 1e-9), path.spans[-1])
    frac = 0.0 if span.length_m <= 0 else min(1.0, max(0.0, (x - span.start_m) / span.length_m))
    pt = to_lonlat(span.line.interpolate(frac, normalized=True))
    return span, (round(pt.x, 7), round(pt.y, 7))


def locate_distance(path: FibrePath, optical_m: float, settings: Otdr, *,
                    resolution_m: float = 0.0, source: str = "--distance-m") -> dict[str, Any]:
    """Turn an optical distance from the path's start into a point (see the module).

    Returns
    -------
    dict
        ``optical_distance_m``, ``route_distance_m``, ``span`` (id, route edge, order, offset
        into it) and ``span_id``, ``point`` (lon, lat), ``nearest`` (closure or route node and
        the route distance to it, also as ``nearest_m``), ``uncertainty_m`` with its
        ``uncertainty`` components,
        ``closures_passed``, the path's route and optical lengths and the ``settings`` used.

    Raises
    ------
    InputError
        A negative distance, or one beyond the fibre's end.
    """
    if not math.isfinite(optical_m) or optical_m < 0:
        raise InputError(source, f"distance must be a non-negative number of metres, got "
                                 f"{optical_m}")
    f, loop = settings.overlength_factor, settings.slack_loop_m
    total = path.length_m
    optical_total = 2 * settings.site_slack_m + f * total + loop * len(path.closures)
    instrument = (settings.instrument_accuracy_m + settings.instrument_accuracy_fraction
                  * optical_m + resolution_m)
    rem, prev, x, passed = optical_m - settings.site_slack_m, 0.0, None, 0
    if rem <= 0:
        x = 0.0
    else:
        for c in path.closures:
            need = f * (c.at_m - prev)
            if rem <= need:
                x = prev + rem / f
                break
            rem -= need
            passed += 1
            if rem <= loop:
                x = c.at_m
                break
            rem -= loop
            prev = c.at_m
        if x is None:
            need = f * (total - prev)
            if rem <= need:
                x = prev + rem / f
            else:
                beyond = rem - need
                slack_u = settings.slack_loop_uncertainty_m * math.sqrt(max(passed, 1))
                tolerance = (settings.site_slack_m + instrument + settings.overlength_uncertainty
                             * total * f + slack_u)
                if beyond > tolerance:
                    raise InputError(source, f"{optical_m:.1f} m is beyond the end of the "
                                             f"fibre of {path.label} from {path.start} "
                                             f"(about {optical_total:.0f} m of fibre, "
                                             f"{total:.0f} m of route)")
                x = total
    components = {
        "instrument_m": round(instrument / f, 2),
        "overlength_m": round(settings.overlength_uncertainty * x, 2),
        "slack_loops_m": round(settings.slack_loop_uncertainty_m * math.sqrt(passed) / f, 2),
    }
    uncertainty = math.sqrt(sum(v * v for v in components.values()))
    span, (lon, lat) = _point_at(path, x)
    marks: list[tuple[float, dict[str, Any]]] = []
    for s in path.spans:
        for node, at in ((s.from_node, s.start_m), (s.to_node, s.start_m + s.length_m)):
            marks.append((at, {"kind": "route_node", "node_id": node,
                               "lon": path.nodes[node][0], "lat": path.nodes[node][1]}))
    for c in path.closures:
        _, (clon, clat) = _point_at(path, c.at_m)
        marks.append((c.at_m, {"kind": f"closure ({c.kind})", "node_id": c.node_id,
                               "lon": clon, "lat": clat}))
    at, near = min(marks, key=lambda m: (abs(m[0] - x), m[1]["kind"] == "route_node"))
    return {
        "path": path.label, "link": path.link, "plan_id": path.plan_id, "from": path.start,
        "to": path.end, "optical_distance_m": round(optical_m, 2),
        "route_distance_m": round(x, 1),
        "span": {"span_id": span.span_id, "route_edge_id": span.route_edge_id,
                 "order": span.seq, "of": len(path.spans), "length_m": round(span.length_m, 1),
                 "offset_m": round(x - span.start_m, 1)},
        "span_id": span.span_id,
        "point": {"lon": lon, "lat": lat},
        "nearest": {**near, "route_distance_m": round(abs(at - x), 1),
                    "direction": "ahead" if at > x else "behind" if at < x else "here"},
        "nearest_m": round(abs(at - x), 1),
        "uncertainty_m": round(uncertainty, 1), "uncertainty": components,
        "closures_passed": passed, "closures_on_path": len(path.closures),
        "path_route_m": round(total, 1), "path_optical_m": round(optical_total, 1),
        "settings": settings.model_dump(),
    }
