"""``fonet collectors``: run a collector (alone, or one of several), and their status."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from api.cli.common import engine, err_console, handle_errors, print_json, tr
from fonet.errors import InputError, StateError

collectors_app = typer.Typer(help="The SNMP collectors.", no_args_is_help=True)


@collectors_app.command("run")
@handle_errors
def collectors_run(
    interval_s: Annotated[float, typer.Option("--interval", help="Seconds between polls of "
                                                                 "each device.")] = 60.0,
    metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus metrics on "
                                                          "127.0.0.1:PORT.")] = None,
    retention_h: Annotated[float, typer.Option(help="Keep raw samples this many hours, then "
                                                    "five-minute rollups.")] = 48.0,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait per answer.",
                                             min=0.01)] = 3.0,
    retries: Annotated[int, typer.Option(help="Re-sends after a timeout.", min=0)] = 2,
    distributed: Annotated[bool, typer.Option(
        "--distributed", envvar="FONET_COLLECTORS_DISTRIBUTED",
        help="Be one of several collectors sharing the devices of a PostgreSQL store "
             "(through its job queue); every collector of the store must use this and the "
             "same --interval.")] = False,
    groups: Annotated[str | None, typer.Option(
        help="Poller groups this collector polls, comma-separated (with --distributed; "
             "default: default).")] = None,
    concurrency: Annotated[int, typer.Option(help="Polls running at once (with "
                                                  "--distributed).", min=1)] = 32,
) -> None:
    """Poll every device on its own schedule until Ctrl-C, keeping link states current.

    Alone (the default, SQLite or PostgreSQL) one process polls every device. With
    --distributed, several processes on one or more hosts share the devices of one
    PostgreSQL store: each polls the devices of its --groups, every device once per
    interval, and the devices of a collector that dies are polled by the others.
    """
    from collectors.backoff import Backoff
    from collectors.client import SnmpClient
    from collectors.metrics import Metrics
    from fonet.pollers import parse_groups
    from fonet.store import require_current

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("alembic", "apscheduler", "procrastinate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if interval_s <= 0:
        raise InputError("--interval", f"must be positive, got {interval_s:g}")
    if groups is not None and not distributed:
        raise InputError("--groups", "poller groups are served with --distributed (several "
                                     "collectors on a PostgreSQL store)")
    served = parse_groups(groups if groups is not None else "default")
    eng = engine()
    if distributed:
        from collectors.distributed import cron_for, require_postgresql

        require_postgresql(eng)
        cron_for(interval_s)
    require_current(eng)
    metrics = Metrics()
    client = SnmpClient(timeout_s=timeout_s, retries=retries,
                        backoff=Backoff.for_interval(interval_s))
    if distributed:
        _run_distributed(eng, served, interval_s, client, metrics, metrics_port,
                         retention_h * 3600, concurrency)
        return
    _run_alone(eng, interval_s, client, metrics, metrics_port, retention_h * 3600)


def _serve_metrics(metrics, port: int | None) -> None:  # noqa: ANN001
    if port:
        metrics.serve(port)
        err_console.print(tr("cli.collectors.metrics", url=f"http://127.0.0.1:{port}/metrics"))


def _run_alone(eng, interval_s: float, client, metrics, metrics_port: int | None,  # noqa: ANN001
               retention_s: float) -> None:
    from collectors.scheduler import run_forever
    from collectors.service import StoreSink
    from fonet.devices import device_targets
    from fonet.store import transaction

    with transaction(eng) as s:
        targets = device_targets(s)
    if not targets:
        err_console.print(tr("cli.collectors.none"))
        raise typer.Exit(1)
    _serve_metrics(metrics, metrics_port)
    sink = StoreSink(eng, interval_s=interval_s, metrics=metrics, retention_s=retention_s)
    err_console.print(tr("cli.collectors.polling", n=len(targets), seconds=f"{interval_s:g}"))
    run_forever(targets, sink, interval_s=interval_s, client=client)
    err_console.print(tr("cli.collectors.stopped"))


def _run_distributed(eng, groups: list[str], interval_s: float, client, metrics,  # noqa: ANN001
                     metrics_port: int | None, retention_s: float, concurrency: int) -> None:
    import asyncio

    from collectors.distributed import Collector, run_collector
    from fonet.pollers import poller_status
    from fonet.store import reader

    with reader(eng) as s:
        status = poller_status(s, groups=groups)
    other = sorted({(c["interval_s"], c["name"]) for c in status["collectors"]
                    if c["alive"] and c["interval_s"] != interval_s})
    if other:  # their cycles would not line up with this one's
        raise InputError("--interval", f"the collectors already running poll every "
                         f"{other[0][0]:g} s ({', '.join(n for _, n in other)}); all collectors "
                         f"of a store share one interval: start this one with --interval "
                         f"{other[0][0]:g}")
    mine = sum(status["groups"].get(g, {}).get("devices", 0) for g in groups)
    for g in status["unserved"]:
        logging.getLogger(__name__).warning(
            "poller group %s has %d devices and no collector serves it", g,
            status["groups"][g]["devices"])
        err_console.print(tr("cli.collectors.unserved_start", group=g,
                             n=status["groups"][g]["devices"]), style="yellow", highlight=False)
    _serve_metrics(metrics, metrics_port)
    collector = Collector(engine=eng, groups=groups, interval_s=interval_s, client=client,
                          metrics=metrics, retention_s=retention_s)
    err_console.print(tr("cli.collectors.started", name=collector.name, groups=", ".join(groups),
                         n=mine, seconds=f"{interval_s:g}"), highlight=False)
    asyncio.run(run_collector(collector, concurrency=concurrency))
    if collector.fenced:
        raise StateError(f"collector {collector.name} was taken for dead by the others (its "
                         "heartbeat came too late: is the host overloaded?) and stopped after "
                         f"{collector.polls} polls; start it again")
    err_console.print(tr("cli.collectors.stopped_after", n=collector.polls))


@collectors_app.command("status")
@handle_errors
def collectors_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Poller groups, their devices, the collectors serving them, and groups nobody serves."""
    from fonet.pollers import poller_status
    from fonet.store import reader, require_current

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        status = poller_status(s)
    if as_json:
        print_json(status)
        return
    for g, row in status["groups"].items():
        who = ", ".join(row["collectors"]) or f"[red]{tr('cli.collectors.no_collector')}[/]"
        err_console.print(tr("cli.collectors.group_row", group=g, n=row["devices"], who=who))
    for c in status["collectors"]:
        state = (tr("cli.collectors.alive") if c["alive"]
                 else f"[red]{tr('cli.collectors.silent')}[/]")
        err_console.print(tr("cli.collectors.collector_row", name=c["name"], state=state,
                             groups=", ".join(c["groups"]), seconds=f"{c['interval_s']:g}",
                             seen=c["seen_at"]))
    for g in status["unserved"]:
        err_console.print(tr("cli.collectors.unserved", group=g), style="yellow",
                          highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``collectors`` commands to ``app``."""
    app.add_typer(collectors_app, name="collectors")
