"""KML and KMZ for Google Earth, styled like the printed map.

The document holds the regency boundary, the backbone (rings, core POP and hubs), then a
``Kecamatan`` folder with one folder per kecamatan (id ``kec-<code>``): its outline, its
villages coloured by coverage, its served offices and its access cables.

Every ``id`` in the document is unique: styles are ``style-…``, folders ``folder-…`` or
``kec-<code>``. Names and the description tables a reader sees follow ``--lang`` (words and
number formatting: ``1.234,5`` in Indonesian); ``ExtendedData`` keeps the raw values and field
names of the other exports, so the file can be joined and re-read. ``kmz`` is the same document
zipped as ``doc.kml``.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry, BaseMultipartGeometry

from gis.export import labels as lb
from gis.export.files import atomic_files
from gis.export.layers import PlanLayers
from gis.export.styles import ROLE_SYMBOLS, Symbol, plan_styles

NS = "http://www.opengis.net/kml/2.2"
ICONS = {"star": "http://maps.google.com/mapfiles/kml/shapes/star.png",
         "square": "http://maps.google.com/mapfiles/kml/shapes/square.png",
         "circle": "http://maps.google.com/mapfiles/kml/shapes/shaded_dot.png"}


def _abgr(color: str | None, alpha: float = 1.0) -> str:
    """``#rrggbb`` → KML ``aabbggrr``."""
    if color is None:
        return "00000000"
    return f"{round(255 * alpha):02x}{color[5:7]}{color[3:5]}{color[1:3]}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _style(doc: ET.Element, sid: str, sym: Symbol, *, fill_alpha: float = 0.7) -> None:
    st = _sub(doc, "Style", id=sid)
    if sym.kind == "marker":
        icon = _sub(st, "IconStyle")
        _sub(icon, "color", _abgr(sym.color))
        _sub(icon, "scale", f"{max(sym.size_mm / 3.0, 0.4):.2f}")
        _sub(_sub(icon, "Icon"), "href", ICONS.get(sym.shape, ICONS["circle"]))
        _sub(_sub(st, "LabelStyle"), "scale", "0.7" if sym.size_mm >= 3 else "0")
        return
    line = _sub(st, "LineStyle")
    _sub(line, "color", _abgr(sym.outline if sym.kind == "fill" else sym.color))
    _sub(line, "width", f"{max(sym.width_mm * 4, 1):.1f}")
    if sym.kind == "fill":
        poly = _sub(st, "PolyStyle")
        _sub(poly, "color", _abgr(sym.color, fill_alpha))
        _sub(poly, "fill", "1" if sym.color else "0")
        _sub(poly, "outline", "1" if sym.outline else "0")


def _coords(seq: Any) -> str:
    return " ".join(f"{x:.6f},{y:.6f}" for x, y, *_ in seq)


def _geometry(parent: ET.Element, geom: BaseGeometry) -> None:
    if isinstance(geom, BaseMultipartGeometry):  # Multi* and GeometryCollection
        multi = _sub(parent, "MultiGeometry")
        for part in geom.geoms:
            _geometry(multi, part)
    elif isinstance(geom, Point):
        _sub(_sub(parent, "Point"), "coordinates", f"{geom.x:.6f},{geom.y:.6f}")
    elif isinstance(geom, LineString):
        line = _sub(parent, "LineString")
        _sub(line, "tessellate", "1")
        _sub(line, "coordinates", _coords(geom.coords))
    elif isinstance(geom, Polygon):
        poly = _sub(parent, "Polygon")
        _sub(poly, "tessellate", "1")
        ring = _sub(_sub(poly, "outerBoundaryIs"), "LinearRing")
        _sub(ring, "coordinates", _coords(geom.exterior.coords))
        for hole in geom.interiors:
            _sub(_sub(_sub(poly, "innerBoundaryIs"), "LinearRing"), "coordinates",
                 _coords(hole.coords))


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and pandas NA
    except (TypeError, ValueError):
        return True


def _fmt(value: Any, lang: str, digits: int = 2) -> str:
    """Format a value for a reader in ``lang``: localised separators, ``–`` when missing."""
    if _missing(value):
        return "–"
    if isinstance(value, bool):
        return lb.text("yes" if value else "no", lang)
    if isinstance(value, float):
        return lb.number(value, digits, lang)
    if isinstance(value, int) or hasattr(value, "__index__"):
        return lb.number(int(value), 0, lang)
    return str(value)


def _raw(value: Any) -> str:
    """Format a value for ``ExtendedData``: as stored, ``.`` as the decimal separator."""
    if _missing(value):
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


Row = tuple[str, Any] | tuple[str, Any, int]


def _placemark(parent: ET.Element, name: str, style: str, geom: BaseGeometry,
               rows: list[Row], data: dict[str, Any], lang: str) -> None:
    pm = _sub(parent, "Placemark")
    _sub(pm, "name", name)
    cells = []
    for row in rows:
        label, value = row[0], row[1]
        digits = row[2] if len(row) > 2 else 2
        cells.append(f"<tr><th align='left'>{html.escape(label)}</th>"
                     f"<td>{html.escape(_fmt(value, lang, digits))}</td></tr>")
    _sub(pm, "description", f"<table>{''.join(cells)}</table>")
    _sub(pm, "styleUrl", f"#{style}")
    ext = _sub(pm, "ExtendedData")
    for k, v in data.items():
        _sub(_sub(ext, "Data", name=k), "value", _raw(v))
    _geometry(pm, geom)


def build_kml(pl: PlanLayers, lang: str = "id") -> ET.Element:
    """Build the KML document of a plan (see the module doc for its folders)."""
    t = lambda key: lb.text(key, lang)  # noqa: E731
    styles = plan_styles(pl, lang)
    root = ET.Element("kml", xmlns=NS)
    doc = _sub(root, "Document", id="fonet-plan")
    _sub(doc, "name", f"{t('title')} – {pl.name}")
    _sub(doc, "description", f"{t('plan')} {pl.plan_id} ({pl.name}). {lb.subtitle(pl, lang)}")
    for c in styles["villages"].categories:
        _style(doc, f"style-village-{c.value}", c.symbol, fill_alpha=0.55)
    for c in styles["spans"].categories:
        _style(doc, f"style-span-{c.value}", c.symbol)
    for role, sym in ROLE_SYMBOLS.items():
        _style(doc, f"style-site-{role}", sym)
    _style(doc, "style-boundary", styles["boundary"].symbol)  # type: ignore[arg-type]
    _style(doc, "style-kecamatan", styles["kecamatan"].symbol)  # type: ignore[arg-type]
    for c in styles["rings"].categories:
        _style(doc, f"style-ring-{c.value}", c.symbol)

    f = _sub(doc, "Folder", id="folder-boundary")
    _sub(f, "name", t("boundary"))
    for b in pl.layers["boundary"].itertuples():
        _placemark(f, b.name, "style-boundary", b.geometry,
                   [(t("code"), b.code), (t("area_km2"), b.area_km2, 1)], {"code": b.code},
                   lang)

    bb = _sub(doc, "Folder", id="folder-backbone")
    _sub(bb, "name", t("rings_folder"))
    for r in pl.layers["rings"].itertuples():
        _placemark(bb, f"{t('ring')} {r.ring + 1}", f"style-ring-{r.ring}", r.geometry,
                   [(t("length_km"), r.length_m / 1000, 2), (t("cores"), r.cores),
                    (t("hubs_count"), r.hubs), (t("cost_idr"), r.cost_idr, 0)],
                   {"ring": r.ring, "members": r.members, "length_m": r.length_m,
                    "cores": r.cores, "cost_idr": r.cost_idr}, lang)
    for h in pl.layers["hubs"].itertuples():
        _placemark(bb, h.name, f"style-site-{h.role}", h.geometry,
                   [(t("code"), h.code), (t("kecamatan"), h.kecamatan),
                    (t("role"), t(h.role)), (t("rings_of"), h.rings or "–")],
                   {"code": h.code, "role": h.role, "kecamatan_code": h.kecamatan_code},
                   lang)

    villages = pl.layers["villages"]
    sites = pl.layers["sites"]
    spans = pl.layers["spans"]
    top = _sub(doc, "Folder", id="folder-kecamatan")
    _sub(top, "name", t("kecamatan_folder"))
    for k in pl.layers["kecamatan"].itertuples():
        kf = _sub(top, "Folder", id=f"kec-{k.code}")
        _sub(kf, "name", k.name)
        _sub(kf, "description", f"{k.code} · {t('villages')}: {_fmt(k.villages, lang)} · "
                                f"{t('hub_of')}: {k.hub_name or '–'}")
        _placemark(kf, k.name, "style-kecamatan", k.geometry,
                   [(t("code"), k.code), (t("villages"), k.villages),
                    (t("built"), k.villages_built), (t("planned"), k.villages_planned),
                    (t("not_covered"), k.villages_not_covered), (t("hub_of"), k.hub_name),
                    (t("cable_km"), k.cable_km, 2), (t("cost_idr"), k.cost_idr, 0)],
                   {"code": k.code, "cable_km": k.cable_km, "cost_idr": k.cost_idr}, lang)
        vf = _sub(kf, "Folder", id=f"kec-{k.code}-villages")
        _sub(vf, "name", t("villages_folder"))
        for v in villages[villages["kecamatan_code"] == k.code].itertuples():
            _placemark(vf, v.name, f"style-village-{v.status}", v.geometry,
                       [(t("code"), v.code), (t("status"), t(v.status)),
                        (t("hub_of"), v.hub_name), (t("path_m"), v.path_m, 1),
                        (t("loss") + " 1310 nm (dB)", v.loss_1310_db),
                        (t("loss") + " 1550 nm (dB)", v.loss_1550_db)],
                       {"code": v.code, "status": v.status}, lang)
        sf = _sub(kf, "Folder", id=f"kec-{k.code}-sites")
        _sub(sf, "name", t("sites_folder"))
        ks = sites[(sites["plan_kecamatan_code"] == k.code) & (sites["plan_role"] == "access")]
        for s in ks.itertuples():
            _placemark(sf, s.name, "style-site-access", s.geometry,
                       [(t("code"), s.code), (t("kind"), lb.site_kind(s.kind, lang)),
                        (t("status"), t(s.status)), (t("hub_of"), s.hub_code),
                        (t("path_m"), s.path_m, 1),
                        (t("loss") + " 1550 nm (dB)", s.loss_1550_db)],
                       {"code": s.code, "kind": s.kind, "status": s.status}, lang)
        af = _sub(kf, "Folder", id=f"kec-{k.code}-access")
        _sub(af, "name", t("access_folder"))
        for sp in spans[spans["kecamatan_code"] == k.code].itertuples():
            method = lb.install_method(sp.install_method, lang)
            _placemark(af, f"{sp.cores} {t('cores').lower()} · {method}",
                       f"style-span-{sp.category}", sp.geometry,
                       [(t("cores"), sp.cores), (t("install_method"), method),
                        (t("length_m"), sp.length_m, 1), (t("phase").capitalize(), sp.phase),
                        (t("cost_idr"), sp.cost_idr, 0)],
                       {"span_id": sp.span_id, "cores": sp.cores, "phase": sp.phase,
                        "install_method": sp.install_method, "length_m": sp.length_m}, lang)
    return root


def write_kml(pl: PlanLayers, out: Path, *, lang: str = "id", kmz: bool = False) -> list[Path]:
    """Write the plan as one KML file (or a KMZ archive) for Google Earth, atomically.

    Parameters
    ----------
    pl
        The plan's layers.
    out
        The ``.kml`` or ``.kmz`` file.
    lang
        Language of names and descriptions.
    kmz
        Zip the document as ``doc.kml`` inside a KMZ archive.

    Returns
    -------
    list of Path
        ``[out]``.
    """
    root = build_kml(pl, lang)
    if not kmz:
        ET.indent(root, space=" ")
    with atomic_files([out]) as (tmp,):
        if kmz:
            data = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
                z.writestr("doc.kml", data)
        else:
            ET.ElementTree(root).write(tmp, encoding="UTF-8", xml_declaration=True)
    return [out]
