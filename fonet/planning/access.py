"""Access trees: from each hub to the sites of its kecamatan, as least-cost Steiner trees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx

from fonet.planning.hubs import PlanSiteRef
from fonet.planning.steiner import steiner_tree

REGION_MARGIN_M = 1500.0
"""Least margin around a kecamatan's sites within which its access tree is searched."""
REGION_MARGIN_SHARE = 0.15
"""Margin as a share of the extent of the sites, when that is larger."""
M_PER_DEG = 111_320.0
LARGE_REGION_NODES = 2500
"""A kecamatan's part of a road graph this large is searched with fewer idle restarts."""
LARGE_REGION_IDLE = 3


class NodeIndex:
    """Coordinates of a graph's nodes as arrays, to cut out the part of it around some nodes."""

    def __init__(self, g: nx.Graph) -> None:
        import numpy as np

        self.nodes = list(g.nodes)
        self.lon = np.array([g.nodes[n]["lon"] for n in self.nodes])
        self.lat = np.array([g.nodes[n]["lat"] for n in self.nodes])
        self.index = {n: i for i, n in enumerate(self.nodes)}
        self.component: dict[int, int] = {}
        for k, comp in enumerate(nx.connected_components(g)):
            for n in comp:
                self.component[n] = k

    def around(self, nodes: Sequence[int], margin_m: float) -> list[int]:
        """Nodes inside the bounding box of ``nodes`` grown by ``margin_m`` (and the share)."""
        import math

        idx = [self.index[n] for n in nodes]
        lon, lat = self.lon[idx], self.lat[idx]
        lat0 = float(lat.mean())
        kx = M_PER_DEG * math.cos(math.radians(lat0))
        ext = max((lon.max() - lon.min()) * kx, (lat.max() - lat.min()) * M_PER_DEG)
        m = max(margin_m, REGION_MARGIN_SHARE * ext)
        dx, dy = m / kx, m / M_PER_DEG
        mask = ((self.lon >= lon.min() - dx) & (self.lon <= lon.max() + dx)
                & (self.lat >= lat.min() - dy) & (self.lat <= lat.max() + dy))
        return [self.nodes[i] for i in mask.nonzero()[0]]


def region(g: nx.Graph, index: NodeIndex, nodes: Sequence[int],
           margin_m: float = REGION_MARGIN_M) -> nx.Graph:
    """Return the part of ``g`` around ``nodes`` in which they are all joined.

    The bounding box of the nodes plus a margin; the margin doubles until every node is in
    one component of the part (at worst the whole graph is returned).
    """
    want = set(nodes)
    for _ in range(4):
        sub = _induced(g, index.around(list(want), margin_m))
        first = next(iter(want))
        if first in sub and want <= nx.node_connected_component(sub, first):
            return sub
        margin_m *= 2
    return g


def _induced(g: nx.Graph, nodes: Sequence[int]) -> nx.Graph:
    """Return the subgraph of ``g`` induced by ``nodes`` as a new graph.

    Built straight from the adjacency, nodes in the order of ``g``: about three times faster
    than copying a subgraph view.
    """
    keep = set(nodes)
    sub: nx.Graph = nx.Graph()
    sub.add_nodes_from((n, g.nodes[n]) for n in nodes)
    seen: set[int] = set()
    edges = []
    for u in nodes:
        for v, d in g.adj[u].items():
            if v in keep and v not in seen:
                edges.append((u, v, d))
        seen.add(u)
    sub.add_edges_from(edges)
    return sub


@dataclass
class AccessTree:
    """The access tree of one hub."""

    hub: PlanSiteRef
    sites: list[PlanSiteRef]
    tree: nx.Graph
    unreachable: list[PlanSiteRef] = field(default_factory=list)

    def paths(self) -> dict[int, list[int]]:
        """Node path from the hub to each connected site, by site id."""
        if self.tree.number_of_nodes() == 0:
            return {}
        paths = nx.single_source_shortest_path(self.tree, self.hub.node)
        return {s.site_id: paths[s.node] for s in self.sites if s.node in paths}

    def downstream(self) -> dict[tuple[int, int], list[int]]:
        """Site ids served through each tree edge, keyed ``(parent, child)`` from the hub."""
        out: dict[tuple[int, int], list[int]] = {}
        for sid, path in self.paths().items():
            for a, b in zip(path, path[1:], strict=False):
                out.setdefault((a, b), []).append(sid)
        return out


def access_tree(
    g: nx.Graph,
    hub: PlanSiteRef,
    sites: Sequence[PlanSiteRef],
    *,
    weight: str = "cost",
    time_limit_s: float | None = None,
    seed: int = 0,
    index: NodeIndex | None = None,
) -> AccessTree:
    """Connect ``hub`` to ``sites`` at least cost; sites the hub cannot reach are named.

    Parameters
    ----------
    g
        The priced route graph.
    hub
        The root.
    sites
        Sites to serve (the hub itself may be among them).
    weight, time_limit_s, seed
        Passed to :func:`fonet.planning.steiner.steiner_tree`.
    index
        With it, the tree is searched on the part of ``g`` around the hub and the sites
        (:func:`region`) rather than on the whole graph: road graphs of a regency have tens of
        thousands of nodes, a kecamatan's part a few thousand.
    """
    if index is not None:
        home = index.component[hub.node]
        ok = [s for s in sites if index.component.get(s.node) == home]
    else:
        reach = nx.node_connected_component(g, hub.node)
        ok = [s for s in sites if s.node in reach]
    lost = [s for s in sites if s not in ok]
    # the hub first, then the sites' nodes in order: the tree does not depend on how the
    # sites were listed
    terminals = [hub.node, *sorted({s.node for s in ok} - {hub.node})]
    if len(terminals) == 1:
        tree: nx.Graph[int] = nx.Graph()
        tree.add_node(hub.node, **g.nodes[hub.node])
    else:
        part = region(g, index, terminals) if index is not None else g
        idle = LARGE_REGION_IDLE if part.number_of_nodes() >= LARGE_REGION_NODES else 6
        tree = steiner_tree(part, terminals, weight=weight, time_limit_s=time_limit_s,
                            seed=seed, max_idle=idle)
    return AccessTree(hub=hub, sites=[s for s in ok if s.node != hub.node or s is not hub],
                      tree=tree, unreachable=lost)
