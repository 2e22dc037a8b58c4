"""Multi-column GETBULK reads on pysnmp 7 (asyncio, one engine per event loop).

The pysnmp command generator is driven directly with numeric OIDs (no MIB
look-ups), which keeps client CPU per variable binding low. Each target is
configured in the engine once and reused. Columns that end drop out of the
next request; the last request is sized from the row count seen last time.
Error messages never carry credentials.
"""

from __future__ import annotations

import asyncio
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
        self, *, timeout_s: float = 1.0, retries: int = 1, max_varbinds: int = 64
    ) -> None:
        if timeout_s <= 0 or retries < 0 or max_varbinds < 2:
            raise ValueError("timeout_s > 0, retries >= 0 and max_varbinds >= 2 are required")
        self.timeout_s = timeout_s
        self.retries = retries
        self.max_varbinds = max_varbinds
        self._engine: SnmpEngine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._targets: dict[DeviceTarget, str] = {}
        # Rows seen per (device, column set) last time: sizes the next GETBULK so
        # the last request does not overshoot the end of the table much.
        self._row_hint: dict[tuple, int] = {}

    # -- engine and targets -------------------------------------------------
    def _bind(self) -> SnmpEngine:
        loop = asyncio.get_running_loop()
        if self._engine is None:
            self._engine, self._loop = SnmpEngine(), loop
            self._started()
        elif self._loop is not loop:
            raise RuntimeError("a BulkReader serves one event loop; create one per loop")
        return self._engine

    def _started(self) -> None:
        """Set up what needs the running loop, once the engine exists."""

    async def _address_name(self, target: DeviceTarget) -> str:
        name = self._targets.get(target)
        if name is not None:
            return name
        engine = self._bind()
        transport = await UdpTransportTarget.create(
            (target.host, target.port), timeout=self.timeout_s, retries=self.retries
        )
        if target.community is not None:
            auth = hlauth.CommunityData(target.community, mpModel=1)
        else:
            auth = hlauth.UsmUserData(
                target.v3_user,
                authKey=target.auth_key,
                privKey=target.priv_key,
                authProtocol=_AUTH[target.auth_proto.upper()] if target.auth_proto else None,
                privProtocol=_PRIV[target.priv_proto.upper()] if target.priv_proto else None,
            )
        name, _params = _LCD.configure(engine, auth, transport, target.context.encode())
        self._targets[target] = name
        return name

    def close(self) -> None:
        """Release the UDP socket of the engine."""
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
            self._targets.clear()
            self._row_hint.clear()

    # -- requests -----------------------------------------------------------
    async def _bulk(
        self, target: DeviceTarget, non_repeaters: int, max_rep: int, oids: Sequence[tuple]
    ) -> list[tuple[tuple[int, ...], Any]]:
        engine = self._bind()
        addr = await self._address_name(target)
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
