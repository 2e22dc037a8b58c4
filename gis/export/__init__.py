"""Masterplan exports of a stored plan: GeoPackage, GeoJSON, KML, CSV and the A3 print.

:func:`export_plan` is the one entry point (the command line and the HTTP service call it);
every format reads the plan from the store tables through :func:`gis.export.layers.load_layers`
and writes atomically.

=========  ==========================================================================
format     ``out``
=========  ==========================================================================
gpkg       one ``.gpkg`` file, every layer, QGIS styles in ``layer_styles``
geojson    a folder: ``<layer>.geojson`` (RFC 7946) and ``<layer>.qml`` per layer
kml        one ``.kml`` file for Google Earth
csv        ``<out>_bom.csv`` and ``<out>_coverage.csv``, or ``bom.csv`` and
           ``coverage.csv`` inside ``out`` when it is a folder (see :mod:`.tables`)
xlsx       one ``.xlsx`` workbook: bill, phases, coverage, loss per site, unit prices
png, pdf   the A3 landscape map
=========  ==========================================================================
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from fonet.errors import InputError
from gis.export.labels import check_lang


class ExportFormat(StrEnum):
    """The formats a plan exports to."""

    gpkg = "gpkg"
    geojson = "geojson"
    kml = "kml"
    csv = "csv"
    xlsx = "xlsx"
    png = "png"
    pdf = "pdf"


class Lang(StrEnum):
    """Languages of labels and legends."""

    id = "id"
    en = "en"


FORMATS = tuple(f.value for f in ExportFormat)


def export_plan(engine: Engine, plan_id: int | None, fmt: str, out: Path | str, *,
                lang: str = "id") -> dict[str, Any]:
    """Export a stored plan.

    Parameters
    ----------
    engine
        The store.
    plan_id
        The plan to export; the newest plan when ``None``.
    fmt
        One of :data:`FORMATS`.
    out
        Output file, folder or prefix (see the module doc).
    lang
        ``id`` (Indonesian, the default) or ``en`` for labels, legends and the print.

    Returns
    -------
    dict
        ``plan_id``, ``format``, ``files`` (paths written), ``layers`` (feature count per
        layer) and ``seconds``.

    Raises
    ------
    fonet.errors.NotFoundError
        No plan has ``plan_id``.
    fonet.errors.InputError
        Unknown format or language, or ``out`` unusable for the format.
    """
    t0 = time.perf_counter()
    if fmt not in FORMATS:
        raise InputError("--format", f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    check_lang(lang)
    out = Path(out).expanduser()
    from gis.export.layers import load_layers

    pl = load_layers(engine, plan_id)
    if fmt == "gpkg":
        from gis.export.gpkg import write_gpkg

        files = write_gpkg(pl, out, lang=lang)
    elif fmt == "geojson":
        from gis.export.gpkg import write_geojson

        files = write_geojson(pl, out, lang=lang)
    elif fmt == "kml":
        from gis.export.kml import write_kml

        files = write_kml(pl, out, lang=lang)
    elif fmt == "csv":
        from gis.export.tables import write_csv

        files = write_csv(pl, out, lang=lang)
    elif fmt == "xlsx":
        from gis.export.workbook import write_xlsx

        files = write_xlsx(pl, out, lang=lang)
    else:
        from gis.export.printmap import write_map

        files = write_map(pl, out, fmt=fmt, lang=lang)
    return {"plan_id": pl.plan_id, "format": fmt, "files": [str(f) for f in files],
            "layers": {k: len(v) for k, v in pl.layers.items()},
            "seconds": round(time.perf_counter() - t0, 3)}
