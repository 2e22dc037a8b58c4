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
kmz        the same, zipped with its icons (``.kmz``)
csv        ``<out>_bom.csv`` and ``<out>_coverage.csv``, or ``bom.csv`` and
           ``coverage.csv`` inside ``out`` when it is a folder (see :mod:`.tables`)
xlsx       one ``.xlsx`` workbook: bill, phases, coverage, loss per site, unit prices
png, pdf   the A3 landscape map
atlas      a ``.pdf``: the A3 map, a table of contents, the ring schematic and one page
           per kecamatan (or, with ``kecamatan``, that kecamatan's page alone)
=========  ==========================================================================

``out`` is checked before any work (:func:`gis.export.files.check_target`): an extension that
contradicts the format, an output that exists and is not a regular file, or a parent that is
not a folder is an :class:`~fonet.errors.InputError`, and nothing is written.
"""

from __future__ import annotations

import errno
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from fonet.errors import InputError
from gis.export.files import check_target
from gis.export.labels import check_lang


class ExportFormat(StrEnum):
    """The formats a plan exports to."""

    gpkg = "gpkg"
    geojson = "geojson"
    kml = "kml"
    kmz = "kmz"
    csv = "csv"
    xlsx = "xlsx"
    png = "png"
    pdf = "pdf"
    atlas = "atlas"


class Lang(StrEnum):
    """Languages of labels and legends."""

    id = "id"
    en = "en"


FORMATS = tuple(f.value for f in ExportFormat)


def export_plan(engine: Engine, plan_id: int | None, fmt: str, out: Path | str, *,
                lang: str = "id", kecamatan: str | None = None) -> dict[str, Any]:
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
    kecamatan
        ``atlas`` only: the name or code of one kecamatan, whose page alone is written.

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
        Unknown format, language or kecamatan, or ``out`` unusable for the format; a folder
        that cannot be written.
    """
    t0 = time.perf_counter()
    extra: dict[str, int] = {}
    if fmt not in FORMATS:
        raise InputError("--format", f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    check_lang(lang)
    if kecamatan is not None and fmt != "atlas":
        raise InputError("--kecamatan", f"only --format atlas writes a single kecamatan page, "
                                        f"not --format {fmt}")
    out = Path(out).expanduser()
    check_target(out, fmt)
    from gis.export.layers import load_layers

    pl = load_layers(engine, plan_id)
    try:
        files = _write(pl, fmt, out, lang, kecamatan)
        if fmt == "gpkg":  # the fibre layer, where one is designed: cables, closures, ODFs
            from gis.export.fibre_layers import add_fibre_layers

            extra = add_fibre_layers(engine, out)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR):
            raise InputError("--out", f"cannot write {exc.filename or out}: "
                                      f"{exc.strerror}") from None
        raise
    return {"plan_id": pl.plan_id, "format": fmt, "files": [str(f) for f in files],
            "layers": {**{k: len(v) for k, v in pl.layers.items()}, **extra},
            "seconds": round(time.perf_counter() - t0, 3)}


def _write(pl: Any, fmt: str, out: Path, lang: str, kecamatan: str | None) -> list[Path]:
    if fmt == "gpkg":
        from gis.export.gpkg import write_gpkg

        files = write_gpkg(pl, out, lang=lang)
    elif fmt == "geojson":
        from gis.export.gpkg import write_geojson

        files = write_geojson(pl, out, lang=lang)
    elif fmt in ("kml", "kmz"):
        from gis.export.kml import write_kml

        files = write_kml(pl, out, lang=lang, kmz=fmt == "kmz")
    elif fmt == "csv":
        from gis.export.tables import write_csv

        files = write_csv(pl, out, lang=lang)
    elif fmt == "atlas":
        from gis.export.atlas import write_atlas

        files = write_atlas(pl, out, lang=lang, kecamatan=kecamatan)
    elif fmt == "xlsx":
        from gis.export.workbook import write_xlsx

        files = write_xlsx(pl, out, lang=lang)
    else:
        from gis.export.printmap import write_map

        files = write_map(pl, out, fmt=fmt, lang=lang)
    return files
