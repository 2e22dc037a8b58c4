"""Jobs: follow heavy work (plans, exports) and fetch its result."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from sqlalchemy import func, select

from api.auth import Principal
from api.deps import Id, Paging, Reader, Viewer
from api.jobs import JobRunner, TooManyJobs
from api.problems import Problem
from api.schemas import JobLinks, JobOut, Page, iso
from fonet.errors import NotFoundError
from fonet.store.service import Job

router = APIRouter(tags=["jobs"])
PREFIX = "/api/v1"


def job_out(job: Job) -> JobOut:
    """Return a job as the API shows it."""
    result_link = None
    if job.state == "succeeded":
        if job.kind == "plan" and (job.result or {}).get("plan_id"):
            result_link = f"{PREFIX}/plans/{job.result['plan_id']}"
        elif (job.result or {}).get("file"):
            result_link = f"{PREFIX}/jobs/{job.id}/result"
    return JobOut(id=job.id, kind=job.kind, state=job.state, progress=job.progress or 0.0,
                  message=job.message or "", params=job.params or {}, result=job.result or {},
                  error=job.error, owner=job.owner or "", created_at=iso(job.created_at),
                  started_at=iso(job.started_at), finished_at=iso(job.finished_at),
                  links=JobLinks(self=f"{PREFIX}/jobs/{job.id}", result=result_link))


def accepted(job: Job) -> JSONResponse:
    """Answer ``202 Accepted`` with the job and its ``Location``."""
    body = job_out(job)
    return JSONResponse(body.model_dump(mode="json"), status_code=202,
                        headers={"Location": body.links.self})


async def submit(request: Request, who: Principal, kind: str, params: dict[str, Any]) -> Job:
    """Queue a job for the caller; 429 (with ``Retry-After``) over the per-token limit."""
    runner: JobRunner = request.app.state.jobs
    try:
        return await runner.submit(kind, params, token_id=who.token_id, owner=who.name)
    except TooManyJobs as exc:
        raise Problem(429, str(exc), kind="too-many-jobs",
                      headers={"Retry-After": str(exc.retry_after_s)}) from None


def _visible(session: Any, job_id: int, who: Principal) -> Job:
    job = session.get(Job, job_id)
    if job is None or (job.token_id != who.token_id and not who.allows("admin")):
        raise NotFoundError(f"no job with id {job_id}")
    return job


JOB_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": JobOut, "description": "Accepted: the job is queued; follow "
                                          "`links.self` (also in `Location`)."},
}


@router.get("/jobs", summary="List jobs (yours; every job for admins)")
def list_jobs(session: Reader, paging: Paging, who: Viewer,
              state: Annotated[Literal["queued", "running", "succeeded", "failed"] | None,
                               Query(description="Only jobs in this state.")] = None,
              kind: Annotated[Literal["plan", "export"] | None,
                              Query(description="Only jobs of this kind.")] = None,
              ) -> Page[JobOut]:
    """Jobs, newest first."""
    q = select(Job)
    if not who.allows("admin"):
        q = q.where(Job.token_id == who.token_id)
    if state:
        q = q.where(Job.state == state)
    if kind:
        q = q.where(Job.kind == kind)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(Job.id.desc()).limit(paging.limit).offset(paging.offset))
    return paging.page([job_out(j) for j in rows], total)  # type: ignore[return-value]


@router.get("/jobs/{job_id}", summary="One job: state, progress, result link")
def get_job(job_id: Id, session: Reader, who: Viewer) -> JobOut:
    """Return a job of the caller's (admins see every job)."""
    return job_out(_visible(session, job_id, who))


@router.get("/jobs/{job_id}/result", summary="The result of a job",
            response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The file an export job made."},
                       303: {"description": "A plan job's result: the plan."},
                       409: {"description": "The job has not succeeded (yet)."},
                       410: {"description": "The result was deleted (too old)."}})
def job_result(job_id: Id, session: Reader, request: Request, who: Viewer) -> Any:
    """Download an export job's file, or be sent to the plan a plan job made."""
    job = _visible(session, job_id, who)
    if job.state != "succeeded":
        raise Problem(409, f"job {job_id} is {job.state}" +
                      (f": {job.error}" if job.error else ""), kind="job-not-done")
    link = job_out(job).links.result
    if job.kind == "plan" and link:
        return RedirectResponse(link, status_code=303)
    if job.kind == "plan":  # a province plan: its figures are the job's result itself
        raise Problem(404, f"job {job_id} planned a province (scenario "
                           f"{job.result.get('scenario_id')}): its figures are the job's "
                           "`result`, there is no file", kind="not-found")
    path = request.app.state.jobs.result_path(job)
    if path is None:
        raise Problem(410, f"the result of job {job_id} was deleted; submit the job again",
                      kind="gone")
    return FileResponse(path, media_type=job.result.get("media_type"), filename=path.name)
