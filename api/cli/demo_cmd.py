"""``fonet demo``: the whole regency, planned, simulated and monitored live, in one command."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from api.cli.common import handle_errors, tr
from api.cli.demo_serve import PER_AGENT_CONCURRENCY, serve
from fonet.errors import InputError, StateError
from fonet.planning.result import PlanResult

MARKER_SUFFIX = ".fonet-demo"
"""A demo store ``X`` has a file ``X.fonet-demo`` beside it; only such stores are replaced."""


class _Stop(BaseException):
    """Raised by the signal handlers to unwind the demo."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def default_demo_dir() -> Path:
    """Return the per-user demo folder (beside the default store)."""
    from sqlalchemy.engine import make_url

    from fonet.config import default_db_url

    database = make_url(default_db_url()).database
    if database is None:  # the default store is an SQLite file
        raise StateError(f"the default store {default_db_url()} is not a file")
    return Path(database).parent / "demo"


def _fresh_store(db: Path) -> None:
    marker = db.with_name(db.name + MARKER_SUFFIX)
    if db.exists() and not marker.exists():
        raise InputError(str(db), "exists and was not made by `fonet demo`; remove it or name "
                                  "another --db", field="--db")
    db.parent.mkdir(parents=True, exist_ok=True)
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)
    marker.write_text("a store made by `fonet demo`; replaced at its next run\n")


def _check_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise InputError("--port", f"127.0.0.1:{port} is not free ({exc.strerror})",
                             field="--port") from None


class _Steps:
    """Progress lines: a spinner while a step runs, a tick and its time when it ends."""

    def __init__(self, console: Console, started: float) -> None:
        self.console = console
        self.started = started

    @contextlib.contextmanager
    def step(self, text: str) -> Any:
        t0 = time.perf_counter()
        box: dict[str, str] = {}
        with self.console.status(text + " …"):
            yield box
        note = f": {box['done']}" if box.get("done") else ""
        self.console.print(f"[green]✓[/] {text}{note} [dim]({time.perf_counter() - t0:.1f} s)",
                           highlight=False)


def _load_and_plan(steps: _Steps, engine: Any, data_dir: Path, seed: int) -> PlanResult:
    from fonet.planning.plan import run_plan
    from fonet.planning.profile import load_profile
    from fonet.store import transaction
    from gis.load import init_store

    with steps.step(tr("cli.demo.loading")) as box:
        counts = init_store(engine, data_dir)
        box["done"] = tr("cli.demo.loaded", villages=counts.get("villages", "?"),
                         edges=counts.get("route_edges", "?"))
    with steps.step(tr("cli.demo.planning")) as box, transaction(engine) as s:
        plan = run_plan(s, load_profile(None), name="demo", seed=seed)
        box["done"] = tr("cli.demo.planned", id=plan.plan_id, rings=len(plan.rings),
                         hubs=len(plan.hubs), offices=plan.offices_connected)
    return plan


@handle_errors
def demo(
    port: Annotated[int, typer.Option(help="TCP port of the service on 127.0.0.1.",
                                      min=1, max=65535)] = 8000,
    interval: Annotated[float, typer.Option(help="Seconds between polls of each device.",
                                            min=1.0)] = 60.0,
    db: Annotated[Path | None, typer.Option(help="SQLite file of the demo store, replaced at "
                                                 "each run (default: demo.db in the per-user "
                                                 "demo folder).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="The regency data directory (default: "
                                                       "FONET_DATA_DIR, else the packaged "
                                                       "data).")] = None,
    agents: Annotated[int, typer.Option(help="snmpsim processes serving the devices.",
                                        min=1, max=32)] = 2,
    degraded: Annotated[int, typer.Option(help="Access links given too little light.",
                                          min=0)] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the plan and of the simulation.")] = 0,
) -> None:
    """Load the regency into a fresh store, plan it, simulate every device, and serve it live.

    Every core POP, hub and office of the plan gets a simulated SNMP agent (snmpsim on
    127.0.0.1) with one optical port per planned link: steady traffic, received power from the
    planned loss, a few degraded links, and one backbone span cut. The collectors poll them
    all every --interval seconds in the service, which serves the API and the map. Ctrl-C
    stops everything the demo started.
    """
    from fonet.config import Settings

    started = time.perf_counter()
    console = Console(stderr=True)
    settings = Settings()
    data_dir = data_dir or settings.regency_dir
    if not data_dir.is_dir():
        raise InputError(str(data_dir), "the regency data directory does not exist (unset "
                                        "FONET_DATA_DIR to use the packaged data, or pass "
                                        "--data-dir)", field="--data-dir")
    db = (db or default_demo_dir() / "demo.db").expanduser().resolve()
    _check_port(port)
    _fresh_store(db)
    db_url = f"sqlite:///{db}"
    running: dict[str, Any] = {}

    def cleanup() -> None:
        sims = running.pop("agents", None)
        if sims is not None:
            sims.stop()

    def on_signal(signum: int, _frame: Any) -> None:
        raise _Stop(signum)

    atexit.register(cleanup)
    previous = {sig: signal.signal(sig, on_signal)
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        _run(console, started, db, db_url, data_dir, port, interval, agents, degraded, seed,
             running)
    except _Stop as stop:
        console.print(tr("cli.demo.stopping", signal=signal.Signals(stop.signum).name),
                      highlight=False)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        cleanup()
        atexit.unregister(cleanup)
    console.print(tr("cli.demo.stopped"))


def _run(console: Console, started: float, db: Path, db_url: str, data_dir: Path, port: int,
         interval: float, agents: int, degraded: int, seed: int,
         running: dict[str, Any]) -> None:
    from collectors.simulate import build_simulation
    from collectors.simulate_agents import (
        AgentError,
        SnmpsimAgents,
        probes_for,
        register_simulation,
        write_data,
    )
    from fonet.store import make_engine, reader, transaction

    steps = _Steps(console, started)
    console.print(tr("cli.demo.store", path=db), highlight=False)
    engine = make_engine(db_url)
    _load_and_plan(steps, engine, data_dir, seed)
    with steps.step(tr("cli.demo.simulating")) as box:
        with reader(engine) as s:
            sim = build_simulation(s, degraded=degraded, seed=seed)
        folder = db.with_name(db.name + ".agents")
        placed = write_data(sim, folder / "data", agents=agents, seed=seed)
        box["done"] = tr("cli.demo.simulated", devices=len(sim.devices), links=len(sim.links),
                         span=sim.cut_span_id, cut=len(sim.cut_links),
                         degraded=len(sim.degraded_links))
    with steps.step(tr("cli.demo.agents", n=agents)) as box:
        sims = SnmpsimAgents([folder / "data" / f"agent-{k}" for k in range(agents)],
                             folder / "work")
        running["agents"] = sims
        try:
            ports = sims.start(probes_for(sim, placed, agents))
        except AgentError as exc:
            raise StateError(str(exc)) from None
        box["done"] = tr("cli.demo.ports", ports=", ".join(map(str, ports)))
    (folder / "simulation.json").write_text(json.dumps({
        **sim.summary(), "store": str(db),
        "agents": [{"pid": pid, "port": p} for pid, p in zip(sims.pids, ports, strict=True)],
    }, indent=2), encoding="utf-8")
    with steps.step(tr("cli.demo.registering")) as box, \
            transaction(engine) as s:
        counts = register_simulation(s, sim, {d: ports[k] for d, k in placed.items()})
        box["done"] = tr("cli.demo.registered", devices=counts["devices"],
                         interfaces=counts["interfaces"], links=counts["links"])
    token = _viewer_token(engine)
    engine.dispose()
    console.print(tr("cli.demo.faults", path=folder / "simulation.json"),
                  highlight=False)
    serve(console, started, db_url, port, interval, len(sim.devices), token,
          PER_AGENT_CONCURRENCY * agents)


def _viewer_token(engine: Any) -> str | None:
    try:
        from api.auth import create_token
    except ImportError:
        return None
    from fonet.store import transaction

    with transaction(engine) as s:
        _, token = create_token(s, "viewer", "demo viewer")
    return token


def register(app: typer.Typer) -> None:
    """Add ``fonet demo`` to ``app``."""
    app.command()(demo)


__all__ = ["default_demo_dir", "demo", "register"]

if os.name != "posix":  # pragma: no cover - process groups and SIGHUP are POSIX
    raise ImportError("fonet demo needs a POSIX system")
