"""Devices, their interfaces and credentials, and the links that interfaces terminate.

Credentials live in their own table (:class:`fonet.store.models.DeviceSecret`), sealed with
the installation's key (:mod:`fonet.secrets`), and leave the store only inside a
:class:`fonet.telemetry.DeviceTarget`, whose ``repr`` hides them. Every check runs before
anything is written: a refused device or credential stores nothing.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.secrets import Sealer, SecretKeyError, sealer
from fonet.store.models import Device, DeviceSecret, Interface, Link, Site
from fonet.telemetry import DeviceTarget, InterfaceSample

log = logging.getLogger(__name__)

#: Credential fields of :func:`add_device` and :func:`set_credentials`.
CREDENTIALS = ("community", "v3_user", "auth_proto", "auth_key", "priv_proto", "priv_key")


def check_host(host: str, port: int, where: str) -> None:
    """Raise :class:`InputError` unless ``host`` resolves to an address (UDP)."""
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "invalid name"
        raise InputError(where, f"host {host!r} does not resolve ({reason})",
                         field="host") from None


def check_target(name: str, host: str, port: int, *, profiles: Sequence[str] = ("if_mib",),
                 where: str | None = None, **credentials: Any) -> DeviceTarget:
    """Build and check a target from user input; :class:`InputError` names what is wrong.

    The message never carries a credential.
    """
    where = where or f"device {name}"
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise InputError(where, f"port {port} out of range 1-65535", field="port")
    try:
        target = DeviceTarget(name=name, host=host, port=port, profiles=tuple(profiles),
                              **credentials)
    except ValueError as exc:
        raise InputError(where, str(exc)) from None
    check_host(host, port, where)
    return target


def _store_secret(session: Session, device: Device, credentials: dict[str, str | None]
                  ) -> None:
    seal = sealer()
    secret = session.get(DeviceSecret, device.id) or DeviceSecret(device_id=device.id)
    secret.community = seal.seal(credentials.get("community"))
    secret.auth_key = seal.seal(credentials.get("auth_key"))
    secret.priv_key = seal.seal(credentials.get("priv_key"))
    session.add(secret)
    device.snmp_version = "3" if credentials.get("v3_user") else "2c"
    device.v3_user = credentials.get("v3_user")
    auth, priv = credentials.get("auth_proto"), credentials.get("priv_proto")
    device.auth_proto = auth.upper() if auth else None
    device.priv_proto = priv.upper() if priv else None


def add_device(
    session: Session,
    name: str,
    host: str,
    *,
    port: int = 161,
    site_code: str | None = None,
    community: str | None = None,
    v3_user: str | None = None,
    auth_proto: str | None = None,
    auth_key: str | None = None,
    priv_proto: str | None = None,
    priv_key: str | None = None,
    profiles: Sequence[str] = ("if_mib",),
    detected_by: str | None = None,
) -> Device:
    """Add a device with SNMPv2c (``community``) or SNMPv3 USM (``v3_user``) credentials.

    Credentials are sealed before they are stored.

    Raises
    ------
    InputError
        A name already used, an unknown site, or credentials the target refuses (both or
        neither kinds, unknown protocols, a protocol without its key, keys shorter than 8
        characters or not ASCII, a community over 255 bytes, a port out of range, a host
        that does not resolve).
    """
    where = f"device {name}"
    if not name or session.scalar(select(Device.id).where(Device.name == name)):
        raise InputError(where, "a device with this name exists already" if name
                         else "empty name", field="name")
    credentials: dict[str, Any] = {
        "community": community, "v3_user": v3_user, "auth_proto": auth_proto,
        "auth_key": auth_key, "priv_proto": priv_proto, "priv_key": priv_key}
    check_target(name, host, port, profiles=profiles, **credentials)
    site_id = None
    if site_code is not None:
        site_id = session.scalar(select(Site.id).where(Site.code == site_code))
        if site_id is None:
            raise InputError(where, f"no site with code {site_code!r}", field="site")
    device = Device(name=name, host=host, port=port, site_id=site_id,
                    profiles=list(profiles), detected_by=detected_by)
    session.add(device)
    session.flush()
    _store_secret(session, device, credentials)
    return device


def set_credentials(session: Session, device: Device, **credentials: Any) -> None:
    """Replace a device's credentials (checked, then sealed); :class:`InputError` if refused."""
    unknown = set(credentials) - set(CREDENTIALS)
    if unknown:
        raise InputError(f"device {device.name}", f"unknown credential fields {sorted(unknown)}")
    full: dict[str, Any] = {k: credentials.get(k) for k in CREDENTIALS}
    try:
        DeviceTarget(name=device.name, host=device.host, port=device.port,
                     profiles=tuple(device.profiles or ("if_mib",)), **full)
    except ValueError as exc:
        raise InputError(f"device {device.name}", str(exc)) from None
    _store_secret(session, device, full)


def set_profiles(session: Session, device: Device, profiles: Sequence[str],
                 detected_by: str | None) -> None:
    """Record the poll profiles chosen for a device and why."""
    device.profiles = list(profiles)
    device.detected_by = detected_by
    session.flush()


def reseal_all(session: Session, old: Sealer, new: Sealer) -> int:
    """Open every stored credential with ``old`` and seal it with ``new``; return how many."""
    count = 0
    for secret in session.scalars(select(DeviceSecret)):
        secret.community = old.reseal(secret.community, new)
        secret.auth_key = old.reseal(secret.auth_key, new)
        secret.priv_key = old.reseal(secret.priv_key, new)
        count += 1
    session.flush()
    return count


def device_target(session: Session, device: Device) -> DeviceTarget:
    """Build the poll target of a device, with its credentials opened.

    Raises
    ------
    InputError
        When the stored credentials fail the checks.
    SecretKeyError
        When the key in use cannot open them.
    """
    secret = session.get(DeviceSecret, device.id)
    seal = sealer()
    what = f"the credentials of device {device.name}"
    try:
        return DeviceTarget(
            name=device.name, host=device.host, port=device.port,
            community=seal.open(secret.community, what) if secret else None,
            v3_user=device.v3_user, auth_proto=device.auth_proto,
            auth_key=seal.open(secret.auth_key, what) if secret else None,
            priv_proto=device.priv_proto,
            priv_key=seal.open(secret.priv_key, what) if secret else None,
            profiles=tuple(device.profiles or ("if_mib",)),
        )
    except ValueError as exc:
        raise InputError(f"device {device.name}", str(exc)) from None


def _faulty(device: Device, why: str) -> DeviceTarget:
    return DeviceTarget(name=device.name, host=device.host or "?", port=device.port or 161,
                        profiles=tuple(device.profiles or ("if_mib",)),
                        fault=f"cannot be polled: {why}")


def device_targets(session: Session, names: Iterable[str] | None = None) -> list[DeviceTarget]:
    """Poll targets of all devices (or the named ones), ordered by name.

    A device whose stored credentials cannot be used (refused by the checks, or sealed with
    another key) gives a target with a ``fault``: its polls fail with that reason, so it is
    marked unreachable and alarmed while every other device polls.
    """
    q = select(Device).order_by(Device.name)
    if names is not None:
        wanted = list(names)
        q = q.where(Device.name.in_(wanted))
    devices = list(session.scalars(q))
    if names is not None:
        missing = set(wanted) - {d.name for d in devices}
        if missing:
            raise NotFoundError(f"no device named {', '.join(sorted(missing))}")
    out = []
    for device in devices:
        try:
            out.append(device_target(session, device))
        except (InputError, SecretKeyError) as exc:
            log.warning("device %s cannot be polled: %s", device.name, exc)
            out.append(_faulty(device, str(exc)))
    return out


def device_info(device: Device) -> dict[str, Any]:
    """Public description of a device (never its credentials)."""
    profiles = list(device.profiles or ["if_mib"])
    main = next((p for p in profiles if p != "if_mib"), "if_mib")
    return {"name": device.name, "host": device.host, "port": device.port,
            "snmp_version": device.snmp_version, "v3_user": device.v3_user,
            "auth_proto": device.auth_proto, "priv_proto": device.priv_proto,
            "site_id": device.site_id, "profile": main, "profiles": profiles,
            "detected_by": device.detected_by, "group": device.poller_group,
            "interfaces": [{"if_index": i.if_index, "name": i.name, "descr": i.descr,
                            "alias": i.alias, "high_speed_mbps": i.high_speed_mbps}
                           for i in sorted(device.interfaces, key=lambda i: i.if_index)]}


def upsert_interfaces(session: Session, device: Device,
                      samples: Iterable[InterfaceSample]) -> dict[int, Interface]:
    """Create or update the device's interfaces from samples; return them by ifIndex."""
    current = {i.if_index: i for i in session.scalars(
        select(Interface).where(Interface.device_id == device.id))}
    for s in samples:
        row = current.get(s.if_index)
        if row is None:
            row = Interface(device_id=device.id, if_index=s.if_index)
            session.add(row)
            current[s.if_index] = row
        for attr in ("name", "descr", "alias", "high_speed_mbps"):
            value = getattr(s, attr)
            if value is not None and getattr(row, attr) != value:
                setattr(row, attr, value)
    session.flush()
    return current


def find_interface(session: Session, ref: str, source: str) -> Interface:
    """Resolve ``DEVICE:IF`` where IF is an ifName, ifDescr or ifIndex."""
    device_name, sep, if_ref = ref.rpartition(":")
    if not sep or not device_name or not if_ref:
        raise InputError(source, f"expected DEVICE:INTERFACE, got {ref!r}")
    device = session.scalar(select(Device).where(Device.name == device_name))
    if device is None:
        raise NotFoundError(f"{source}: no device named {device_name!r}")
    for i in device.interfaces:
        if if_ref in (i.name, i.descr) or (if_ref.isdigit() and i.if_index == int(if_ref)):
            return i
    known = ", ".join(i.name or str(i.if_index) for i in device.interfaces) or "none discovered"
    raise NotFoundError(f"{source}: device {device_name} has no interface {if_ref!r} "
                        f"(known: {known})")


def attach_link(session: Session, link_name: str, a: str, z: str, *,
                create: bool = True) -> Link:
    """Say which interfaces terminate a link (created when missing and ``create``)."""
    link = session.scalar(select(Link).where(Link.name == link_name))
    if link is None:
        if not create:
            raise NotFoundError(f"no link named {link_name!r}")
        link = Link(name=link_name)
        session.add(link)
    ia = find_interface(session, a, "--a")
    iz = find_interface(session, z, "--z")
    if ia.id == iz.id:
        raise InputError("--z", "a link needs two different interfaces")
    link.a_interface_id, link.z_interface_id = ia.id, iz.id
    session.flush()
    return link
