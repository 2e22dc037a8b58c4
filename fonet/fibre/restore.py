"""What a cable cut breaks in the fibre layer, and the spare fibres that could restore it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.fibre.lookup import find_cable
from fonet.store.fibre import Circuit, CircuitFibre, Fibre, FibreCable
from fonet.store.models import Link


def broken_circuits(session: Session, cables: Iterable[str | int]
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the named cables and the circuits with a fibre on them.

    Returns
    -------
    tuple
        (cables: ``code``, ``id``, ``cores``; circuits: ``link``, ``link_id``, ``cut_cables``,
        ``restore`` — per cable of the circuit's path, its free ``spare`` fibres with colours —
        and ``restorable``: every cable of the path has a spare pair).
    """
    cut = [find_cable(session, ref) for ref in cables]
    cut_ids = {c.id for c in cut}
    rows = session.execute(
        select(Circuit.id, Link.id, Link.name, Fibre.cable_id)
        .join(Link, Link.id == Circuit.link_id)
        .join(CircuitFibre, CircuitFibre.circuit_id == Circuit.id)
        .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
        .where(Circuit.id.in_(select(CircuitFibre.circuit_id)
                              .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
                              .where(Fibre.cable_id.in_(cut_ids))))
        .order_by(Link.name, CircuitFibre.strand, CircuitFibre.seq)).all()
    path: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    for cid, lid, name, cable_id in rows:
        if cable_id not in path[cid, lid, name]:
            path[cid, lid, name].append(cable_id)
    all_cables = {c for p in path.values() for c in p}
    codes = dict(session.execute(select(FibreCable.id, FibreCable.code)
                                 .where(FibreCable.id.in_(all_cables))).all())
    used = set(session.scalars(select(CircuitFibre.fibre_id)
                               .join(Fibre, Fibre.id == CircuitFibre.fibre_id)
                               .where(Fibre.cable_id.in_(all_cables))))
    spares: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in session.scalars(select(Fibre).where(Fibre.cable_id.in_(all_cables),
                                                 Fibre.state == "spare")
                             .order_by(Fibre.cable_id, Fibre.number)):
        if f.id not in used:
            spares[f.cable_id].append({"fibre": f.number, "tube": f.tube,
                                       "tube_colour": f.tube_colour, "colour": f.colour})
    circuits = []
    for (_, lid, name), cables_on in sorted(path.items(), key=lambda kv: kv[0][2]):
        restore: list[dict[str, Any]] = [
            {"cable": codes[c], "cut": c in cut_ids, "spare": spares.get(c, [])}
            for c in cables_on]
        circuits.append({"link": name, "link_id": lid,
                         "cut_cables": [codes[c] for c in cables_on if c in cut_ids],
                         "restore": restore,
                         "restorable": all(len(r["spare"]) >= 2 for r in restore)})
    return [{"code": c.code, "id": c.id, "cores": c.cores} for c in cut], circuits


def locate_cables(session: Session, down: set[int], up: set[int], *, limit: int = 10
                  ) -> dict[str, Any]:
    """Rank the cables whose cut explains the down links (the fibre layer's locate-cut).

    A cable *explains* the down links with a fibre on it and is *contradicted* by the working
    links with a fibre on it: two cables in one trench are told apart by their circuits.

    Parameters
    ----------
    down, up
        Ids of the links down and of those observed working (up or degraded).
    limit
        Cables listed.

    Returns
    -------
    dict
        ``candidates``: ranked cables (uncontradicted first, then most down links explained)
        with ``explains``, ``contradicted_by`` and ``explains_every_down_link``; and
        ``unexplained``: down links no uncontradicted cable explains.
    """
    up = up - down
    riders: dict[int, set[int]] = defaultdict(set)
    for cable_id, link_id in session.execute(
            select(Fibre.cable_id, Circuit.link_id)
            .join(CircuitFibre, CircuitFibre.fibre_id == Fibre.id)
            .join(Circuit, Circuit.id == CircuitFibre.circuit_id)
            .where(Circuit.link_id.in_(down | up))):
        riders[cable_id].add(link_id)
    names = dict(session.execute(select(Link.id, Link.name)
                                 .where(Link.id.in_(down | up))).all())
    codes = dict(session.execute(select(FibreCable.id, FibreCable.code)
                                 .where(FibreCable.id.in_(set(riders)))).all())
    rows = []
    for cid, links in riders.items():
        explains, against = links & down, links & up
        if explains:
            rows.append((len(against), -len(explains), codes[cid], cid, explains, against))
    rows.sort()
    covered = set().union(*(r[4] for r in rows if r[0] == 0)) if rows else set()
    return {
        "down_links": sorted(names[i] for i in down if i in names),
        "candidates": [{"rank": k, "cable": code, "cable_id": cid,
                        "explains": sorted(names[i] for i in ex),
                        "contradicted_by": sorted(names[i] for i in ag),
                        "explains_every_down_link": ex == down}
                       for k, (_, _, code, cid, ex, ag) in enumerate(rows[:limit], start=1)],
        "unexplained": sorted(names[i] for i in down - covered if i in names),
    }
