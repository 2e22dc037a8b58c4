"""Fibre and tube colours by TIA-598, and tube layouts.

TIA-598-D numbers the fibres of a tube, and the tubes of a cable, by twelve colours; positions
13-24 repeat the twelve with a black stripe (a white one on black itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from fonet.errors import InputError

TIA_598 = ("blue", "orange", "green", "brown", "slate", "white",
           "red", "black", "yellow", "violet", "rose", "aqua")
STANDARDS: dict[str, tuple[str, ...]] = {"TIA-598": TIA_598}
"""Colour standards fonet knows, by name."""


def colour(position: int, standard: str = "TIA-598") -> str:
    """Colour of a fibre or tube at ``position`` (1-based) within its tube or cable.

    Raises
    ------
    InputError
        For an unknown colour standard or a position below 1.
    """
    colours = colour_table(standard)
    if position < 1:
        raise InputError("colour", f"position {position} is not 1 or more")
    base = colours[(position - 1) % len(colours)]
    ring = (position - 1) // len(colours)
    if ring == 0:
        return base
    stripe = "white" if base == "black" else "black"
    return f"{base}/{stripe}" + ("" if ring == 1 else f"x{ring}")


def colour_table(standard: str) -> tuple[str, ...]:
    """Return the twelve colours of ``standard``; :class:`InputError` if it is unknown."""
    try:
        return STANDARDS[standard]
    except KeyError:
        raise InputError("colour_standard", f"unknown colour standard {standard!r}; "
                                            f"known: {sorted(STANDARDS)}") from None


@dataclass(frozen=True)
class TubeLayout:
    """Tubes × fibres per tube."""

    tubes: int
    per_tube: int

    @property
    def cores(self) -> int:
        """Fibres in the cable."""
        return self.tubes * self.per_tube

    def __str__(self) -> str:
        return f"{self.tubes}x{self.per_tube}"

    def position(self, number: int) -> tuple[int, int]:
        """Return ``(tube, position in tube)`` of fibre ``number`` (1-based)."""
        return (number - 1) // self.per_tube + 1, (number - 1) % self.per_tube + 1


def parse_layout(text: str, cores: int) -> TubeLayout:
    """Read a tube layout such as ``4x12`` and check it holds exactly ``cores`` fibres.

    Raises
    ------
    InputError
        If the text is not ``<tubes>x<fibres per tube>`` or does not sum to ``cores``.
    """
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        tubes, per_tube = (int(p) for p in parts)
    except ValueError:
        raise InputError("tube_layout", f"{text!r} is not <tubes>x<fibres per tube>") from None
    if tubes < 1 or per_tube < 1:
        raise InputError("tube_layout", f"{text!r}: tubes and fibres per tube must be 1 or more")
    layout = TubeLayout(tubes, per_tube)
    if layout.cores != cores:
        raise InputError("tube_layout", f"{text!r} holds {layout.cores} fibres, the cable has "
                                        f"{cores} cores")
    return layout


def default_layout(cores: int, per_tube: int = 12) -> TubeLayout:
    """Return the usual layout: tubes of ``per_tube`` fibres, or one tube for a small cable."""
    if cores % per_tube == 0:
        return TubeLayout(cores // per_tube, per_tube)
    if cores < per_tube:
        return TubeLayout(1, cores)
    for size in range(per_tube - 1, 0, -1):
        if cores % size == 0:
            return TubeLayout(cores // size, size)
    return TubeLayout(1, cores)


def fibre_colours(number: int, layout: TubeLayout, standard: str = "TIA-598"
                  ) -> tuple[int, str, str]:
    """Return ``(tube, tube colour, fibre colour)`` of fibre ``number``."""
    tube, pos = layout.position(number)
    return tube, colour(tube, standard), colour(pos, standard)
