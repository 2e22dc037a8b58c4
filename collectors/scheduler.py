"""Periodic polling with APScheduler 3 (``AsyncIOScheduler``).

One interval job per device, first run at a random offset inside the first
interval so a large fleet does not fire at once, then with jitter,
``max_instances=1`` (a slow device never overlaps itself) and ``coalesce=True``
(missed runs collapse into one). Every :class:`~fonet.telemetry.DevicePoll` is
handed to ``sink``, a plain or async callable; the store layer persists it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import signal
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from collectors.backoff import Backoff
from collectors.client import SnmpClient
from fonet.telemetry import DevicePoll, DeviceTarget

__all__ = ["PollScheduler", "Sink", "run_forever"]

log = logging.getLogger(__name__)

Sink = Callable[[DevicePoll], Any | Awaitable[Any]]


class PollScheduler:
    """Polls every device on its own interval job and feeds a sink.

    Parameters
    ----------
    targets : iterable of DeviceTarget
        Devices (names must be unique).
    sink : callable
        Receives each :class:`DevicePoll`; may be a coroutine function.
    interval_s : float
        Polling interval.
    jitter_s : float or None
        Random delay added to each run (default: 10 % of the interval).
    client : SnmpClient or None
        Poller to use (default: one with a :class:`Backoff`).
    """

    def __init__(
        self,
        targets: Iterable[DeviceTarget],
        sink: Sink,
        *,
        interval_s: float = 60.0,
        jitter_s: float | None = None,
        client: SnmpClient | None = None,
    ) -> None:
        self.targets = list(targets)
        names = [t.name for t in self.targets]
        if len(set(names)) != len(names):
            raise ValueError("device names must be unique")
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        self.sink = sink
        self.interval_s = interval_s
        self.jitter_s = interval_s * 0.1 if jitter_s is None else jitter_s
        self.client = client or SnmpClient(backoff=Backoff.for_interval(interval_s))
        self._scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task] = set()

    async def _job(self, target: DeviceTarget) -> None:
        task = asyncio.current_task()
        if task is None:  # APScheduler runs each coroutine job in a task of its own
            raise RuntimeError("a poll job must run inside an asyncio task")
        self._running.add(task)
        try:
            poll = await self.client.poll_one(target)
            result = self.sink(poll)
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:  # stopping: a poll cut short is no error
            return
        except Exception:  # a faulty sink must not stop the schedule
            log.exception("polling or sink failed for device %s", target.name)
        finally:
            self._running.discard(task)

    async def start_with_sweep(self) -> None:
        """Start the interval jobs and poll every device once, now.

        Every target is first set up in the client (see :meth:`SnmpClient.prepare`), so a
        large fleet's first cycle is cheap; the jobs' first runs are spread over one interval,
        so no device waits longer than an interval (plus jitter) after the sweep. A sink with
        ``evaluate_soon`` is asked to evaluate once the sweep is stored.
        """
        await self.client.prepare(self.targets)
        self.start()
        await asyncio.gather(*(self._job(t) for t in self.targets))
        evaluate_soon = getattr(self.sink, "evaluate_soon", None)
        if evaluate_soon is not None:
            evaluate_soon()

    def start(self) -> None:
        """Add the jobs and start the scheduler (inside the running loop)."""
        loop = asyncio.get_running_loop()
        self._scheduler = AsyncIOScheduler(event_loop=loop, timezone=UTC)
        now = datetime.now(UTC)
        for target in self.targets:
            # Spread first runs over one interval so a fleet does not fire at once.
            first = now + timedelta(seconds=random.uniform(0, self.interval_s))
            self._scheduler.add_job(
                self._job,
                "interval",
                seconds=self.interval_s,
                jitter=self.jitter_s or None,
                args=[target],
                id=target.name,
                name=f"poll {target.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(self.interval_s)),
                next_run_time=first,
            )
        self._scheduler.start()

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Stop scheduling, let running polls finish (up to ``timeout_s``), close."""
        if self._scheduler is not None and self._scheduler.running:
            # AsyncIOScheduler runs shutdown via call_soon_threadsafe: yield once.
            self._scheduler.shutdown(wait=False)
            await asyncio.sleep(0)
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout_s)
        close = getattr(self.sink, "close", None)
        if close is not None:  # a sink that batches stores what it still holds
            result = close()
            if inspect.isawaitable(result):
                await result
        self.client.close()


async def _serve(
    targets: list[DeviceTarget], sink: Sink, interval_s: float, stop: asyncio.Event,
    options: dict[str, Any],
) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler = PollScheduler(targets, sink, interval_s=interval_s, **options)
    scheduler.start()
    log.info("polling %d devices every %g s", len(targets), interval_s)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await scheduler.stop()
        log.info("polling stopped")


def run_forever(
    targets: Iterable[DeviceTarget],
    sink: Sink,
    interval_s: float = 60.0,
    **options: Any,
) -> None:
    """Poll devices until SIGINT or SIGTERM, then stop cleanly.

    Parameters
    ----------
    targets : iterable of DeviceTarget
        Devices to poll.
    sink : callable
        Receives each :class:`DevicePoll`.
    interval_s : float
        Polling interval.
    **options
        ``jitter_s`` and ``client`` for :class:`PollScheduler`.
    """

    async def main() -> None:
        await _serve(list(targets), sink, interval_s, asyncio.Event(), options)

    asyncio.run(main())
