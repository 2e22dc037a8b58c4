"""``fonet devices``, ``fonet links``, ``fonet poll`` and ``fonet collectors``."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from api.cli.common import engine, err_console, handle_errors, print_json

devices_app = typer.Typer(help="SNMP devices and their interfaces.", no_args_is_help=True)
links_app = typer.Typer(help="Links: circuits between two interfaces.", no_args_is_help=True)
collectors_app = typer.Typer(help="The SNMP collectors.", no_args_is_help=True)


def _discover(eng, name: str) -> int:  # noqa: ANN001
    import asyncio

    from collectors.client import DeviceUnreachableError, discover_interfaces
    from fonet.devices import device_targets, upsert_interfaces
    from fonet.errors import NotFoundError
    from fonet.store import transaction
    from fonet.store.models import Device

    with transaction(eng) as s:
        (target,) = device_targets(s, [name])
    try:
        found = asyncio.run(discover_interfaces(target))
    except DeviceUnreachableError as exc:
        err_console.print(f"[yellow]warning:[/] {exc}; interfaces will be read at the first "
                          "poll")
        return 0
    with transaction(eng) as s:
        from sqlalchemy import select

        device = s.scalar(select(Device).where(Device.name == name))
        if device is None:  # deleted meanwhile
            raise NotFoundError(f"no device named {name!r}")
        upsert_interfaces(s, device, found)
    return len(found)


@devices_app.command("add")
@handle_errors
def devices_add(
    name: Annotated[str, typer.Argument(help="Unique device name.")],
    host: Annotated[str, typer.Option(help="Address of the SNMP agent.")],
    port: Annotated[int, typer.Option(help="UDP port of the agent.")] = 161,
    site: Annotated[str | None, typer.Option(help="Code of the site the device stands at.")
                    ] = None,
    community: Annotated[str | None, typer.Option(help="SNMPv2c community.")] = None,
    v3_user: Annotated[str | None, typer.Option(help="SNMPv3 user name.")] = None,
    auth_proto: Annotated[str | None, typer.Option(help="MD5, SHA, SHA224..SHA512.")] = None,
    auth_key: Annotated[str | None, typer.Option(help="SNMPv3 authentication key.")] = None,
    priv_proto: Annotated[str | None, typer.Option(help="DES, 3DES, AES, AES192, AES256.")
                          ] = None,
    priv_key: Annotated[str | None, typer.Option(help="SNMPv3 privacy key.")] = None,
    profile: Annotated[list[str] | None, typer.Option(
        help="Poll profile (repeatable): if_mib, entity_sensor, mikrotik_optical, "
             "huawei_optical, cisco_entity_sensor, juniper_dom.")] = None,
    discover: Annotated[bool, typer.Option(help="Read the interfaces from the device now.")
                        ] = True,
) -> None:
    """Add a device and discover its interfaces (ifName, ifDescr, ifAlias, ifHighSpeed).

    Credentials are stored apart from the inventory and never printed or returned.
    """
    from fonet.devices import add_device
    from fonet.store import require_current, transaction

    eng = engine()
    require_current(eng)
    profiles = tuple(profile or ["if_mib"])
    if "if_mib" not in profiles:
        profiles = ("if_mib", *profiles)
    with transaction(eng) as s:
        add_device(s, name, host, port=port, site_code=site, community=community,
                   v3_user=v3_user, auth_proto=auth_proto, auth_key=auth_key,
                   priv_proto=priv_proto, priv_key=priv_key, profiles=profiles)
    n = _discover(eng, name) if discover else 0
    err_console.print(f"Added device {name} ({host}:{port}), {n} interfaces discovered.")


@devices_app.command("list")
@handle_errors
def devices_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List devices and their interfaces (never their credentials)."""
    from sqlalchemy import select

    from fonet.devices import device_info
    from fonet.store import reader, require_current
    from fonet.store.models import Device

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        devices = [device_info(d) for d in s.scalars(select(Device).order_by(Device.name))]
    if as_json:
        print_json(devices)
        return
    for d in devices:
        err_console.print(f"{d['name']}  {d['host']}:{d['port']}  SNMP{d['snmp_version']}  "
                          f"{len(d['interfaces'])} interfaces")


@devices_app.command("discover")
@handle_errors
def devices_discover(name: Annotated[str, typer.Argument(help="Device name.")]) -> None:
    """Read a device's interfaces again."""
    n = _discover(engine(), name)
    err_console.print(f"{name}: {n} interfaces.")


@links_app.command("attach")
@handle_errors
def links_attach(
    link: Annotated[str, typer.Argument(help="Link name (created when new).")],
    a: Annotated[str, typer.Option("--a", help="A end: DEVICE:INTERFACE (ifName, ifDescr or "
                                               "ifIndex).")],
    z: Annotated[str, typer.Option("--z", help="Z end: DEVICE:INTERFACE.")],
) -> None:
    """Say which two interfaces terminate a link."""
    from fonet.devices import attach_link
    from fonet.store import require_current, transaction

    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        attach_link(s, link, a, z)
    err_console.print(f"Link {link}: {a} <-> {z}")


@links_app.command("list")
@handle_errors
def links_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
               ) -> None:
    """List links with their live state and its reasons."""
    from fonet.monitoring import link_states
    from fonet.store import reader, require_current

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        states = link_states(s)
    if as_json:
        print_json(states)
        return
    for name, st in sorted(states.items()):
        err_console.print(f"{name}: {st['state']} since {st['since']} "
                          f"{'; '.join(st['reasons'])}")


@handle_errors
def poll(
    once: Annotated[bool, typer.Option("--once", help="Poll every device once and exit.")
                    ] = False,
    device: Annotated[list[str] | None, typer.Option(help="Only this device (repeatable).")
                      ] = None,
    interval_s: Annotated[float, typer.Option("--interval", help="Polling interval in "
                                                                 "seconds (for staleness).")
                          ] = 60.0,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait per answer.")
                         ] = 1.0,
    retries: Annotated[int, typer.Option(help="Re-sends after a timeout.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Poll devices once, store the samples, and print each device's interfaces.

    Rates need two polls: a second run computes them from the samples the first stored.
    """
    if not once:
        raise typer.BadParameter("use --once (or `fonet collectors run` to keep polling)")
    from collectors.client import poll_once
    from fonet.devices import device_targets
    from fonet.monitoring import record_poll, update_link_states
    from fonet.noc.alarms import process_changes
    from fonet.store import require_current, transaction

    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        targets = device_targets(s, device)
    polls = poll_once(targets, timeout_s=timeout_s, retries=retries)
    with transaction(eng) as s:
        results = [record_poll(s, p) for p in polls]
        changes = update_link_states(s, interval_s=interval_s)
        process_changes(s, changes)
    if as_json:
        print_json({"devices": results, "link_changes": changes})
        return
    for r in results:
        status = "ok" if r["reachable"] and not r["error"] else (r["error"] or "unreachable")
        err_console.print(f"{r['name']}: {status}, {len(r['interfaces'])} interfaces, "
                          f"{r['seconds']:.3f} s")


@collectors_app.command("run")
@handle_errors
def collectors_run(
    interval_s: Annotated[float, typer.Option("--interval", help="Seconds between polls of "
                                                                 "each device.")] = 60.0,
    metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus metrics on "
                                                          "127.0.0.1:PORT.")] = None,
    retention_h: Annotated[float, typer.Option(help="Keep raw samples this many hours, then "
                                                    "five-minute rollups.")] = 48.0,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait per answer.")
                         ] = 1.0,
    retries: Annotated[int, typer.Option(help="Re-sends after a timeout.")] = 1,
) -> None:
    """Poll every device on its own schedule until Ctrl-C, keeping link states current."""
    from collectors.backoff import Backoff
    from collectors.client import SnmpClient
    from collectors.metrics import Metrics
    from collectors.scheduler import run_forever
    from collectors.service import StoreSink
    from fonet.devices import device_targets
    from fonet.store import require_current, transaction

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        targets = device_targets(s)
    if not targets:
        err_console.print("No devices: add some with `fonet devices add`.")
        raise typer.Exit(1)
    metrics = Metrics()
    if metrics_port:
        metrics.serve(metrics_port)
        err_console.print(f"Prometheus metrics on http://127.0.0.1:{metrics_port}/metrics")
    sink = StoreSink(eng, interval_s=interval_s, metrics=metrics,
                     retention_s=retention_h * 3600)
    err_console.print(f"Polling {len(targets)} devices every {interval_s:g} s; Ctrl-C stops.")
    client = SnmpClient(timeout_s=timeout_s, retries=retries, backoff=Backoff(base_s=interval_s))
    run_forever(targets, sink, interval_s=interval_s, client=client)
    err_console.print("Stopped.")


def register(app: typer.Typer) -> None:
    """Add the monitoring commands to ``app``."""
    app.add_typer(devices_app, name="devices")
    app.add_typer(links_app, name="links")
    app.command()(poll)
    app.add_typer(collectors_app, name="collectors")
