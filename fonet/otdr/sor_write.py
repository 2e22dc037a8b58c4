"""Writing Telcordia SR-4731 OTDR files, versions 1 and 2 (the inverse of :mod:`fonet.otdr.sor`).

Writes the standard blocks only (``GenParams``, ``SupParams``, ``FxdParams``, ``KeyEvents``,
``DataPts``, ``Cksum``) with the standard CRC-16/CCITT checksum. Used to make traces with known
events (tests, training, a what-if trace of a planned link); a trace is drawn from the events
when none is given: a backscatter line falling by the fibre's attenuation, a step at each event
and noise past the end.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fonet.otdr.trace import SPEED_OF_LIGHT_M_S, STANDARD_BLOCKS, crc16_ccitt

__all__ = ["TraceSpec", "WrittenEvent", "sor_bytes", "write_sor"]


@dataclass(frozen=True)
class WrittenEvent:
    """An event to write: where, how much loss, how much reflection, and its kind."""

    distance_m: float
    loss_db: float = 0.0
    reflectance_db: float | None = None
    end: bool = False
    comment: str = ""

    def code(self) -> str:
        """Return the 8-character SR-4731 event type."""
        reflective = "1" if self.reflectance_db is not None else "0"
        return f"{reflective}{'E' if self.end else 'F'}9999LS"


@dataclass(frozen=True)
class TraceSpec:
    """Everything written to the file (defaults: a 1310 nm G.652 measurement)."""

    events: Sequence[WrittenEvent]
    wavelength_nm: float = 1310.0
    index: float = 1.4677
    pulse_width_ns: int = 100
    resolution_m: float = 1.0
    range_m: float | None = None
    attenuation_db_per_km: float = 0.35
    backscatter_db: float = 79.4
    averages: int = 1000
    cable_id: str = ""
    fibre_id: str = ""
    location_a: str = ""
    location_b: str = ""
    operator: str = "fonet"
    comment: str = ""
    supplier: str = "fonet"
    points: Sequence[float] | None = None
    seed: int = 7
    extra: dict[str, str] = field(default_factory=dict)


def _time(distance_m: float, index: float) -> int:
    """Metres of fibre to one-way time of travel in 0.1 ns."""
    return int(round(distance_m * index / SPEED_OF_LIGHT_M_S * 1e10))


def _s(text: str) -> bytes:
    return text.encode("latin-1", "replace") + b"\0"


def _trace(spec: TraceSpec, n: int) -> list[float]:
    """Draw a synthetic trace: backscatter with event steps, noise past the end."""
    rng = random.Random(spec.seed)
    events = sorted(spec.events, key=lambda e: e.distance_m)
    end_m = max((e.distance_m for e in events), default=0.0)
    out = []
    for k in range(n):
        d = k * spec.resolution_m
        if d > end_m:
            out.append(-40.0 + rng.uniform(-1.5, 1.5))
            continue
        level = -d / 1000.0 * spec.attenuation_db_per_km
        level -= sum(e.loss_db for e in events if e.distance_m < d)
        out.append(level)
    return out


def _blocks(spec: TraceSpec, version: int) -> list[tuple[str, bytes]]:
    v2 = version == 2
    gen = b"EN" + _s(spec.cable_id) + _s(spec.fibre_id)
    if v2:
        gen += struct.pack("<H", 652)
    gen += struct.pack("<H", int(round(spec.wavelength_nm)))
    gen += _s(spec.location_a) + _s(spec.location_b) + _s("") + b"BC"
    gen += struct.pack("<i", 0) + (struct.pack("<i", 0) if v2 else b"")
    gen += _s(spec.operator) + _s(spec.comment)
    sup = b"".join(_s(x) for x in (spec.supplier, "fonet writer", "", "", "", "1", ""))
    end_m = max((e.distance_m for e in spec.events), default=0.0)
    range_m = spec.range_m or max(end_m * 1.25, 1000.0)
    n = int(math.ceil(range_m / spec.resolution_m))
    # data spacing: time of 10,000 points in 100 ps units
    spacing = int(round(spec.resolution_m * spec.index / SPEED_OF_LIGHT_M_S * 1e10 * 1e4))
    fxd = struct.pack("<I", 0) + b"mt" + struct.pack("<H", int(round(spec.wavelength_nm * 10)))
    fxd += struct.pack("<i", 0) + (struct.pack("<i", 0) if v2 else b"")
    fxd += struct.pack("<H", 1) + struct.pack("<H", spec.pulse_width_ns)
    fxd += struct.pack("<I", spacing) + struct.pack("<I", n)
    fxd += struct.pack("<I", int(round(spec.index * 1e5)))
    fxd += struct.pack("<H", int(round(spec.backscatter_db * 10)))
    fxd += struct.pack("<I", spec.averages) + (struct.pack("<H", 300) if v2 else b"")
    fxd += struct.pack("<I", _time(range_m, spec.index)) + (struct.pack("<i", 0) if v2 else b"")
    fxd += struct.pack("<iHhHHHH", 0, 0, 0, 0, 200, 40000, 3000)
    if v2:
        fxd += b"ST" + struct.pack("<iiii", 0, 0, 0, 0)
    events = sorted(spec.events, key=lambda e: e.distance_m)
    key = struct.pack("<H", len(events))
    for k, e in enumerate(events, start=1):
        t = _time(e.distance_m, spec.index)
        refl = -(2**31) if e.reflectance_db is None else int(round(e.reflectance_db * 1000))
        key += struct.pack("<HIhhi", k, t, int(round(spec.attenuation_db_per_km * 1000)),
                           int(round(e.loss_db * 1000)), refl) + e.code().encode()
        if v2:
            key += struct.pack("<IIIII", t, t, t, t, t)
        key += _s(e.comment)
    total = sum(e.loss_db for e in events) + end_m / 1000 * spec.attenuation_db_per_km
    key += struct.pack("<iiIHiI", int(round(total * 1000)), 0, _time(end_m, spec.index),
                       0, 0, 0)
    levels = list(spec.points) if spec.points is not None else _trace(spec, n)
    n = len(levels)
    scale = 1000
    values = [min(65535, max(0, int(round(-lv * 1000)))) for lv in levels]
    pts = struct.pack("<IHIH", n, 1, n, scale) + struct.pack(f"<{n}H", *values)
    return [("GenParams", gen), ("SupParams", sup), ("FxdParams", fxd), ("KeyEvents", key),
            ("DataPts", pts)]


def sor_bytes(spec: TraceSpec, *, version: int = 2) -> bytes:
    """Return the bytes of an SR-4731 file (``version`` 1 or 2) holding ``spec``."""
    if version not in (1, 2):
        raise ValueError(f"SR-4731 version must be 1 or 2, got {version}")
    v2 = version == 2
    block_version = 200 if v2 else 100
    blocks = _blocks(spec, version)
    body = [((_s(name) if v2 else b"") + data) for name, data in blocks]
    cksum_size = (len(_s("Cksum")) if v2 else 0) + 2
    names = [name for name, _ in blocks] + ["Cksum"]
    assert all(n in STANDARD_BLOCKS for n in names)
    sizes = [len(b) for b in body] + [cksum_size]
    entries = b"".join(_s(name) + struct.pack("<HI", block_version, size)
                       for name, size in zip(names, sizes, strict=True))
    head = (b"Map\0" if v2 else b"") + struct.pack("<H", block_version)
    map_size = len(head) + 4 + 2 + len(entries)
    out = head + struct.pack("<IH", map_size, len(names) + 1) + entries + b"".join(body)
    out += _s("Cksum") if v2 else b""
    return out + struct.pack("<H", crc16_ccitt(out))


def write_sor(path: str | Path, spec: TraceSpec, *, version: int = 2) -> Path:
    """Write ``spec`` to ``path`` as an SR-4731 file (under a temporary name, then renamed)."""
    p = Path(path)
    tmp = p.with_name(p.name + ".part")
    tmp.write_bytes(sor_bytes(spec, version=version))
    tmp.replace(p)
    return p
