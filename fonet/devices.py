"""Devices, their interfaces and credentials, and the links that interfaces terminate.

Credentials live in their own table (:class:`fonet.store.models.DeviceSecret`) and leave the
store only inside a :class:`fonet.telemetry.DeviceTarget`, whose ``repr`` hides them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fonet.errors import InputError, NotFoundError
from fonet.store.models import Device, DeviceSecret, Interface, Link, Site
from fonet.telemetry import DeviceTarget, InterfaceSample


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
) -> Device:
    """Add a device with SNMPv2c (``community``) or SNMPv3 USM (``v3_user``) credentials.

    Raises
    ------
    InputError
        A name already used, an unknown site, or credentials the target refuses (both or
        neither kinds, unknown protocols, a protocol without its key, a port out of range).
    """
    where = f"device {name}"
    if not name or session.scalar(select(Device.id).where(Device.name == name)):
        raise InputError(where, "a device with this name exists already" if name
                         else "empty name", field="name")
    try:  # the target checks credentials, protocols and port
        DeviceTarget(name=name, host=host, port=port, community=community, v3_user=v3_user,
                     auth_proto=auth_proto, auth_key=auth_key, priv_proto=priv_proto,
                     priv_key=priv_key, profiles=tuple(profiles))
    except ValueError as exc:
        raise InputError(where, str(exc)) from None
    site_id = None
    if site_code is not None:
        site_id = session.scalar(select(Site.id).where(Site.code == site_code))
        if site_id is None:
            raise InputError(where, f"no site with code {site_code!r}", field="site")
    device = Device(name=name, host=host, port=port, site_id=site_id,
                    snmp_version="3" if v3_user else "2c", v3_user=v3_user,
                    auth_proto=auth_proto.upper() if auth_proto else None,
                    priv_proto=priv_proto.upper() if priv_proto else None,
                    profiles=list(profiles))
    session.add(device)
    session.flush()
    session.add(DeviceSecret(device_id=device.id, community=community, auth_key=auth_key,
                             priv_key=priv_key))
    return device


def device_target(session: Session, device: Device) -> DeviceTarget:
    """Build the poll target of a device, with its credentials."""
    secret = session.get(DeviceSecret, device.id)
    try:
        return DeviceTarget(
            name=device.name, host=device.host, port=device.port,
            community=secret.community if secret else None, v3_user=device.v3_user,
            auth_proto=device.auth_proto, auth_key=secret.auth_key if secret else None,
            priv_proto=device.priv_proto, priv_key=secret.priv_key if secret else None,
            profiles=tuple(device.profiles or ("if_mib",)),
        )
    except ValueError as exc:
        raise InputError(f"device {device.name}", str(exc)) from None


def device_targets(session: Session, names: Iterable[str] | None = None) -> list[DeviceTarget]:
    """Poll targets of all devices (or the named ones), ordered by name."""
    q = select(Device).order_by(Device.name)
    if names is not None:
        wanted = list(names)
        q = q.where(Device.name.in_(wanted))
    devices = list(session.scalars(q))
    if names is not None:
        missing = set(wanted) - {d.name for d in devices}
        if missing:
            raise NotFoundError(f"no device named {', '.join(sorted(missing))}")
    return [device_target(session, d) for d in devices]


def device_info(device: Device) -> dict[str, Any]:
    """Public description of a device (never its credentials)."""
    return {"name": device.name, "host": device.host, "port": device.port,
            "snmp_version": device.snmp_version, "v3_user": device.v3_user,
            "auth_proto": device.auth_proto, "priv_proto": device.priv_proto,
            "site_id": device.site_id, "profiles": device.profiles,
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
