"""Multi-column GETBULK reads on pysnmp 7 (asyncio, one engine per event loop).

The pysnmp command generator is driven directly with numeric OIDs (no MIB
look-ups), which keeps client CPU per variable binding low. Each target is
configured in the engine once and reused. Columns that end drop out of the
next request; the last request is sized from the row count seen last time.
Error messages never carry credentials.

SNMPv3 users are kept per agent: pysnmp's LCD holds one USM row per (authoritative
engine ID, user name), and a row registered without an engine ID is a template every
agent's keys are localised from, so two devices sharing a user name with different keys
would overwrite each other ("Wrong SNMP PDU digest"). Each v3 target is therefore
first probed for its authoritative engine ID (RFC 3414 discovery, an unauthenticated
request that the agent answers with a Report carrying its ID), and its user is
registered under that ID. Two agents that also share an engine ID (cloned
configurations) but differ in keys are served by a second engine in the same loop.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import auth as hlauth
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.hlapi.v3arch.asyncio.transport import UdpTransportTarget
from pysnmp.proto.rfc1902 import Null, ObjectName
from pysnmp.proto.rfc1905 import EndOfMibView

from fonet.errors import DeviceError
from fonet.telemetry import DeviceTarget

__all__ = ["BulkReader", "PollError", "plain", "scrub"]

_AUTH = {
    "MD5": hlauth.USM_AUTH_HMAC96_MD5,
    "SHA": hlauth.USM_AUTH_HMAC96_SHA,
    "SHA224": hlauth.USM_AUTH_HMAC128_SHA224,
    "SHA256": hlauth.USM_AUTH_HMAC192_SHA256,
    "SHA384": hlauth.USM_AUTH_HMAC256_SHA384,
    "SHA512": hlauth.USM_AUTH_HMAC384_SHA512,
}
_PRIV = {
    "DES": hlauth.USM_PRIV_CBC56_DES,
    "3DES": hlauth.USM_PRIV_CBC168_3DES,
    "AES": hlauth.USM_PRIV_CFB128_AES,
    "AES128": hlauth.USM_PRIV_CFB128_AES,
    "AES192": hlauth.USM_PRIV_CFB192_AES,
    "AES256": hlauth.USM_PRIV_CFB256_AES,
}
_NULL = Null("")
_LCD = CommandGeneratorLcdConfigurator()
_BULK = cmdgen.BulkCommandGeneratorSingleRun()
_MAX_ROUNDS = 2000
_GET = cmdgen.GetCommandGenerator()
_SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
#: USM user name of the engine-ID probe; agents answer it with a Report (RFC 3414 4.).
PROBE_USER = "fonet-engine-id-probe"


class PollError(DeviceError):
    """A device could not be read (message is safe to show)."""


def plain(value: Any) -> Any:
    """Return an int, bytes or OID tuple for a pysnmp value (None for exceptions)."""
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.OctetString):
        return value.asOctets()
    if isinstance(value, univ.ObjectIdentifier):
        return tuple(value)
    return None


def scrub(text: str, target: DeviceTarget) -> str:
    """Replace any credential of ``target`` found in ``text`` by ``***``."""
    for secret in (target.community, target.auth_key, target.priv_key):
        if secret:
            text = text.replace(secret, "***")
    return text


class BulkReader:
    """Reads columns from many devices through one :class:`SnmpEngine`.

    Parameters
    ----------
    timeout_s : float
        Time to wait for each answer.
    retries : int
        Re-sends after a timeout.
    max_varbinds : int
        Variable bindings asked per GETBULK (non-repeaters + repetitions x columns).
    """

    def __init__(
        self, *, timeout_s: float = 3.0, retries: int = 2, max_varbinds: int = 64
    ) -> None:
        if timeout_s <= 0 or retries < 0 or max_varbinds < 2:
            raise ValueError("timeout_s > 0, retries >= 0 and max_varbinds >= 2 are required")
        self.timeout_s = timeout_s
        self.retries = retries
        self.max_varbinds = max_varbinds
        self._engine: SnmpEngine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engines: list[SnmpEngine] = []
        self._slots: list[dict[tuple, bytes]] = []
        self._targets: dict[DeviceTarget, tuple[SnmpEngine, str]] = {}
        # (transport domain, address) of each v3 target: pysnmp's engine-ID cache key.
        self._addresses: dict[DeviceTarget, tuple] = {}
        # Rows seen per (device, column set) last time: sizes the next GETBULK so
        # the last request does not overshoot the end of the table much.
        self._row_hint: dict[tuple, int] = {}

    # -- engine and targets -------------------------------------------------
    def _bind(self) -> SnmpEngine:
        loop = asyncio.get_running_loop()
        if self._engine is None:
            self._engine, self._loop = SnmpEngine(), loop
            self._engines = [self._engine]
            self._slots = [{}]
            self._started()
        elif self._loop is not loop:
            raise RuntimeError("a BulkReader serves one event loop; create one per loop")
        return self._engine

    def _started(self) -> None:
        """Set up what needs the running loop, once the engine exists."""

    @property
    def engines(self) -> int:
        """Return how many SNMP engines the reader runs.

        More than one only for v3 users that share a name and an agent engine ID but not
        their keys.
        """
        return len(self._engines)

    async def engine_id(self, target: DeviceTarget) -> bytes:
        """Return the authoritative SNMP engine ID of a v3 agent (RFC 3414 discovery).

        Raises
        ------
        PollError
            When the agent does not answer the discovery.
        """
        engine = self._bind()
        transport = await self._transport(target)
        addr, _ = _LCD.configure(engine, hlauth.UsmUserData(PROBE_USER), transport,
                                 target.context.encode())
        future = asyncio.get_running_loop().create_future()

        def done(_engine, _handle, indication, _status, _index, _binds, _ctx):
            if not future.done():
                future.set_result(indication)

        _GET.send_varbinds(engine, addr, None, target.context.encode(),
                           [(ObjectName(_SYS_UPTIME), _NULL)], done)
        guard = self.timeout_s * (self.retries + 1) + 5.0
        try:
            await asyncio.wait_for(future, guard)
        except TimeoutError:
            pass
        mp = engine.message_processing_subsystems[3]
        self._addresses[target] = transport.get_transport_info()
        found = mp.get_peer_engine_info(*transport.get_transport_info())[0]
        if not found:
            raise PollError(
                f"no SNMPv3 engine ID discovered within {self.timeout_s:g} s after "
                f"{self.retries + 1} tries (agent down or filtered, or not an SNMPv3 agent)"
            )
        return bytes(found)

    async def _transport(self, target: DeviceTarget) -> UdpTransportTarget:
        try:
            return await UdpTransportTarget.create(
                (target.host, target.port), timeout=self.timeout_s, retries=self.retries
            )
        except Exception as exc:  # noqa: BLE001 - name resolution and socket errors
            raise PollError(f"cannot address the agent: {scrub(str(exc), target)}") from None

    def _slot(self, target: DeviceTarget, engine_id: bytes) -> SnmpEngine:
        """Return the engine holding this v3 user for this agent engine ID."""
        key = (target.v3_user, engine_id)
        fingerprint = hashlib.sha256("\0".join(
            str(v) for v in (target.auth_proto, target.auth_key, target.priv_proto,
                             target.priv_key)).encode()).digest()
        for engine, users in zip(self._engines, self._slots, strict=True):
            if users.get(key, fingerprint) == fingerprint:
                users[key] = fingerprint
                return engine
        engine = SnmpEngine()
        self._engines.append(engine)
        self._slots.append({key: fingerprint})
        return engine

    async def _address_name(self, target: DeviceTarget) -> tuple[SnmpEngine, str]:
        known = self._targets.get(target)
        if known is not None:
            return known
        if target.fault:
            raise PollError(target.fault)
        engine = self._bind()
        if target.community is not None:
            auth = hlauth.CommunityData(target.community, mpModel=1)
        else:
            engine_id = await self.engine_id(target)
            engine = self._slot(target, engine_id)
            auth = hlauth.UsmUserData(
                target.v3_user,
                authKey=target.auth_key,
                privKey=target.priv_key,
                authProtocol=_AUTH[target.auth_proto.upper()] if target.auth_proto else None,
                privProtocol=_PRIV[target.priv_proto.upper()] if target.priv_proto else None,
                securityEngineId=engine_id,
            )
        transport = await self._transport(target)
        try:
            name, _params = _LCD.configure(engine, auth, transport, target.context.encode())
        except Exception as exc:  # noqa: BLE001 - pysnmp refuses keys or protocols
            raise PollError(f"SNMP credentials refused: {scrub(str(exc), target)}") from None
        self._targets[target] = (engine, name)
        return engine, name

    def forget(self, target: DeviceTarget) -> None:
        """Drop a target's configuration so the next poll sets it up (and probes) again.

        For v3, the engine ID pysnmp remembers for the agent's address is dropped too (it
        would otherwise be reused for five minutes): an agent replaced behind its address,
        with a new engine ID, is discovered again at the next poll.
        """
        self._targets.pop(target, None)
        where = self._addresses.pop(target, None)
        if where is None:
            return
        for engine in self._engines:
            mp = engine.message_processing_subsystems.get(3)
            cache = getattr(mp, "_SnmpV3MessageProcessingModel__engineIdCache", None)
            if isinstance(cache, dict):
                cache.pop(where, None)

    def close(self) -> None:
        """Release the UDP sockets of the engines."""
        for engine in self._engines:
            engine.close_dispatcher()
        self._engine = None
        self._engines = []
        self._slots = []
        self._targets.clear()
        self._addresses.clear()
        self._row_hint.clear()

    # -- requests -----------------------------------------------------------
    async def _bulk(
        self, target: DeviceTarget, non_repeaters: int, max_rep: int, oids: Sequence[tuple]
    ) -> list[tuple[tuple[int, ...], Any]]:
        engine, addr = await self._address_name(target)
        future = asyncio.get_running_loop().create_future()

        def done(_engine, _handle, indication, status, index, var_binds, _ctx):
            if not future.done():
                future.set_result((indication, status, index, var_binds))

        _BULK.send_varbinds(
            engine, addr, None, target.context.encode(), non_repeaters, max_rep,
            [(ObjectName(oid), _NULL) for oid in oids], done,
        )
        guard = self.timeout_s * (self.retries + 1) + 5.0
        try:
            indication, status, index, var_binds = await asyncio.wait_for(future, guard)
        except TimeoutError:
            raise PollError(f"no answer within {guard:.1f} s") from None
        if indication:
            text = str(indication)
            if target.version == "v3":
                self.forget(target)  # the agent may have a new engine ID: probe again
            if "timed out" in text.lower() or "timeout" in text.lower():
                raise PollError(
                    f"no valid SNMP answer within {self.timeout_s:g} s after "
                    f"{self.retries + 1} tries (agent down or filtered, wrong community or "
                    "credentials, or malformed replies)"
                )
            raise PollError(f"SNMP error: {scrub(text, target)}")
        if status:
            pretty = status.prettyPrint() if hasattr(status, "prettyPrint") else str(status)
            raise PollError(f"agent answered {pretty} (error index {int(index)})")
        return [(tuple(name), value) for name, value in var_binds]

    async def walk(
        self,
        target: DeviceTarget,
        columns: Sequence[tuple[int, ...]],
        scalars: Sequence[tuple[int, ...]] = (),
    ) -> tuple[dict, dict, int]:
        """Read whole columns (and scalar instances) with multi-column GETBULK.

        Parameters
        ----------
        target : DeviceTarget
            Device to read.
        columns : sequence of tuple
            Column OIDs.
        scalars : sequence of tuple
            Scalar instance OIDs (e.g. sysUpTime.0), sent as non-repeaters.

        Returns
        -------
        rows : dict
            Column OID to {row index: plain value}.
        scalar_values : dict
            Scalar OID to plain value (missing ones absent).
        varbinds : int
            Number of variable bindings received.
        """
        rows: dict[tuple, dict] = {c: {} for c in columns}
        last = {c: c for c in columns}
        values: dict[tuple, Any] = {}
        active = list(dict.fromkeys(columns))
        pending_scalars = list(scalars)
        received = 0
        hint_key = (target.name, tuple(active))
        hint = self._row_hint.get(hint_key)
        for _round in range(_MAX_ROUNDS):
            if not active and not pending_scalars:
                self._row_hint[hint_key] = max((len(r) for r in rows.values()), default=0)
                return rows, values, received
            asked = [s[:-1] for s in pending_scalars]
            width = max(1, len(active))
            max_rep = max(1, (self.max_varbinds - len(asked)) // width) if active else 0
            if hint is not None and active:
                # Expected rows left, plus one to see the end of each column.
                left = hint - min(len(rows[c]) for c in active) + 1
                max_rep = max(1, min(max_rep, left))
            answer = await self._bulk(
                target, len(asked), max_rep, asked + [last[c] for c in active]
            )
            received += len(answer)
            for oid, (name, value) in zip(pending_scalars, answer[: len(asked)], strict=False):
                if name == oid:
                    values[oid] = plain(value)
            pending_scalars = []
            repeats = answer[len(asked):]
            if active and not repeats:
                raise PollError("agent answered a GETBULK without any variable binding")
            finished: set[tuple] = set()
            for position, (name, value) in enumerate(repeats):
                column = active[position % width]
                if column in finished:
                    continue
                size = len(column)
                if (
                    len(name) <= size
                    or name[:size] != column
                    or isinstance(value, EndOfMibView)
                ):
                    finished.add(column)
                    continue
                if name <= last[column]:
                    raise PollError(
                        f"agent returned OIDs out of order in column {'.'.join(map(str, column))}"
                    )
                rows[column][name[size:]] = plain(value)
                last[column] = name
            active = [c for c in active if c not in finished]
        raise PollError(f"tables too long: still reading after {_MAX_ROUNDS} requests")

    # -- devices ------------------------------------------------------------
