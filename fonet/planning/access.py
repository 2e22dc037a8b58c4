"""Access trees: from each hub to the sites of its kecamatan, as least-cost Steiner trees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx

from fonet.planning.hubs import PlanSiteRef
from fonet.planning.steiner import steiner_tree


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
    """
    reach = nx.node_connected_component(g, hub.node)
    ok = [s for s in sites if s.node in reach]
    lost = [s for s in sites if s.node not in reach]
    terminals = list(dict.fromkeys([hub.node, *(s.node for s in ok)]))
    if len(terminals) == 1:
        tree: nx.Graph[int] = nx.Graph()
        tree.add_node(hub.node, **g.nodes[hub.node])
    else:
        tree = steiner_tree(g, terminals, weight=weight, time_limit_s=time_limit_s, seed=seed)
    return AccessTree(hub=hub, sites=[s for s in ok if s.node != hub.node or s is not hub],
                      tree=tree, unreachable=lost)
