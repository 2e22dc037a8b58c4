"""Where the fibre is probably cut, from which links are down and which still work.

Links ride spans; a cut span takes down every link riding it, and a cut trench (a route edge)
takes down every span laid along it. Candidates are *sections* (spans ridden by exactly the
same observed links, so that no observation tells them apart) and *trenches* (route edges
carrying several spans whose riders differ from any single section's). A candidate
*explains* the down links riding it and is *contradicted* by the working links riding it: light
through a span says it is not cut. The ranking keeps uncontradicted candidates first, then
those explaining most down links; hypotheses are the fewest uncontradicted cuts that explain
every down link a cut can explain. A down link all of whose spans carry working links is not
explained by any cut: the equipment at its ends is suspect.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.noc.topology import PlanTopology
from fonet.store.models import Link
from fonet.store.observed import LinkState

UP_STATES = ("up", "degraded")
"""States in which light passes through every span of the link."""


@dataclass(frozen=True)
class Candidate:
    """A place a single cut may be: a section of spans or a trench."""

    kind: str
    """``section`` or ``trench``."""
    span_ids: tuple[int, ...]
    route_edge_ids: tuple[int, ...]
    length_m: float
    explains: frozenset[int]
    contradicted_by: frozenset[int]
    unobserved: frozenset[int]

    def sort_key(self) -> tuple[int, int, float, int]:
        """Uncontradicted first, then most down links explained, then longest."""
        return (len(self.contradicted_by), -len(self.explains), -self.length_m,
                self.span_ids[0])

    def as_dict(self, topo: PlanTopology) -> dict[str, Any]:
        """Return the candidate and its evidence as a JSON-ready dict."""
        def names(ids: Iterable[int]) -> list[str]:
            return sorted(topo.links[i].name for i in ids)

        return {"kind": self.kind, "spans": list(self.span_ids),
                "route_edges": list(self.route_edge_ids), "length_m": round(self.length_m, 1),
                "explains": names(self.explains),
                "contradicted_by": names(self.contradicted_by),
                "also_cuts_unobserved": names(self.unobserved)}


def candidates(topo: PlanTopology, down: set[int], up: set[int]) -> list[Candidate]:
    """Every section and trench whose cut explains at least one down link, ranked."""
    groups: dict[tuple[frozenset[int], frozenset[int]], list[int]] = {}
    for sp in sorted(topo.spans_of_links(down)):
        riders = topo.links_on_span[sp]
        key = (frozenset(riders & down), frozenset(riders & up))
        groups.setdefault(key, []).append(sp)
    out = []
    observed = down | up
    for (expl, contra), spans in groups.items():
        riders = topo.links_of_spans(spans)
        out.append(Candidate(
            "section", tuple(spans), tuple(sorted({topo.spans[s].route_edge_id for s in spans})),
            sum(topo.spans[s].length_m for s in spans), expl, contra,
            frozenset(riders - observed)))
    for edge in sorted({topo.spans[sp].route_edge_id for c in out for sp in c.span_ids}):
        spans = sorted(topo.spans_on_edge[edge])
        if len(spans) < 2:
            continue
        riders = topo.links_of_spans(spans)
        key = (frozenset(riders & down), frozenset(riders & up))
        if key in groups:
            continue
        out.append(Candidate("trench", tuple(spans), (edge,),
                             max(topo.spans[s].length_m for s in spans), key[0], key[1],
                             frozenset(riders - observed)))
    out.sort(key=Candidate.sort_key)
    return out


def _covers(clean: list[Candidate], target: frozenset[int], max_cuts: int,
            max_combinations: int) -> list[tuple[Candidate, ...]]:
    """Smallest sets of candidates whose explained links cover ``target``."""
    if not target:
        return []
    # drop candidates explaining a strict subset of another's links
    useful = [c for c in clean if not any(c.explains < d.explains for d in clean)]
    for k in range(1, max_cuts + 1):
        if sum(1 for _ in itertools.islice(itertools.combinations(useful, k),
                                           max_combinations + 1)) > max_combinations:
            break
        found = [combo for combo in itertools.combinations(useful, k)
                 if frozenset().union(*(c.explains for c in combo)) >= target]
        if found:
            return found
    # greedy fallback: take the candidate explaining most of what is left
    left, combo = set(target), []
    while left:
        best = max(useful, key=lambda c: (len(c.explains & left), -c.sort_key()[3]))
        combo.append(best)
        left -= best.explains
    return [tuple(combo)]


def locate(topo: PlanTopology, down: set[int], up: set[int], *, max_cuts: int = 3,
           max_combinations: int = 20000, limit: int = 20) -> dict[str, Any]:
    """Rank the places a cut explains the down links, with the evidence.

    Parameters
    ----------
    topo
        The plan's logical graph.
    down, up
        Ids of the links down and of the links observed working (up or degraded); links in
        neither are unobserved.
    max_cuts
        Largest number of simultaneous cuts searched exactly (then greedily).
    max_combinations
        Largest number of combinations tried for one number of cuts.
    limit
        Candidates listed.

    Returns
    -------
    dict
        ``down_links``, ``up_links`` (count), ``unobserved_links`` (count), ``candidates``
        (ranked, each with ``explains``, ``contradicted_by`` and ``also_cuts_unobserved``),
        ``hypotheses`` (sets of cuts, fewest first) and ``unexplained`` (down links no
        uncontradicted cut explains).
    """
    down = down & set(topo.links)
    up = (up & set(topo.links)) - down
    cands = candidates(topo, down, up)
    clean = [c for c in cands if not c.contradicted_by]
    coverable = frozenset().union(*(c.explains for c in clean)) if clean else frozenset()
    unexplained = down - coverable
    covers = _covers(clean, coverable, max_cuts, max_combinations)
    covers.sort(key=lambda combo: (sorted(c.sort_key() for c in combo)))
    hypotheses = [{"cuts": len(combo), "explains_all": not unexplained,
                   "places": [c.as_dict(topo) for c in combo]} for combo in covers[:limit]]
    ranked = []
    for k, c in enumerate(cands[:limit], start=1):
        ranked.append({"rank": k, **c.as_dict(topo),
                       "explains_every_down_link": c.explains == down})
    return {"plan_id": topo.plan_id,
            "down_links": sorted(topo.links[i].name for i in down),
            "up_links": len(up),
            "unobserved_links": sum(1 for i, link in topo.links.items()
                                    if link.kind != "local" and i not in down | up),
            "candidates": ranked, "candidates_total": len(cands),
            "hypotheses": hypotheses,
            "unexplained": sorted(topo.links[i].name for i in unexplained)}


def live_states(session: Session, topo: PlanTopology) -> tuple[set[int], set[int]]:
    """Ids of the plan's links down now and of those observed working."""
    rows = session.execute(select(LinkState.link_id, LinkState.state)
                           .join(Link, Link.id == LinkState.link_id)
                           .where(Link.plan_id == topo.plan_id))
    down, up = set(), set()
    for link_id, state in rows:
        if state == "down":
            down.add(link_id)
        elif state in UP_STATES:
            up.add(link_id)
    return down, up


def locate_live(session: Session, topo: PlanTopology, **options: Any) -> dict[str, Any]:
    """Rank the likely cuts from the live link states (see :func:`locate`)."""
    down, up = live_states(session, topo)
    return locate(topo, down, up, **options)
