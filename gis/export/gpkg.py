"""GeoPackage (one file, every layer, QGIS styles inside) and GeoJSON (one file per layer)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyogrio

from gis.export.files import atomic_files, output_dir
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


def write_geojson(pl: PlanLayers, out: Path, *, lang: str = "id") -> list[Path]:
    """Write one RFC 7946 GeoJSON file per layer (plus its QGIS ``.qml`` style) into ``out``.

    Parameters
    ----------
    pl
        The plan's layers.
    out
        A folder (created if missing); ``<layer>.geojson`` and ``<layer>.qml`` files in it
        are replaced atomically, other files are left alone.
    lang
        Language of the legend labels in the ``.qml`` styles.

    Returns
    -------
    list of Path
        The GeoJSON files written.
    """
    out = output_dir(out)
    styles = plan_styles(pl, lang)
    names = list(pl.layers)
    targets = [out / f"{n}.geojson" for n in names] + [out / f"{n}.qml" for n in names]
    with atomic_files(targets) as temps:
        for name, tmp in zip(names, temps, strict=False):
            pyogrio.write_dataframe(pl.layers[name], tmp, layer=name, driver="GeoJSON",
                                    layer_options={"RFC7946": "YES", "WRITE_NAME": "NO"})
        for name, tmp in zip(names, temps[len(names):], strict=True):
            tmp.write_text(to_qml(styles[name]), encoding="utf-8")
    return targets[:len(names)]
