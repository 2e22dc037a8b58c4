"""Job records: heavy work (plans, exports) queued, run by a worker, and followed.

The records live in the store (:class:`fonet.store.service.Job`) so that a job's state is
shared by the service and its worker processes, and survives a restart: at startup
:func:`recover_jobs` marks the jobs that were running as failed (their worker is gone) and
hands back the queued ones to be run again. Nothing here knows HTTP or how work is run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from fonet.errors import NotFoundError
from fonet.store import reader, transaction
from fonet.store.service import JOB_KINDS, Job

ACTIVE = ("queued", "running")
INTERRUPTED = "interrupted by a restart of the service; submit it again"


def _now() -> datetime:
    return datetime.now(UTC)


def create_job(session: Session, kind: str, params: dict[str, Any], *,
               token_id: int | None = None, owner: str = "") -> Job:
    """Queue a job; return its row (flushed, with its id).

    Parameters
    ----------
    session
        A session inside the caller's transaction.
    kind
        One of :data:`fonet.store.service.JOB_KINDS`.
    params
        What the work needs (plain JSON).
    token_id, owner
        Who asked.
    """
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, params=params, state="queued", progress=0.0, message="queued",
              result={}, token_id=token_id, owner=owner, attempts=0, updated_at=_now())
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> Job:
    """Return a job or raise :class:`NotFoundError`."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"no job with id {job_id}")
    return job


def active_jobs(session: Session, token_id: int) -> int:
    """How many jobs of a token are queued or running."""
    return session.scalar(select(func.count()).select_from(Job).where(
        Job.token_id == token_id, Job.state.in_(ACTIVE))) or 0


def start_job(engine: Engine, job_id: int) -> Job | None:
    """Mark a queued job running (one more attempt); ``None`` if it is not queued any more."""
    with transaction(engine) as s:
        job = s.get(Job, job_id)
        if job is None or job.state != "queued":
            return None
        now = _now()
        job.state, job.started_at, job.updated_at = "running", now, now
        job.attempts = (job.attempts or 0) + 1
        job.message = "running"
        s.flush()
        s.expunge(job)
        return job


def set_progress(engine: Engine, job_id: int, progress: float, message: str, *,
                 step: bool = False) -> None:
    """Record how far a running job is (``progress`` 0..1) and what it does now.

    With ``step``, the progress is also appended to the job's ``result["steps"]`` (each
    ``{"progress", "message"}``): a step that matters on its own (a regency planned), which
    the event stream sends even when several steps fall between two of its polls. The steps
    stay in the result when the job finishes.
    """
    progress = max(0.0, min(1.0, progress))
    with transaction(engine) as s:
        values: dict[str, Any] = {"progress": progress, "message": message[:512],
                                  "updated_at": _now()}
        if step:
            result = s.scalar(select(Job.result).where(Job.id == job_id)) or {}
            steps = [*result.get("steps", []), {"progress": progress, "message": message[:512]}]
            values["result"] = {**result, "steps": steps}
        s.execute(update(Job).where(Job.id == job_id, Job.state == "running").values(**values))


def finish_job(engine: Engine, job_id: int, result: dict[str, Any]) -> None:
    """Mark a job succeeded with its result (keeping the steps it recorded, if any)."""
    now = _now()
    with transaction(engine) as s:
        steps = (s.scalar(select(Job.result).where(Job.id == job_id)) or {}).get("steps")
        if steps and "steps" not in result:
            result = {**result, "steps": steps}
        s.execute(update(Job).where(Job.id == job_id).values(
            state="succeeded", progress=1.0, message="done", result=result, error=None,
            finished_at=now, updated_at=now))


def fail_job(engine: Engine, job_id: int, error: str) -> None:
    """Mark a queued or running job failed with a message for its owner."""
    now = _now()
    with transaction(engine) as s:
        s.execute(update(Job).where(Job.id == job_id, Job.state.in_(ACTIVE)).values(
            state="failed", message="failed", error=error[:2048], finished_at=now,
            updated_at=now))


def recover_jobs(engine: Engine) -> list[int]:
    """After a restart: fail the jobs left running; return the ids of queued ones to resume."""
    now = _now()
    with transaction(engine) as s:
        s.execute(update(Job).where(Job.state == "running").values(
            state="failed", message="failed", error=INTERRUPTED, finished_at=now,
            updated_at=now))
        return list(s.scalars(select(Job.id).where(Job.state == "queued").order_by(Job.id)))


def expired_results(engine: Engine, ttl_s: float) -> list[int]:
    """Ids of finished jobs older than ``ttl_s`` whose results may be deleted."""
    cutoff = _now() - timedelta(seconds=ttl_s)
    with reader(engine) as s:
        return list(s.scalars(select(Job.id).where(Job.state.in_(("succeeded", "failed")),
                                                   Job.finished_at < cutoff)))
