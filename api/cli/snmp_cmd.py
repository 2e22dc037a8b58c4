"""``fonet devices``, ``fonet links``, ``fonet poll`` and ``fonet collectors``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import engine, err_console, handle_errors, language, print_json, tr
from fonet.errors import InputError, NotFoundError, StateError
from fonet.i18n import t

devices_app = typer.Typer(help="SNMP devices and their interfaces.", no_args_is_help=True)
links_app = typer.Typer(help="Links: circuits between two interfaces.", no_args_is_help=True)
secrets_app = typer.Typer(help="The key that seals device credentials in the store.",
                          no_args_is_help=True)


def _detect_and_discover(eng, name: str, *, detect: bool) -> int:  # noqa: ANN001
    """Read the device: choose its profiles (unless given) and its interfaces; store both."""
    import asyncio

    from sqlalchemy import select

    from collectors.client import DeviceUnreachableError, detect_device
    from fonet.devices import device_targets, set_profiles, upsert_interfaces
    from fonet.errors import NotFoundError
    from fonet.store import transaction
    from fonet.store.models import Device

    with transaction(eng) as s:
        (target,) = device_targets(s, [name])
    if target.fault:
        raise StateError(f"device {name} {target.fault}")
    try:
        detection, found = asyncio.run(detect_device(target))
    except DeviceUnreachableError as exc:
        err_console.print(tr("cli.devices.unreachable", error=exc, name=name),
                          style="yellow", highlight=False)
        return 0
    with transaction(eng) as s:
        device = s.scalar(select(Device).where(Device.name == name))
        if device is None:  # deleted meanwhile
            raise NotFoundError(f"no device named {name!r}")
        if detect:
            set_profiles(s, device, detection.profiles, detection.detected_by)
        upsert_interfaces(s, device, found)
    if detect:
        err_console.print(tr("cli.devices.profiles", name=name,
                             profiles=", ".join(detection.profiles), by=detection.detected_by),
                          highlight=False)
    return len(found)


def _detected_by(by: str) -> str:
    """How a device's profiles were chosen, in the output's language."""
    return tr("cli.devices.not_detected") if by == t("cli.devices.not_detected", "en") else by


def _profiles_option(profile: list[str] | None) -> tuple[str, ...] | None:
    from collectors.profiles import PROFILE_DIR

    if not profile:
        return None
    known = sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))
    bad = [p for p in profile if p not in known]
    if bad:
        raise InputError("--profile", f"unknown poll profile(s) {', '.join(bad)}; known: "
                                      f"{', '.join(known)}")
    return ("if_mib", *[p for p in profile if p != "if_mib"])


@devices_app.command("add")
@handle_errors
def devices_add(
    name: Annotated[str, typer.Argument(help="Unique device name.")],
    host: Annotated[str, typer.Option(help="Address of the SNMP agent.")],
    port: Annotated[int, typer.Option(help="UDP port of the agent.")] = 161,
    site: Annotated[str | None, typer.Option(help="Code of the site the device stands at.")
                    ] = None,
    community: Annotated[str | None, typer.Option(help="SNMPv2c community (1-255 bytes).")
                         ] = None,
    v3_user: Annotated[str | None, typer.Option(help="SNMPv3 user name.")] = None,
    auth_proto: Annotated[str | None, typer.Option(help="MD5, SHA, SHA224..SHA512.")] = None,
    auth_key: Annotated[str | None, typer.Option(help="SNMPv3 authentication pass phrase "
                                                      "(8 or more ASCII characters).")] = None,
    priv_proto: Annotated[str | None, typer.Option(help="DES, 3DES, AES, AES192, AES256.")
                          ] = None,
    priv_key: Annotated[str | None, typer.Option(help="SNMPv3 privacy pass phrase (8 or more "
                                                      "ASCII characters).")] = None,
    profile: Annotated[list[str] | None, typer.Option(
        help="Poll profile (repeatable), instead of detecting it: if_mib, entity_sensor, "
             "mikrotik_optical, huawei_optical, cisco_entity_sensor, juniper_dom.")] = None,
    discover: Annotated[bool, typer.Option(help="Read the device now: detect its profiles "
                                                "and discover its interfaces.")] = True,
    group: Annotated[str, typer.Option(help="Poller group: the collectors run with "
                                            "--groups naming it poll the device.")
                     ] = "default",
) -> None:
    """Add a device, detect its poll profiles and discover its interfaces.

    Profiles are chosen from sysObjectID, sysDescr and the tables the agent has (each
    profile's `match` rule); --profile overrides. Credentials are checked first (nothing is
    stored when they are refused), sealed in the store, and never printed or returned.
    """
    from fonet.devices import add_device
    from fonet.pollers import check_group
    from fonet.store import require_current, transaction

    check_group(group)
    eng = engine()
    require_current(eng)
    given = _profiles_option(profile)
    with transaction(eng) as s:
        device = add_device(s, name, host, port=port, site_code=site, community=community,
                            v3_user=v3_user, auth_proto=auth_proto, auth_key=auth_key,
                            priv_proto=priv_proto, priv_key=priv_key,
                            profiles=given or ("if_mib",),
                            detected_by="--profile" if given
                            else t("cli.devices.not_detected", "en"))
        device.poller_group = group
    n = _detect_and_discover(eng, name, detect=given is None) if discover else 0
    err_console.print(tr("cli.devices.added", name=name, host=host, port=port, n=n),
                      highlight=False)


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
        err_console.print(tr("cli.devices.row", name=d["name"], host=d["host"], port=d["port"],
                             version=d["snmp_version"], n=len(d["interfaces"]),
                             profile=d["profile"], by=_detected_by(d["detected_by"]),
                             group=d["group"]),
                          highlight=False)


@devices_app.command("edit")
@handle_errors
def devices_edit(
    name: Annotated[str, typer.Argument(help="Device name.")],
    group: Annotated[str, typer.Option(help="Move the device to this poller group.")],
) -> None:
    """Change a device's settings: its poller group."""
    from fonet.pollers import check_group, set_group
    from fonet.store import require_current, transaction

    check_group(group)
    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        set_group(s, name, group)
    err_console.print(tr("cli.devices.group_set", name=name, group=group), highlight=False)


@devices_app.command("discover")
@handle_errors
def devices_discover(
    name: Annotated[str, typer.Argument(help="Device name.")],
    profile: Annotated[list[str] | None, typer.Option(
        help="Set the poll profile (repeatable) instead of detecting it.")] = None,
) -> None:
    """Detect a device's profiles again (unless they were given) and read its interfaces."""
    from sqlalchemy import select

    from fonet.devices import set_profiles
    from fonet.store import require_current, transaction
    from fonet.store.models import Device

    eng = engine()
    require_current(eng)
    given = _profiles_option(profile)
    with transaction(eng) as s:
        device = s.scalar(select(Device).where(Device.name == name))
        if device is None:
            raise NotFoundError(f"no device named {name!r}")
        if given:
            set_profiles(s, device, given, "--profile")
        detect = given is None and device.detected_by != "--profile"
    n = _detect_and_discover(eng, name, detect=detect)
    err_console.print(tr("cli.devices.discovered", name=name, n=n), highlight=False)


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
    err_console.print(tr("cli.links.attached", link=link, a=a, z=z), highlight=False)


@links_app.command("list")
@handle_errors
def links_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
               ) -> None:
    """List links with their live state and its reasons."""
    from fonet.i18n.keyed import localise
    from fonet.monitoring import link_states
    from fonet.store import reader, require_current

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        states = link_states(s)
    if as_json:
        print_json(states)
        return
    lang = language()
    for name, st in sorted(states.items()):
        reasons = "; ".join(localise(r, "link.reason.", lang) for r in st["reasons"])
        err_console.print(tr("cli.links.row", name=name, state=tr(f"map.state.{st['state']}"),
                             since=st["since"], reasons=reasons), highlight=False)


@handle_errors
def poll(
    once: Annotated[bool, typer.Option("--once", help="Poll every device once and exit.")
                    ] = False,
    device: Annotated[list[str] | None, typer.Option(help="Only this device (repeatable).")
                      ] = None,
    interval_s: Annotated[float, typer.Option("--interval", help="Polling interval in "
                                                                 "seconds (for staleness).")
                          ] = 60.0,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait per answer.",
                                             min=0.01)] = 3.0,
    retries: Annotated[int, typer.Option(help="Re-sends after a timeout.", min=0)] = 2,
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
        status = (tr("cli.poll.ok") if r["reachable"] and not r["error"] else
                  (r["error"] or tr("cli.poll.unreachable")))
        err_console.print(tr("cli.poll.row", name=r["name"], status=status,
                             n=len(r["interfaces"]), seconds=f"{r['seconds']:.3f}"),
                          highlight=False)


@secrets_app.command("rotate")
@handle_errors
def secrets_rotate(
    new_key_file: Annotated[Path | None, typer.Option(
        help="Where to write the new key when the key comes from FONET_SECRET_KEY (then set "
             "the variable to the file's content).")] = None,
) -> None:
    """Seal every stored credential under a new key, then make that key the one in use.

    The new key is written first (KEYFILE.new, mode 0600), the store is re-sealed in one
    transaction, then the new key replaces the old file. Back the new key up; keep the old
    one only as long as store backups sealed with it.
    """
    from fonet.devices import reseal_all
    from fonet.secrets import rotate
    from fonet.store import require_current, transaction

    eng = engine()
    require_current(eng)

    def reseal(old, new) -> int:  # noqa: ANN001
        with transaction(eng) as s:
            return reseal_all(s, old, new)

    count, path = rotate(reseal, new_key_file=new_key_file)
    err_console.print(tr("cli.secrets.rotated", n=count, path=path), highlight=False)


def register(app: typer.Typer) -> None:
    """Add the monitoring commands to ``app``."""
    app.add_typer(devices_app, name="devices")
    app.add_typer(secrets_app, name="secrets")
    app.add_typer(links_app, name="links")
    app.command()(poll)
    from api.cli import collectors_cmd

    collectors_cmd.register(app)
