"""OTDR: a break located on the map from a trace (or a distance), beside the SNMP section."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from api.deps import MAX_ID, Reader, Viewer
from api.schemas_otdr import BreakOut
from fonet.errors import InputError
from fonet.otdr import locate_break, parse_sor

router = APIRouter(tags=["otdr"])


@router.post("/otdr/locate", summary="Locate a break from an OTDR trace or distance",
             response_model=BreakOut, response_model_exclude_unset=True)
def otdr_locate(
    session: Reader,
    _: Viewer,
    from_: Annotated[str, Query(alias="from", min_length=1, max_length=256,
                                description="Measuring end: site code, device name or "
                                            "node:ID.")],
    link: Annotated[str | None, Query(max_length=256, description="The link measured.")
                    ] = None,
    cable: Annotated[int | None, Query(ge=1, le=MAX_ID, description="The cable (span id) "
                                                                     "measured.")] = None,
    distance_m: Annotated[float | None, Query(ge=0, le=1_000_000, description=(
        "Optical distance to the break, when no trace is sent."))] = None,
    trace: Annotated[bytes | None, Body(media_type="application/octet-stream", description=(
        "The SR-4731 (.sor) file whose end of fibre is the break."))] = None,
) -> dict[str, Any]:
    """Locate a break: span, point, nearest closure or node, uncertainty, SNMP section.

    Walks the fibre from the measuring end; answers the span, the point (lon, lat), the
    nearest closure or route node and the uncertainty in metres, with the section the SNMP
    evidence points to and whether the point falls in it.

    Send the trace as the request body (``Content-Type: application/octet-stream``), or no
    body and ``distance_m``.
    """
    sor = None
    if trace:
        if not isinstance(trace, bytes | bytearray):
            raise InputError("request body", "send the .sor file as application/octet-stream")
        sor = parse_sor(bytes(trace), "request body")
    return locate_break(session, link=link, cable=cable, from_=from_,
                        distance_m=None if sor is not None else distance_m, trace=sor,
                        source="request body" if sor is not None else "distance_m")
