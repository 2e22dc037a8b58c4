"""Several collectors sharing one PostgreSQL store through procrastinate's job queue.

How the work is handed out (every piece is procrastinate's, on the store's PostgreSQL, in the
schema ``fonet_queue`` that migration 0010 creates):

- A **periodic task** ``fonet.cycle`` fires at the start of every cycle (a cron built from the
  interval). Every collector runs procrastinate's periodic deferrer, and the queue's unique
  ``(task, periodic id, timestamp)`` lets only one of them defer each cycle's job.
- That job evaluates the link states and alarms of the cycle before (once: see
  :func:`fonet.pollers.evaluate_cycle`) and defers one ``fonet.poll`` job per device on the
  queue of the device's group (``poll-<group>``), scheduled at a fixed offset of the device
  inside the first half of the cycle, with a **lock** per device (two jobs of one device
  never run at the same time) and a **queueing lock** per device (a device whose job has not
  started yet gets no second one).
- Each collector is a procrastinate worker on the queues of its groups plus the cycle queue.
  It sends heartbeats; every heartbeat it also asks for **stalled jobs** (those of workers
  whose heartbeat is older than a few beats) and puts them back in the queue, so the
  devices a killed collector held are polled by the others well within two intervals.
- A poll is stored with its row in the poll ledger (:func:`fonet.pollers.record_cycle_poll`):
  a retried job never stores a second poll of a device in one cycle.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from collectors.client import SnmpClient
from collectors.metrics import Metrics
from fonet.devices import device_targets
from fonet.errors import InputError, NotFoundError
from fonet.pollers import (
    AlreadyPolledError,
    collector_alive_s,
    device_groups,
    evaluate_cycle,
    forget_collector,
    heartbeat_s,
    polled_in_cycle,
    poller_status,
    record_cycle_poll,
    see_collector,
)
from fonet.store import transaction
from fonet.telemetry import DeviceTarget, HealthThresholds

__all__ = ["CYCLE_QUEUE", "QUEUE_SCHEMA", "Collector", "cron_for", "make_app", "poll_queue",
           "require_postgresql", "run_collector"]

log = logging.getLogger(__name__)
T = TypeVar("T")

QUEUE_SCHEMA = "fonet_queue"
CYCLE_QUEUE = "fonet-cycle"
SPREAD = 0.5
"""Polls of a cycle start within this fraction of the interval (the rest is slack)."""


def poll_queue(group: str) -> str:
    """Return the procrastinate queue of a poller group."""
    return f"poll-{group}"


def require_postgresql(engine: Engine) -> None:
    """Raise :class:`InputError` unless the store is PostgreSQL (several collectors need it)."""
    if engine.dialect.name != "postgresql":
        raise InputError("--distributed", f"several collectors share a PostgreSQL store; "
                                          f"{engine.url.render_as_string()} is "
                                          f"{engine.dialect.name}: set FONET_DB_URL to a "
                                          "postgresql+psycopg:// URL (and run `fonet init`)")


def cron_for(interval_s: float) -> str:
    """Return a cron line (seconds column where needed) firing every ``interval_s`` seconds.

    Cycles start on the clock's round times, so every collector agrees on them: the interval
    must divide a minute (1-30 s) or an hour (whole minutes) or a day (whole hours).
    """
    whole = int(interval_s)
    if whole != interval_s or whole < 1:
        raise InputError("--interval", f"with --distributed the interval must be whole "
                                       f"seconds, got {interval_s:g}")
    if whole < 60 and 60 % whole == 0:
        return f"* * * * * */{whole}"
    if whole % 60 == 0 and whole < 3600 and 60 % (whole // 60) == 0:
        return f"*/{whole // 60} * * * *"
    if whole % 3600 == 0 and 24 % (whole // 3600) == 0:
        return f"0 */{whole // 3600} * * *"
    raise InputError("--interval", f"with --distributed the interval must divide a minute, an "
                                   f"hour or a day (e.g. 5, 10, 30, 60, 300, 600 s), got {whole}")


def conninfo(engine: Engine) -> str:
    """Return the libpq URL of the store (psycopg's), from its SQLAlchemy URL."""
    url = make_url(engine.url.render_as_string(hide_password=False))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Collector:
    """What the jobs of one collector process need: the store, the SNMP client, settings."""

    engine: Engine
    groups: list[str]
    interval_s: float
    client: SnmpClient
    metrics: Metrics | None = None
    thresholds: HealthThresholds | None = None
    retention_s: float = 48 * 3600
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    polls: int = 0
    """Polls this collector stored."""
    duplicates_refused: int = 0
    """Polls not stored because the device's poll of that cycle was stored already."""
    retried: int = 0
    """Stalled jobs (of dead collectors) this collector put back in the queue."""
    fenced: bool = False
    """Whether the others took this collector for dead, so that it stopped."""
    store_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(8, thread_name_prefix="fonet-store"))
    """Threads storing polls."""
    control_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="fonet-control"))
    """Threads of the heartbeat and the cycle's work, never queued behind the polls'."""

    async def store_work(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (store work of a poll) in a thread of the store pool."""
        return await asyncio.get_running_loop().run_in_executor(self.store_pool, fn)

    async def control_work(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (heartbeat, cycle work) in a thread of the control pool."""
        return await asyncio.get_running_loop().run_in_executor(self.control_pool, fn)

    def offset_s(self, device: str) -> float:
        """Return the device's fixed start offset inside a cycle."""
        return (zlib.crc32(device.encode()) % 1000) / 1000 * SPREAD * self.interval_s


def _cycle_start(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


async def _poll(collector: Collector, device: str, cycle: int) -> str:
    start = _cycle_start(cycle)
    now = datetime.now(UTC)
    if now > start + timedelta(seconds=2 * collector.interval_s):
        return "late"  # a later cycle's job polls the device
    eng = collector.engine

    def target() -> DeviceTarget | None:
        with transaction(eng) as s:
            if polled_in_cycle(s, device, start):
                return None
            return device_targets(s, [device])[0]

    try:
        tgt = await collector.store_work(target)
    except NotFoundError:
        return "gone"
    if tgt is None:
        collector.duplicates_refused += 1
        return "already polled"
    poll = await collector.client.poll_one(tgt)
    if poll.skipped:
        return "backing off"

    def store() -> dict[str, Any] | None:
        try:
            with transaction(eng) as s:
                return record_cycle_poll(s, poll, start, collector.name)
        except (AlreadyPolledError, IntegrityError, LookupError):
            return None  # polled meanwhile, or deleted

    result = await collector.store_work(store)
    if result is None:
        collector.duplicates_refused += 1
        return "already polled"
    collector.polls += 1
    if collector.metrics is not None:
        collector.metrics.observe_poll(result)
    return "stored"


async def _cycle(collector: Collector, app: Any, timestamp: int) -> None:
    eng = collector.engine
    previous = _cycle_start(timestamp - collector.interval_s)

    def evaluate() -> list[dict[str, Any]] | None:
        try:
            with transaction(eng) as s:
                return evaluate_cycle(s, previous, interval_s=collector.interval_s,
                                      collector=collector.name,
                                      thresholds=collector.thresholds,
                                      retention_s=collector.retention_s)
        except IntegrityError:
            return None

    def devices() -> tuple[list[tuple[str, str]], list[str]]:
        with transaction(eng) as s:
            return device_groups(s), poller_status(s)["unserved"]

    changes = await collector.control_work(evaluate)
    for c in changes or []:
        log.info("link %s: %s -> %s %s", c["link"], c["from"], c["to"], "; ".join(c["reasons"]))
        if collector.metrics is not None:
            collector.metrics.observe_link(c["link"], c["to"])
    pairs, unserved = await collector.control_work(devices)
    if unserved:
        log.warning("poller group(s) %s: no collector serves them; their devices are not "
                    "polled (start one with `fonet collectors run --distributed --groups %s`)",
                    ", ".join(unserved), ",".join(unserved))
    waiting = await _defer_polls(collector, app, pairs, timestamp)
    log.info("cycle %s: %d device polls queued, %d still waiting from before",
             _cycle_start(timestamp).strftime("%H:%M:%S"), len(pairs) - waiting, waiting)


async def _defer_polls(collector: Collector, app: Any, pairs: list[tuple[str, str]],
                       timestamp: int) -> int:
    """Queue the cycle's poll of every device whose last poll job has started.

    One insert for all (procrastinate's batch defer); a device whose job still waits (its
    queueing lock is taken) gets none. Returns how many devices still waited.
    """
    from procrastinate import exceptions, jobs

    rows = await app.connector.execute_query_all_async(
        "SELECT queueing_lock FROM procrastinate_jobs WHERE status = 'todo' "
        "AND left(queueing_lock, 5) = 'poll:'")
    taken = {r["queueing_lock"] for r in rows}
    todo = [jobs.Job(id=None, queue=poll_queue(group), lock=f"device:{name}",
                     queueing_lock=f"poll:{name}", task_name="fonet.poll",
                     task_kwargs={"device": name, "cycle": timestamp},
                     scheduled_at=_cycle_start(timestamp + collector.offset_s(name)))
            for name, group in pairs if f"poll:{name}" not in taken]
    waiting = len(pairs) - len(todo)
    if not todo:
        return waiting
    try:
        await app.job_manager.batch_defer_jobs_async(todo)
    except exceptions.AlreadyEnqueued:  # a job was queued meanwhile: one by one then
        for job in todo:
            try:
                await app.job_manager.defer_job_async(job)
            except exceptions.AlreadyEnqueued:
                waiting += 1
    return waiting


def make_app(engine: Engine, interval_s: float) -> Any:
    """Make the procrastinate app of the store: its tasks and the periodic cycle task."""
    import procrastinate

    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(engine), kwargs={"options": f"-c search_path={QUEUE_SCHEMA}"},
        min_size=1, max_size=8)
    app = procrastinate.App(connector=connector)

    @app.task(name="fonet.poll", pass_context=True)
    async def poll_task(context: Any, device: str, cycle: int) -> str:
        return await _poll(context.additional_context["collector"], device, cycle)

    # before the polls waiting in the queue: a cycle starts on time however busy it is
    @app.periodic(cron=cron_for(interval_s), periodic_id=f"every-{int(interval_s)}s",
                  priority=10)
    @app.task(name="fonet.cycle", queue=CYCLE_QUEUE, pass_context=True)
    async def cycle_task(context: Any, timestamp: int) -> None:
        await _cycle(context.additional_context["collector"], context.app, timestamp)

    return app


async def _take_over(collector: Collector, app: Any, job: Any) -> None:
    """Queue the work of a stalled job (its collector is dead) again.

    A cycle job is retried as it is. A poll job is ended as failed and its device queued
    afresh for now (same queue, lock and queueing lock): retrying it in place could clash
    with the device's next job, deferred meanwhile under the same queueing lock, and leave
    the device's lock held by a job nobody runs.
    """
    from procrastinate.jobs import Status

    if job.task_name != "fonet.poll":
        await app.job_manager.retry_job(job)
        return
    await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
    cycle = int(job.task_kwargs["cycle"])
    now = datetime.now(UTC).timestamp()
    if now >= cycle + collector.interval_s:  # its cycle is over: poll for the current one
        cycle = int(now // collector.interval_s * collector.interval_s)
    try:
        await app.tasks["fonet.poll"].configure(
            queue=job.queue, lock=job.lock, queueing_lock=job.queueing_lock
        ).defer_async(device=job.task_kwargs["device"], cycle=cycle)
    except Exception as exc:  # AlreadyEnqueued: the device's next job waits, and now can run
        if type(exc).__name__ != "AlreadyEnqueued":
            raise


async def _still_registered(app: Any, worker: Any) -> bool:
    """Whether the queue still counts this collector's worker as alive (not pruned)."""
    if worker.worker_id is None:  # not registered yet
        return True
    row = await app.connector.execute_query_one_async(
        "SELECT count(*) AS n FROM procrastinate_workers WHERE id = %(id)s", id=worker.worker_id)
    return bool(row["n"])


def _worker_pruned(exc: BaseException) -> bool:
    """Whether the queue refused a job fetch because this collector's worker was pruned."""
    import psycopg

    cause = exc.__cause__
    return (isinstance(cause, psycopg.errors.ForeignKeyViolation)
            and cause.diag.constraint_name == "procrastinate_jobs_worker_id_fkey")


async def _keep_alive(collector: Collector, app: Any, worker: Any, stop: asyncio.Event
                      ) -> None:
    """Heartbeat of the collector; put back the stalled jobs of dead ones, every beat.

    A collector that the others took for dead (its heartbeat came too late: a host so
    loaded that the event loop stalled) has had its polls handed over: it stops, rather than
    poll on beside them, and says so.
    """
    beat = heartbeat_s(collector.interval_s)
    dead_after = collector_alive_s(collector.interval_s)
    host, pid = socket.gethostname(), os.getpid()

    def seen() -> None:
        with transaction(collector.engine) as s:
            see_collector(s, collector.name, host=host, pid=pid, groups=collector.groups,
                          interval_s=collector.interval_s, started_at=collector.started_at)

    while not stop.is_set():
        try:
            if not await _still_registered(app, worker):
                collector.fenced = True
                log.error("collector %s was taken for dead by the others (no heartbeat for "
                          "%g s) and its polls were handed over: stopping; start it again",
                          collector.name, dead_after)
                worker.stop()
                return
            await collector.control_work(seen)
            await app.job_manager.prune_stalled_workers(dead_after)
            for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=dead_after):
                try:
                    await _take_over(collector, app, job)
                except Exception as exc:  # another collector took it over first
                    log.debug("stalled job %s not taken over: %s", job.id, exc)
                    continue
                collector.retried += 1
                log.warning("job %s (%s %s) of a dead collector is queued again", job.id,
                            job.task_name, job.task_kwargs.get("device", ""))
        except Exception:
            log.exception("collector heartbeat failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=beat)
        except TimeoutError:
            pass


async def run_collector(collector: Collector, *, concurrency: int = 32) -> None:
    """Run one collector until SIGINT or SIGTERM: poll the devices of its groups."""
    from procrastinate import exceptions
    from procrastinate.worker import Worker

    app = make_app(collector.engine, collector.interval_s)
    beat = heartbeat_s(collector.interval_s)
    stop = asyncio.Event()
    async with app.open_async():
        worker = Worker(
            app, queues=[CYCLE_QUEUE, *(poll_queue(g) for g in collector.groups)],
            name=collector.name, concurrency=concurrency,
            additional_context={"collector": collector},
            fetch_job_polling_interval=max(0.1, min(1.0, collector.interval_s / 20)),
            update_heartbeat_interval=beat,
            stalled_worker_timeout=collector_alive_s(collector.interval_s),
            shutdown_graceful_timeout=collector.client.timeout_s * 3 + 5.0,
            delete_jobs="successful", install_signal_handlers=True)
        keep_alive = asyncio.create_task(_keep_alive(collector, app, worker, stop))
        try:
            await worker.run()
        except exceptions.ConnectorException as exc:
            # the queue refuses the next fetch of a worker the others pruned as dead,
            # sometimes before the keep-alive finds it gone: that is the same end
            if not _worker_pruned(exc):
                raise
            collector.fenced = True
            log.error("collector %s was taken for dead by the others and its polls were "
                      "handed over: stopping; start it again", collector.name)
        finally:
            stop.set()
            await keep_alive

            def forget() -> None:
                with transaction(collector.engine) as s:
                    forget_collector(s, collector.name)

            await collector.control_work(forget)
            collector.store_pool.shutdown(wait=False)
            collector.control_pool.shutdown(wait=False)
            collector.client.close()
