"""Running the service of ``fonet demo``: the collectors with a start sweep, and a watcher.

The watcher prints the URL once the service listens, then the outcome of the first full poll
cycle; the collectors poll every device once at start, then on the scheduler's interval jobs,
storing through a :class:`~collectors.service.StoreSink`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import typer
from rich.console import Console

from api.cli.common import label, tr

PER_AGENT_CONCURRENCY = 8
"""Devices polled at once per snmpsim agent: more only queues requests inside the agent."""
TIMEOUT_S = 2.0
"""Time the collectors wait for each answer of a simulated agent."""


class _Watcher(threading.Thread):
    """Prints the URL once the service listens, then the outcome of the first poll cycle."""

    def __init__(self, console: Console, started: float, engine: Any, devices: int,
                 timeout_s: float, sink_of: Any, server: Any, url: str,
                 token: str | None) -> None:
        super().__init__(daemon=True, name="fonet-demo-watcher")
        self.console, self.started, self.engine = console, started, engine
        self.devices, self.timeout_s, self.sink_of = devices, timeout_s, sink_of
        self.server, self.url, self.token = server, url, token
        self.stop = threading.Event()

    def _elapsed(self) -> str:
        return "[dim]" + tr("cli.demo.after_start",
                             seconds=f"{time.perf_counter() - self.started:.1f}")

    def run(self) -> None:
        while not self.server.started:
            if self.stop.wait(0.1):
                return
        self.console.print(f"[green]✓[/] {tr('cli.demo.serving', url=self.url)} "
                           f"{self._elapsed()}", highlight=False)
        typer.echo(f"URL: {self.url}map/")
        if self.token:
            typer.echo(f"viewer token: {self.token}")
        self.console.print(tr("cli.demo.polling", n=self.devices), highlight=False)
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
        head = tr("cli.demo.cycle_done" if done else "cli.demo.cycle_incomplete")
        store = (tr("cli.demo.store_work", seconds=f"{sink.store_s:.1f}") if sink is not None
                 else "")
        shown = ", ".join(f"{n} {label('map.state.', k)}" for k, n in sorted(states.items()))
        self.console.print("[green]✓[/] " + tr("cli.demo.report", head=head, answered=answered,
                                               n=self.devices, counts=shown or tr("cli.none"),
                                               store=store) + f" {self._elapsed()}",
                           highlight=False)
        typer.echo(f"ready: {answered}/{self.devices} devices, links {counts}")


def serve(console: Console, started: float, db_url: str, port: int, interval: float,
          devices: int, token: str | None, concurrency: int) -> None:
    """Serve the demo store on 127.0.0.1:``port`` with the collectors, until a signal."""
    import logging

    from fonet.store import make_engine

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    engine = make_engine(db_url)
    timeout_s = max(3 * interval, 120.0)
    try:
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
    import uvicorn

    from api.app import ServiceSettings, create_app

    # snmpsim answers slowly under a few hundred devices: fewer at once, a longer timeout
    settings = ServiceSettings(db_url=db_url, poll_interval_s=interval, collectors=True,
                               poll_concurrency=concurrency, poll_timeout_s=TIMEOUT_S)
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            proxy_headers=False)
    return uvicorn.Server(config)
