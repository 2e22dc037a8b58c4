"""Reports: the month's availability per served site and link."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import MAX_ID, Reader, Viewer
from api.schemas import AvailabilityOut
from fonet.noc.availability import availability
from gis.export.availability_report import availability_csv, availability_pdf

router = APIRouter(tags=["reports"])


@router.get("/reports/availability", summary="Availability of the month per site and link",
            response_model=AvailabilityOut, response_model_exclude_unset=True,
            responses={200: {"content": {m: {"schema": {"type": "string", "format": "binary"}}
                                         for m in ("text/csv", "application/pdf")},
                             "description": "The report (JSON, or CSV or PDF by ``format``)."}})
def report_availability(
    session: Reader,
    _: Viewer,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM.")],
    format: Annotated[Literal["json", "csv", "pdf"], Query(description="json, csv or pdf.")
                      ] = "json",
    tz: Annotated[str, Query(max_length=64, description="Time zone of the month.")
                  ] = "Asia/Jakarta",
    plan_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    days: Annotated[bool, Query(description="Per-day figures (json) or rows (csv).")] = True,
    worst_only: Annotated[bool, Query(description="Only the worst ten sites (json).")
                          ] = False,
) -> dict[str, Any] | Response:
    """Report the month's availability per served site and link.

    Per served site (village office, OPD, ...) and per link, per day and for the month, with
    downtime attributed to its root cause; ``worst`` lists the ten monitored sites of least
    availability.
    """
    result = availability(session, month, tz=tz, plan_id=plan_id,
                          days=days and not worst_only)
    name = f"availability-{month}"
    if format == "csv":
        return Response(availability_csv(result, daily=days), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if format == "pdf":
        with tempfile.TemporaryDirectory() as folder:
            path = availability_pdf(result, Path(folder) / f"{name}.pdf")
            data = path.read_bytes()
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    if worst_only:
        return {k: v for k, v in result.items() if k not in ("links", "sites")}
    return result
