"""Turn raw column rows into :class:`~fonet.telemetry.InterfaceSample` records.

Input is what the walker collected: for each column OID, a mapping from the
row index (the OID suffix, a tuple of ints) to a plain Python value (int,
bytes, tuple for OIDs, or None). Nothing here imports pysnmp.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from collectors.profiles import Column, Profile, SensorSpec
from fonet.telemetry import InterfaceSample

__all__ = ["IF_INDEX_OID", "EntityMap", "build_interfaces", "convert_value", "sensor_dbm"]

Rows = Mapping[tuple[int, ...], Mapping[tuple[int, ...], Any]]
#: ifIndex column; entAliasMappingIdentifier values point below it.
IF_INDEX_OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)
_MAX_PARENT_HOPS = 4


def convert_value(column: Column, raw: Any) -> Any:
    """Convert one raw value according to its column's type and scaling.

    Parameters
    ----------
    column : Column
        Column description.
    raw : Any
        int, bytes, tuple (OID) or None.

    Returns
    -------
    Any
        str for strings, tuple for OIDs, the enum word, int or float for
        numbers, or None when absent, invalid or of the wrong type.
    """
    if raw is None:
        return None
    kind = column.type
    if kind == "string":
        if isinstance(raw, bytes | bytearray):
            return bytes(raw).rstrip(b"\x00").decode("utf-8", "replace")
        return None
    if kind == "oid":
        return raw if isinstance(raw, tuple) else None
    if not isinstance(raw, int):
        return None
    if kind == "enum":
        return column.enum.get(raw, str(raw))
    if raw in column.invalid:
        return None
    value: float | int = raw * column.scale if column.scale != 1.0 else raw
    if column.convert == "uw_to_dbm":
        return 10.0 * math.log10(value / 1000.0) if value > 0 else None
    if column.convert == "mw_to_dbm":
        return 10.0 * math.log10(value) if value > 0 else None
    return value


def sensor_dbm(unit: str, value: int, scale: int, precision: int) -> float | None:
    """Return an ENTITY-SENSOR reading as dBm.

    Parameters
    ----------
    unit : str
        ``"watts"`` or ``"dbm"``.
    value : int
        entPhySensorValue.
    scale : int
        EntitySensorDataScale (9 = units, 8 = milli, 7 = micro, ...).
    precision : int
        Number of decimal places.

    Returns
    -------
    float or None
        Power in dBm; None for zero or negative watts (no light).
    """
    base = value * 10.0 ** (3 * (scale - 9)) / 10.0**precision
    if unit == "dbm":
        return base
    return 10.0 * math.log10(base * 1000.0) if base > 0 else None


class EntityMap:
    """Ties entPhysicalIndex values to ifIndex (see ``profiles/entity.yaml``).

    Parameters
    ----------
    profile : Profile
        The ``entity`` profile.
    rows : Mapping
        Walked rows.
    interfaces : Mapping
        ifIndex to partially built interface fields (for name matching).
    """

    def __init__(self, profile: Profile, rows: Rows, interfaces: Mapping[int, dict]) -> None:
        cols = {c.key: c for c in profile.columns}
        self.names = _column_values(cols["ent_name"], rows)
        self.descrs = _column_values(cols["ent_descr"], rows)
        self.parents = _column_values(cols["ent_contained_in"], rows)
        self.aliases: dict[int, int] = {}
        for index, raw in rows.get(cols["ent_alias"].oid, {}).items():
            target = convert_value(cols["ent_alias"], raw)
            if target and len(target) == len(IF_INDEX_OID) + 1 and target[:-1] == IF_INDEX_OID:
                self.aliases.setdefault(index[0], target[-1])
        self._by_name: list[tuple[str, int]] = []
        for if_index, fields in interfaces.items():
            for key in ("name", "descr"):
                if fields.get(key):
                    self._by_name.append((fields[key].lower(), if_index))
        self._by_name.sort(key=lambda item: -len(item[0]))

    def if_index(self, entity: int) -> int | None:
        """Return the ifIndex an entity belongs to, or None."""
        chain = [entity]
        for _ in range(_MAX_PARENT_HOPS):
            parent = self.parents.get((chain[-1],))
            if not parent or parent in chain:
                break
            chain.append(parent)
        for node in chain:
            if node in self.aliases:
                return self.aliases[node]
        for node in chain:
            name = (self.names.get((node,)) or "").lower()
            for if_name, if_index in self._by_name:
                if name.startswith(if_name) and (
                    len(name) == len(if_name) or not name[len(if_name)].isalnum()
                ):
                    return if_index
        return None


def _column_values(column: Column, rows: Rows) -> dict[tuple[int, ...], Any]:
    return {
        index: convert_value(column, raw) for index, raw in rows.get(column.oid, {}).items()
    }


def _fill_if_mib(profile: Profile, rows: Rows, interfaces: dict, problems: list[str]) -> None:
    for column in profile.columns:
        values = _column_values(column, rows)
        fallback = _column_values(column.fallback, rows) if column.fallback else {}
        if column.required and not values and not fallback:
            oids = column.dotted + (f" or {column.fallback.dotted}" if column.fallback else "")
            problems.append(f"{profile.name}: column {column.key} ({oids}) returned no rows")
        for (if_index, *rest), value in values.items():
            if not rest:
                interfaces.setdefault(if_index, {})[column.key] = value
        for (if_index, *rest), value in fallback.items():
            if not rest:
                interfaces.setdefault(if_index, {}).setdefault(f"_32_{column.key}", value)
    for fields in interfaces.values():
        hc = fields.get("in_octets") is not None and fields.get("out_octets") is not None
        if not hc and ("_32_in_octets" in fields or "_32_out_octets" in fields):
            fields["in_octets"] = fields.get("_32_in_octets")
            fields["out_octets"] = fields.get("_32_out_octets")
            fields["counter_bits"] = 32
        else:
            fields["counter_bits"] = 64


def _merge(interfaces: dict, if_index: int | None, key: str, value: Any) -> None:
    if if_index is not None and if_index in interfaces and value is not None:
        interfaces[if_index][key] = value


def _fill_other(
    profile: Profile, rows: Rows, interfaces: dict, entities: EntityMap | None
) -> None:
    if profile.sensor is not None:
        _fill_sensors(profile.sensor, rows, interfaces, entities)
        return
    by_name: dict[str, int] = {}
    if profile.index == "name":
        for key in ("descr", "name"):  # ifName wins over ifDescr
            for if_index, fields in interfaces.items():
                if fields.get(key):
                    by_name[fields[key]] = if_index
        names = _column_values(next(c for c in profile.columns if c.key == profile.match_column),
                               rows)
    for column in profile.columns:
        if column.key == profile.match_column or column.key.startswith(("optical_", "ent_")):
            continue
        for index, value in _column_values(column, rows).items():
            if profile.index == "if_index":
                target = index[0] if len(index) == 1 else None
            elif profile.index == "entity":
                target = entities.if_index(index[0]) if entities and len(index) == 1 else None
            else:
                target = by_name.get(names.get(index) or "")
            _merge(interfaces, target, column.key, value)


def _fill_sensors(
    spec: SensorSpec, rows: Rows, interfaces: dict, entities: EntityMap | None
) -> None:
    types, scales, precisions, values, status = (
        _column_values(c, rows) for c in spec.columns
    )
    for index, value in values.items():
        sensor_type = types.get(index)
        unit = spec.units.get(sensor_type) if sensor_type is not None else None
        if unit is None or value is None or len(index) != 1 or entities is None:
            continue
        if status.get(index) not in (None, spec.ok_status):
            continue
        key = None
        # entPhysicalName decides; entPhysicalDescr only when the name says nothing.
        for text in (entities.names.get(index), entities.descrs.get(index)):
            if text and spec.rx_pattern.search(text):
                key = "rx_dbm"
            elif text and spec.tx_pattern.search(text):
                key = "tx_dbm"
            if key:
                break
        if key is None:
            continue
        dbm = sensor_dbm(unit, value, scales.get(index) or 9, precisions.get(index) or 0)
        _merge(interfaces, entities.if_index(index[0]), key, dbm)


def build_interfaces(
    profiles: Iterable[Profile], rows: Rows
) -> tuple[list[InterfaceSample], list[str]]:
    """Assemble interface samples from walked rows.

    Parameters
    ----------
    profiles : iterable of Profile
        Profiles that were polled, ``if_mib`` first.
    rows : Mapping
        Column OID to {row index: raw value}.

    Returns
    -------
    samples : list of InterfaceSample
        One per ifIndex, sorted.
    problems : list of str
        Readable notes on missing required data.
    """
    profiles = list(profiles)
    interfaces: dict[int, dict] = {}
    problems: list[str] = []
    for profile in profiles:
        if profile.name == "if_mib":
            _fill_if_mib(profile, rows, interfaces, problems)
    entity_profile = next((p for p in profiles if p.name == "entity"), None)
    entities = EntityMap(entity_profile, rows, interfaces) if entity_profile else None
    for profile in profiles:
        if profile.name not in ("if_mib", "entity"):
            _fill_other(profile, rows, interfaces, entities)
    for if_index, fields in interfaces.items():  # ifName, else ifDescr, else the ifIndex
        if not fields.get("name"):
            fields["name"] = fields.get("descr") or str(if_index)
    allowed = {"name", "descr", "alias", "high_speed_mbps", "speed_bps", "oper", "admin",
               "in_octets",
               "out_octets", "counter_bits", "in_errors", "out_errors", "last_change_cs",
               "discontinuity_cs", "rx_dbm", "tx_dbm"}
    samples = [
        InterfaceSample(if_index=if_index, **{k: v for k, v in fields.items() if k in allowed})
        for if_index, fields in sorted(interfaces.items())
    ]
    return samples, problems
