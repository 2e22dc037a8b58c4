"""What an OTDR trace holds: its events and parameters, and the units of SR-4731."""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "NOT_MEASURED",
    "REQUIRED_BLOCKS",
    "SPEED_OF_LIGHT_M_S",
    "STANDARD_BLOCKS",
    "SorEvent",
    "SorTrace",
    "crc16_ccitt",
    "time_to_m",
]

SPEED_OF_LIGHT_M_S = 299_792_458.0
NOT_MEASURED = -(2**31)
"""Reflectance some instruments store for a non-reflective event."""
REQUIRED_BLOCKS = ("FxdParams", "KeyEvents")
STANDARD_BLOCKS = ("GenParams", "SupParams", "FxdParams", "KeyEvents", "LnkParams", "DataPts",
                   "Cksum")
"""Blocks SR-4731 defines. Instruments that add their own blocks (EXFO, JDSU/VIAVI) compute
the checksum by their own scheme: for them a mismatch is reported (``checksum_ok``) but not
refused. A file of standard blocks only must carry the standard CRC."""


def crc16_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    """Return the CRC-16/CCITT-FALSE of ``data`` (polynomial 0x1021, initial 0xFFFF)."""
    return binascii.crc_hqx(data, crc)


def time_to_m(time_01ns: float, index: float) -> float:
    """One-way time of travel in units of 0.1 ns to metres of fibre at group index ``index``."""
    return time_01ns * 1e-10 * SPEED_OF_LIGHT_M_S / index


@dataclass(frozen=True)
class SorEvent:
    """A key event of the trace.

    Parameters
    ----------
    number : int
        Event number as stored.
    distance_m : float
        Optical distance from the OTDR (metres of fibre).
    loss_db : float
        Splice (event) loss in dB.
    reflectance_db : float or None
        Reflectance in dB (None when the instrument did not measure it).
    slope_db_per_km : float
        Attenuation of the section before the event.
    code : str
        The 8-character event type as stored.
    comment : str
        The event's comment.
    """

    number: int
    distance_m: float
    loss_db: float
    reflectance_db: float | None
    slope_db_per_km: float
    code: str
    comment: str = ""

    @property
    def is_end(self) -> bool:
        """True for the end-of-fibre event (second type character ``E``)."""
        return len(self.code) > 1 and self.code[1] == "E"

    @property
    def type(self) -> str:
        """``end_of_fibre``, ``reflective``, ``non_reflective`` or ``saturated``."""
        if self.is_end:
            return "end_of_fibre"
        return {"0": "non_reflective", "1": "reflective", "2": "saturated"}.get(
            self.code[:1], "unknown")

    def as_dict(self) -> dict[str, Any]:
        """Return the event as a JSON-ready dict."""
        return {"number": self.number, "distance_m": round(self.distance_m, 3),
                "loss_db": round(self.loss_db, 3),
                "reflectance_db": (None if self.reflectance_db is None
                                   else round(self.reflectance_db, 3)),
                "slope_db_per_km": round(self.slope_db_per_km, 3), "type": self.type,
                "code": self.code, "comment": self.comment}


@dataclass
class SorTrace:
    """What an SOR file holds (see the module docstring)."""

    version: int
    wavelength_nm: float
    index: float
    pulse_width_ns: int
    resolution_m: float
    """Distance between two trace points."""
    events: list[SorEvent]
    points: list[float]
    """Trace level of each point in dB (0 at the strongest, negative further down)."""
    blocks: list[str]
    general: dict[str, Any] = field(default_factory=dict)
    supplier: dict[str, str] = field(default_factory=dict)
    total_loss_db: float | None = None
    fibre_end_m: float | None = None
    """End of the loss measurement in the KeyEvents summary (the fibre's end)."""
    backscatter_db: float | None = None
    averages: int | None = None
    range_m: float | None = None
    date_time: int | None = None
    checksum_ok: bool | None = None

    @property
    def end_of_fibre(self) -> SorEvent | None:
        """The end-of-fibre event, else the last event, else None."""
        ends = [e for e in self.events if e.is_end]
        if ends:
            return ends[0]
        return self.events[-1] if self.events else None

    @property
    def end_of_fibre_m(self) -> float | None:
        """Optical distance of the end of the fibre.

        The end-of-fibre event; else the end of the loss measurement in the summary (some
        instruments mark no event ``E``); else the last event.
        """
        if any(e.is_end for e in self.events):
            return self.end_of_fibre.distance_m  # type: ignore[union-attr]
        if self.fibre_end_m:
            return self.fibre_end_m
        return self.events[-1].distance_m if self.events else None

    def as_dict(self) -> dict[str, Any]:
        """Return the trace as a JSON-ready dict (the trace itself by its point count)."""
        eof = self.end_of_fibre_m
        return {"version": self.version, "wavelength_nm": self.wavelength_nm,
                "index": self.index, "pulse_width_ns": self.pulse_width_ns,
                "resolution_m": round(self.resolution_m, 4),
                "range_m": None if self.range_m is None else round(self.range_m, 1),
                "events": [e.as_dict() for e in self.events],
                "end_of_fibre_m": None if eof is None else round(eof, 3),
                "total_loss_db": self.total_loss_db, "points": len(self.points),
                "general": self.general, "supplier": self.supplier, "blocks": self.blocks,
                "checksum_ok": self.checksum_ok}
