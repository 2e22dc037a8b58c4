"""Putting links on fibre pairs: the fibres of each cable on the way, and the splices.

Each link gets two strands. On the first cable of its chain the lowest free fibres are taken;
on each next cable the fibre already spliced on, else the same number when free (a straight
splice), else the lowest free one. A splice joins them in the closure between the cables. Free
fibres left on a cable become ``spare`` up to the profile's rule, the rest ``dark``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from fonet.fibre.integrity import PathContext, circuit_path_problems
from fonet.planning.profile import Profile
from fonet.store.fibre import (
    Circuit,
    CircuitFibre,
    Closure,
    Fibre,
    FibreCable,
    OdfPort,
    Patch,
    Splice,
)
from fonet.store.models import Link


@dataclass
class LinkChain:
    """A link and the cables its path runs through, in order from its A end."""

    link: Link
    cable_ids: list[int]


@dataclass
class AssignStats:
    """What an assignment run did."""

    circuits: int = 0
    kept: int = 0
    splices: int = 0
    unassigned: list[dict[str, Any]] = field(default_factory=list)
    short_of_spares: list[str] = field(default_factory=list)


class _Layer:
    """The fibre layer held in memory while assigning."""

    def __init__(self, session: Session, cable_ids: set[int]) -> None:
        self.cables = {c.id: c for c in session.scalars(
            select(FibreCable).where(FibreCable.id.in_(cable_ids)))}
        self.fibres: dict[int, list[Fibre]] = defaultdict(list)
        self.fibre: dict[int, Fibre] = {}
        for f in session.scalars(select(Fibre).where(Fibre.cable_id.in_(cable_ids))
                                 .order_by(Fibre.cable_id, Fibre.number)):
            self.fibres[f.cable_id].append(f)
            self.fibre[f.id] = f
        self.used = set(session.scalars(select(CircuitFibre.fibre_id)))
        self.spliced: dict[tuple[int, int], int] = {}
        """(closure, fibre) → the fibre it is spliced to there."""
        self.splices_in: dict[int, int] = defaultdict(int)
        for s in session.scalars(select(Splice)):
            self.spliced[s.closure_id, s.a_fibre_id] = s.b_fibre_id
            self.spliced[s.closure_id, s.b_fibre_id] = s.a_fibre_id
            self.splices_in[s.closure_id] += 1

    def free(self, f: Fibre) -> bool:
        return f.id not in self.used and f.state != "broken"

    def pick(self, cable_id: int, prev: Fibre | None, closure_id: int | None,
             skip: set[int]) -> Fibre | None:
        fibres = self.fibres[cable_id]
        if prev is not None and closure_id is not None:
            other = self.spliced.get((closure_id, prev.id))
            if other is not None:
                f = self.fibre.get(other)
                return f if f is not None and f.cable_id == cable_id and self.free(f) else None
            same = prev.number - 1
            if (same < len(fibres) and self.free(fibres[same])
                    and (closure_id, fibres[same].id) not in self.spliced):
                return fibres[same]
        for f in fibres:
            if (self.free(f) and f.id not in skip
                    and (closure_id is None or (closure_id, f.id) not in self.spliced)):
                return f
        return None


def _walk(layer: _Layer, cable_ids: list[int], tries: int = 12
          ) -> tuple[list[Fibre], str | None]:
    """One strand along the cables: free fibres joined (or joinable) in each closure.

    A fibre of the first cable whose way on is blocked (spliced to a fibre in use, or to
    another cable) is passed over for the next, up to ``tries`` times.
    """
    skip: set[int] = set()
    failed: str | None = None
    for _ in range(tries):
        path: list[Fibre] = []
        prev: Fibre | None = None
        failed = None
        for k, cid in enumerate(cable_ids):
            clo = _between(layer.cables[cable_ids[k - 1]], layer.cables[cid]) if k else None
            f = layer.pick(cid, prev, clo, skip if k == 0 else set())
            if f is None:
                failed = layer.cables[cid].code
                break
            path.append(f)
            prev = f
        if failed is None:
            return path, None
        if not path:
            break
        skip.add(path[0].id)
    return [], failed


def _between(a: FibreCable, b: FibreCable) -> int | None:
    """Return the closure where cable ``a`` meets cable ``b`` (``a``'s far end)."""
    for x in (a.z_closure_id, a.a_closure_id):
        if x is not None and x in (b.a_closure_id, b.z_closure_id):
            return x
    return None


def assign_circuits(session: Session, chains: list[LinkChain], profile: Profile) -> AssignStats:
    """Put every link of ``chains`` on a fibre pair, keeping circuits whose path still holds.

    Links that cannot get a free fibre on some cable are listed in ``unassigned``.
    """
    stats = AssignStats()
    existing = {c.link_id: c for c in session.scalars(select(Circuit).where(
        Circuit.link_id.in_([ch.link.id for ch in chains])))}
    ctx = PathContext(session) if existing else None
    kept: list[tuple[Link, list[list[Fibre]]]] = []
    for ch in chains:
        circ = existing.get(ch.link.id)
        if circ is None:
            continue
        held = _strands(session, circ.id)
        if (circ.status != "planned"
                or (all([f.cable_id for f in s] == ch.cable_ids for s in held)
                    and not circuit_path_problems(session, circ.id, ctx))):
            stats.kept += 1
            kept.append((ch.link, held))
            continue
        session.execute(delete(Circuit).where(Circuit.id == circ.id)
                        .execution_options(synchronize_session=False))
        del existing[ch.link.id]
    _drop_stale_splices(session)
    session.flush()
    layer = _Layer(session, {c for ch in chains for c in ch.cable_ids})
    closures = {c.id: c for c in session.scalars(select(Closure))}
    ports: dict[tuple[int | None, int], int] = {(o, f): p for p, o, f in session.execute(
        select(OdfPort.id, OdfPort.odf_id, OdfPort.fibre_id)) if f is not None}
    for link, held in kept:  # the link's interfaces may have changed since
        if held and all(f.cable_id in layer.cables for path in held for f in path):
            _patch(session, link, held, layer, ports)
    new_splices: list[dict[str, Any]] = []
    splice_loss = profile.optics.splice_loss_db
    per_tray = profile.fibre.splices_per_tray
    for ch in sorted(chains, key=lambda c: c.link.name):
        if ch.link.id in existing:
            continue
        strands: list[list[Fibre]] = []
        failed: str | None = None
        for _ in (1, 2):
            path, failed = _walk(layer, ch.cable_ids)
            if failed:
                break
            layer.used |= {f.id for f in path}
            strands.append(path)
        if failed:
            for path in strands:
                layer.used -= {f.id for f in path}
            stats.unassigned.append({"link": ch.link.name, "cable": failed})
            continue
        circ = Circuit(link_id=ch.link.id, status="planned")
        session.add(circ)
        session.flush()
        rows = []
        for strand, path in enumerate(strands, start=1):
            for k, f in enumerate(path):
                rows.append({"circuit_id": circ.id, "strand": strand, "seq": k,
                             "fibre_id": f.id})
                if k:
                    clo = _between(layer.cables[path[k - 1].cable_id], layer.cables[f.cable_id])
                    assert clo is not None
                    if (clo, path[k - 1].id) not in layer.spliced:
                        n = layer.splices_in[clo]
                        layer.splices_in[clo] += 1
                        layer.spliced[clo, path[k - 1].id] = f.id
                        layer.spliced[clo, f.id] = path[k - 1].id
                        new_splices.append({"closure_id": clo, "tray": n // per_tray + 1,
                                            "a_fibre_id": path[k - 1].id, "b_fibre_id": f.id,
                                            "loss_db": splice_loss})
        session.execute(insert(CircuitFibre), rows)
        _patch(session, ch.link, strands, layer, ports)
        existing[ch.link.id] = circ
    if new_splices:
        session.execute(insert(Splice), new_splices)
    stats.splices = sum(layer.splices_in.values())
    for cid, n in layer.splices_in.items():
        c = closures.get(cid)
        if c is not None and c.status == "planned":
            c.trays = max(1, math.ceil(n / per_tray))
    stats.circuits = len(existing)
    _states(session, layer, profile, stats)
    session.flush()
    return stats


def _drop_stale_splices(session: Session) -> None:
    """Remove splices in planned closures that no circuit passes (left by an older design)."""
    used = select(CircuitFibre.fibre_id)
    planned = select(Closure.id).where(Closure.status == "planned")
    session.execute(delete(Splice).where(Splice.closure_id.in_(planned),
                                         Splice.a_fibre_id.not_in(used),
                                         Splice.b_fibre_id.not_in(used))
                    .execution_options(synchronize_session=False))


def _strands(session: Session, circuit_id: int) -> list[list[Fibre]]:
    rows = session.execute(select(CircuitFibre.strand, Fibre)
                           .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
                           .where(CircuitFibre.circuit_id == circuit_id)
                           .order_by(CircuitFibre.strand, CircuitFibre.seq)).all()
    out: dict[int, list[Fibre]] = defaultdict(list)
    for strand, f in rows:
        out[strand].append(f)
    return [out[k] for k in sorted(out)]


def _patch(session: Session, link: Link, strands: list[list[Fibre]], layer: _Layer,
           ports: dict[tuple[int | None, int], int]) -> None:
    """Patch each strand's end ports to the link's interfaces (or a labelled transceiver)."""
    rows = []
    for strand, path in enumerate(strands, start=1):
        first, last = layer.cables[path[0].cable_id], layer.cables[path[-1].cable_id]
        for end, odf_id, fibre, iface in (("A", first.a_odf_id, path[0], link.a_interface_id),
                                          ("Z", last.z_odf_id, path[-1], link.z_interface_id)):
            port = ports.get((odf_id, fibre.id))
            if port is not None:
                rows.append({"port_id": port, "interface_id": iface,
                             "label": f"{link.name} {end} strand {strand}"})
    if rows:
        session.execute(delete(Patch).where(Patch.port_id.in_([r["port_id"] for r in rows]))
                        .execution_options(synchronize_session=False))
        session.execute(insert(Patch), rows)


def _states(session: Session, layer: _Layer, profile: Profile, stats: AssignStats) -> None:
    """In use for circuit fibres; the free ones spare up to the rule, the rest dark."""
    used = set(session.scalars(select(CircuitFibre.fibre_id)))
    for cid, fibres in layer.fibres.items():
        cable = layer.cables[cid]
        if cable.status != "planned":
            continue
        want = profile.fibre.spares(cable.cores)
        free = [f for f in fibres if f.id not in used and f.state != "broken"]
        if len(free) < want:
            stats.short_of_spares.append(cable.code)
        spare = {f.id for f in free[:want]}
        for f in fibres:
            if f.state == "broken":
                continue
            f.state = "in_use" if f.id in used else "spare" if f.id in spare else "dark"
    session.execute(update(Fibre).where(Fibre.id.in_(used), Fibre.state != "broken")
                    .values(state="in_use"))
