"""Poll devices: profiles in, :class:`~fonet.telemetry.DevicePoll` out.

A failing device never raises out of :meth:`SnmpClient.poll`: it yields a
``DevicePoll`` with ``reachable=False`` and a readable ``error``; the other
devices are polled as usual. A device that answers but lacks required columns
is ``reachable`` with an ``error`` naming the columns. Concurrency is bounded by
a semaphore, and a :class:`~collectors.backoff.Backoff` makes unreachable
devices wait before they are asked again. Credentials never appear in messages
or logs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from collectors.backoff import Backoff
from collectors.bulk import BulkReader, PollError, scrub
from collectors.decode import build_interfaces
from collectors.detect import Detection, detect
from collectors.profiles import Column, Profile, load_profile, load_profiles
from fonet.errors import DeviceError
from fonet.telemetry import DevicePoll, DeviceTarget, InterfaceSample

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT_S",
    "DeviceUnreachableError",
    "Detection",
    "PollError",
    "SnmpClient",
    "detect_device",
    "discover_interfaces",
    "poll_devices",
    "poll_once",
]

log = logging.getLogger(__name__)

#: Seconds to wait for each answer; see the README ("Timeouts") for the measurement.
DEFAULT_TIMEOUT_S = 3.0
#: Re-sends after a timeout; see the README ("Timeouts").
DEFAULT_RETRIES = 2


class DeviceUnreachableError(DeviceError):
    """Interface discovery could not read the device."""


class SnmpClient(BulkReader):
    """Polls many devices from one SNMP engine in the running event loop.

    Parameters
    ----------
    concurrency : int
        Devices polled at the same time.
    timeout_s : float
        Time to wait for each answer.
    retries : int
        Re-sends after a timeout.
    max_varbinds : int
        Variable bindings asked per GETBULK.
    backoff : Backoff or None
        Failure memory; unreachable devices are skipped until their pause ends.
    """

    def __init__(
        self,
        *,
        concurrency: int = 64,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        max_varbinds: int = 64,
        backoff: Backoff | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        super().__init__(timeout_s=timeout_s, retries=retries, max_varbinds=max_varbinds)
        self.backoff = backoff
        self._concurrency = concurrency
        self._semaphore: asyncio.Semaphore | None = None

    def _started(self) -> None:
        self._semaphore = asyncio.Semaphore(self._concurrency)

    @property
    def _limit(self) -> asyncio.Semaphore:
        """The concurrency limit, made with the engine (see ``_bind``)."""
        if self._semaphore is None:
            raise RuntimeError("the SNMP engine is not bound yet: call _bind() first")
        return self._semaphore

    async def prepare(self, targets: Iterable[DeviceTarget]) -> None:
        """Set every target up in the SNMP engine before the first poll.

        pysnmp rebuilds its community and transport lookup maps whenever a target is added;
        adding them all before polling builds the maps once instead of once per new target,
        which makes the first poll cycle of a few hundred devices several times cheaper.
        SNMPv3 targets are probed for their engine ID here, concurrently. A target that
        cannot be set up (agent down, credentials refused) is left for its first poll,
        which marks that device only: one bad device never stops the others.
        """
        self._bind()

        async def one(target: DeviceTarget) -> None:
            try:
                async with self._limit:
                    await self._address_name(target)
            except Exception as exc:  # noqa: BLE001 - reported by the device's own poll
                log.info("%s (%s): not set up before polling: %s", target.name,
                         target.address, scrub(str(exc), target))

        targets = list(targets)
        for target in targets:
            if target.community is not None:
                await one(target)
        await asyncio.gather(*(one(t) for t in targets if t.community is None))

    async def poll_one(self, target: DeviceTarget) -> DevicePoll:
        """Poll one device; never raises for device faults.

        Parameters
        ----------
        target : DeviceTarget
            Device to poll.

        Returns
        -------
        DevicePoll
            The samples, or ``reachable=False`` with an error message.
        """
        self._bind()
        started = time.perf_counter()
        polled_at = datetime.now(UTC)
        if self.backoff is not None and not self.backoff.due(target.name):
            return DevicePoll(
                name=target.name, reachable=False, skipped=True, seconds=0.0,
                polled_at=polled_at,
                error=(
                    f"{target.name} ({target.address}): skipped, backing off for another "
                    f"{self.backoff.remaining_s(target.name):.0f} s after "
                    f"{self.backoff.failures(target.name)} failed polls"
                ),
            )
        async with self._limit:
            result = await self._poll_device(target, started, polled_at)
        if self.backoff is not None:
            self.backoff.record(target.name, result.reachable)
        return result

    async def _poll_device(
        self, target: DeviceTarget, started: float, polled_at: datetime
    ) -> DevicePoll:
        try:
            profiles = load_profiles(target.profiles)
            columns = [c.oid for p in profiles for c in p.all_columns]
            scalars = [s.oid for p in profiles for s in p.scalars]
            polled_at = datetime.now(UTC)
            rows, values, received = await self.walk(target, columns, scalars)
            extra = self._fallbacks(profiles, rows)
            if extra:
                more, _, count = await self.walk(target, [c.oid for c in extra])
                rows.update(more)
                received += count
            interfaces, problems = build_interfaces(profiles, rows)
        except PollError as exc:
            return self._failed(target, started, polled_at, str(exc))
        except Exception as exc:  # noqa: BLE001 - a device fault must never escape a poll
            message = scrub(f"{type(exc).__name__}: {exc}", target)
            return self._failed(target, started, polled_at, message)
        uptime = next((values.get(s.oid) for p in profiles for s in p.scalars
                       if s.key == "sys_uptime_cs"), None)
        if uptime is None:
            problems.insert(0, "sysUpTime missing from the answer")
        error = None
        if problems:
            error = f"{target.name} ({target.address}): " + "; ".join(problems)
        return DevicePoll(
            name=target.name, reachable=True, error=error,
            seconds=time.perf_counter() - started, polled_at=polled_at,
            sys_uptime_cs=uptime, interfaces=tuple(interfaces), varbinds=received,
        )

    @staticmethod
    def _fallbacks(profiles: Iterable[Profile], rows: dict) -> list[Column]:
        extra = []
        for profile in profiles:
            width = max((len(rows.get(c.oid, ())) for c in profile.columns), default=0)
            for column in profile.columns:
                if column.fallback is not None and len(rows.get(column.oid, ())) < width:
                    extra.append(column.fallback)
        return extra

    @staticmethod
    def _failed(target: DeviceTarget, started: float, polled_at: datetime, why: str) -> DevicePoll:
        message = f"{target.name} ({target.address}): {why}"
        log.info("poll failed: %s", message)
        return DevicePoll(
            name=target.name, reachable=False, error=message,
            seconds=time.perf_counter() - started, polled_at=polled_at,
        )

    async def poll(self, targets: Iterable[DeviceTarget]) -> list[DevicePoll]:
        """Poll devices concurrently, in the order given.

        Parameters
        ----------
        targets : iterable of DeviceTarget
            Devices to poll.

        Returns
        -------
        list of DevicePoll
            One per target, same order.
        """
        return list(await asyncio.gather(*(self.poll_one(t) for t in targets)))

    async def discover(self, target: DeviceTarget) -> list[InterfaceSample]:
        """Read ifName, ifDescr, ifAlias and ifHighSpeed of every interface.

        Parameters
        ----------
        target : DeviceTarget
            Device to read.

        Returns
        -------
        list of InterfaceSample
            Samples with only the naming fields (and speed) filled.

        Raises
        ------
        DeviceUnreachableError
            When the device cannot be read.
        """
        profile = load_profile("if_mib")
        wanted = [c for c in profile.columns if c.key in profile.discovery]
        view = Profile(name="if_mib", description="", index="if_index", columns=tuple(wanted))
        try:
            rows, _, _ = await self.walk(target, [c.oid for c in wanted])
        except PollError as exc:
            raise DeviceUnreachableError(f"{target.name} ({target.address}): {exc}") from None
        samples, _ = build_interfaces([view], rows)
        return samples


async def poll_devices(
    targets: Iterable[DeviceTarget],
    *,
    concurrency: int = 64,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    retries: int = DEFAULT_RETRIES,
    max_varbinds: int = 64,
    backoff: Backoff | None = None,
) -> list[DevicePoll]:
    """Poll devices once with a fresh engine (see :class:`SnmpClient`).

    Parameters
    ----------
    targets : iterable of DeviceTarget
        Devices to poll.
    concurrency, timeout_s, retries, max_varbinds, backoff
        As for :class:`SnmpClient`.

    Returns
    -------
    list of DevicePoll
        One per target, same order.
    """
    client = SnmpClient(
        concurrency=concurrency, timeout_s=timeout_s, retries=retries,
        max_varbinds=max_varbinds, backoff=backoff,
    )
    targets = list(targets)
    try:
        await client.prepare(targets)
        return await client.poll(targets)
    finally:
        client.close()


def poll_once(targets: Iterable[DeviceTarget], **options: Any) -> list[DevicePoll]:
    """Poll devices once from synchronous code (runs its own event loop).

    Parameters
    ----------
    targets : iterable of DeviceTarget
        Devices to poll.
    **options
        Keyword options of :func:`poll_devices`.

    Returns
    -------
    list of DevicePoll
        One per target, same order.
    """
    return asyncio.run(poll_devices(list(targets), **options))


async def detect_device(
    target: DeviceTarget, *, timeout_s: float = DEFAULT_TIMEOUT_S,
    retries: int = DEFAULT_RETRIES,
) -> tuple[Detection, list[InterfaceSample]]:
    """Detect a device's profiles and discover its interfaces with one client.

    Parameters
    ----------
    target : DeviceTarget
        Device to read.
    timeout_s, retries
        As for :class:`SnmpClient`.

    Returns
    -------
    detection : Detection
        The profiles chosen from sysObjectID, sysDescr and the columns present, and why.
    interfaces : list of InterfaceSample
        One per ifIndex (names, aliases, speeds).

    Raises
    ------
    DeviceUnreachableError
        When the device cannot be read.
    """
    client = SnmpClient(timeout_s=timeout_s, retries=retries)
    try:
        try:
            detection = await detect(client, target)
        except PollError as exc:
            raise DeviceUnreachableError(f"{target.name} ({target.address}): {exc}") from None
        return detection, await client.discover(target)
    finally:
        client.close()


async def discover_interfaces(
    target: DeviceTarget, *, timeout_s: float = DEFAULT_TIMEOUT_S,
    retries: int = DEFAULT_RETRIES,
) -> list[InterfaceSample]:
    """Discover the interfaces of one device (names, aliases, speeds).

    Parameters
    ----------
    target : DeviceTarget
        Device to read.
    timeout_s, retries
        As for :class:`SnmpClient`.

    Returns
    -------
    list of InterfaceSample
        One per ifIndex.
    """
    client = SnmpClient(timeout_s=timeout_s, retries=retries)
    try:
        return await client.discover(target)
    finally:
        client.close()
