"""The logical graph of a plan: sites joined by the plan's links, each link riding its spans.

Nodes are the plan's sites (core POP, hubs, served sites); edges are the plan's links (ring
hops ``P<plan>:BB<ring>:<A>><B>`` and access links ``P<plan>:AC:<site>``), keyed by link id.
A hub that stands at the POP has no ring hop: it is joined to the POP by a ``local`` edge that
rides no span. A failed span fails every link riding it; a failed route edge (a trench) fails
every span laid along it; a failed device fails the links terminating on its interfaces and
its site.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.store.models import (
    Area,
    Device,
    Interface,
    Link,
    LinkSpan,
    Plan,
    PlanSite,
    Site,
    Span,
)

LOCAL = -1
"""Id of the pseudo-links joining a hub that stands at the POP to the POP."""


@dataclass(frozen=True)
class SiteInfo:
    """A site of the plan: who it is and how the plan serves it."""

    id: int
    code: str
    name: str
    kind: str
    role: str
    kecamatan_code: str | None
    kecamatan: str | None
    hub_site_id: int | None

    def as_dict(self) -> dict[str, object]:
        """Return the site as a JSON-ready dict."""
        return {"code": self.code, "name": self.name, "kind": self.kind, "role": self.role,
                "kecamatan_code": self.kecamatan_code, "kecamatan": self.kecamatan}


@dataclass(frozen=True)
class LinkInfo:
    """A logical link of the plan and the spans it rides, in order."""

    id: int
    name: str
    kind: str
    """``ring``, ``access``, ``local`` or ``other``."""
    a_site_id: int | None
    z_site_id: int | None
    span_ids: tuple[int, ...]
    interface_ids: tuple[int, ...]


@dataclass(frozen=True)
class SpanInfo:
    """A span of the plan: the route edge it is laid along and its role."""

    id: int
    route_edge_id: int
    role: str | None
    length_m: float

    def as_dict(self) -> dict[str, object]:
        """Return the span as a JSON-ready dict."""
        return {"span_id": self.id, "route_edge_id": self.route_edge_id, "role": self.role,
                "length_m": round(self.length_m, 1)}


@dataclass
class PlanTopology:
    """The logical graph of one plan (see the module docstring)."""

    plan_id: int
    pop_site_id: int
    sites: dict[int, SiteInfo]
    links: dict[int, LinkInfo]
    spans: dict[int, SpanInfo]
    devices: dict[str, tuple[int | None, tuple[int, ...]]]
    """Device name → (site id, interface ids)."""
    adjacency: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    """Site id → [(neighbour site id, link id)]."""
    links_on_span: dict[int, set[int]] = field(default_factory=dict)
    spans_on_edge: dict[int, set[int]] = field(default_factory=dict)
    link_by_name: dict[str, int] = field(default_factory=dict)
    link_by_interface: dict[int, set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:  # noqa: D105
        self.adjacency = {sid: [] for sid in self.sites}
        for link in self.links.values():
            a, z = link.a_site_id, link.z_site_id
            if a in self.adjacency and z in self.adjacency and a != z:
                self.adjacency[a].append((z, link.id))
                self.adjacency[z].append((a, link.id))
            for sp in link.span_ids:
                self.links_on_span.setdefault(sp, set()).add(link.id)
            for iface in link.interface_ids:
                self.link_by_interface.setdefault(iface, set()).add(link.id)
            if link.id != LOCAL and link.kind != "local":
                self.link_by_name[link.name] = link.id
        for span in self.spans.values():
            self.spans_on_edge.setdefault(span.route_edge_id, set()).add(span.id)

    # -- failures --------------------------------------------------------------
    def links_of_spans(self, span_ids: Iterable[int]) -> set[int]:
        """Links riding any of the spans."""
        out: set[int] = set()
        for sp in span_ids:
            out |= self.links_on_span.get(sp, set())
        return out

    def spans_of_links(self, link_ids: Iterable[int]) -> set[int]:
        """Spans ridden by any of the links."""
        return {sp for lid in link_ids for sp in self.links[lid].span_ids}

    def route_edges_of_link(self, link_id: int) -> set[int]:
        """Route edges a link's spans are laid along."""
        return {self.spans[sp].route_edge_id for sp in self.links[link_id].span_ids}

    def reachable(self, failed_links: set[int], failed_sites: AbstractSet[int] = frozenset()
                  ) -> set[int]:
        """Sites with a path to the POP avoiding the failed links and sites."""
        if self.pop_site_id in failed_sites:
            return set()
        seen = {self.pop_site_id}
        todo = deque([self.pop_site_id])
        while todo:
            u = todo.popleft()
            for v, lid in self.adjacency[u]:
                if v not in seen and lid not in failed_links and v not in failed_sites:
                    seen.add(v)
                    todo.append(v)
        return seen

    def single_points(self, failed_links: set[int], failed_sites: AbstractSet[int] = frozenset()
                      ) -> dict[int, set[int]]:
        """Route edges whose cut, on top of the failures, cuts sites off: edge → those sites.

        Every span laid along the route edge (one trench) is taken as cut.
        """
        base = self.reachable(failed_links, failed_sites)
        edges = {e for lid in self.links if lid not in failed_links
                 for e in self.route_edges_of_link(lid)}
        out: dict[int, set[int]] = {}
        for e in sorted(edges):
            extra = self.links_of_spans(self.spans_on_edge[e])
            lost = base - self.reachable(failed_links | extra, failed_sites)
            if lost:
                out[e] = lost
        return out

    def resolve(self, *, spans: Iterable[int] = (), route_edges: Iterable[int] = (),
                links: Iterable[str] = (), devices: Iterable[str] = ()
                ) -> tuple[set[int], set[int], set[int]]:
        """Turn named failures into (failed links, failed sites, failed spans).

        Raises
        ------
        NotFoundError
            A span, route edge, link or device the plan does not know.
        """
        failed_spans = set()
        for sp in spans:
            if sp not in self.spans:
                raise NotFoundError(f"--span {sp}: plan {self.plan_id} has no span {sp}")
            failed_spans.add(sp)
        for e in route_edges:
            if e not in self.spans_on_edge:
                raise NotFoundError(f"--route-edge {e}: plan {self.plan_id} lays no span "
                                    f"along route edge {e}")
            failed_spans |= self.spans_on_edge[e]
        failed_links = self.links_of_spans(failed_spans)
        for name in links:
            if name not in self.link_by_name:
                raise NotFoundError(f"--link {name}: plan {self.plan_id} has no link {name!r}")
            failed_links.add(self.link_by_name[name])
        failed_sites: set[int] = set()
        for name in devices:
            if name not in self.devices:
                raise NotFoundError(f"--device {name}: no device named {name!r}")
            site_id, ifaces = self.devices[name]
            if site_id in self.sites:
                failed_sites.add(site_id)
            for iface in ifaces:
                failed_links |= self.link_by_interface.get(iface, set())
        return failed_links, failed_sites, failed_spans


def _link_kind(name: str, plan_id: int) -> str:
    parts = name.split(":")
    if len(parts) >= 3 and parts[0] == f"P{plan_id}":
        if parts[1].startswith("BB"):
            return "ring"
        if parts[1] == "AC":
            return "access"
    return "other"


def latest_plan_id(session: Session) -> int:
    """Return the id of the newest plan.

    Raises
    ------
    NotFoundError
        The store holds no plan.
    """
    plan_id = session.scalar(select(func.max(Plan.id)))
    if plan_id is None:
        raise NotFoundError("the store holds no plan: run `fonet plan` first")
    return plan_id


def load_topology(session: Session, plan_id: int | None = None) -> PlanTopology:
    """Read the logical graph of a plan (the newest plan by default).

    Raises
    ------
    NotFoundError
        No such plan.
    InputError
        The plan has no core POP.
    """
    if plan_id is None:
        plan_id = latest_plan_id(session)
    elif session.get(Plan, plan_id) is None:
        raise NotFoundError(f"--plan: no plan with id {plan_id}")
    kec_names = dict(session.execute(select(Area.code, Area.name)
                                     .where(Area.level == "kecamatan")).all())
    sites: dict[int, SiteInfo] = {}
    pop = None
    rows = session.execute(select(PlanSite, Site).join(Site, Site.id == PlanSite.site_id)
                           .where(PlanSite.plan_id == plan_id))
    for ps, site in rows:
        kec = ps.kecamatan_code or site.kecamatan_code
        sites[site.id] = SiteInfo(site.id, site.code, site.name, site.kind, ps.role, kec,
                                  kec_names.get(kec) if kec else None, ps.hub_site_id)
        if ps.role == "pop":
            pop = site.id
    if pop is None:
        raise InputError(f"plan {plan_id}", "the plan has no core POP site")
    seqs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for link_id, seq, span_id in session.execute(
            select(LinkSpan.link_id, LinkSpan.seq, LinkSpan.span_id)
            .join(Link, Link.id == LinkSpan.link_id).where(Link.plan_id == plan_id)):
        seqs[link_id].append((seq, span_id))
    links: dict[int, LinkInfo] = {}
    for link in session.scalars(select(Link).where(Link.plan_id == plan_id)):
        ifaces = tuple(i for i in (link.a_interface_id, link.z_interface_id) if i is not None)
        links[link.id] = LinkInfo(link.id, link.name, _link_kind(link.name, plan_id),
                                  link.a_site_id, link.z_site_id,
                                  tuple(sp for _, sp in sorted(seqs.get(link.id, []))), ifaces)
    on_ring = {s for link in links.values() if link.kind == "ring"
               for s in (link.a_site_id, link.z_site_id)}
    local = [sid for sid, s in sites.items() if s.role == "hub" and sid not in on_ring]
    for k, sid in enumerate(sorted(local)):
        lid = LOCAL - k
        links[lid] = LinkInfo(lid, f"local:{sites[pop].code}={sites[sid].code}", "local",
                              pop, sid, (), ())
    spans = {sp.id: SpanInfo(sp.id, sp.route_edge_id, sp.role, sp.length_m)
             for sp in session.scalars(select(Span).where(Span.plan_id == plan_id))}
    devices: dict[str, tuple[int | None, tuple[int, ...]]] = {}
    iface_rows = session.execute(select(Interface.device_id, Interface.id))
    by_device: dict[int, list[int]] = defaultdict(list)
    for device_id, iface_id in iface_rows:
        by_device[device_id].append(iface_id)
    for dev in session.scalars(select(Device)):
        devices[dev.name] = (dev.site_id, tuple(by_device.get(dev.id, [])))
    return PlanTopology(plan_id, pop, sites, links, spans, devices)
