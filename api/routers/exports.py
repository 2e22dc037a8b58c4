"""Exports of a plan: GeoPackage, GeoJSON, KML, CSV tables, the A3 map (PNG, PDF), as jobs."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import Id, Store, Viewer
from api.jobs_work import MEDIA
from api.routers.jobs import JOB_RESPONSES, accepted, submit
from api.schemas import JobOut
from fonet.errors import NotFoundError
from fonet.store import reader
from fonet.store.models import Plan
from gis.export import ExportFormat, Lang

router = APIRouter(tags=["exports"])

__all__ = ["MEDIA", "router"]


def _plan_exists(engine: object, plan_id: int) -> None:
    with reader(engine) as s:  # type: ignore[arg-type]
        if s.get(Plan, plan_id) is None:
            raise NotFoundError(f"no plan with id {plan_id}")


@router.post("/plans/{plan_id}/exports/{fmt}", status_code=202,
             summary="Export a plan (a job)", response_model=JobOut, responses=JOB_RESPONSES)
async def export(plan_id: Id, fmt: ExportFormat, engine: Store, request: Request, who: Viewer,
                 lang: Lang = Lang.id) -> JSONResponse:
    """Export a plan as `fonet export` does, as a job.

    The answer is `202 Accepted` with the job; when it has succeeded, `links.result`
    (`GET /api/v1/jobs/{id}/result`) downloads the file. GeoJSON (one file per layer) and
    CSV (bill of materials and coverage) come as a ZIP archive. A token may have only a few
    jobs queued or running at once (429 with `Retry-After` beyond).
    """
    await asyncio.to_thread(_plan_exists, engine, plan_id)
    job = await submit(request, who, "export",
                       {"plan_id": plan_id, "format": fmt.value, "lang": lang.value})
    return accepted(job)
