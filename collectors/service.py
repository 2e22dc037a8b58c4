"""The collectors as a service: polls into the store, link states, rollups and metrics."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from collectors.metrics import Metrics
from fonet.monitoring import record_poll, rollup_and_prune, update_link_states
from fonet.noc.alarms import process_changes
from fonet.store import transaction
from fonet.telemetry import DevicePoll, HealthThresholds

log = logging.getLogger(__name__)


class StoreSink:
    """Receives each poll, stores it, re-evaluates links, and keeps rollups current.

    Store work runs in a worker thread, one transaction at a time, so the event loop keeps
    polling while SQLite writes.

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
    """

    def __init__(self, engine: Engine, *, interval_s: float,
                 thresholds: HealthThresholds | None = None, metrics: Metrics | None = None,
                 retention_s: float = 48 * 3600) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self.thresholds = thresholds
        self.metrics = metrics
        self.retention_s = retention_s
        self._lock = asyncio.Lock()
        self._last_rollup = datetime.now(UTC)

    def store(self, poll: DevicePoll) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Store one poll and re-evaluate link states (synchronously)."""
        with transaction(self.engine) as s:
            result = record_poll(s, poll)
            changes = update_link_states(s, interval_s=self.interval_s,
                                         thresholds=self.thresholds)
            now = datetime.now(UTC)
            process_changes(s, changes, now=now, devices=[poll.name])
            if (now - self._last_rollup).total_seconds() >= 300:
                rollup_and_prune(s, retention_s=self.retention_s, now=now)
                self._last_rollup = now
        return result, changes

    async def __call__(self, poll: DevicePoll) -> None:
        """Sink for :class:`collectors.scheduler.PollScheduler`."""
        if poll.skipped:
            return
        async with self._lock:
            try:
                result, changes = await asyncio.to_thread(self.store, poll)
            except Exception:
                log.exception("could not store the poll of %s", poll.name)
                return
        for c in changes:
            log.info("link %s: %s -> %s %s", c["link"], c["from"], c["to"],
                     "; ".join(c["reasons"]))
        if self.metrics is not None:
            self.metrics.observe_poll(result)
            for c in changes:
                self.metrics.observe_link(c["link"], c["to"])
