"""The service's worker pool: heavy work (plans, exports) runs as jobs in other processes.

A request that asks for heavy work gets ``202 Accepted`` and a job resource at once; the
:class:`JobRunner` hands the job to a pool of at most ``workers`` processes, so a burst of
exports queues instead of taking every thread and all memory of the service, and requests
that read never wait behind them (the work runs outside the service's process and its
interpreter lock). The pool's processes are started when work arrives and stopped when none
is left, so their memory goes back to the system.

Job records live in the store (:mod:`fonet.jobs`): a restart fails the jobs that were
running and resumes the queued ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from fonet.jobs import (
    active_jobs,
    create_job,
    expired_results,
    fail_job,
    recover_jobs,
)
from fonet.store import transaction
from fonet.store.service import Job

log = logging.getLogger(__name__)

JOBS_PER_POOL = 20
"""The worker processes are replaced after this many jobs (bounds what a leak can hold)."""


class TooManyJobs(Exception):  # noqa: N818  (a refusal, answered 429)
    """The caller already has as many jobs queued or running as it may."""

    def __init__(self, limit: int, retry_after_s: int) -> None:
        super().__init__(f"this token already has {limit} jobs queued or running; wait for "
                         "one to finish")
        self.limit = limit
        self.retry_after_s = retry_after_s


def default_jobs_dir(db_url: str) -> Path:
    """Where job results go when ``FONET_JOBS_DIR`` is not set: a folder per store."""
    tag = hashlib.sha256(db_url.encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"fonet-jobs-{tag}"


def _lower_priority(nice: int) -> None:
    """Make a worker process yield the CPU to the service (its answers come first)."""
    import os

    with contextlib.suppress(OSError):
        os.nice(nice)


class JobRunner:
    """Runs queued jobs in a bounded pool of worker processes.

    Parameters
    ----------
    engine
        The store (job records).
    db_url
        The store's URL, for the workers.
    workers
        Processes working at once (``FONET_JOB_WORKERS``).
    jobs_dir
        Folder of the jobs' result files.
    per_token
        Jobs one token may have queued or running at once (``FONET_JOBS_PER_TOKEN``).
    result_ttl_s
        Result files are deleted this long after their job finished.
    nice
        How much lower the workers' CPU priority is than the service's (``os.nice``): on a
        busy machine the service's answers come before the heavy work.
    """

    def __init__(self, engine: Engine, db_url: str, *, workers: int = 2,
                 jobs_dir: Path | None = None, per_token: int = 2,
                 result_ttl_s: float = 3600.0, nice: int = 10) -> None:
        self.engine = engine
        self.db_url = db_url
        self.workers = max(1, workers)
        self.jobs_dir = jobs_dir or default_jobs_dir(db_url)
        self.per_token = per_token
        self.result_ttl_s = result_ttl_s
        self.nice = nice
        self._pool: ProcessPoolExecutor | None = None
        self._pool_jobs = 0
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task] = set()
        self._submit_lock = asyncio.Lock()
        self.started = 0
        self.finished = 0

    # -- life cycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Fail the jobs a previous run left running; resume the queued ones."""
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        queued = await asyncio.to_thread(recover_jobs, self.engine)
        await asyncio.to_thread(self.prune)
        for job_id in queued:
            self._schedule(job_id)
        if queued:
            log.info("resuming %d queued jobs", len(queued))

    async def stop(self) -> None:
        """Stop the workers; running jobs fail (as after a restart), queued ones stay."""
        for t in list(self._tasks):
            t.cancel()
        pool, self._pool = self._pool, None
        if pool is not None:
            procs = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                with contextlib.suppress(Exception):
                    p.terminate()
        for t in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self._fail_running)

    def _fail_running(self) -> None:
        from sqlalchemy import select

        with transaction(self.engine) as s:
            ids = list(s.scalars(select(Job.id).where(Job.state == "running")))
        for job_id in ids:
            fail_job(self.engine, job_id, "interrupted by a shutdown of the service; submit "
                                          "it again")

    # -- work ------------------------------------------------------------------------------
    async def submit(self, kind: str, params: dict[str, Any], *, token_id: int | None,
                     owner: str) -> Job:
        """Queue a job for a caller and start it when a worker is free.

        Raises
        ------
        TooManyJobs
            The caller has :attr:`per_token` jobs queued or running already.
        """
        async with self._submit_lock:  # the count and the insert go together
            job = await asyncio.to_thread(self._create, kind, params, token_id, owner)
        self._schedule(job.id)
        return job

    def _create(self, kind: str, params: dict[str, Any], token_id: int | None,
                owner: str) -> Job:
        with transaction(self.engine) as s:
            if token_id is not None and self.per_token > 0 \
                    and active_jobs(s, token_id) >= self.per_token:
                raise TooManyJobs(self.per_token, 5)
            job = create_job(s, kind, params, token_id=token_id, owner=owner)
            s.flush()
            s.expunge(job)
        self.prune()
        return job

    def _schedule(self, job_id: int) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job_id),
                                                      name=f"fonet-job-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not self._tasks and self._pool is not None:
            # nothing left to do: let the workers go, and their memory with them
            pool, self._pool = self._pool, None
            pool.shutdown(wait=False)

    def _ensure_pool(self) -> ProcessPoolExecutor:
        # (not max_tasks_per_child: with it, CPython 3.11's pool can hang once every worker
        # has reached its limit; a whole pool is replaced instead, between jobs)
        if self._pool is not None and self._pool_jobs >= JOBS_PER_POOL:
            old, self._pool = self._pool, None
            old.shutdown(wait=False)  # its running jobs finish, then its processes exit
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority, initargs=(self.nice,))
            self._pool_jobs = 0
        self._pool_jobs += 1
        return self._pool

    async def _run(self, job_id: int) -> None:
        from api.jobs_work import work

        loop = asyncio.get_running_loop()
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        try:
            # at most `workers` jobs in any pool at once, old or new
            async with self._slots:
                self.started += 1
                await loop.run_in_executor(self._ensure_pool(), work, self.db_url, job_id,
                                           str(self.jobs_dir))
        except BrokenProcessPool:
            log.error("the worker of job %d died", job_id)
            self._pool = None
            await asyncio.to_thread(fail_job, self.engine, job_id,
                                    "the worker process died (out of memory?)")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("job %d could not run", job_id)
            await asyncio.to_thread(fail_job, self.engine, job_id,
                                    f"internal error ({type(exc).__name__})")
        finally:
            self.finished += 1

    # -- results -----------------------------------------------------------------------------
    def result_path(self, job: Job) -> Path | None:
        """Return the result file of a succeeded job, if it is still kept."""
        name = (job.result or {}).get("file")
        if not name:
            return None
        path = self.jobs_dir / str(job.id) / Path(name).name
        return path if path.is_file() else None

    def prune(self) -> int:
        """Delete result files of jobs finished longer than :attr:`result_ttl_s` ago."""
        n = 0
        for job_id in expired_results(self.engine, self.result_ttl_s):
            folder = self.jobs_dir / str(job_id)
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
                n += 1
        return n

    def info(self) -> dict[str, Any]:
        """Workers, jobs in flight, jobs run since the start."""
        return {"workers": self.workers, "in_flight": len(self._tasks),
                "pool_running": self._pool is not None, "started": self.started,
                "finished": self.finished}
