r"""Reading Telcordia SR-4731 (Bellcore) OTDR files, versions 1 and 2.

An SOR file is a little-endian sequence of blocks listed by a map at its start. Version 2
opens with the block id ``Map\0`` and repeats each block's name at the start of its data;
version 1 has neither. The blocks read here:

- ``GenParams``: cable and fibre ids, locations, operator;
- ``SupParams``: supplier, OTDR model and serial numbers, software;
- ``FxdParams``: wavelength (0.1 nm), pulse widths (ns), data spacing (time of 10,000 points in
  100 ps), group index (x 1e-5), ...;
- ``KeyEvents``: each event's one-way time of travel (0.1 ns), slope, splice loss and
  reflectance (0.001 dB), its 8-character type (``1F9999LS``: the first character 0 non
  reflective, 1 reflective, 2 saturated; the second F found, M manual, E end of fibre, A added);
- ``DataPts``: the trace, one 16-bit value per point (0.001 dB x scale / 1000);
- ``Cksum``: CRC-16/CCITT (polynomial 0x1021, initial 0xFFFF) of every byte before it. Files
  of the standard blocks only must match; makers that add blocks of their own use schemes of
  their own, so for their files a mismatch is only reported (``checksum_ok``).

Other blocks (vendors' own) are listed but not decoded. Distances are ``time x c / index``.
Written in this project from the layout above; :mod:`fonet.otdr.sor_write` writes the same.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from fonet.errors import InputError
from fonet.otdr.trace import (
    NOT_MEASURED,
    REQUIRED_BLOCKS,
    SPEED_OF_LIGHT_M_S,
    STANDARD_BLOCKS,
    SorEvent,
    SorTrace,
    crc16_ccitt,
    time_to_m,
)

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "STANDARD_BLOCKS",
    "SorEvent",
    "SorTrace",
    "crc16_ccitt",
    "parse_sor",
    "read_sor",
    "time_to_m",
]


class _Reader:
    """Little-endian cursor over a block, naming the file and block in its errors."""

    def __init__(self, data: bytes, source: str, block: str, pos: int = 0) -> None:
        self.data, self.source, self.block, self.pos = data, source, block, pos

    def _take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise InputError(self.source, f"truncated: {what} runs past the end of the "
                                          f"{self.block} block", feature=self.block)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u16(self, what: str) -> int:
        return int(struct.unpack("<H", self._take(2, what))[0])

    def i16(self, what: str) -> int:
        return int(struct.unpack("<h", self._take(2, what))[0])

    def u32(self, what: str) -> int:
        return int(struct.unpack("<I", self._take(4, what))[0])

    def i32(self, what: str) -> int:
        return int(struct.unpack("<i", self._take(4, what))[0])

    def chars(self, n: int, what: str) -> str:
        return self._take(n, what).decode("latin-1")

    def string(self, what: str) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise InputError(self.source, f"truncated: {what} has no terminating NUL",
                             feature=self.block)
        out = self.data[self.pos:end].decode("latin-1")
        self.pos = end + 1
        return out.strip()


def _map(data: bytes, source: str) -> tuple[int, list[tuple[str, int, int]], int]:
    """Return (version, [(block name, version, size)], map size)."""
    if len(data) < 8:
        raise InputError(source, f"not an SOR file: {len(data)} bytes")
    if data[:4] == b"Map\0":
        r = _Reader(data, source, "Map", 4)
        version = 2
    else:
        r = _Reader(data, source, "Map", 0)
        version = 1
    map_version = r.u16("map version")
    if not (100 <= map_version < 300):
        raise InputError(source, "not an SOR file (SR-4731): no block map at the start "
                                 f"(map version {map_version})")
    version = 2 if map_version >= 200 else 1
    size = r.u32("map size")
    count = r.u16("block count")
    if size > len(data) or count < 2 or count > 64:
        raise InputError(source, f"not an SOR file: map of {size} bytes listing {count} "
                                 "blocks", feature="Map")
    blocks = []
    for _ in range(count - 1):
        name = r.string("block name")
        blocks.append((name, r.u16(f"{name} version"), r.u32(f"{name} size")))
    return version, blocks, size


def _gen_params(r: _Reader, version: int) -> dict[str, Any]:
    out: dict[str, Any] = {"language": r.chars(2, "language"),
                           "cable_id": r.string("cable id"), "fibre_id": r.string("fibre id")}
    if version == 2:
        out["fibre_type"] = r.u16("fibre type")
    out["nominal_wavelength_nm"] = r.u16("wavelength")
    out["location_a"] = r.string("originating location")
    out["location_b"] = r.string("terminating location")
    out["cable_code"] = r.string("cable code")
    out["build_condition"] = r.chars(2, "build condition")
    out["user_offset"] = r.i32("user offset")
    if version == 2:
        out["user_offset_distance"] = r.i32("user offset distance")
    out["operator"] = r.string("operator")
    out["comment"] = r.string("comment")
    return out


SUP_FIELDS = ("supplier", "otdr", "otdr_serial", "module", "module_serial", "software",
              "other")


def _sup_params(r: _Reader) -> dict[str, str]:
    return {name: r.string(name) for name in SUP_FIELDS}


def _fxd_params(r: _Reader, version: int) -> dict[str, Any]:
    out: dict[str, Any] = {"date_time": r.u32("date/time"), "units": r.chars(2, "units"),
                           "wavelength_nm": r.u16("wavelength") / 10.0,
                           "acquisition_offset": r.i32("acquisition offset")}
    if version == 2:
        out["acquisition_offset_distance"] = r.i32("acquisition offset distance")
    n = r.u16("number of pulse widths")
    if n < 1 or n > 16:
        raise InputError(r.source, f"{n} pulse widths", feature="FxdParams",
                         field="number of pulse widths")
    out["pulse_widths_ns"] = [r.u16("pulse width") for _ in range(n)]
    out["data_spacing"] = [r.u32("data spacing") for _ in range(n)]
    out["points_per_pulse"] = [r.u32("points") for _ in range(n)]
    out["index"] = r.u32("group index") * 1e-5
    out["backscatter_db"] = r.u16("backscatter coefficient") * -0.1
    out["averages"] = r.u32("number of averages")
    if version == 2:
        out["averaging_time_s"] = r.u16("averaging time") * 0.1
    out["acquisition_range"] = r.u32("acquisition range")
    if not 1.0 <= out["index"] <= 2.0:
        raise InputError(r.source, f"group index {out['index']:g} outside 1..2",
                         feature="FxdParams", field="index")
    return out


def _key_events(r: _Reader, version: int, index: float
                ) -> tuple[list[SorEvent], dict[str, float]]:
    count = r.u16("number of events")
    events = []
    for k in range(count):
        number = r.u16(f"event {k + 1} number")
        time = r.u32(f"event {k + 1} time of travel")
        slope = r.i16(f"event {k + 1} slope") * 0.001
        loss = r.i16(f"event {k + 1} splice loss") * 0.001
        raw_refl = r.i32(f"event {k + 1} reflectance")
        refl = None if raw_refl == NOT_MEASURED else raw_refl * 0.001
        code = r.chars(8, f"event {k + 1} type")
        if version == 2:
            for what in ("end of previous", "start of current", "end of current",
                         "start of next", "peak"):
                r.u32(f"event {k + 1} {what}")
        comment = r.string(f"event {k + 1} comment")
        events.append(SorEvent(number, time_to_m(time, index), loss, refl, slope, code,
                               comment))
    summary: dict[str, float] = {}
    if r.pos + 22 <= len(r.data):
        summary["total_loss_db"] = r.i32("total loss") * 0.001
        summary["loss_start_m"] = time_to_m(r.i32("loss start"), index)
        summary["loss_end_m"] = time_to_m(r.u32("loss end"), index)
        summary["orl_db"] = r.u16("optical return loss") * 0.001
    return events, summary


def _data_points(r: _Reader, version: int) -> list[float]:
    n = r.u32("number of points")
    traces = r.u16("number of traces")
    scales = []
    for _ in range(max(traces, 1) if traces else 0):
        r.u32("points of trace")
        scales.append(r.u16("scale factor"))
    scale = (scales[0] if scales else 1000) / 1000.0
    raw = r._take(2 * n, f"{n} data points")
    values = struct.unpack(f"<{n}H", raw)
    return [-v * scale * 0.001 for v in values]


def parse_sor(data: bytes, source: str = "SOR file", *, verify_checksum: bool = True
              ) -> SorTrace:
    """Decode the bytes of an SR-4731 file.

    Parameters
    ----------
    data : bytes
        The whole file.
    source : str
        How to name the file in errors.
    verify_checksum : bool
        Refuse a file whose ``Cksum`` block does not match its bytes.

    Returns
    -------
    SorTrace
        The parameters, the key events and the trace.

    Raises
    ------
    InputError
        Not an SOR file, truncated, a wrong checksum, or a required block missing.
    """
    version, listed, map_size = _map(data, source)
    offsets: dict[str, tuple[int, int, int]] = {}
    pos = map_size
    for name, block_version, size in listed:
        if pos + size > len(data):
            raise InputError(source, f"truncated: the {name} block ({size} bytes at offset "
                                     f"{pos}) runs past the end of the file ({len(data)} "
                                     "bytes)", feature=name)
        offsets.setdefault(name, (pos, size, block_version))
        pos += size
    missing = [b for b in REQUIRED_BLOCKS if b not in offsets]
    if missing:
        raise InputError(source, f"not a usable SOR file: no {', '.join(missing)} block")

    def reader(name: str) -> _Reader:
        start, size, _ = offsets[name]
        r = _Reader(data[start:start + size], source, name)
        if version == 2:
            got = r.string("block id")
            if got != name:
                raise InputError(source, f"block at offset {start} is {got!r}, the map says "
                                         f"{name!r}", feature=name)
        return r

    checksum_ok = None
    if "Cksum" in offsets:
        r = reader("Cksum")
        stored = r.u16("checksum")
        value_at = offsets["Cksum"][0] + r.pos - 2
        computed = crc16_ccitt(data[:value_at])
        checksum_ok = computed == stored
        vendor = [name for name, _, _ in listed if name not in STANDARD_BLOCKS]
        if verify_checksum and not checksum_ok and not vendor:
            raise InputError(source, f"wrong checksum: the file says 0x{stored:04X}, its "
                                     f"bytes give 0x{computed:04X} (damaged or altered)",
                             feature="Cksum")
    fxd = _fxd_params(reader("FxdParams"), version)
    index = fxd["index"]
    events, summary = _key_events(reader("KeyEvents"), version, index)
    points = _data_points(reader("DataPts"), version) if "DataPts" in offsets else []
    spacing = fxd["data_spacing"][0]
    resolution_m = time_to_m(spacing / 10_000.0, index)
    general = _gen_params(reader("GenParams"), version) if "GenParams" in offsets else {}
    supplier = _sup_params(reader("SupParams")) if "SupParams" in offsets else {}
    n_points = fxd["points_per_pulse"][0]
    return SorTrace(
        version=version, wavelength_nm=fxd["wavelength_nm"], index=round(index, 6),
        pulse_width_ns=fxd["pulse_widths_ns"][0], resolution_m=resolution_m, events=events,
        points=points, blocks=[name for name, _, _ in listed], general=general,
        supplier=supplier,
        total_loss_db=(round(summary["total_loss_db"], 3) if "total_loss_db" in summary
                       else None),
        fibre_end_m=summary.get("loss_end_m"),
        backscatter_db=round(fxd["backscatter_db"], 2), averages=fxd["averages"],
        range_m=resolution_m * n_points, date_time=fxd["date_time"], checksum_ok=checksum_ok)


def read_sor(path: str | Path, *, verify_checksum: bool = True) -> SorTrace:
    """Read an SR-4731 file (see :func:`parse_sor`).

    Raises
    ------
    InputError
        The file cannot be read, or is not a valid SOR file.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror or exc}") from None
    return parse_sor(data, str(p), verify_checksum=verify_checksum)
