"""Devices (admin): list, read, add, remove, and set credentials, which are write-only.

A device added without ``profiles`` has them detected from its agent (sysObjectID, sysDescr,
the tables it has), as ``fonet devices add`` does. Credentials are checked before anything is
stored (422 problem details naming the field, never its value) and sealed in the store.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.json_schema import JsonDict
from sqlalchemy import func, select

from api.deps import Admin, Paging, Reader, Store
from api.schemas import DeviceOut, Page
from fonet.devices import (
    add_device,
    check_target,
    device_info,
    set_profiles,
    upsert_interfaces,
)
from fonet.devices import (
    set_credentials as store_credentials,
)
from fonet.errors import InputError, NotFoundError
from fonet.i18n import t
from fonet.pollers import GROUP_PATTERN
from fonet.store import transaction
from fonet.store.models import Device, DeviceSecret
from fonet.store.observed import DeviceStatus

router = APIRouter(tags=["devices"])

WRITE_ONLY: JsonDict = {"writeOnly": True}


def _profiles() -> list[str]:
    from collectors.profiles import PROFILE_DIR

    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


class Credentials(BaseModel):
    """SNMP credentials: a v2c community, or a v3 user with keys. Never returned."""

    model_config = ConfigDict(extra="forbid")

    community: SecretStr | None = Field(default=None, max_length=256,
                                        json_schema_extra=WRITE_ONLY)
    v3_user: str | None = Field(default=None, min_length=1, max_length=128)
    auth_proto: str | None = Field(default=None, max_length=16, examples=["SHA"])
    auth_key: SecretStr | None = Field(default=None, max_length=256,
                                       json_schema_extra=WRITE_ONLY)
    priv_proto: str | None = Field(default=None, max_length=16, examples=["AES"])
    priv_key: SecretStr | None = Field(default=None, max_length=256,
                                       json_schema_extra=WRITE_ONLY)

    def plain(self) -> dict[str, str | None]:
        """Return the credentials as plain strings, for the store."""
        def reveal(v: SecretStr | None) -> str | None:
            return v.get_secret_value() if v is not None else None

        return {"community": reveal(self.community), "v3_user": self.v3_user,
                "auth_proto": self.auth_proto, "auth_key": reveal(self.auth_key),
                "priv_proto": self.priv_proto, "priv_key": reveal(self.priv_key)}


class DeviceIn(Credentials):
    """A new device to poll."""

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      examples=["olt-mojosari"])
    host: str = Field(min_length=1, max_length=256, examples=["10.16.0.1"])
    port: int = Field(default=161, ge=1, le=65535)
    site: str | None = Field(default=None, max_length=64, description="Code of the site the "
                                                                      "device stands at.")
    profiles: list[str] | None = Field(
        default=None, min_length=1, max_length=16,
        description="Poll profiles; detected from the agent when not given.")
    group: str = Field(default="default", pattern=GROUP_PATTERN, examples=["mojosari"],
                       description="Poller group: the collectors serving it poll the device.")


class DeviceChange(BaseModel):
    """Settings of a device that can be changed in place."""

    model_config = ConfigDict(extra="forbid")

    group: str = Field(pattern=GROUP_PATTERN, examples=["mojosari"],
                       description="Move the device to this poller group.")


def _device(session: Any, name: str) -> Device:
    device = session.scalar(select(Device).where(Device.name == name))
    if device is None:
        raise NotFoundError(f"no device named {name!r}")
    return device


def device_out(session: Any, d: Device) -> dict[str, Any]:
    """Return a device as JSON: inventory, credentials set (not their values), status."""
    secret = session.get(DeviceSecret, d.id)
    status = session.get(DeviceStatus, d.id)
    return {"id": d.id, **device_info(d),
            "credentials_set": [k for k in ("community", "auth_key", "priv_key")
                                if secret is not None and getattr(secret, k)],
            "status": None if status is None else {
                "reachable": status.reachable, "error": status.error,
                "polled_at": status.polled_at.isoformat() if status.polled_at else None,
                "seconds": status.seconds, "failures": status.failures}}


@router.get("/devices", summary="List devices (admin)", response_model=Page[DeviceOut])
def list_devices(session: Reader, paging: Paging, _: Admin) -> dict[str, Any]:
    """Devices with interfaces and last poll status; credentials are never returned."""
    total = session.scalar(select(func.count()).select_from(Device)) or 0
    rows = session.scalars(select(Device).order_by(Device.name).limit(paging.limit)
                           .offset(paging.offset))
    return paging.page([device_out(session, d) for d in rows], total)


@router.get("/devices/{name}", summary="One device (admin)", response_model=DeviceOut)
def get_device(name: str, session: Reader, _: Admin) -> dict[str, Any]:
    """Return a device by name."""
    return device_out(session, _device(session, name))


@router.post("/devices", status_code=201, summary="Add a device (admin)",
             response_model=DeviceOut)
async def create_device(body: DeviceIn, engine: Store, request: Request, _: Admin
                        ) -> dict[str, Any]:
    """Add a device with SNMPv2c or SNMPv3 credentials; the collectors start polling it."""
    import asyncio

    from collectors.client import DeviceUnreachableError, detect_device

    known = _profiles()
    given = None
    if body.profiles is not None:
        bad = [p for p in body.profiles if p not in known]
        if bad:
            raise InputError("body.profiles", f"unknown poll profile(s) {', '.join(bad)}; "
                                              f"known: {', '.join(known)}", field="profiles")
        given = ("if_mib", *[p for p in body.profiles if p != "if_mib"])
    credentials: dict[str, Any] = body.plain()
    target = await asyncio.to_thread(
        lambda: check_target(body.name, body.host, body.port, where="request body",
                             **credentials))

    def store() -> None:
        with transaction(engine) as s:
            device = add_device(
                s, body.name, body.host, port=body.port, site_code=body.site,
                profiles=given or ("if_mib",),
                detected_by="--profile" if given else t("cli.devices.not_detected", "en"),
                **body.plain())
            device.poller_group = body.group

    await asyncio.to_thread(store)
    found: list = []
    detection = None
    try:
        collectors = request.app.state.collectors
        detection, found = await detect_device(target, timeout_s=collectors.timeout_s,
                                               retries=collectors.retries)
    except DeviceUnreachableError:
        pass  # the collectors poll it with if_mib; `fonet devices discover` detects later

    def finish() -> dict[str, Any]:
        with transaction(engine) as s:
            device = _device(s, body.name)
            if detection is not None and given is None:
                set_profiles(s, device, detection.profiles, detection.detected_by)
            if found:
                upsert_interfaces(s, device, found)
            s.flush()
            s.refresh(device)
            return device_out(s, device)

    out = await asyncio.to_thread(finish)
    await request.app.state.collectors.reload()
    return out


@router.patch("/devices/{name}", summary="Change a device (admin)", response_model=DeviceOut)
async def change_device(name: str, body: DeviceChange, engine: Store, request: Request,
                        _: Admin) -> dict[str, Any]:
    """Move a device to another poller group (the collectors serving it poll it next cycle)."""
    import asyncio

    from fonet.pollers import set_group

    def change() -> dict[str, Any]:
        with transaction(engine) as s:
            device = set_group(s, name, body.group)
            s.flush()
            return device_out(s, device)

    out = await asyncio.to_thread(change)
    await request.app.state.collectors.reload()
    return out


@router.put("/devices/{name}/credentials", status_code=204, summary="Replace credentials "
                                                                   "(admin)")
async def set_credentials(name: str, body: Credentials, engine: Store, request: Request,
                          _: Admin) -> Response:
    """Replace a device's SNMP credentials (v2c or v3); they are checked, stored, never shown."""
    import asyncio

    def store() -> None:
        with transaction(engine) as s:
            store_credentials(s, _device(s, name), **body.plain())

    await asyncio.to_thread(store)
    await request.app.state.collectors.reload()
    return Response(status_code=204)


@router.delete("/devices/{name}", status_code=204, summary="Remove a device (admin)")
async def delete_device(name: str, engine: Store, request: Request, _: Admin) -> Response:
    """Remove a device, its interfaces, samples and credentials."""
    import asyncio

    def store() -> None:
        with transaction(engine) as s:
            s.delete(_device(s, name))

    await asyncio.to_thread(store)
    await request.app.state.collectors.reload()
    return Response(status_code=204)
