"""The print palette stays readable for colour-blind readers, checked by simulation.

Colours are simulated for deutan, protan and tritan vision at full severity (Machado et al.
2009, as colorspacious implements it) and compared in CAM02-UCS, where a distance of about 10
is an obvious difference and below 5 a hard one.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from gis.export import labels as lb
from gis.export.styles import RING_COLORS, ROLE_SYMBOLS

CVD = [None] + [{"name": "sRGB1+CVD", "cvd_type": t, "severity": 100}
                for t in ("deuteranomaly", "protanomaly", "tritanomaly")]


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]) / 255


def _worst(colors: dict[str, str]) -> tuple[float, tuple[str, str, str]]:
    worst = (np.inf, ("", "", ""))
    for cvd in CVD:
        seen = {k: _rgb(v) if cvd is None else np.clip(cspace_convert(_rgb(v), cvd, "sRGB1"),
                                                        0, 1)
                for k, v in colors.items()}
        for a, b in itertools.combinations(colors, 2):
            d = float(deltaE(seen[a], seen[b], input_space="sRGB1"))
            if d < worst[0]:
                worst = (d, (a, b, cvd["cvd_type"] if cvd else "normal"))
    return worst


def _symbols(rings: int) -> dict[str, str]:
    colors = {f"ring {i + 1}": RING_COLORS[i] for i in range(rings)}
    colors |= {"pop": ROLE_SYMBOLS["pop"].color, "hub": ROLE_SYMBOLS["hub"].color,
               "access": lb.ACCESS_COLOR}
    return colors


@pytest.mark.parametrize(("rings", "at_least"), [(3, 15.0), (len(RING_COLORS), 10.0)])
def test_rings_hubs_and_pop_stay_apart_under_colour_blindness(rings, at_least):
    d, where = _worst(_symbols(rings))
    assert d >= at_least, (round(d, 1), where)


def test_the_old_palette_failed_the_same_check():
    """The check has teeth: the former ring 1 was the hubs' red, ring 2 orange, POP purple."""
    old = {"ring 1": "#c0392b", "ring 2": "#d35400", "ring 3": "#8e44ad", "hub": "#c0392b",
           "pop": "#7b1fa2"}
    assert _worst(old)[0] < 5


def test_village_fills_differ_for_every_reader():
    d, where = _worst(dict(lb.STATUS_COLORS))
    assert d >= 10, (round(d, 1), where)
