"""Choosing a device's poll profiles from what its agent says, as LibreNMS detects an OS.

One request reads ``sysDescr``, ``sysObjectID`` and the first row of every column a
profile's ``match`` rule needs (GETNEXT semantics: the non-repeaters of one GETBULK). A
vendor profile matches when sysObjectID lies under one of its prefixes or sysDescr matches
its pattern, and every column it needs has rows. Generic profiles (rules with only columns,
e.g. ENTITY-SENSOR-MIB) are chosen only when no vendor profile matched, so a device never
gets two sources of optical power. ``if_mib`` is always polled; a device nothing matches
gets it alone, and the reason says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from collectors.bulk import PollError, plain
from collectors.profiles import Profile, all_profiles

if TYPE_CHECKING:
    from collectors.bulk import BulkReader
    from fonet.telemetry import DeviceTarget

__all__ = ["SYS_DESCR", "SYS_OBJECT_ID", "Detection", "choose", "detect"]

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1)
SYS_OBJECT_ID = (1, 3, 6, 1, 2, 1, 1, 2)
_MAX_REASON = 500


def _dotted(oid: Iterable[int]) -> str:
    return ".".join(map(str, oid))


@dataclass(frozen=True)
class Detection:
    """The profiles chosen for a device and why.

    Parameters
    ----------
    profiles : tuple of str
        Profile names, ``if_mib`` first.
    detected_by : str
        Readable reason (the rules that matched, or that none did).
    sys_object_id : str or None
        sysObjectID as dotted text.
    sys_descr : str or None
        sysDescr.
    """

    profiles: tuple[str, ...]
    detected_by: str
    sys_object_id: str | None = None
    sys_descr: str | None = None


def _vendor_reason(profile: Profile, oid: tuple[int, ...] | None, descr: str) -> str | None:
    rule = profile.match
    assert rule is not None
    for prefix in rule.sys_object_id:
        if oid is not None and oid[: len(prefix)] == prefix:
            return f"sysObjectID {_dotted(oid)} under {_dotted(prefix)}"
    if rule.sys_descr is not None and rule.sys_descr.search(descr):
        return f"sysDescr matches {rule.sys_descr.pattern!r}"
    return None


def choose(
    profiles: Iterable[Profile],
    sys_object_id: tuple[int, ...] | None,
    sys_descr: str | None,
    present: Mapping[tuple[int, ...], bool],
) -> Detection:
    """Choose profiles from the agent's answers.

    Parameters
    ----------
    profiles : iterable of Profile
        Candidates (those without a ``match`` rule are skipped).
    sys_object_id : tuple of int or None
        sysObjectID.
    sys_descr : str or None
        sysDescr.
    present : Mapping
        Column OID to whether it has rows.

    Returns
    -------
    Detection
        The choice and its reason.
    """
    descr = sys_descr or ""
    vendor: list[tuple[str, str]] = []
    generic: list[tuple[str, str]] = []
    for profile in profiles:
        rule = profile.match
        if rule is None:
            continue
        missing = [c for c in rule.has if not present.get(c)]
        if rule.generic:
            if not missing:
                generic.append((profile.name, "has rows in " + ", ".join(map(_dotted,
                                                                             rule.has))))
            continue
        why = _vendor_reason(profile, sys_object_id, descr)
        if why is None or missing:
            continue
        if rule.has:
            why += " and rows in " + ", ".join(map(_dotted, rule.has))
        vendor.append((profile.name, why))
    chosen = vendor or generic
    oid_text = _dotted(sys_object_id) if sys_object_id else None
    if chosen:
        reason = "; ".join(f"{name}: {why}" for name, why in chosen)
    else:
        reason = (f"no profile matched (sysObjectID {oid_text or 'not given'}): "
                  "generic IF-MIB profile")
    return Detection(profiles=("if_mib", *(name for name, _ in chosen)),
                     detected_by=reason[:_MAX_REASON], sys_object_id=oid_text,
                     sys_descr=sys_descr)


async def detect(reader: BulkReader, target: DeviceTarget,
                 profiles: Iterable[Profile] | None = None) -> Detection:
    """Ask an agent what it is and choose its profiles (one request).

    Parameters
    ----------
    reader : BulkReader
        The SNMP reader (running in this event loop).
    target : DeviceTarget
        The device.
    profiles : iterable of Profile or None
        Candidates (default: every bundled profile).

    Returns
    -------
    Detection
        The choice and its reason.

    Raises
    ------
    PollError
        When the agent does not answer.
    """
    candidates = tuple(profiles if profiles is not None else all_profiles())
    needed = list(dict.fromkeys(c for p in candidates if p.match for c in p.match.has))
    asked = [SYS_DESCR, SYS_OBJECT_ID, *needed]
    answer = await reader._bulk(target, len(asked), 0, asked)
    if len(answer) < len(asked):
        raise PollError("agent answered the detection request with too few variable bindings")
    values: dict[tuple[int, ...], object] = {}
    present: dict[tuple[int, ...], bool] = {}
    for oid, (name, value) in zip(asked, answer, strict=False):
        inside = len(name) > len(oid) and name[: len(oid)] == oid
        present[oid] = inside and plain(value) is not None
        if inside:
            values[oid] = plain(value)
    raw_oid = values.get(SYS_OBJECT_ID)
    raw_descr = values.get(SYS_DESCR)
    sys_oid = raw_oid if isinstance(raw_oid, tuple) else None
    descr = (raw_descr.decode("utf-8", "replace").strip()
             if isinstance(raw_descr, bytes) else None)
    return choose(candidates, sys_oid, descr, present)
