"""The symbology of every export layer, independent of the file format that carries it.

:func:`plan_styles` gives, per layer, the attribute it is classified on and one symbol per
category; the QGIS styles (:mod:`gis.export.qml`), the KML styles and the printed map all
draw from it, so a village is the same colour everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gis.export import labels as lb
from gis.export.layers import PlanLayers

RING_COLORS = ("#d55e00", "#56b4e9", "#cc79a7", "#009e73", "#e69f00", "#882255")
"""Ring colours, in order: Okabe-Ito vermilion, sky blue, reddish purple, bluish green, orange,
and Tol's wine. With the black POP, the white hub and the indigo access cables they keep a
CAM02-UCS distance of at least 11 under simulated deutan, protan and tritan vision (at least 16
for the first three rings); see tests/gis/test_palette.py."""


@dataclass(frozen=True)
class Symbol:
    """One symbol: a fill, a line or a point marker; sizes in millimetres on paper."""

    kind: str
    """``fill``, ``line`` or ``marker``."""
    color: str | None
    """Fill, line or marker colour as ``#rrggbb``; ``None`` for a hollow fill."""
    outline: str | None = None
    width_mm: float = 0.26
    """Line width, or outline width of a fill or marker."""
    size_mm: float = 2.0
    shape: str = "circle"
    """Marker shape: ``circle``, ``square``, ``star``, ``triangle`` or ``diamond``."""
    dashed: bool = False
    alpha: float = 1.0


@dataclass
class Category:
    """A value of the classifying attribute, its legend label and its symbol."""

    value: str
    label: str
    symbol: Symbol


@dataclass
class LayerStyle:
    """How one layer is drawn: categorized on ``attr``, or one ``symbol`` for all features."""

    layer: str
    geometry: str
    """``point``, ``line`` or ``polygon``."""
    title: str
    attr: str | None = None
    categories: list[Category] = field(default_factory=list)
    symbol: Symbol | None = None
    label_field: str | None = None


def status_symbol(status: str) -> Symbol:
    """Fill of a village with coverage ``status``."""
    return Symbol("fill", lb.STATUS_COLORS[status], outline=lb.STATUS_EDGE, width_mm=0.1)


def span_symbol(role: str, phase: int | None, phases: int) -> Symbol:
    """Line of a span of ``role`` built in ``phase`` (later phases are lighter)."""
    if role == "backbone":
        return Symbol("line", lb.phase_shade(lb.BACKBONE_COLOR, phase, phases), width_mm=0.9)
    return Symbol("line", lb.phase_shade(lb.ACCESS_COLOR, phase, phases), width_mm=0.35)


ROLE_SYMBOLS = {
    "pop": Symbol("marker", lb.POP_COLOR, outline="#ffffff", width_mm=0.3, size_mm=5.5,
                  shape="star"),
    "hub": Symbol("marker", lb.HUB_COLOR, outline=lb.HUB_EDGE, width_mm=0.35, size_mm=3.0,
                  shape="square"),
    "access": Symbol("marker", lb.OFFICE_COLOR, outline="#ffffff", width_mm=0.15, size_mm=1.4),
    "none": Symbol("marker", "#9e9e9e", outline=None, width_mm=0.0, size_mm=0.9),
}
ROLE_LABELS = {"pop": "pop", "hub": "hub", "access": "access_site", "none": "unserved_site"}


def plan_styles(pl: PlanLayers, lang: str = "id") -> dict[str, LayerStyle]:
    """Return the style of every layer of ``pl``, with legend labels in ``lang``."""
    t = lambda key: lb.text(key, lang)  # noqa: E731
    phases = pl.phases or [1]
    styles = {
        "boundary": LayerStyle("boundary", "polygon", t("boundary"),
                               symbol=Symbol("fill", None, lb.BOUNDARY_EDGE, width_mm=0.8)),
        "kecamatan": LayerStyle("kecamatan", "polygon", t("kecamatan_border"),
                                symbol=Symbol("fill", None, lb.KECAMATAN_EDGE, width_mm=0.45),
                                label_field="name"),
        "villages": LayerStyle("villages", "polygon", t("coverage"), attr="status",
                               categories=[Category(s, t(s), status_symbol(s))
                                           for s in lb.STATUSES]),
        "sites": LayerStyle("sites", "point", t("network"), attr="plan_role",
                            categories=[Category(r, t(ROLE_LABELS[r]), ROLE_SYMBOLS[r])
                                        for r in ("pop", "hub", "access", "none")]),
        "route_edges": LayerStyle("route_edges", "line", t("src_corridors"),
                                  symbol=Symbol("line", "#9e9e9e", width_mm=0.25, dashed=True)),
        "spans": LayerStyle("spans", "line", t("network"), attr="category", categories=[
            Category(f"{role}_{p}", lb.span_label(role, p if len(phases) > 1 else None, lang),
                     span_symbol(role, p, len(phases)))
            for role in ("backbone", "access") for p in phases]),
        "hubs": LayerStyle("hubs", "point", t("hubs"), attr="role",
                           categories=[Category(r, t(r), ROLE_SYMBOLS[r])
                                       for r in ("pop", "hub")]),
    }
    rings = pl.layers["rings"]
    styles["rings"] = LayerStyle("rings", "line", t("rings_folder"), attr="ring", categories=[
        Category(str(int(r)), f"{t('ring')} {int(r) + 1}",
                 Symbol("line", RING_COLORS[int(r) % len(RING_COLORS)], width_mm=1.1))
        for r in rings["ring"]])
    return styles
