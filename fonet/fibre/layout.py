"""Cutting a plan's cable runs into cables: at drum length and at branch points.

A plan's links are paths of spans. The links of one access tree share a root (the hub); those
of a ring leg form one path. Each such group is laid out as a rooted tree of spans::

    hub ODF ──cable──► J (drum joint) ──cable──► B (branch closure) ──cable──► site OTB
                                                   └──────────cable──────────► site OTB

A drum joint is placed wherever the length of a continuous cable run (from the ODF or branch
closure where it starts) reaches a multiple of the drum length, and one branch closure at every
node where the tree branches: exactly the joints the planner places per run
(:func:`fonet.planning.engineering.place_joints`) and the branch closures it counts for a path.

A site standing on its route node has no drop span (the planner lays no cable along a drop of
no length); its link's spans end at the node the drop joins. The layout walks such a drop as an
*entry* (:attr:`SpanRef.is_entry`), so that the site's ODF stays at the site's own node and the
tree branches where the planner's tree does.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from fonet.errors import StateError

EPS_M = 1e-6


@dataclass(frozen=True)
class SpanRef:
    """A span of the plan as the layout needs it."""

    span_id: int
    edge_id: int
    a_node: int
    z_node: int
    length_m: float
    cores: int
    method: str

    @property
    def is_entry(self) -> bool:
        """A site's building entry the plan lays no span along (``span_id`` is below zero)."""
        return self.span_id < 0


@dataclass(frozen=True)
class EndRef:
    """A cable end: an ODF at a site node, or a closure at a node or along an edge."""

    kind: str
    """``odf``, ``branch`` or ``joint``."""
    node: int | None = None
    edge_id: int | None = None
    from_node: int | None = None
    offset_m: float | None = None
    """For a joint: metres along the edge from ``from_node``."""

    def key(self, group: str) -> str:
        """Return a code naming this end, stable across runs."""
        if self.kind == "odf":
            return f"N{self.node}"
        if self.kind == "branch":
            return f"CL-{group}-N{self.node}"
        return f"CL-{group}-E{self.edge_id}N{self.from_node}+{self.offset_m:.1f}"


@dataclass(frozen=True)
class Piece:
    """The part of a span a cable runs along."""

    span: SpanRef
    from_node: int
    to_node: int
    start_m: float
    end_m: float

    @property
    def length_m(self) -> float:
        """Metres of cable along the span."""
        return self.end_m - self.start_m


@dataclass
class CableRun:
    """One cable as laid out: its ends and the pieces of spans between them."""

    group: str
    role: str
    a: EndRef
    z: EndRef | None = None
    pieces: list[Piece] = field(default_factory=list)

    @property
    def length_m(self) -> float:
        """Cable length."""
        return sum(p.length_m for p in self.pieces)

    @property
    def cores(self) -> int:
        """Cores: the most any of its spans needs."""
        return max(p.span.cores for p in self.pieces)

    @property
    def method(self) -> str:
        """Install method of most of its length."""
        by: dict[str, float] = defaultdict(float)
        for p in self.pieces:
            by[p.span.method] += p.length_m
        return max(sorted(by), key=lambda m: by[m])

    @property
    def code(self) -> str:
        """A code naming the cable by its group, size and route, stable across runs."""
        sig = ";".join(f"{p.span.edge_id}:{p.from_node}:{p.start_m:.1f}:{p.end_m:.1f}"
                       for p in self.pieces)
        key = f"{self.role}|{self.group}|{self.cores}|{sig}"
        digest = hashlib.sha1(key.encode()).hexdigest()[:10]
        return f"CB-{self.group}-{digest}"


@dataclass
class GroupLayout:
    """The cables of one group and, for each of its spans, the cables along it in order."""

    cables: list[CableRun]
    by_span: dict[int, list[CableRun]]


def path_nodes(root: int, path: list[SpanRef]) -> list[int] | None:
    """Route nodes of a path of spans walked from ``root`` (``None`` if it does not connect)."""
    nodes = [root]
    for sp in path:
        node = nodes[-1]
        nxt = sp.z_node if sp.a_node == node else sp.a_node if sp.z_node == node else None
        if nxt is None:
            return None
        nodes.append(nxt)
    return nodes


def lay_out(group: str, role: str, root: int, paths: list[list[SpanRef]], drum_length_m: float
            ) -> GroupLayout:
    """Lay out the cables of one group of links sharing the root node ``root``.

    Parameters
    ----------
    group
        A short label of the group (kecamatan code, ring leg), part of every code.
    role
        ``access`` or ``backbone``.
    root
        Route node where every path starts (the hub's or the ring member's node).
    paths
        Each link's spans in order from ``root``.
    drum_length_m
        Cable drum length: a joint wherever the distance from the root reaches a multiple.

    Raises
    ------
    StateError
        If a path's spans do not connect, or two paths reach a node by different spans.

    Notes
    -----
    Drum joints are counted along each cable run from the ODF or branch closure it starts at,
    as the planner places them (:func:`fonet.planning.engineering.place_joints`).
    """
    children: dict[int, list[tuple[SpanRef, int]]] = defaultdict(list)
    parent: dict[int, int] = {}
    for path in paths:
        node = root
        for sp in path:
            nxt = sp.z_node if sp.a_node == node else sp.a_node if sp.z_node == node else None
            if nxt is None:
                raise StateError(f"group {group}: span {sp.span_id} does not continue the path "
                                 f"at route node {node}")
            if nxt in parent:
                if parent[nxt] != sp.span_id:
                    raise StateError(f"group {group}: route node {nxt} is reached by two spans")
            else:
                parent[nxt] = sp.span_id
                children[node].append((sp, nxt))
            node = nxt
    degree: dict[int, int] = defaultdict(int)
    for u, kids in children.items():
        degree[u] += len(kids)
        for _, v in kids:
            degree[v] += 1
    cables: list[CableRun] = []
    by_span: dict[int, list[CableRun]] = defaultdict(list)
    # each entry: node, the cable arriving there, metres since the run's ODF or branch closure
    stack: list[tuple[int, CableRun | None, float]] = [(root, None, 0.0)]
    while stack:
        node, run, walked = stack.pop()
        kids = sorted(children.get(node, []), key=lambda kv: kv[0].span_id)
        if run is not None and (not kids or degree[node] >= 3):
            run.z = EndRef("odf" if not kids else "branch", node=node)
            cables.append(run)
            run = None
        start = (EndRef("odf", node=node) if node == root else EndRef("branch", node=node))
        for sp, nxt in reversed(kids):
            d0 = walked if run is not None else 0.0
            cur = run if run is not None else CableRun(group, role, start)
            cur = _along(cur, sp, node, nxt, d0, drum_length_m, cables, by_span)
            stack.append((nxt, cur, d0 + sp.length_m))
    return GroupLayout(cables, dict(by_span))


def _along(run: CableRun, sp: SpanRef, u: int, v: int, d0: float, drum: float,
           cables: list[CableRun], by_span: dict[int, list[CableRun]]) -> CableRun:
    """Run ``run`` along span ``sp`` from ``u``, cutting it at every drum joint on the way.

    ``d0`` is the length of the run (since its ODF or branch closure) at ``u``.
    """
    d1 = d0 + sp.length_m
    k = int(d0 // drum) + 1
    start = 0.0
    while k * drum < d1 - EPS_M:
        at = k * drum - d0
        if at > EPS_M:
            run.pieces.append(Piece(sp, u, v, start, at))
            by_span[sp.span_id].append(run)
            run.z = EndRef("joint", edge_id=sp.edge_id, from_node=u, offset_m=at)
            cables.append(run)
            run = CableRun(run.group, run.role, run.z)
            start = at
        k += 1
    run.pieces.append(Piece(sp, u, v, start, sp.length_m))
    by_span[sp.span_id].append(run)
    return run
