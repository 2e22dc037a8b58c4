"""Running the service of ``fonet demo``: the collectors with a start sweep, and a watcher.

The watcher prints the URL once the service listens, then the outcome of the first full poll
cycle; the collectors poll every device once at start, then on the scheduler's interval jobs,
storing through a :class:`~collectors.service.StoreSink`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any

import typer
from rich.console import Console

from fonet.errors import StateError

PER_AGENT_CONCURRENCY = 8
"""Devices polled at once per snmpsim agent: more only queues requests inside the agent."""
TIMEOUT_S = 2.0
"""Time the collectors wait for each answer of a simulated agent."""


class _Watcher(threading.Thread):
    """Prints the URL once the service listens, then the outcome of the first poll cycle."""

    def __init__(self, console: Console, started: float, engine: Any, devices: int,
                 timeout_s: float, sink_of: Any, server: Any = None, url: str = "",
                 token: str | None = None) -> None:
        super().__init__(daemon=True, name="fonet-demo-watcher")
        self.console, self.started, self.engine = console, started, engine
        self.devices, self.timeout_s, self.sink_of = devices, timeout_s, sink_of
        self.server, self.url, self.token = server, url, token
        self.stop = threading.Event()

    def _elapsed(self) -> str:
        return f"[dim]({time.perf_counter() - self.started:.1f} s after start)"

    def run(self) -> None:
        if self.server is not None:
            while not self.server.started:
                if self.stop.wait(0.1):
                    return
            self.console.print(f"[green]✓[/] Serving {self.url} (map {self.url}map/, API docs "
                               f"{self.url}docs) {self._elapsed()}", highlight=False)
            typer.echo(f"URL: {self.url}map/")
            if self.token:
                typer.echo(f"viewer token: {self.token}")
        self.console.print(f"Polling {self.devices} devices; Ctrl-C stops the demo.",
                           highlight=False)
        deadline = time.monotonic() + self.timeout_s
        while not self.stop.wait(0.25):
            sink = self.sink_of()
            done = sink is not None and sink.evaluated_devices >= self.devices
            if done or time.monotonic() > deadline:
                self._report(done, sink)
                return

    def _report(self, done: bool, sink: Any) -> None:
        from sqlalchemy import func, select

        from fonet.store import reader
        from fonet.store.observed import DeviceStatus, LinkState

        with reader(self.engine) as s:
            states = dict(s.execute(select(LinkState.state, func.count())
                                    .group_by(LinkState.state)).tuples().all())
            answered = s.scalar(select(func.count()).select_from(DeviceStatus)
                                .where(DeviceStatus.reachable.is_(True))) or 0
        counts = ", ".join(f"{n} {k}" for k, n in sorted(states.items())) or "none"
        head = "First poll cycle stored" if done else "First poll cycle incomplete"
        store = f"; store work {sink.store_s:.1f} s" if sink is not None else ""
        self.console.print(f"[green]✓[/] {head}: {answered}/{self.devices} devices answered; "
                           f"links {counts}{store} {self._elapsed()}", highlight=False)
        typer.echo(f"ready: {answered}/{self.devices} devices, links {counts}")


def serve(console: Console, started: float, db_url: str, port: int, interval: float,
          devices: int, token: str | None, concurrency: int) -> None:
    """Serve the demo store on 127.0.0.1:``port`` with the collectors, until a signal.

    Without the HTTP service (``api.app``) the collectors run alone.
    """
    import logging

    from fonet.store import make_engine

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    engine = make_engine(db_url)
    timeout_s = max(3 * interval, 120.0)
    try:
        try:
            import api.app  # noqa: F401
        except ImportError:
            console.print("[yellow]The HTTP service (api.app) is not installed: running the "
                          "collectors alone.", highlight=False)
            holder: dict[str, Any] = {}
            watcher = _Watcher(console, started, engine, devices, timeout_s,
                               lambda: holder.get("sink"))
            watcher.start()
            try:
                _collectors_alone(db_url, interval, concurrency, holder)
            finally:
                watcher.stop.set()
            return
        server = _server(db_url, port, interval, concurrency)
        app = server.config.app
        watcher = _Watcher(console, started, engine, devices, timeout_s,
                           lambda: app.state.collectors.sink, server,
                           f"http://127.0.0.1:{port}/", token)
        watcher.start()
        try:
            server.run()
        finally:
            watcher.stop.set()
    finally:
        engine.dispose()


def _server(db_url: str, port: int, interval: float, concurrency: int) -> Any:
    import asyncio

    import uvicorn

    from api.app import Collectors, ServiceSettings, create_app
    from collectors.service import StoreSink

    class BatchCollectors(Collectors):
        """The service's collectors: the schedule, and one sweep of every device at start.

        Polls are stored by a :class:`StoreSink`; the sweep makes the first full picture
        of the network available at once instead of one interval later.
        """

        _sweep: asyncio.Task | None = None

        async def start(self) -> None:
            from collectors.backoff import Backoff
            from collectors.client import SnmpClient
            from collectors.scheduler import PollScheduler

            if not self.enabled:
                return
            targets = await asyncio.to_thread(self._targets)
            self.devices = len(targets)
            if not targets:
                return
            client = SnmpClient(concurrency=concurrency, timeout_s=TIMEOUT_S,
                                backoff=Backoff(base_s=self.interval_s))
            self.sink = StoreSink(self.engine, interval_s=self.interval_s)
            self.scheduler = PollScheduler(targets, self.sink, interval_s=self.interval_s,
                                           client=client)
            self._sweep = asyncio.get_running_loop().create_task(
                _schedule_and_sweep(self.scheduler, self.sink, targets))

        async def stop(self) -> None:
            _quiet_shutdown()
            if self._sweep is not None and not self._sweep.done():
                self._sweep.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._sweep
            self._sweep = None
            await super().stop()
            if self.sink is not None:
                await self.sink.close()

    settings = ServiceSettings(db_url=db_url, poll_interval_s=interval, collectors=True)
    app = create_app(settings)
    app.state.collectors = BatchCollectors(app.state.engine, interval_s=interval)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            proxy_headers=False)
    return uvicorn.Server(config)


def _quiet_shutdown() -> None:
    """Silence the scheduler's executor and asyncio's handler for the shutdown.

    Stopping cancels polls waiting for their turn and drops answers still on the way; neither
    is worth a traceback.
    """
    import logging

    for name in ("apscheduler.executors", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


async def _schedule_and_sweep(scheduler: Any, sink: Any, targets: list[Any]) -> None:
    """Start the scheduler's interval jobs and poll every device once, now.

    Every target is first set up in the client (see
    :meth:`~collectors.client.SnmpClient.prepare`). The jobs' first runs are spread over
    one interval from now, so no device waits longer than an interval (plus jitter) between
    the sweep and its next scheduled poll.
    """
    import asyncio


    async def one(target: Any) -> None:
        await sink(await scheduler.client.poll_one(target))

    await scheduler.client.prepare(targets)
    scheduler.start()
    await asyncio.gather(*(one(t) for t in targets))
    sink.evaluate_soon()


def _collectors_alone(db_url: str, interval: float, concurrency: int,
                      holder: dict[str, Any]) -> None:
    import asyncio

    from collectors.backoff import Backoff
    from collectors.client import SnmpClient
    from collectors.scheduler import PollScheduler
    from collectors.service import StoreSink
    from fonet.devices import device_targets
    from fonet.store import make_engine, reader

    engine = make_engine(db_url)
    with reader(engine) as s:
        targets = device_targets(s)
    if not targets:
        raise StateError("the demo store has no devices")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, stop.set)
        client = SnmpClient(concurrency=concurrency, timeout_s=TIMEOUT_S,
                            backoff=Backoff(base_s=interval))
        holder["sink"] = sink = StoreSink(engine, interval_s=interval)
        scheduler = PollScheduler(targets, sink, interval_s=interval, client=client)
        sweep = loop.create_task(_schedule_and_sweep(scheduler, sink, targets))
        try:
            await stop.wait()
        finally:
            _quiet_shutdown()
            sweep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweep
            await scheduler.stop()
            await sink.close()

    try:
        asyncio.run(main())
    finally:
        engine.dispose()
