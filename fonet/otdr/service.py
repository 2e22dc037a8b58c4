"""One call for the CLI and the API: a break located by OTDR, beside the SNMP section."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.otdr.locate import fibre_path, locate_distance, otdr_settings
from fonet.otdr.sor import SorTrace


def _snmp_section(session: Session, plan_id: int | None, link: str | None,
                  answer: dict[str, Any]) -> dict[str, Any] | None:
    """Return the section the SNMP evidence points to for this link, and if OTDR agrees."""
    if plan_id is None or link is None:
        return None
    from fonet.noc.grouping import explained_by_sites
    from fonet.noc.impact import live_failures
    from fonet.noc.locate import live_states, locate
    from fonet.noc.topology import load_topology

    try:
        topo = load_topology(session, plan_id)
    except (NotFoundError, InputError):
        return None
    lid = topo.link_by_name.get(link)
    down, up = live_states(session, topo)
    if lid is None or lid not in down:
        return None
    _, dead, _ = live_failures(session, topo)
    found = locate(topo, down - explained_by_sites(topo, down, dead), up)
    places = [p for h in found["hypotheses"][:1] for p in h["places"]
              if link in p["explains"]]
    if not places:
        return None
    place = places[0]
    spans = set(place["spans"])
    span_id = answer["span"]["span_id"]
    agrees = span_id in spans
    out = {"kind": place["kind"], "spans": place["spans"], "route_edges": place["route_edges"],
           "length_m": place["length_m"], "explains": place["explains"], "agrees": agrees}
    if not agrees:
        out["message"] = (f"OTDR puts the break on span {span_id}, outside the section the "
                          f"SNMP evidence points to (spans {place['spans'][:6]}): check the "
                          "measuring end, the link's spans and the profile's overlength")
    return out


def locate_break(session: Session, *, link: str | None = None, cable: int | None = None,
                 from_: str, distance_m: float | None = None, trace: SorTrace | None = None,
                 source: str = "--distance-m") -> dict[str, Any]:
    """Locate a break from an OTDR trace's end of fibre or from a distance.

    Parameters
    ----------
    session
        A read session.
    link, cable
        The link (name) or the cable (span id) measured; exactly one.
    from_
        The measuring end: a site code, a device name or ``node:ID``.
    distance_m, trace
        The optical distance, or a trace whose end-of-fibre event is the break; exactly one.
    source
        How to name the distance or file in errors.

    Returns
    -------
    dict
        What :func:`fonet.otdr.locate.locate_distance` answers, with ``otdr`` (the trace's
        wavelength, index, pulse and end of fibre) and ``snmp_section`` (the section the SNMP
        evidence points to and whether the point falls in it; null when the link is not down).
    """
    if (distance_m is None) == (trace is None):
        raise InputError("otdr locate", "give either an SOR file or --distance-m")
    resolution = 0.0
    if trace is not None:
        end = trace.end_of_fibre_m
        if end is None:
            raise InputError(source, "the trace has no events: no end of fibre to locate")
        distance_m, resolution = end, trace.resolution_m
    path = fibre_path(session, link=link, cable=cable, from_=from_)
    settings, drum = otdr_settings(session, path.plan_id)
    path = fibre_path(session, link=link, cable=cable, from_=from_, drum_length_m=drum)
    assert distance_m is not None
    answer = locate_distance(path, distance_m, settings, resolution_m=resolution, source=source)
    if trace is not None:
        answer["otdr"] = {"wavelength_nm": trace.wavelength_nm, "index": trace.index,
                          "pulse_width_ns": trace.pulse_width_ns,
                          "resolution_m": round(trace.resolution_m, 3),
                          "end_of_fibre_m": round(distance_m, 2),
                          "checksum_ok": trace.checksum_ok}
    answer["snmp_section"] = _snmp_section(session, path.plan_id, link, answer)
    return answer
