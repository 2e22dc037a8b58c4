"""A plan's links as the fibre layout needs them: paths of spans from site node to site node.

The planner's links ride spans. A site whose building entry is a real line has a drop span and
its link's spans reach the site's own route node. A site standing on its route node (a drop of
no length, :data:`fonet.planning.hubs.ENTRY_TOLERANCE_M`) has no drop span: its link's spans
start or end at the node the drop joins, and a site standing at its hub's node has a link with no
span at all. Here every such end is completed with the drop, walked as an *entry*
(:attr:`fonet.fibre.layout.SpanRef.is_entry`): each path then runs from the A site's node to the
Z site's node, the ODFs sit at the sites and the groups' trees branch where the planner's trees
do (its branch closures are counted on trees that include those drops).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import StateError
from fonet.fibre.layout import SpanRef, path_nodes
from fonet.planning.profile import Profile
from fonet.store.models import Link, LinkSpan, RouteEdge, RouteNode, Site, Span

Members = list[tuple[Link, list[SpanRef]]]


@dataclass
class PlanLinks:
    """The plan's links grouped for layout."""

    groups: dict[tuple[str, str, int], Members]
    """``(label, role, root node)`` → the links of one access tree or one ring hop."""
    empty: list[str]
    """Links that cannot be laid out (an end site without a route node)."""
    site_at: dict[int, int]
    """Site at each route node where a link ends (the site's own node)."""


@dataclass(frozen=True)
class _Drop:
    edge_id: int
    length_m: float
    method: str


def _entry(site_node: int, other: int, drop: _Drop) -> SpanRef:
    """Return the entry of the site at ``site_node`` from ``other`` (cores fixed later)."""
    return SpanRef(-drop.edge_id, drop.edge_id, site_node, other, drop.length_m, 0, drop.method)


def _full_path(link: Link, refs: list[SpanRef], a_node: int, z_node: int,
               drops: dict[int, dict[int, _Drop]]) -> list[SpanRef]:
    """Return the link's spans with the entries of its end sites that carry no span."""
    if not refs:
        shared = sorted(set(drops[a_node]) & set(drops[z_node]))
        if not shared:
            raise StateError(f"link {link.name}: it has no span and its sites share no "
                             "route node")
        at = shared[0]
        return [_entry(a_node, at, drops[a_node][at]), _entry(z_node, at, drops[z_node][at])]
    first = {refs[0].a_node, refs[0].z_node}
    if a_node not in first:
        e = next((n for n in sorted(drops[a_node]) if n in first), None)
        if e is None:
            raise StateError(f"link {link.name}: its first span does not reach its A site")
        refs = [_entry(a_node, e, drops[a_node][e]), *refs]
    nodes = path_nodes(a_node, refs)
    if nodes is None:
        raise StateError(f"link {link.name}: its spans do not make one path")
    if nodes[-1] != z_node:
        drop = drops[z_node].get(nodes[-1])
        if drop is None:
            raise StateError(f"link {link.name}: its last span does not reach its Z site")
        refs = [*refs, _entry(z_node, nodes[-1], drop)]
    return refs


def plan_links(session: Session, plan_id: int, profile: Profile) -> PlanLinks:
    """Return the plan's links as paths from the A site's node to the Z site's node, grouped.

    An entry's cores: the cable size of the demand of the access links through it (the
    profile's cores per site, as the planner sizes an access span), or the cores of the ring
    span next to it.
    """
    spans = {s.id: s for s in session.scalars(select(Span).where(Span.plan_id == plan_id))}
    node_of_site: dict[int, int] = dict(session.execute(  # type: ignore[arg-type]
        select(RouteNode.site_id, RouteNode.id).where(RouteNode.site_id.is_not(None))).all())
    site_of_node = {n: sid for sid, n in node_of_site.items()}
    kind_of: dict[int, str] = {sid: kind for sid, kind in session.execute(
        select(Site.id, Site.kind))}
    drops: dict[int, dict[int, _Drop]] = defaultdict(dict)
    for eid, u, v, length, methods in session.execute(
            select(RouteEdge.id, RouteEdge.u, RouteEdge.v, RouteEdge.length_m,
                   RouteEdge.install_methods).where(RouteEdge.kind == "drop")):
        for a, b in ((u, v), (v, u)):
            if a in site_of_node:
                drops[a][b] = _Drop(eid, length, (methods or "aerial").split(",")[0])
    path_of: dict[int, list[int]] = defaultdict(list)
    for link_id, span_id in session.execute(
            select(LinkSpan.link_id, LinkSpan.span_id).join(Link, Link.id == LinkSpan.link_id)
            .where(Link.plan_id == plan_id).order_by(LinkSpan.link_id, LinkSpan.seq)):
        path_of[link_id].append(span_id)
    laid: list[tuple[Link, list[SpanRef], str, str]] = []
    label_of_root: dict[int, str] = {}
    empty = []
    ends: dict[int, int] = {}
    for link in session.scalars(select(Link).where(Link.plan_id == plan_id).order_by(Link.name)):
        ids = path_of.get(link.id, [])
        a_site, z_site = link.a_site_id, link.z_site_id
        if a_site not in node_of_site or z_site not in node_of_site:
            empty.append(link.name)
            continue
        assert a_site is not None and z_site is not None
        refs = [SpanRef(i, spans[i].route_edge_id, spans[i].a_node_id, spans[i].z_node_id,
                        spans[i].length_m, spans[i].cores, spans[i].install_method) for i in ids]
        a_node, z_node = node_of_site[a_site], node_of_site[z_site]
        refs = _full_path(link, refs, a_node, z_node, drops)
        ends[a_node], ends[z_node] = a_site, z_site
        first = spans[ids[0]] if ids else None
        role = (first.role if first else None) or ("backbone" if ":BB" in link.name
                                                    else "access")
        if role == "backbone":
            label = f"BB{a_site}-{z_site}"  # a ring hop, by its two sites: stable across plans
        else:
            label = str(first.attrs.get("kecamatan_code") or "") if first else ""
            if label:
                label_of_root.setdefault(a_node, label)
        laid.append((link, refs, role, label))
    groups: dict[tuple[str, str, int], Members] = defaultdict(list)
    need: dict[tuple[str, int], int] = defaultdict(int)
    for link, refs, role, label in laid:
        root = refs[0].a_node
        if not label:
            label = label_of_root.get(root) or f"H{link.a_site_id}"
        key = (label, role, root)
        for r in refs:
            if r.is_entry and role == "access":
                need[label, r.span_id] += profile.demand.cores_per_site.get(
                    kind_of.get(link.z_site_id or 0, "other"), 2)
        groups[key].append((link, refs))
    out: dict[tuple[str, str, int], Members] = {}
    for key, members in groups.items():
        label, role = key[0], key[1]
        done = []
        for link, refs in members:
            sized = []
            for k, r in enumerate(refs):
                if r.is_entry:
                    if role == "access":
                        size, count = profile.cable_size(need[label, r.span_id])
                        cores = size * count
                    else:
                        near = [x for x in refs if not x.is_entry]
                        cores = (near[0] if k == 0 else near[-1]).cores if near else (
                            profile.cable_size(profile.demand.backbone_cores_per_hub)[0])
                    r = replace(r, cores=cores)
                sized.append(r)
            done.append((link, sized))
        out[key] = done
    return PlanLinks(out, empty, ends)
