"""GeoPackage (one file, every layer, QGIS styles inside) and GeoJSON (one file per layer)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pyogrio

from gis.export.files import atomic_dir, atomic_files
from gis.export.layers import PlanLayers
from gis.export.qml import to_qml, to_sld
from gis.export.styles import plan_styles

LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS "layer_styles" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "f_table_catalog" TEXT(256),
    "f_table_schema" TEXT(256),
    "f_table_name" TEXT(256),
    "f_geometry_column" TEXT(256),
    "styleName" TEXT(30),
    "styleQML" TEXT,
    "styleSLD" TEXT,
    "useAsDefault" BOOLEAN,
    "description" TEXT,
    "owner" TEXT(30),
    "ui" TEXT(30),
    "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""


def _add_layer_styles(path: Path, pl: PlanLayers, lang: str) -> int:
    """Store a default QGIS style for every layer in the ``layer_styles`` table, as QGIS does."""
    styles = plan_styles(pl, lang)
    con = sqlite3.connect(path)
    try:
        with con:
            geom_cols = dict(con.execute(
                "SELECT table_name, column_name FROM gpkg_geometry_columns"))
            con.execute(LAYER_STYLES_DDL)
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
                "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', '', "
                "strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
            rows = [("", "", name, geom_cols[name], name, to_qml(st), to_sld(st), True,
                     st.title, "", None)
                    for name, st in styles.items() if name in geom_cols]
            con.executemany(
                'INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, '
                'f_geometry_column, "styleName", "styleQML", "styleSLD", "useAsDefault", '
                'description, owner, ui) VALUES (?,?,?,?,?,?,?,?,?,?,?)', rows)
    finally:
        con.close()
    return len(rows)


def write_gpkg(pl: PlanLayers, out: Path, *, lang: str = "id") -> list[Path]:
    """Write every layer of ``pl`` and its QGIS style into the GeoPackage ``out``.

    Parameters
    ----------
    pl
        The plan's layers.
    out
        The ``.gpkg`` file; replaced atomically if it exists.
    lang
        Language of the legend labels in the stored styles.

    Returns
    -------
    list of Path
        ``[out]``.
    """
    styles = plan_styles(pl, lang)
    with atomic_files([out]) as (tmp,):
        for i, (name, gdf) in enumerate(pl.layers.items()):
            # GeoPackage 1.2: what GDAL 3.x and QGIS 3.x of every supported release read
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG",
                                    dataset_options={"VERSION": "1.2"} if i == 0 else None,
                                    layer_options={"DESCRIPTION": styles[name].title,
                                                   "IDENTIFIER": name})
        _add_layer_styles(tmp, pl, lang)
    return [out]


DECIMALS = (("_km2", 4), ("_km", 4), ("_m", 1), ("_db", 2), ("_dbm", 2), ("_idr", 0),
            ("_pct", 1))
"""Decimals kept per unit suffix: 0.1 m for lengths (0.0001 km), 0.01 dB, whole rupiah."""
COORDINATE_DECIMALS = 7
"""Decimals of a degree kept in GeoJSON: 7 decimals is about 1 cm, finer than any survey here."""


def rounded(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Round the measures of ``gdf`` to what they mean (see :data:`DECIMALS`).

    Columns are recognised by their unit suffix (``length_m``, ``area_km2``, ``loss_1550_db``,
    ``cost_idr``, ``coverage_pct``); ``km_summary`` is in kilometres.
    """
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name or out[col].dtype.kind != "f":
            continue
        name = "x_km" if col == "km_summary" else col
        for suffix, digits in DECIMALS:
            if name.endswith(suffix):
                out[col] = out[col].round(digits)
                break
    return out


def geojson_names(pl: PlanLayers) -> list[str]:
    """Return the file names a GeoJSON export of ``pl`` writes: ``<layer>.geojson`` and ``.qml``."""
    return [f"{n}{ext}" for ext in (".geojson", ".qml") for n in pl.layers]


def write_geojson(pl: PlanLayers, out: Path, *, lang: str = "id") -> list[Path]:
    """Write one RFC 7946 GeoJSON file per layer (plus its QGIS ``.qml`` style) into ``out``.

    Coordinates keep 7 decimals of a degree and measures their meaningful precision (0.1 m,
    0.01 dB: :func:`rounded`).

    Parameters
    ----------
    pl
        The plan's layers.
    out
        A folder, written whole: the files are made in a temporary folder beside it, which
        then replaces it. An existing ``out`` may hold only a previous GeoJSON export.
    lang
        Language of the legend labels in the ``.qml`` styles.

    Returns
    -------
    list of Path
        The GeoJSON files written.
    """
    styles = plan_styles(pl, lang)
    names = list(pl.layers)
    with atomic_dir(out, owned=geojson_names(pl)) as tmp:
        for name in names:
            pyogrio.write_dataframe(rounded(pl.layers[name]), tmp / f"{name}.geojson",
                                    layer=name, driver="GeoJSON",
                                    layer_options={"RFC7946": "YES", "WRITE_NAME": "NO",
                                                   "COORDINATE_PRECISION":
                                                       str(COORDINATE_DECIMALS)})
        for name in names:
            (tmp / f"{name}.qml").write_text(to_qml(styles[name]), encoding="utf-8")
    return [out / f"{n}.geojson" for n in names]
