"""The GeoPackage of a plan gains cables, closures and ODFs once the fibre layer is designed."""

from __future__ import annotations

import shutil
import subprocess

import pyogrio
from sqlalchemy import func, select

from fonet.fibre.design import design
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import make_engine, reader, transaction
from fonet.store.fibre import Closure, FibreCable, Odf
from gis.export import export_plan
from gis.export.layers import LAYER_ORDER


def test_gpkg_has_cable_closure_and_odf_layers(regency_db_file, tmp_path) -> None:
    dst = tmp_path / "fonet.db"
    shutil.copy(regency_db_file, dst)
    eng = make_engine(f"sqlite:///{dst}")
    with transaction(eng) as s:
        pid = run_plan(s, load_profile()).plan_id
    out = tmp_path / "plan.gpkg"
    plain = export_plan(eng, pid, "gpkg", out)
    assert "cables" not in plain["layers"]
    with transaction(eng) as s:
        design(s, pid)
    result = export_plan(eng, pid, "gpkg", out)
    with reader(eng) as s:
        truth = {name: s.scalar(select(func.count()).select_from(t))
                 for name, t in (("cables", FibreCable), ("closures", Closure), ("odfs", Odf))}
    names = [n for n, _ in pyogrio.list_layers(out)]
    assert set(LAYER_ORDER) <= set(names)
    for name, n in truth.items():
        assert n > 0 and result["layers"][name] == n
        info = pyogrio.read_info(out, layer=name)
        assert info["features"] == n and info["crs"] == "EPSG:4326"
    proc = subprocess.run(["ogrinfo", "-so", str(out), "cables"], capture_output=True,
                          text=True, check=True)
    for field in ("code: String", "cores: Integer", "fibres_in_use: Integer",
                  "tube_layout: String"):
        assert field in proc.stdout
    eng.dispose()
