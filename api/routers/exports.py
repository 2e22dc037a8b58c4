"""Exports of a plan as jobs: GeoPackage, GeoJSON, KML/KMZ, CSV, the A3 map, the atlas."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import or_, select

from api.deps import Id, Store, Viewer
from api.jobs_work import MEDIA
from api.routers.jobs import JOB_RESPONSES, accepted, submit
from api.schemas import JobOut
from fonet.errors import InputError, NotFoundError
from fonet.store import reader
from fonet.store.models import Area, Plan
from gis.export import ExportFormat, Lang

router = APIRouter(tags=["exports"])

__all__ = ["MEDIA", "router"]


def _check(engine: object, plan_id: int, fmt: ExportFormat, kecamatan: str | None) -> None:
    """Refuse at once what the job would fail on: no such plan, a bad ``kecamatan``."""
    with reader(engine) as s:  # type: ignore[arg-type]
        if s.get(Plan, plan_id) is None:
            raise NotFoundError(f"no plan with id {plan_id}")
        if kecamatan is None:
            return
        if fmt != ExportFormat.atlas:
            raise InputError("kecamatan", "only the atlas format writes a single kecamatan "
                                          f"page, not {fmt.value}")
        want = kecamatan.strip()
        found = s.scalar(select(Area.code).where(
            Area.level == "kecamatan",
            or_(Area.name.ilike(want), Area.code == want, Area.code_bps == want)))
        if found is None:
            names = ", ".join(sorted(s.scalars(select(Area.name)
                                               .where(Area.level == "kecamatan"))))
            raise InputError("kecamatan", f"no kecamatan {kecamatan!r} in the regency; use "
                                          f"one of {names} (or its code)")


@router.post("/plans/{plan_id}/exports/{fmt}", status_code=202,
             summary="Export a plan (a job)", response_model=JobOut, responses=JOB_RESPONSES)
async def export(plan_id: Id, fmt: ExportFormat, engine: Store, request: Request, who: Viewer,
                 lang: Lang = Lang.id,
                 kecamatan: Annotated[str | None, Query(
                     description="atlas only: that kecamatan's page alone (name or code)",
                     max_length=64)] = None) -> JSONResponse:
    """Export a plan as `fonet export` does, as a job.

    The answer is `202 Accepted` with the job; when it has succeeded, `links.result`
    (`GET /api/v1/jobs/{id}/result`) downloads the file. GeoJSON (one file per layer) and
    CSV (bill of materials and coverage) come as a ZIP archive; `kmz` is KML zipped for Google
    Earth; `atlas` is one PDF: the A3 map, a table of contents, the ring schematic and a page
    per kecamatan (or, with `kecamatan`, that kecamatan's page). An unknown kecamatan is a 422
    problem at once. A token may have only a few jobs queued or running at once (429 with
    `Retry-After` beyond).
    """
    await asyncio.to_thread(_check, engine, plan_id, fmt, kecamatan)
    params = {"plan_id": plan_id, "format": fmt.value, "lang": lang.value}
    if kecamatan is not None:
        params["kecamatan"] = kecamatan
    job = await submit(request, who, "export", params)
    return accepted(job)
