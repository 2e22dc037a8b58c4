"""What a failure cuts off: sites without a path to the core POP, and sites left on one path.

A site is *cut off* when no path of working links joins it to the core POP. A site still
connected is *without redundancy* when the failure leaves it a new single point of failure:
a route edge (one trench, every span laid along it) whose cut would now cut it off and would
not have before. For a hub on a ring this is its edge-connectivity to the POP dropping from two
to one; the sites its access links serve lose their redundancy with it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.fibre.restore import broken_circuits
from fonet.noc.topology import PlanTopology
from fonet.store.models import Device, Link
from fonet.store.observed import DeviceStatus, LinkState

DOWN_STATES = ("down",)


def _sites(topo: PlanTopology, ids: Iterable[int]) -> list[dict[str, Any]]:
    rows = [topo.sites[i] for i in ids]
    rows.sort(key=lambda s: (s.kecamatan_code or "", s.code))
    return [s.as_dict() for s in rows]


def _summary(topo: PlanTopology, ids: set[int]) -> dict[str, Any]:
    by_kind = Counter(topo.sites[i].kind for i in ids)
    by_kec: dict[str, dict[str, Any]] = {}
    for i in ids:
        s = topo.sites[i]
        key = s.kecamatan_code or "-"
        row = by_kec.setdefault(key, {"kecamatan": s.kecamatan, "sites": 0, "by_kind": {}})
        row["sites"] += 1
        row["by_kind"][s.kind] = row["by_kind"].get(s.kind, 0) + 1
    return {"count": len(ids), "by_kind": dict(sorted(by_kind.items())),
            "by_kecamatan": dict(sorted(by_kec.items()))}


def impact(
    topo: PlanTopology,
    *,
    failed_links: set[int],
    failed_sites: AbstractSet[int] = frozenset(),
    failed_spans: AbstractSet[int] = frozenset(),
    redundancy: bool = True,
) -> dict[str, Any]:
    """Evaluate a set of failures on a plan's logical graph.

    Parameters
    ----------
    topo
        The plan's logical graph.
    failed_links, failed_sites, failed_spans
        What fails (see :meth:`PlanTopology.resolve`); failed spans are only reported, their
        links must be in ``failed_links``.
    redundancy
        Also work out the sites left without redundancy (one search per route edge).

    Returns
    -------
    dict
        ``plan_id``, ``failed`` (links, sites, spans, route edges), ``cut_off`` (sites and a
        summary by kind and kecamatan), ``without_redundancy`` (sites, summary and the new
        single points of failure: route edges with their spans and the sites each would cut
        off).
    """
    reach = topo.reachable(failed_links, failed_sites)
    cut = set(topo.sites) - reach
    failed_edges = sorted({topo.spans[sp].route_edge_id for sp in failed_spans})
    links_out = []
    for lid in sorted(failed_links, key=lambda i: topo.links[i].name):
        link = topo.links[lid]
        links_out.append({"name": link.name, "kind": link.kind, "spans": len(link.span_ids),
                          "route_edges": sorted(topo.route_edges_of_link(lid))})
    out: dict[str, Any] = {
        "plan_id": topo.plan_id,
        "pop": topo.sites[topo.pop_site_id].code,
        "failed": {
            "links": links_out,
            "sites": _sites(topo, failed_sites),
            "spans": [topo.spans[sp].as_dict() for sp in sorted(failed_spans)],
            "route_edges": failed_edges,
        },
        "cut_off": {"sites": _sites(topo, cut), **_summary(topo, cut)},
    }
    if not redundancy:
        return out
    before = topo.single_points(set(), set())
    after = topo.single_points(failed_links, failed_sites)
    exposed: dict[int, set[int]] = defaultdict(set)
    new_points = []
    for edge, lost in sorted(after.items()):
        new = lost - before.get(edge, set())
        if not new:
            continue
        for sid in new:
            exposed[sid].add(edge)
        new_points.append({
            "route_edge_id": edge,
            "spans": sorted(topo.spans_on_edge.get(edge, ())),
            "links": sorted(topo.links[lid].name for lid in
                            topo.links_of_spans(topo.spans_on_edge.get(edge, ()))
                            if lid not in failed_links),
            "would_cut_off": len(lost), "newly_exposed": len(new)})
    lost_ids = set(exposed)
    sites = _sites(topo, lost_ids)
    for row in sites:
        sid = next(i for i in lost_ids if topo.sites[i].code == row["code"])
        row["single_points"] = sorted(exposed[sid])
    out["without_redundancy"] = {"sites": sites, **_summary(topo, lost_ids),
                                 "new_single_points": new_points}
    return out


def what_if(topo: PlanTopology, *, spans: Iterable[int] = (), route_edges: Iterable[int] = (),
            links: Iterable[str] = (), devices: Iterable[str] = ()) -> dict[str, Any]:
    """Impact of failing the named spans, route edges, links and devices together."""
    failed_links, failed_sites, failed_spans = topo.resolve(
        spans=spans, route_edges=route_edges, links=links, devices=devices)
    return impact(topo, failed_links=failed_links, failed_sites=failed_sites,
                  failed_spans=failed_spans)


def live_failures(session: Session, topo: PlanTopology, *, unreachable_after: int | None = None
                  ) -> tuple[set[int], set[int], list[str]]:
    """Return the plan's links down now and the sites whose every device is unreachable.

    A device is unreachable after ``unreachable_after`` failed polls in a row (default:
    ``FONET_UNREACHABLE_AFTER``, 2).

    Returns
    -------
    tuple
        (failed link ids, failed site ids, names of the unreachable devices).
    """
    down = set(session.scalars(
        select(LinkState.link_id).join(Link, Link.id == LinkState.link_id)
        .where(Link.plan_id == topo.plan_id, LinkState.state.in_(DOWN_STATES))))
    if unreachable_after is None:
        from fonet.config import Settings

        unreachable_after = Settings().unreachable_after
    rows = session.execute(select(Device.name, Device.site_id, DeviceStatus)
                           .join(DeviceStatus, DeviceStatus.device_id == Device.id))
    dead: list[str] = []
    per_site: dict[int, list[bool]] = defaultdict(list)
    for name, site_id, status in rows:
        failed = not status.reachable and (status.failures or 0) >= unreachable_after
        if failed:
            dead.append(name)
        if site_id is not None:
            per_site[site_id].append(failed)
    for name in dead:
        _, ifaces = topo.devices.get(name, (None, ()))
        for iface in ifaces:
            down |= topo.link_by_interface.get(iface, set())
    sites = {sid for sid, flags in per_site.items() if sid in topo.sites and all(flags)}
    return down & set(topo.links), sites, sorted(dead)


def live_impact(session: Session, topo: PlanTopology) -> dict[str, Any]:
    """Impact of the live state: links down now and sites whose devices are unreachable.

    Which spans are cut is a guess from the evidence: see :func:`fonet.noc.locate.locate_live`.
    """
    links, sites, dead = live_failures(session, topo)
    out = impact(topo, failed_links=links, failed_sites=sites)
    out["failed"]["unreachable_devices"] = dead
    return out


@dataclass(frozen=True)
class FailureGroup:
    """Sites cut off together and the failures on their boundary that cut them off.

    ``cause_links`` are down links with one end among ``sites``; ``cause_sites`` are failed
    sites (every device unreachable) next to them while themselves reachable over working
    links: the equipment there failed, not the fibre. ``links`` are the down links inside
    the group or ending on a cause site.
    """

    sites: frozenset[int]
    cause_links: frozenset[int]
    cause_sites: frozenset[int]
    links: frozenset[int]


def _components(topo: PlanTopology, nodes: set[int], failed_links: set[int]
                ) -> list[set[int]]:
    left, out = set(nodes), []
    while left:
        start = left.pop()
        comp, todo = {start}, [start]
        while todo:
            u = todo.pop()
            for v, lid in topo.adjacency[u]:
                if v in left and lid not in failed_links:
                    left.discard(v)
                    comp.add(v)
                    todo.append(v)
        out.append(comp)
    return out


def dead_sites(topo: PlanTopology, down_links: set[int], failed_sites: set[int]) -> set[int]:
    """Failed sites whose equipment failed, rather than the fibre that reaches them.

    A site whose every device is unreachable failed itself when links not down still join it
    to the core POP, or when two or more of its links are down and no route edge carries them
    all (one device explains them better than cuts in several trenches). A site whose down
    links share a trench, or that only hangs on one down link, is taken as cut off.
    """
    out = set()
    reach = topo.reachable(down_links)
    for s in failed_sites & set(topo.sites):
        downs = [lid for _, lid in topo.adjacency[s] if lid in down_links]
        if s in reach:
            out.add(s)
        elif len(downs) >= 2 and not set.intersection(
                *(topo.route_edges_of_link(lid) for lid in downs)):
            out.add(s)
    return out


def failure_groups(topo: PlanTopology, down_links: set[int], failed_sites: set[int]
                   ) -> list[FailureGroup]:
    """Group what is cut off by the failures that cut it off (see :class:`FailureGroup`).

    Sites cut off by down links are grouped behind those links; a failed site (see
    :func:`dead_sites`) is a root cause itself, with its own down links and the sites behind
    it.
    """
    dead = dead_sites(topo, down_links, failed_sites)
    explained = {lid for s in dead for _, lid in topo.adjacency[s] if lid in down_links}
    fibre = down_links - explained
    groups = []
    reach = topo.reachable(fibre)
    for comp in _components(topo, set(topo.sites) - reach, fibre):
        cause: set[int] = set()
        inside: set[int] = set()
        for u in comp:
            for v, lid in topo.adjacency[u]:
                if lid in fibre:
                    (inside if v in comp else cause).add(lid)
        groups.append(FailureGroup(frozenset(comp), frozenset(cause), frozenset(),
                                   frozenset(inside)))
    if not dead:
        return groups
    behind = reach - topo.reachable(fibre, dead) - dead
    for comp in _components(topo, behind, fibre):
        causes = {v for u in comp for v, _ in topo.adjacency[u] if v in dead}
        links = {lid for u in comp for _, lid in topo.adjacency[u] if lid in down_links}
        groups.append(FailureGroup(frozenset(comp), frozenset(), frozenset(causes),
                                   frozenset(links)))
    for s in dead:  # a failed site's own down links
        links = {lid for _, lid in topo.adjacency[s] if lid in down_links}
        groups.append(FailureGroup(frozenset(), frozenset(), frozenset({s}), frozenset(links)))
    return groups


def cable_cut(session: Session, topo: PlanTopology, cables: Iterable[str | int], *,
              redundancy: bool = True) -> dict[str, Any]:
    """Impact of cutting whole cables of the fibre layer (what-if).

    A cut cable breaks the circuits with a fibre on it, and only those: another cable in the
    same trench keeps its circuits. Each broken circuit lists the spare fibres on the cables
    of its path that could take it over once the cut is spliced through.

    Parameters
    ----------
    session
        An open session (the fibre layer is read from it).
    topo
        The plan's logical graph.
    cables
        Cable codes or ids.

    Returns
    -------
    dict
        What :func:`impact` returns for the broken circuits' links, with ``failed.cables``
        and ``failed.circuits`` (each with ``restore``: per cable of its path, the spare
        fibres there, and ``restorable``).
    """
    cut, circuits = broken_circuits(session, cables)
    failed = {c["link_id"] for c in circuits if c["link_id"] in topo.links}
    out = impact(topo, failed_links=failed, redundancy=redundancy)
    out["failed"]["cables"] = cut
    out["failed"]["circuits"] = circuits
    return out
