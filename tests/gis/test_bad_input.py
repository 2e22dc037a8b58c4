"""Bad input files: one clear error naming the file and feature, exit code 2, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from fonet.errors import InputError
from fonet.store import make_engine, reader
from fonet.store import models as m
from gis.load import import_sites, init_store

VILLAGES = "kab_mojokerto_desa_kelurahan.geojson"


def _edit_villages(data: Path, edit) -> None:  # noqa: ANN001
    path = data / VILLAGES
    doc = json.loads(path.read_text())
    edit(doc["features"])
    path.write_text(json.dumps(doc))


def _assert_empty(url: str) -> None:
    eng = make_engine(url)
    if "area" in inspect(eng).get_table_names():
        with reader(eng) as s:
            assert s.scalar(select(func.count()).select_from(m.Area)) == 0
            assert s.scalar(select(func.count()).select_from(m.Site)) == 0
            assert s.scalar(select(func.count()).select_from(m.RouteEdge)) == 0
    eng.dispose()


def _init_fails(data: Path, tmp_path: Path, *needles: str) -> None:
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    with pytest.raises(InputError) as info:
        init_store(make_engine(url), data)
    for needle in needles:
        assert needle in str(info.value)
    _assert_empty(url)


def test_non_utf8_file(data_copy: Path, tmp_path: Path) -> None:
    path = data_copy / VILLAGES
    path.write_bytes(path.read_bytes().replace(b"Tawangrejo", "Tawangr\u00e9jo".encode("latin-1")))
    _init_fails(data_copy, tmp_path, VILLAGES, "not UTF-8")


def test_malformed_json(data_copy: Path, tmp_path: Path) -> None:
    path = data_copy / VILLAGES
    path.write_text(path.read_text()[:5000])
    _init_fails(data_copy, tmp_path, VILLAGES, "malformed JSON")


def test_projected_coordinates_without_crs(data_copy: Path, tmp_path: Path) -> None:
    """UTM metres in a file that declares no CRS are not taken for degrees."""
    path = data_copy / "kab_mojokerto_kecamatan.geojson"
    doc = json.loads(path.read_text())
    doc.pop("crs", None)
    ring = [[665000.0 + dx, 9170000.0 + dy] for dx, dy in [(0, 0), (900, 0), (900, 900), (0, 0)]]
    doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    path.write_text(json.dumps(doc))
    _init_fails(data_copy, tmp_path, "kab_mojokerto_kecamatan.geojson", "not plausible lon/lat")


def test_village_outside_regency(data_copy: Path, tmp_path: Path) -> None:
    def shift(features):  # noqa: ANN001, ANN202 - move one village to Surabaya
        geom = features[5]["geometry"]
        rings = geom["coordinates"] if geom["type"] == "Polygon" else geom["coordinates"][0]
        for ring in rings:
            for pt in ring:
                pt[0] += 0.25
    _edit_villages(data_copy, shift)
    code = json.loads((data_copy / VILLAGES).read_text())["features"][5]["properties"]["kode"]
    _init_fails(data_copy, tmp_path, VILLAGES, code, "outside the regency")


def test_invalid_polygon(data_copy: Path, tmp_path: Path) -> None:
    def bowtie(features):  # noqa: ANN001, ANN202
        features[3]["geometry"] = {"type": "Polygon", "coordinates": [[
            [112.45, -7.60], [112.46, -7.61], [112.46, -7.60], [112.45, -7.61], [112.45, -7.60]]]}
    _edit_villages(data_copy, bowtie)
    code = json.loads((data_copy / VILLAGES).read_text())["features"][3]["properties"]["kode"]
    _init_fails(data_copy, tmp_path, VILLAGES, code, "invalid geometry")


def test_duplicate_codes(data_copy: Path, tmp_path: Path) -> None:
    def dup(features):  # noqa: ANN001, ANN202
        features[10]["properties"]["kode"] = features[11]["properties"]["kode"]
    _edit_villages(data_copy, dup)
    _init_fails(data_copy, tmp_path, VILLAGES, "duplicate code", "kode")


def test_missing_field(data_copy: Path, tmp_path: Path) -> None:
    def drop(features):  # noqa: ANN001, ANN202
        for f in features:
            f["properties"].pop("kode_kec")
    _edit_villages(data_copy, drop)
    _init_fails(data_copy, tmp_path, VILLAGES, "kode_kec", "missing column")


def test_missing_data_dir(tmp_path: Path) -> None:
    _init_fails(tmp_path / "nowhere", tmp_path, "nowhere", "not found")


# --- fonet import sites ------------------------------------------------------------------------

GOOD = "code,name,kind,lon,lat\n"
BUPATI = "OPD-BUPATI,Kantor Bupati Mojokerto,opd,112.4340,-7.4720\n"  # in Kota Mojokerto
DPRD = "OPD-DPRD,DPRD Kabupaten Mojokerto,opd,112.4290,-7.4895\n"  # Sooko


def _count_sites(url: str) -> int:
    with reader(make_engine(url)) as s:
        return s.scalar(select(func.count()).select_from(m.Site))


def _import_fails(url: str, path: Path, *needles: str) -> None:
    before = _count_sites(url)
    with pytest.raises(InputError) as info:
        import_sites(make_engine(url), path)
    assert str(path) in str(info.value)
    for needle in needles:
        assert needle in str(info.value)
    assert _count_sites(url) == before


def test_import_sites_csv_and_kota_mojokerto(regency_db: str, tmp_path: Path) -> None:
    path = tmp_path / "opd.csv"
    path.write_text(GOOD + BUPATI + DPRD)
    result = import_sites(make_engine(regency_db), path)
    assert result["imported"] == 2
    assert result["outside_villages"] == ["OPD-BUPATI"]
    with reader(make_engine(regency_db)) as s:
        dprd = s.scalar(select(m.Site).where(m.Site.code == "OPD-DPRD"))
        assert dprd.kecamatan_code == "35.16.13"  # Sooko
        assert dprd.snap_m is not None and dprd.snap_m < 5000
        bupati = s.scalar(select(m.Site).where(m.Site.code == "OPD-BUPATI"))
        assert bupati.village_code is None and bupati.snap_m is not None


def test_import_sites_geojson(regency_db: str, tmp_path: Path) -> None:
    path = tmp_path / "opd.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [112.5660, -7.5070]},
         "properties": {"code": "OPD-MOJOSARI", "name": "Pendopo Mojosari", "kind": "opd",
                        "location_source": "surveyed", "phone": "0321-000"}}]}))
    assert import_sites(make_engine(regency_db), path)["imported"] == 1
    with reader(make_engine(regency_db)) as s:
        site = s.scalar(select(m.Site).where(m.Site.code == "OPD-MOJOSARI"))
    assert site.location_source == "surveyed"
    assert site.attrs["phone"] == "0321-000"


def test_site_in_surabaya_is_refused(regency_db: str, tmp_path: Path) -> None:
    path = tmp_path / "opd.csv"
    path.write_text(GOOD + DPRD + "OPD-SBY,Balai Kota Surabaya,opd,112.7470,-7.2600\n")
    _import_fails(regency_db, path, "OPD-SBY", "outside the regency")


def test_unknown_kind(regency_db: str, tmp_path: Path) -> None:
    path = tmp_path / "opd.csv"
    path.write_text(GOOD + DPRD + "X1,Gudang,warehouse,112.45,-7.52\n")
    _import_fails(regency_db, path, "X1", "unknown site kind", "kind")


def test_csv_missing_column(regency_db: str, tmp_path: Path) -> None:
    path = tmp_path / "opd.csv"
    path.write_text("code,name,lon,lat\nA,B,112.45,-7.52\n")
    _import_fails(regency_db, path, "missing column", "kind")


def test_csv_bad_number(regency_db: str, tmp_path: Path) -> None:
    path = tmp_path / "opd.csv"
    path.write_text(GOOD + DPRD + "A,B,opd,112.45,minus seven\n")
    _import_fails(regency_db, path, "row 3", "lat")


def test_duplicate_site_code(regency_db: str, tmp_path: Path) -> None:
    path = tmp_path / "opd.csv"
    path.write_text(GOOD + DPRD + DPRD)
    _import_fails(regency_db, path, "OPD-DPRD", "duplicate")
    path.write_text(GOOD + "VO-35.16.01.2001,Kantor Desa,village_office,112.44,-7.71\n")
    _import_fails(regency_db, path, "VO-35.16.01.2001", "exists already")


def test_non_utf8_sites(regency_db: str, tmp_path: Path) -> None:
    path = tmp_path / "opd.csv"
    path.write_bytes((GOOD + "A,Kantor D\u00e9sa,opd,112.45,-7.52\n").encode("latin-1"))
    _import_fails(regency_db, path, "not UTF-8", "line 2")


def test_cli_exit_code_two(regency_db: str, tmp_path: Path) -> None:
    path = tmp_path / "opd.csv"
    path.write_text(GOOD + "X1,Gudang,warehouse,112.45,-7.52\n")
    proc = subprocess.run([sys.executable, "-m", "api.cli", "import", "sites", str(path)],
                          env={"FONET_DB_URL": regency_db, "PATH": "/usr/bin:/bin",
                               "HOME": str(tmp_path)},
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert str(path) in proc.stderr and "X1" in proc.stderr
