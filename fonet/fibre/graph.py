"""The networkx view of the fibre layer: closures and ODFs joined by cables.

Like :func:`fonet.graph.route_graph` it is built from the store (the store stays the truth):
nodes are ``("closure", id)`` and ``("odf", id)``, each cable is an edge keyed by its id.
"""

from __future__ import annotations

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fonet.store.fibre import Closure, Fibre, FibreCable, Odf


def fibre_graph(session: Session) -> nx.MultiGraph:
    """Build the fibre layer as a :class:`networkx.MultiGraph`.

    Returns
    -------
    networkx.MultiGraph
        Nodes ``("closure", id)`` (``code``, ``kind``, ``lon``, ``lat``) and ``("odf", id)``
        (``code``, ``kind``, ``site_id``); one edge per cable, keyed by cable id, with
        ``code``, ``role``, ``cores``, ``length_m``, ``status``, ``in_use`` and ``spare``.
    """
    g: nx.MultiGraph[tuple[str, int | None]] = nx.MultiGraph()
    for c in session.scalars(select(Closure)):
        g.add_node(("closure", c.id), code=c.code, kind=c.kind, lon=c.lon, lat=c.lat)
    for o in session.scalars(select(Odf)):
        g.add_node(("odf", o.id), code=o.code, kind=o.kind, site_id=o.site_id)
    counts: dict[tuple[int, str], int] = {
        (cid, state): n for cid, state, n in session.execute(
            select(Fibre.cable_id, Fibre.state, func.count()).group_by(Fibre.cable_id,
                                                                       Fibre.state))}
    for cab in session.scalars(select(FibreCable)):
        a = ("closure", cab.a_closure_id) if cab.a_closure_id else ("odf", cab.a_odf_id)
        z = ("closure", cab.z_closure_id) if cab.z_closure_id else ("odf", cab.z_odf_id)
        g.add_edge(a, z, key=cab.id, code=cab.code, role=cab.role, cores=cab.cores,
                   length_m=cab.length_m, status=cab.status,
                   in_use=counts.get((cab.id, "in_use"), 0),
                   spare=counts.get((cab.id, "spare"), 0))
    return g
