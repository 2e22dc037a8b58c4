"""Which regency a plan covers when the store holds several.

A store keys its regencies by Kemendagri code (``35.17``): a kecamatan ``35.17.03`` and a
village ``35.17.03.2001`` belong to regency ``35.17``, and so does a site whose kecamatan does.
A regency's plan reads only its part of the route graph (the connected parts that hold its
sites) and serves only its sites, so regencies are planned independently of each other.
"""

from __future__ import annotations

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import InputError, StateError
from fonet.geo import from_wkb
from fonet.store.models import Area


def regencies(session: Session) -> list[tuple[str, str]]:
    """Return ``(code, name)`` of every regency the store holds, in code order."""
    return [(a.code, a.name) for a in session.scalars(
        select(Area).where(Area.level == "regency").order_by(Area.code))]


def resolve_regency(session: Session, regency: str | None) -> str | None:
    """Return the regency a plan covers: ``regency`` if the store holds it, else the first.

    Returns
    -------
    str or None
        The code, or ``None`` when the store holds no regency.

    Raises
    ------
    InputError
        When ``regency`` is given and the store does not hold it (naming the ones it holds).
    """
    held = regencies(session)
    if regency is None:
        return held[0][0] if held else None
    if regency not in {c for c, _ in held}:
        if not held:
            raise StateError("the store holds no regency: run `fonet init` first")
        raise InputError("--regency", f"the store holds no regency {regency!r}; it holds "
                                      f"{', '.join(f'{c} {n}' for c, n in held)}",
                         feature=regency)
    return regency


BBOX_MARGIN_DEG = 0.05
"""Margin around a regency's outline within which its route graph is read (about 5.5 km:
more than the 3 km a site may lie outside it)."""


def regency_bbox(session: Session, regency: str | None) -> tuple[float, float, float, float] | None:
    """Return the regency's outline bounds grown by :data:`BBOX_MARGIN_DEG`, or ``None``."""
    if regency is None:
        return None
    area = session.scalar(select(Area).where(Area.code == regency, Area.level == "regency"))
    if area is None:
        return None
    x0, y0, x1, y1 = from_wkb(area.geometry_wkb).bounds
    m = BBOX_MARGIN_DEG
    return (x0 - m, y0 - m, x1 + m, y1 + m)


def in_regency(code: str | None, regency: str) -> bool:
    """Tell whether an area code (kecamatan, village) lies in ``regency``."""
    return code is not None and (code == regency or code.startswith(regency + "."))


def regency_subgraph(g: nx.Graph, site_kecamatan: dict[int, str | None],
                     regency: str) -> nx.Graph:
    """Return the part of the route graph a regency's plan may use.

    Parameters
    ----------
    g
        The whole route graph (nodes carry ``site_id``).
    site_kecamatan
        Kecamatan code of every site, by site id.
    regency
        The regency's code.

    Returns
    -------
    networkx.Graph
        The connected parts of ``g`` holding a site of the regency (a sub-graph view copied
        into a new graph, so planning may annotate it).
    """
    seeds = {n for n, d in g.nodes(data=True)
             if d.get("site_id") is not None
             and in_regency(site_kecamatan.get(d["site_id"]), regency)}
    keep: set = set()
    for comp in nx.connected_components(g):
        if comp & seeds:
            keep |= comp
    return g.subgraph(keep).copy()
