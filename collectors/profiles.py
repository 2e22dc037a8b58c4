"""Poll profiles: what to read from an agent, kept as data in ``profiles/*.yaml``.

A profile lists numeric OIDs with their SNMP type and scaling. Three kinds of
row index are known:

``if_index``
    rows are keyed by ifIndex (IF-MIB, JUNIPER-DOM-MIB);
``entity``
    rows are keyed by entPhysicalIndex and tied to interfaces through
    ENTITY-MIB (see ``profiles/entity.yaml``);
``name``
    rows carry a name column matched to ifName / ifDescr (MIKROTIK-MIB).

A profile with a ``sensor`` block reads ENTITY-SENSOR-style tables (type,
scale, precision, value) instead of plain columns.

A ``match`` block says which devices the profile is for, as LibreNMS's OS definitions do
(see :mod:`collectors.detect`)::

    match:
      sys_object_id: [1.3.6.1.4.1.2636]     # sysObjectID under one of these (vendor)
      sys_descr: '(?i)junos'                # or sysDescr matching this pattern
      has: [1.3.6.1.4.1.2636.3.60.1.1.1.1.5]  # and every one of these columns has rows

A rule with only ``has`` matches any device whose agent has those columns (generic MIBs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from fonet.errors import BadInputError
from fonet.telemetry import InterfaceSample

__all__ = [
    "PROFILE_DIR",
    "Column",
    "Profile",
    "ProfileError",
    "MatchRule",
    "SensorSpec",
    "all_profiles",
    "load_profile",
    "load_profiles",
]

PROFILE_DIR = Path(__file__).with_name("profiles")
VALUE_TYPES = (
    "integer", "counter32", "counter64", "gauge32", "timeticks", "string", "oid", "enum",
)
CONVERSIONS = ("none", "uw_to_dbm", "mw_to_dbm")
INDEX_KINDS = ("if_index", "entity", "name")
_OID = re.compile(r"^[0-9]+(\.[0-9]+)+$")
_SAMPLE_FIELDS = {f.name for f in fields(InterfaceSample)} - {"if_index", "counter_bits"}


class ProfileError(BadInputError):
    """A profile file is missing or malformed."""


def _oid(text: Any, where: str) -> tuple[int, ...]:
    value = str(text).strip().lstrip(".")
    if not _OID.match(value):
        raise ProfileError(f"{where}: {text!r} is not a numeric OID")
    return tuple(int(part) for part in value.split("."))


@dataclass(frozen=True)
class Column:
    """One table column (or scalar) to read.

    Parameters
    ----------
    key : str
        Field it fills (an :class:`~fonet.telemetry.InterfaceSample` field, or a
        helper field starting with ``optical_``/``ent_``).
    oid : tuple of int
        Numeric OID of the column (or of the scalar instance).
    type : str
        One of ``VALUE_TYPES``.
    scale : float
        Multiplier applied to numbers.
    convert : str
        Unit conversion after scaling (``uw_to_dbm``, ``mw_to_dbm`` or ``none``).
    enum : dict
        Number-to-word mapping for ``type: enum``.
    required : bool
        Missing rows make the poll carry an error.
    invalid : frozenset of int
        Raw values meaning "no reading".
    fallback : Column or None
        Column to read when this one gives no rows.
    """

    key: str
    oid: tuple[int, ...]
    type: str
    scale: float = 1.0
    convert: str = "none"
    enum: dict[int, str] = field(default_factory=dict)
    required: bool = False
    invalid: frozenset[int] = frozenset()
    fallback: Column | None = None

    @property
    def dotted(self) -> str:
        """Return the OID as dotted text."""
        return ".".join(map(str, self.oid))


@dataclass(frozen=True)
class SensorSpec:
    """Columns and rules of an ENTITY-SENSOR-style table.

    Parameters
    ----------
    type, scale, precision, value, oper_status : Column
        The sensor columns.
    ok_status : int
        ``oper_status`` value of a working sensor.
    units : dict
        Sensor type number to ``watts`` or ``dbm``.
    rx_pattern, tx_pattern : re.Pattern
        Tell Rx from Tx sensors by entity name or description.
    """

    type: Column
    scale: Column
    precision: Column
    value: Column
    oper_status: Column
    ok_status: int
    units: dict[int, str]
    rx_pattern: re.Pattern[str]
    tx_pattern: re.Pattern[str]

    @property
    def columns(self) -> tuple[Column, ...]:
        """Return all sensor columns."""
        return (self.type, self.scale, self.precision, self.value, self.oper_status)


@dataclass(frozen=True)
class MatchRule:
    """Which devices a profile is for (see the module docstring).

    Parameters
    ----------
    sys_object_id : tuple of OID tuples
        sysObjectID prefixes (vendor enterprise subtrees or product OIDs).
    sys_descr : re.Pattern or None
        Pattern searched in sysDescr.
    has : tuple of OID tuples
        Columns that must have at least one row.
    """

    sys_object_id: tuple[tuple[int, ...], ...] = ()
    sys_descr: re.Pattern[str] | None = None
    has: tuple[tuple[int, ...], ...] = ()

    @property
    def generic(self) -> bool:
        """Return True for a rule that names no vendor (only columns)."""
        return not self.sys_object_id and self.sys_descr is None


@dataclass(frozen=True)
class Profile:
    """A named set of things to poll.

    Parameters
    ----------
    name : str
        Profile name (the file stem).
    description : str
        One line on what it reads.
    index : str
        One of ``INDEX_KINDS``.
    columns : tuple of Column
        Table columns.
    scalars : tuple of Column
        Scalar instances (read once per poll).
    match_column : str or None
        For ``index: name``: the column holding the interface name.
    sensor : SensorSpec or None
        Sensor-table description.
    discovery : tuple of str
        Column keys read by interface discovery.
    match : MatchRule or None
        Which devices the profile is detected on (None: never chosen by detection).
    """

    name: str
    description: str
    index: str
    columns: tuple[Column, ...] = ()
    scalars: tuple[Column, ...] = ()
    match_column: str | None = None
    sensor: SensorSpec | None = None
    discovery: tuple[str, ...] = ()
    match: MatchRule | None = None

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """Return every table column, sensor columns included."""
        return self.columns + (self.sensor.columns if self.sensor else ())


def _column(key: str, spec: Any, enums: dict, where: str, *, check_key: bool) -> Column:
    if not isinstance(spec, dict) or "oid" not in spec:
        raise ProfileError(f"{where}: needs a mapping with at least 'oid' and 'type'")
    if check_key and key not in _SAMPLE_FIELDS and not key.startswith(("optical_", "ent_")):
        raise ProfileError(f"{where}: {key!r} is not an interface field")
    kind = spec.get("type")
    if kind not in VALUE_TYPES:
        raise ProfileError(f"{where}: type {kind!r} is not one of {', '.join(VALUE_TYPES)}")
    convert = spec.get("convert", "none")
    if convert not in CONVERSIONS:
        raise ProfileError(f"{where}: convert {convert!r} is not one of {', '.join(CONVERSIONS)}")
    mapping: dict[int, str] = {}
    if kind == "enum":
        name = spec.get("enum")
        if name not in enums:
            raise ProfileError(f"{where}: enum {name!r} is not defined under 'enums'")
        mapping = {int(k): str(v) for k, v in enums[name].items()}
    try:
        scale = float(spec.get("scale", 1.0))
        invalid = frozenset(int(v) for v in spec.get("invalid", ()))
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"{where}: bad scale or invalid list ({exc})") from None
    fallback = None
    if spec.get("fallback") is not None:
        fallback = _column(key, spec["fallback"], enums, f"{where}.fallback", check_key=False)
    return Column(
        key=key,
        oid=_oid(spec["oid"], f"{where}.oid"),
        type=kind,
        scale=scale,
        convert=convert,
        enum=mapping,
        required=bool(spec.get("required", False)),
        invalid=invalid,
        fallback=fallback,
    )


def _sensor(spec: Any, where: str) -> SensorSpec:
    if not isinstance(spec, dict):
        raise ProfileError(f"{where}: must be a mapping")
    cols = {}
    for key in ("type", "scale", "precision", "value", "oper_status"):
        if key not in spec:
            raise ProfileError(f"{where}: missing {key!r}")
        cols[key] = _column(f"sensor_{key}", spec[key], {}, f"{where}.{key}", check_key=False)
    units = {int(k): str(v) for k, v in (spec.get("units") or {}).items()}
    bad = set(units.values()) - {"watts", "dbm"}
    if not units or bad:
        raise ProfileError(f"{where}.units: map sensor types to 'watts' or 'dbm'")
    try:
        rx, tx = re.compile(spec["rx_pattern"]), re.compile(spec["tx_pattern"])
    except (KeyError, re.error) as exc:
        raise ProfileError(f"{where}: rx_pattern/tx_pattern missing or invalid ({exc})") from None
    return SensorSpec(
        ok_status=int(spec.get("ok_status", 1)), units=units, rx_pattern=rx, tx_pattern=tx,
        **cols,
    )


def _match(spec: Any, where: str) -> MatchRule:
    if not isinstance(spec, dict) or not set(spec) <= {"sys_object_id", "sys_descr", "has"}:
        raise ProfileError(f"{where}: a mapping of sys_object_id, sys_descr and has")
    prefixes = tuple(_oid(o, f"{where}.sys_object_id") for o in spec.get("sys_object_id") or ())
    has = tuple(_oid(o, f"{where}.has") for o in spec.get("has") or ())
    pattern = None
    if spec.get("sys_descr") is not None:
        try:
            pattern = re.compile(str(spec["sys_descr"]))
        except re.error as exc:
            raise ProfileError(f"{where}.sys_descr: invalid pattern ({exc})") from None
    if not prefixes and pattern is None and not has:
        raise ProfileError(f"{where}: give sys_object_id, sys_descr or has")
    return MatchRule(sys_object_id=prefixes, sys_descr=pattern, has=has)


def parse_profile(data: Any, source: str) -> Profile:
    """Build a :class:`Profile` from parsed YAML.

    Parameters
    ----------
    data : Any
        The document.
    source : str
        File name used in error messages.

    Returns
    -------
    Profile
        The validated profile.
    """
    if not isinstance(data, dict) or "name" not in data:
        raise ProfileError(f"{source}: a profile is a mapping with a 'name'")
    index = data.get("index")
    if index not in INDEX_KINDS:
        raise ProfileError(f"{source}: index {index!r} is not one of {', '.join(INDEX_KINDS)}")
    enums = data.get("enums") or {}
    columns = tuple(
        _column(k, v, enums, f"{source}: columns.{k}", check_key=True)
        for k, v in (data.get("columns") or {}).items()
    )
    scalars = tuple(
        _column(k, v, enums, f"{source}: scalars.{k}", check_key=False)
        for k, v in (data.get("scalars") or {}).items()
    )
    sensor = _sensor(data["sensor"], f"{source}: sensor") if "sensor" in data else None
    if not columns and sensor is None and not scalars:
        raise ProfileError(f"{source}: no columns, scalars or sensor to poll")
    keys = {c.key for c in columns}
    match_column = data.get("match_column")
    if index == "name" and match_column not in keys:
        raise ProfileError(f"{source}: index 'name' needs match_column naming one of its columns")
    discovery = tuple(data.get("discovery") or ())
    unknown = set(discovery) - keys
    if unknown:
        raise ProfileError(f"{source}: discovery names unknown columns {sorted(unknown)}")
    match = _match(data["match"], f"{source}: match") if data.get("match") else None
    return Profile(
        name=str(data["name"]),
        description=str(data.get("description", "")),
        index=index,
        columns=columns,
        scalars=scalars,
        match_column=match_column,
        sensor=sensor,
        discovery=discovery,
        match=match,
    )


@lru_cache(maxsize=64)
def load_profile(name: str, directory: Path | None = None) -> Profile:
    """Load one profile by name from ``directory`` (default: the bundled profiles).

    Parameters
    ----------
    name : str
        File stem, e.g. ``"if_mib"``.
    directory : Path or None
        Folder holding ``<name>.yaml``.

    Returns
    -------
    Profile
        The validated profile.
    """
    folder = directory or PROFILE_DIR
    path = folder / f"{name}.yaml"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not path.is_file():
        raise ProfileError(f"profile {name!r}: no file {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML ({exc})") from None
    profile = parse_profile(data, str(path))
    if profile.name != name:
        raise ProfileError(f"{path}: name {profile.name!r} differs from the file name")
    return profile


def load_profiles(names: tuple[str, ...], directory: Path | None = None) -> tuple[Profile, ...]:
    """Load several profiles, adding ``if_mib`` and ``entity`` where needed.

    ``if_mib`` is always polled (it defines the interfaces), and ``entity`` is
    added when a profile is indexed by entPhysicalIndex.

    Parameters
    ----------
    names : tuple of str
        Profile names.
    directory : Path or None
        Folder of the profile files.

    Returns
    -------
    tuple of Profile
        ``if_mib`` first, then the others in the given order, without repeats.
    """
    ordered = ["if_mib", *[n for n in names if n not in ("if_mib", "entity")]]
    profiles = [load_profile(n, directory) for n in ordered]
    if any(p.index == "entity" for p in profiles):
        profiles.append(load_profile("entity", directory))
    return tuple(profiles)


def all_profiles(directory: Path | None = None) -> tuple[Profile, ...]:
    """Load every profile of ``directory`` (default: the bundled ones), sorted by name."""
    folder = directory or PROFILE_DIR
    return tuple(load_profile(p.stem, directory) for p in sorted(folder.glob("*.yaml")))
