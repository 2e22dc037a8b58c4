"""QGIS layer styles (QML) and OGC Symbology Encoding (SLD 1.1) from a :class:`LayerStyle`."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gis.export.styles import LayerStyle, Symbol

QGIS_VERSION = "3.28.0-Firenze"
GEOMETRY_TYPES = {"point": "0", "line": "1", "polygon": "2"}
SHAPES = {"circle": "circle", "square": "square", "star": "star", "triangle": "triangle",
          "diamond": "diamond"}


def _rgba(color: str | None, alpha: float = 1.0) -> str:
    if color is None:
        return "0,0,0,0"
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(255 * alpha)}"


def _options(parent: ET.Element, values: dict[str, str]) -> None:
    opt = ET.SubElement(parent, "Option", type="Map")
    for name, value in values.items():
        ET.SubElement(opt, "Option", type="QString", name=name, value=value)


def _symbol_layer(sym: Symbol) -> tuple[str, dict[str, str]]:
    if sym.kind == "fill":
        return "SimpleFill", {
            "color": _rgba(sym.color, sym.alpha), "style": "solid" if sym.color else "no",
            "outline_color": _rgba(sym.outline), "outline_style": "solid" if sym.outline
            else "no", "outline_width": f"{sym.width_mm:g}", "outline_width_unit": "MM",
            "joinstyle": "bevel", "offset": "0,0", "offset_unit": "MM"}
    if sym.kind == "line":
        return "SimpleLine", {
            "line_color": _rgba(sym.color, sym.alpha), "line_width": f"{sym.width_mm:g}",
            "line_width_unit": "MM", "line_style": "dash" if sym.dashed else "solid",
            "capstyle": "round", "joinstyle": "round", "offset": "0", "offset_unit": "MM"}
    return "SimpleMarker", {
        "name": SHAPES[sym.shape], "color": _rgba(sym.color, sym.alpha),
        "outline_color": _rgba(sym.outline), "outline_style": "solid" if sym.outline else "no",
        "outline_width": f"{sym.width_mm:g}", "outline_width_unit": "MM",
        "size": f"{sym.size_mm:g}", "size_unit": "MM", "angle": "0", "offset": "0,0",
        "offset_unit": "MM", "scale_method": "diameter"}


def _qml_symbol(parent: ET.Element, name: str, sym: Symbol) -> None:
    el = ET.SubElement(parent, "symbol", type=sym.kind, name=name, alpha="1",
                       clip_to_extent="1", force_rhr="0")
    cls, values = _symbol_layer(sym)
    layer = ET.SubElement(el, "layer", {"class": cls, "enabled": "1", "locked": "0",
                                        "pass": "0"})
    _options(layer, values)


def _qml_labeling(root: ET.Element, field: str) -> None:
    lab = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(lab, "settings", calloutType="simple")
    style = ET.SubElement(settings, "text-style", fieldName=field, isExpression="0",
                          fontFamily="Sans Serif", fontSize="8", fontSizeUnit="Point",
                          fontWeight="75", fontItalic="0", textColor="40,40,40,255",
                          textOpacity="1", namedStyle="Bold", fontCapitals="1")
    ET.SubElement(style, "text-buffer", bufferDraw="1", bufferSize="0.8",
                  bufferSizeUnits="MM", bufferColor="255,255,255,255", bufferOpacity="0.85",
                  bufferJoinStyle="128", bufferNoFill="1")
    ET.SubElement(settings, "placement", placement="1", dist="0", distUnits="MM",
                  priority="5", centroidInside="1", centroidWhole="0", fitInPolygonOnly="0")
    ET.SubElement(settings, "rendering", obstacle="1", displayAll="1", scaleVisibility="0",
                  upsidedownLabels="0", limitNumLabels="0", drawLabels="1")


def to_qml(style: LayerStyle) -> str:
    """Serialise ``style`` as a QGIS style document (QML), as QGIS stores in ``styleQML``."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories",
                      labelsEnabled="1" if style.label_field else "0",
                      hasScaleBasedVisibilityFlag="0", minScale="0", maxScale="0",
                      simplifyDrawingHints="0", readOnly="0")
    if style.attr is None:
        assert style.symbol is not None
        rend = ET.SubElement(root, "renderer-v2", type="singleSymbol", forceraster="0",
                             symbollevels="0", enableorderby="0", referencescale="-1")
        syms = ET.SubElement(rend, "symbols")
        _qml_symbol(syms, "0", style.symbol)
    else:
        rend = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=style.attr,
                             forceraster="0", symbollevels="0", enableorderby="0",
                             referencescale="-1")
        cats = ET.SubElement(rend, "categories")
        syms = ET.SubElement(rend, "symbols")
        for i, c in enumerate(style.categories):
            ET.SubElement(cats, "category", type="string", value=c.value, symbol=str(i),
                          label=c.label, render="true")
            _qml_symbol(syms, str(i), c.symbol)
    if style.label_field:
        _qml_labeling(root, style.label_field)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.SubElement(root, "layerGeometryType").text = GEOMETRY_TYPES[style.geometry]
    ET.indent(root)
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode") + "\n")


SLD = "http://www.opengis.net/sld"
SE = "http://www.opengis.net/se"
OGC = "http://www.opengis.net/ogc"


def _param(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, f"{{{SE}}}SvgParameter", name=name).text = value


def _sld_symbolizer(rule: ET.Element, sym: Symbol) -> None:
    def stroke(parent: ET.Element, color: str, width_mm: float, dashed: bool = False) -> None:
        st = ET.SubElement(parent, f"{{{SE}}}Stroke")
        _param(st, "stroke", color)
        _param(st, "stroke-width", f"{width_mm * 3.78:.2f}")
        if dashed:
            _param(st, "stroke-dasharray", "6 3")

    if sym.kind == "fill":
        ps = ET.SubElement(rule, f"{{{SE}}}PolygonSymbolizer")
        if sym.color:
            fill = ET.SubElement(ps, f"{{{SE}}}Fill")
            _param(fill, "fill", sym.color)
        if sym.outline:
            stroke(ps, sym.outline, sym.width_mm)
    elif sym.kind == "line":
        stroke(ET.SubElement(rule, f"{{{SE}}}LineSymbolizer"), sym.color or "#000000",
               sym.width_mm, sym.dashed)
    else:
        graphic = ET.SubElement(ET.SubElement(rule, f"{{{SE}}}PointSymbolizer"),
                                f"{{{SE}}}Graphic")
        mark = ET.SubElement(graphic, f"{{{SE}}}Mark")
        ET.SubElement(mark, f"{{{SE}}}WellKnownName").text = SHAPES[sym.shape]
        fill = ET.SubElement(mark, f"{{{SE}}}Fill")
        _param(fill, "fill", sym.color or "#000000")
        if sym.outline:
            stroke(mark, sym.outline, sym.width_mm)
        ET.SubElement(graphic, f"{{{SE}}}Size").text = f"{sym.size_mm * 3.78:.1f}"


def to_sld(style: LayerStyle) -> str:
    """Serialise ``style`` as an SLD 1.1 document (what QGIS stores in ``styleSLD``)."""
    for prefix, uri in (("sld", SLD), ("se", SE), ("ogc", OGC)):
        ET.register_namespace(prefix, uri)
    root = ET.Element(f"{{{SLD}}}StyledLayerDescriptor", version="1.1.0")
    layer = ET.SubElement(root, f"{{{SLD}}}NamedLayer")
    ET.SubElement(layer, f"{{{SE}}}Name").text = style.layer
    user = ET.SubElement(layer, f"{{{SLD}}}UserStyle")
    ET.SubElement(user, f"{{{SE}}}Name").text = style.layer
    fts = ET.SubElement(user, f"{{{SE}}}FeatureTypeStyle")
    entries = ([(None, style.title, style.symbol)] if style.attr is None
               else [(c.value, c.label, c.symbol) for c in style.categories])
    for value, label, sym in entries:
        rule = ET.SubElement(fts, f"{{{SE}}}Rule")
        ET.SubElement(rule, f"{{{SE}}}Name").text = label
        if value is not None:
            flt = ET.SubElement(rule, f"{{{OGC}}}Filter")
            eq = ET.SubElement(flt, f"{{{OGC}}}PropertyIsEqualTo")
            ET.SubElement(eq, f"{{{OGC}}}PropertyName").text = style.attr
            ET.SubElement(eq, f"{{{OGC}}}Literal").text = value
        assert sym is not None
        _sld_symbolizer(rule, sym)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
