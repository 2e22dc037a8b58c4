"""GeoPackage layers of the fibre layer: cables, closures and ODFs."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
from sqlalchemy import Engine, func, select

from fonet.fibre.geometry import cable_lines, odf_points
from fonet.store import reader
from fonet.store.fibre import Closure, Fibre, FibreCable, Odf, Splice
from fonet.store.models import Site

FIBRE_LAYERS = ("cables", "closures", "odfs")


def fibre_layers(engine: Engine) -> dict[str, gpd.GeoDataFrame]:
    """Return the fibre layer's cables, closures and ODFs as GeoDataFrames (EPSG:4326)."""
    with reader(engine) as s:
        cables = s.scalars(select(FibreCable).order_by(FibreCable.id)).all()
        lines = cable_lines(s)
        in_use = dict(s.execute(select(Fibre.cable_id, func.count()).where(
            Fibre.state == "in_use").group_by(Fibre.cable_id)).all())
        spare = dict(s.execute(select(Fibre.cable_id, func.count()).where(
            Fibre.state == "spare").group_by(Fibre.cable_id)).all())
        closures = s.scalars(select(Closure).order_by(Closure.id)).all()
        n_splices = dict(s.execute(select(Splice.closure_id, func.count())
                                   .group_by(Splice.closure_id)).all())
        odfs = s.execute(select(Odf, Site.code).join(Site, Site.id == Odf.site_id)
                         .order_by(Odf.id)).all()
        points = odf_points(s)
    layers = {
        "cables": gpd.GeoDataFrame(
            [{"code": c.code, "role": c.role, "cores": c.cores, "tube_layout": c.tube_layout,
              "cable_type": c.cable_type, "install_method": c.install_method,
              "status": c.status, "length_m": round(c.length_m, 1),
              "fibres_in_use": in_use.get(c.id, 0), "fibres_spare": spare.get(c.id, 0)}
             for c in cables if c.id in lines],
            geometry=[lines[c.id] for c in cables if c.id in lines], crs="EPSG:4326"),
        "closures": gpd.GeoDataFrame(
            [{"code": c.code, "kind": c.kind, "status": c.status, "trays": c.trays,
              "splices": n_splices.get(c.id, 0)} for c in closures],
            geometry=gpd.points_from_xy([c.lon for c in closures], [c.lat for c in closures]),
            crs="EPSG:4326"),
        "odfs": gpd.GeoDataFrame(
            [{"code": o.code, "kind": o.kind, "site": code, "ports": o.ports,
              "status": o.status} for o, code in odfs],
            geometry=[points[o.id] for o, _ in odfs], crs="EPSG:4326"),
    }
    return layers


def add_fibre_layers(engine: Engine, gpkg: Path) -> dict[str, int]:
    """Append the cables, closures and ODFs layers to a GeoPackage, when there is a fibre layer.

    Returns
    -------
    dict
        Feature count per layer written (empty when the store has no cable).
    """
    with reader(engine) as s:
        if s.scalar(select(func.count()).select_from(FibreCable)) == 0:
            return {}
    layers = fibre_layers(engine)
    for name, gdf in layers.items():
        pyogrio.write_dataframe(gdf, gpkg, layer=name, driver="GPKG",
                                layer_options={"IDENTIFIER": name})
    return {k: len(v) for k, v in layers.items()}
