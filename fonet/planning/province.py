"""The provincial backbone: the regency POPs joined in rings over inter-regency corridors.

Each regency is planned on its own (:func:`fonet.planning.plan.run_plan` with ``regency``);
its core POP is where the province's network meets it. Two regencies are neighbours when their
outlines touch or lie within :data:`NEIGHBOUR_GAP_M` of each other (a strait such as the one the
Suramadu bridge crosses); their corridor runs from one POP to the nearest point of the common
border and on to the other POP. The provincial core is the POP of least total corridor length
to all the others (a 1-median); the other POPs are put on rings from it with the ring code of
the regency backbone (:mod:`fonet.planning.rings`), and the corridors whose cut splits the
backbone are reported as its single points of failure.

    B ───── C        POPs of neighbouring regencies are joined by corridors; a ring
    │       │        leaves the core A and comes back to it by another way (A-B-C-D-A).
    A ───── D ── E   The corridor D-E, the only way to E, is a single point of failure.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx
import shapely
from pydantic import BaseModel, Field
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from fonet.geo import geodesic_length_m, to_lonlat, to_metric
from fonet.planning.hubs import PlanSiteRef
from fonet.planning.rings import backbone_bridges, build_ring, petals

NEIGHBOUR_GAP_M = 6000.0
"""Outlines closer than this make two regencies neighbours (the Madura strait at Suramadu is
5.4 km wide)."""

SIMPLIFY_M = 250.0
"""Outlines are simplified to this tolerance (metres) before neighbours and crossings are
found: a corridor's course is an estimate at the scale of kilometres."""

MAX_POPS_PER_RING = 8
"""Most regency POPs on one provincial ring (besides the core)."""


@dataclass(frozen=True)
class RegencyPop:
    """A planned regency as the provincial backbone sees it.

    Attributes
    ----------
    code, name
        The regency.
    site_id, site_code
        Its core POP site.
    lon, lat
        Where the POP stands.
    boundary
        The regency's outline (lon/lat).
    """

    code: str
    name: str
    site_id: int
    site_code: str
    lon: float
    lat: float
    boundary: BaseGeometry


class ProvincialRing(BaseModel):
    """One provincial ring: the regencies in order (the core first) and its length."""

    regencies: list[str]
    length_km: float


class ProvincialSpof(BaseModel):
    """A corridor whose cut splits the provincial backbone."""

    a: str
    b: str
    length_km: float


class ProvincialBackbone(BaseModel):
    """The provincial backbone's figures (stored in the scenario's summary)."""

    core: str | None = None
    """Code of the regency whose POP is the provincial core."""
    corridors: int = 0
    """Inter-regency corridors (pairs of neighbouring regencies)."""
    rings: list[ProvincialRing] = Field(default_factory=list)
    route_km: float = 0.0
    """Length of the corridors the rings use (each once)."""
    two_edge_connected: bool = False
    single_points_of_failure: list[ProvincialSpof] = Field(default_factory=list)
    unreached: list[str] = Field(default_factory=list)
    """Regencies no corridor chain joins to the core (another island)."""
    corridor_lines: list[list[list[float]]] = Field(default_factory=list)
    """The corridors the rings use, as [lon, lat] lines (for maps)."""


def corridor_graph(pops: list[RegencyPop], *,
                   max_gap_m: float = NEIGHBOUR_GAP_M) -> nx.Graph:
    """Return the graph of inter-regency corridors between neighbouring regencies.

    Parameters
    ----------
    pops
        The planned regencies.
    max_gap_m
        Outlines closer than this are neighbours.

    Returns
    -------
    networkx.Graph
        Nodes are indices into ``pops`` with ``lon``, ``lat`` and ``code``; edges carry
        ``length_m`` and ``cost`` (metres, POP → border → POP) and ``line`` (lon/lat).
    """
    g: nx.Graph = nx.Graph()
    metric = [to_metric(p.boundary).simplify(SIMPLIFY_M) for p in pops]
    for i, p in enumerate(pops):
        g.add_node(i, lon=p.lon, lat=p.lat, code=p.code)
    tree = shapely.STRtree(metric)
    for i, geom in enumerate(metric):
        for j in sorted(int(k) for k in tree.query(geom, predicate="dwithin",
                                                   distance=max_gap_m)):
            if j <= i:
                continue
            a, b = pops[i], pops[j]
            pa, pb = to_metric(Point(a.lon, a.lat)), to_metric(Point(b.lon, b.lat))
            # the border point nearest the middle of the two POPs
            border = shapely.shortest_line(metric[i], metric[j])
            mid = Point((pa.x + pb.x) / 2, (pa.y + pb.y) / 2)
            crossing = min((Point(c) for c in border.coords), key=mid.distance)
            common = metric[i].boundary.intersection(metric[j].boundary.buffer(max_gap_m))
            if not common.is_empty:
                crossing = nearest_points(common, mid)[0]
            c = to_lonlat(crossing)
            line = LineString([(a.lon, a.lat), (c.x, c.y), (b.lon, b.lat)])
            length = geodesic_length_m(line)
            g.add_edge(i, j, length_m=length, cost=length,
                       line=[[round(x, 6), round(y, 6)] for x, y in line.coords])
    return g


def _ref(i: int, pop: RegencyPop) -> PlanSiteRef:
    return PlanSiteRef(pop.site_id, pop.site_code, pop.name, "core_pop", None, i, i, 0.0)


def provincial_backbone(pops: list[RegencyPop], *, max_gap_m: float = NEIGHBOUR_GAP_M,
                        max_per_ring: int = MAX_POPS_PER_RING) -> ProvincialBackbone:
    """Join the regency POPs in rings from a provincial core and report its weak corridors.

    Parameters
    ----------
    pops
        The planned regencies, each with its POP.
    max_gap_m
        Outlines closer than this are neighbours.
    max_per_ring
        Most POPs on one ring besides the core.

    Returns
    -------
    ProvincialBackbone
        Core, rings, corridor length used, two-edge-connectedness and single points of failure.
    """
    out = ProvincialBackbone()
    if not pops:
        return out
    g = corridor_graph(pops, max_gap_m=max_gap_m)
    out.corridors = g.number_of_edges()
    lengths = dict(nx.all_pairs_dijkstra_path_length(g, weight="cost"))
    core = min(g.nodes, key=lambda i: (-len(lengths[i]), sum(lengths[i].values()),
                                       pops[i].code))
    out.core = pops[core].code
    reach = set(lengths[core])
    out.unreached = sorted(pops[i].code for i in g.nodes if i not in reach)
    sub = g.subgraph(reach)
    core_ref = _ref(core, pops[core])
    hubs = [_ref(i, pops[i]) for i in sorted(reach) if i != core]
    rings = [build_ring(sub, [core_ref, *group], weight="cost")
             for group in petals(sub, core_ref, hubs, max_per_ring)]
    used: set[tuple[int, int]] = set()
    for ring in rings:
        km = sum(g.edges[u, v]["length_m"] for u, v in ring.edges()) / 1000
        out.rings.append(ProvincialRing(regencies=[pops[m.node].code for m in ring.members],
                                        length_km=round(km, 1)))
        used |= {(min(u, v), max(u, v)) for u, v in ring.edges()}
    out.route_km = round(sum(g.edges[e]["length_m"] for e in used) / 1000, 1)
    out.corridor_lines = [g.edges[e]["line"] for e in sorted(used)]
    spofs = backbone_bridges(sub, rings)
    out.single_points_of_failure = [
        ProvincialSpof(a=pops[u].code, b=pops[v].code,
                       length_km=round(g.edges[u, v]["length_m"] / 1000, 1))
        for u, v in spofs]
    joined = {n for e in used for n in e} | ({core} if not hubs else set())
    out.two_edge_connected = (not spofs and not out.unreached and len(pops) > 1
                              and joined == set(g.nodes))
    return out


def ring_pairs(backbone: ProvincialBackbone) -> list[tuple[str, str]]:
    """Return the consecutive regency pairs of every ring (the corridors each ring rides)."""
    pairs = []
    for ring in backbone.rings:
        seq = [*ring.regencies, ring.regencies[0]]
        pairs += [(a, b) for a, b in itertools.pairwise(seq) if a != b]
    return pairs

