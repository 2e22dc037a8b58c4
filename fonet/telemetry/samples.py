"""Plain telemetry records shared by the collectors and the domain.

Nothing here talks SNMP: these are the values a poll produces and the store
persists. Secrets carried by :class:`DeviceTarget` are kept out of ``repr()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fonet.errors import BadInputError

__all__ = [
    "AUTH_PROTOCOLS",
    "PRIV_PROTOCOLS",
    "DevicePoll",
    "DeviceTarget",
    "InterfaceSample",
    "PollMeta",
    "TargetError",
]

#: SNMPv3 authentication protocols accepted by :class:`DeviceTarget`.
AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
#: SNMPv3 privacy protocols accepted by :class:`DeviceTarget`.
PRIV_PROTOCOLS = ("DES", "3DES", "AES", "AES128", "AES192", "AES256")


#: Longest community accepted (SNMP OctetString in practice; net-snmp's limit is 255).
MAX_COMMUNITY_BYTES = 255
#: Shortest SNMPv3 pass phrase (RFC 3414 11.2: at least 8 characters).
MIN_KEY_CHARS = 8
#: Longest SNMPv3 pass phrase accepted.
MAX_KEY_CHARS = 255


class TargetError(BadInputError):
    """A device target is incomplete or inconsistent."""


@dataclass(frozen=True)
class DeviceTarget:
    """One SNMP agent to poll, with its credentials.

    Exactly one of ``community`` (SNMPv2c) or ``v3_user`` (SNMPv3 USM) must be
    given. ``community``, ``auth_key`` and ``priv_key`` never appear in
    ``repr()`` or ``str()``.

    Parameters
    ----------
    name : str
        Device name as known to the inventory (unique).
    host : str
        IP address or host name of the agent.
    port : int
        UDP port of the agent.
    community : str or None
        SNMPv2c community.
    v3_user : str or None
        SNMPv3 user name.
    auth_proto, priv_proto : str or None
        SNMPv3 protocols, one of :data:`AUTH_PROTOCOLS` / :data:`PRIV_PROTOCOLS`.
    auth_key, priv_key : str or None
        SNMPv3 pass phrases.
    profiles : tuple of str
        Names of the poll profiles (``collectors/profiles/*.yaml``) to apply.
    context : str
        SNMPv3 context name.
    fault : str or None
        Why the stored device cannot be polled (e.g. credentials that cannot be unsealed
        or that fail the checks); such a target is not checked, and every poll of it
        fails with this message, so the device is marked and alarmed while the others
        poll.
    """

    name: str
    host: str
    port: int = 161
    community: str | None = field(default=None, repr=False)
    v3_user: str | None = None
    auth_proto: str | None = None
    auth_key: str | None = field(default=None, repr=False)
    priv_proto: str | None = None
    priv_key: str | None = field(default=None, repr=False)
    profiles: tuple[str, ...] = ("if_mib",)
    context: str = ""
    fault: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise TargetError("device target needs a name")
        if isinstance(self.profiles, str):
            object.__setattr__(self, "profiles", (self.profiles,))
        else:
            object.__setattr__(self, "profiles", tuple(self.profiles))
        if self.fault is None:
            self._check()

    def _check(self) -> None:
        if (self.community is None) == (self.v3_user is None):
            raise TargetError(
                f"device {self.name!r}: give either a community (v2c) or a v3_user (v3), "
                "not both or neither"
            )
        if self.auth_proto is not None and self.auth_proto.upper() not in AUTH_PROTOCOLS:
            raise TargetError(
                f"device {self.name!r}: auth_proto {self.auth_proto!r} is not one of "
                f"{', '.join(AUTH_PROTOCOLS)}"
            )
        if self.priv_proto is not None and self.priv_proto.upper() not in PRIV_PROTOCOLS:
            raise TargetError(
                f"device {self.name!r}: priv_proto {self.priv_proto!r} is not one of "
                f"{', '.join(PRIV_PROTOCOLS)}"
            )
        if self.auth_proto and not self.auth_key:
            raise TargetError(f"device {self.name!r}: auth_proto set but auth_key missing")
        if self.priv_proto and not (self.priv_key and self.auth_proto):
            raise TargetError(
                f"device {self.name!r}: priv_proto needs priv_key and an auth_proto"
            )
        if not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise TargetError(f"device {self.name!r}: port {self.port} out of range 1-65535")
        if not self.host or not self.host.strip():
            raise TargetError(f"device {self.name!r}: empty host")
        if self.community is not None:
            size = len(self.community.encode("utf-8"))
            if not 0 < size <= MAX_COMMUNITY_BYTES:
                raise TargetError(
                    f"device {self.name!r}: the community must be 1 to {MAX_COMMUNITY_BYTES} "
                    f"bytes long, got {size}"
                )
        if self.v3_user is not None and not 0 < len(self.v3_user.encode("utf-8")) <= 32:
            raise TargetError(f"device {self.name!r}: the v3 user name must be 1 to 32 bytes "
                              "(RFC 3414 usmUserName)")
        for label, key in (("auth_key", self.auth_key), ("priv_key", self.priv_key)):
            if key is None:
                continue
            if not key.isascii() or not key.isprintable():
                raise TargetError(f"device {self.name!r}: {label} must be printable ASCII")
            if len(key) < MIN_KEY_CHARS:
                raise TargetError(
                    f"device {self.name!r}: {label} is {len(key)} characters long; RFC 3414 "
                    f"needs at least {MIN_KEY_CHARS}"
                )
            if len(key) > MAX_KEY_CHARS:
                raise TargetError(f"device {self.name!r}: {label} is longer than "
                                  f"{MAX_KEY_CHARS} characters")
        if self.auth_key and not self.auth_proto:
            raise TargetError(f"device {self.name!r}: auth_key given without auth_proto")
        if self.priv_key and not self.priv_proto:
            raise TargetError(f"device {self.name!r}: priv_key given without priv_proto")

    @property
    def version(self) -> str:
        """Return ``"v2c"`` or ``"v3"``."""
        return "v2c" if self.community is not None else "v3"

    @property
    def address(self) -> str:
        """Return ``host:port`` (no credentials)."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class InterfaceSample:
    """The state of one interface at one poll.

    Counter values are raw agent counters; rates come from two samples via
    :func:`fonet.telemetry.compute_rates`. Optical power is already scaled to dBm.

    Parameters
    ----------
    if_index : int
        ifIndex.
    name, descr, alias : str or None
        ifName, ifDescr, ifAlias.
    high_speed_mbps : int or None
        ifHighSpeed (Mbit/s).
    speed_bps : int or None
        ifSpeed (bit/s), used where ifHighSpeed is missing.
    oper, admin : str or None
        ifOperStatus / ifAdminStatus as words (``up``, ``down``, ``testing``,
        ``unknown``, ``dormant``, ``notPresent``, ``lowerLayerDown``).
    in_octets, out_octets : int or None
        Octet counters (ifHC* or, as a fallback, the 32-bit ifIn/OutOctets).
    counter_bits : int
        64 or 32: the width of ``in_octets`` / ``out_octets``.
    in_errors, out_errors : int or None
        ifInErrors / ifOutErrors (32-bit counters).
    last_change_cs : int or None
        ifLastChange (sysUpTime, centiseconds, at the last oper change).
    discontinuity_cs : int or None
        ifCounterDiscontinuityTime (centiseconds); a change means the counters
        were reset.
    rx_dbm, tx_dbm : float or None
        Received / transmitted optical power in dBm.
    """

    if_index: int
    name: str | None = None
    descr: str | None = None
    alias: str | None = None
    high_speed_mbps: int | None = None
    speed_bps: int | None = None
    oper: str | None = None
    admin: str | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    counter_bits: int = 64
    in_errors: int | None = None
    out_errors: int | None = None
    last_change_cs: int | None = None
    discontinuity_cs: int | None = None
    rx_dbm: float | None = None
    tx_dbm: float | None = None

    @property
    def label(self) -> str:
        """Return the best human name: ifName, else ifDescr, else the ifIndex."""
        return self.name or self.descr or f"ifIndex {self.if_index}"


@dataclass(frozen=True)
class PollMeta:
    """When a sample was taken, by the collector's clock and by the agent's.

    Parameters
    ----------
    polled_at : datetime
        Collector time (UTC, timezone-aware) when the answer arrived.
    sys_uptime_cs : int or None
        sysUpTime of the agent (centiseconds) in the same answer.
    """

    polled_at: datetime
    sys_uptime_cs: int | None = None


@dataclass(frozen=True)
class DevicePoll:
    """The result of polling one device once.

    Parameters
    ----------
    name : str
        Device name (:attr:`DeviceTarget.name`).
    reachable : bool
        True when the agent answered.
    error : str or None
        A readable message when something went wrong (never holds secrets).
        A reachable device may still carry an error, e.g. a missing column.
    seconds : float
        Wall time the poll took.
    polled_at : datetime
        UTC time of the poll.
    sys_uptime_cs : int or None
        sysUpTime (centiseconds).
    interfaces : tuple of InterfaceSample
        One sample per interface, ordered by ifIndex.
    skipped : bool
        True when the device was not asked at all because it is backing off
        after failures.
    varbinds : int
        Number of variable bindings received.
    """

    name: str
    reachable: bool
    error: str | None
    seconds: float
    polled_at: datetime
    sys_uptime_cs: int | None = None
    interfaces: tuple[InterfaceSample, ...] = ()
    skipped: bool = False
    varbinds: int = 0

    @property
    def meta(self) -> PollMeta:
        """Return the timing metadata used by :func:`fonet.telemetry.compute_rates`."""
        return PollMeta(self.polled_at, self.sys_uptime_cs)

    def interface(self, if_index: int) -> InterfaceSample | None:
        """Return the sample of one ifIndex, or None."""
        for sample in self.interfaces:
            if sample.if_index == if_index:
                return sample
        return None
