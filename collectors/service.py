"""The collectors as a service: polls into the store, link states and alarms, rollups, metrics.

Re-evaluating every link after every device poll would cost (devices x links) per polling
interval. :class:`StoreSink` queues the polls, stores whatever has queued in one transaction,
and re-evaluates link states at most every ``evaluate_s`` seconds (and once more when closed),
with the alarms of :func:`fonet.noc.alarms.process_changes`, so that a whole regency fits its
interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from collectors.metrics import Metrics
from fonet.monitoring import record_poll, rollup_and_prune, update_link_states
from fonet.noc.alarms import process_changes
from fonet.store import transaction
from fonet.telemetry import DevicePoll, HealthThresholds

log = logging.getLogger(__name__)

ROLLUP_EVERY_S = 300.0


class StoreSink:
    """Stores polls in batches and re-evaluates link states every ``evaluate_s`` seconds.

    Store work runs in a worker thread, one batch at a time, so the event loop keeps polling
    while the store writes.

    Parameters
    ----------
    engine
        The store.
    interval_s
        Polling interval (link data older than 3 intervals is ``unknown``).
    thresholds
        Link health limits.
    metrics
        Prometheus gauges to update, if any.
    retention_s
        Raw samples older than this are folded into five-minute rollups.
    evaluate_s
        Least time between two evaluations of the link states (default: a quarter of the
        interval, at most 10 s).
    """

    def __init__(self, engine: Engine, *, interval_s: float,
                 thresholds: HealthThresholds | None = None, metrics: Metrics | None = None,
                 retention_s: float = 48 * 3600, evaluate_s: float | None = None) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        self.engine = engine
        self.interval_s = interval_s
        self.thresholds = thresholds
        self.metrics = metrics
        self.retention_s = retention_s
        self.evaluate_s = min(10.0, interval_s / 4) if evaluate_s is None else evaluate_s
        self.stored = 0
        """Polls stored so far."""
        self.evaluations = 0
        """Link state evaluations so far."""
        self.store_s = 0.0
        """Seconds spent storing polls and evaluating links."""
        self.devices_seen: set[str] = set()
        """Devices whose polls have been stored."""
        self.evaluated_devices = 0
        """How many devices had been stored when the link states were last evaluated."""
        self._queue: list[DevicePoll] = []
        self._dirty = False
        self._pending: set[str] = set()
        self._last_eval = 0.0
        self._last_rollup = time.monotonic()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._closing = False
        self._asked = False

    # -- store work (worker thread) ----------------------------------------
    def _record(self, batch: list[DevicePoll]) -> list[dict[str, Any]]:
        try:
            with transaction(self.engine) as s:
                return [record_poll(s, p) for p in batch]
        except Exception:
            if len(batch) == 1:
                log.exception("could not store the poll of %s", batch[0].name)
                return []
        results = []  # one bad poll must not lose the others: store them one by one
        for p in batch:
            results.extend(self._record([p]))
        return results

    def _evaluate(self, devices: list[str]) -> list[dict[str, Any]]:
        with transaction(self.engine) as s:
            changes = update_link_states(s, interval_s=self.interval_s,
                                         thresholds=self.thresholds)
            now = datetime.now(UTC)
            process_changes(s, changes, now=now, devices=devices)
            if time.monotonic() - self._last_rollup >= ROLLUP_EVERY_S:
                rollup_and_prune(s, retention_s=self.retention_s, now=now)
                self._last_rollup = time.monotonic()
        return changes

    def work(self, batch: list[DevicePoll], evaluate: bool, devices: list[str] | None = None
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Store a batch of polls, then, if asked, evaluate link states and alarms.

        Port and device alarms are evaluated for ``devices`` (those polled since the last
        evaluation), link alarms for every link.
        """
        started = time.perf_counter()
        results = self._record(batch) if batch else []
        changes = []
        if evaluate:
            try:
                changes = self._evaluate(devices or [])
            except Exception:
                log.exception("could not evaluate the link states")
        self.store_s += time.perf_counter() - started
        return results, changes

    def store(self, poll: DevicePoll) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """Store one poll and evaluate the links and alarms now (synchronously)."""
        results, changes = self.work([poll], True, [poll.name])
        return (results[0] if results else None), changes

    # -- the loop -----------------------------------------------------------
    def _ensure_task(self) -> asyncio.Event:
        """Start the storing task on first use; return the event that wakes it."""
        if self._task is None or self._wake is None:
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(self._wake))
        return self._wake

    async def __call__(self, poll: DevicePoll) -> None:
        """Sink for :class:`collectors.scheduler.PollScheduler`: queue the poll."""
        if poll.skipped or self._closing:
            return
        wake = self._ensure_task()
        self._queue.append(poll)
        wake.set()

    async def _run(self, wake: asyncio.Event) -> None:
        while True:
            wait_s = max(0.05, self._last_eval + self.evaluate_s - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=wait_s if self._dirty else None)
            wake.clear()
            batch, self._queue = self._queue, []
            self._dirty = self._dirty or bool(batch)
            self._pending.update(p.name for p in batch)
            due = self._dirty and (self._closing or self._asked or
                                   time.monotonic() - self._last_eval >= self.evaluate_s)
            self._asked = False
            if batch or due:
                devices = sorted(self._pending) if due else None
                if due:
                    self._pending = set()
                results, changes = await asyncio.to_thread(self.work, batch, due, devices)
                self.stored += len(batch)
                self.devices_seen.update(p.name for p in batch)
                if due:
                    self.evaluated_devices = len(self.devices_seen)
                    self._dirty = False
                    self._last_eval = time.monotonic()
                    self.evaluations += 1
                self._report(results, changes)
            if self._closing and not self._queue and not self._dirty:
                return

    def _report(self, results: list[dict[str, Any]], changes: list[dict[str, Any]]) -> None:
        for c in changes:
            log.info("link %s: %s -> %s %s", c["link"], c["from"], c["to"],
                     "; ".join(c["reasons"]))
        if self.metrics is not None:
            for r in results:
                self.metrics.observe_poll(r)
            for c in changes:
                self.metrics.observe_link(c["link"], c["to"])

    def evaluate_soon(self) -> None:
        """Evaluate the link states as soon as what is queued is stored, without waiting."""
        if self._task is not None and self._wake is not None:
            self._asked = True
            self._wake.set()

    async def close(self) -> None:
        """Store what is queued, evaluate the links a last time, and stop."""
        self._closing = True
        if self._task is None or self._wake is None:
            return
        self._wake.set()
        await self._task
        self._task = None
