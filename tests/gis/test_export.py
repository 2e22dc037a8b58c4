"""Masterplan exports of a real regency plan, each file opened with the tools that read it."""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import typer
from PIL import Image
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from api.cli.export_cmd import register
from fonet.errors import NotFoundError
from fonet.store import make_engine, reader, transaction
from fonet.store.models import Area, Plan, PlanSite, Site, Span
from gis.export import FORMATS, export_plan
from gis.export.layers import LAYER_ORDER, load_layers
from tests.ci import require

KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def exports(planned, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Every format exported once from the module's plan."""
    eng, plan_id, _ = planned
    out = tmp_path_factory.mktemp("out")
    targets = {"gpkg": out / "plan.gpkg", "geojson": out / "geojson", "kml": out / "plan.kml",
               "kmz": out / "plan.kmz", "csv": out / "masterplan", "xlsx": out / "plan.xlsx",
               "png": out / "plan.png", "pdf": out / "plan.pdf"}
    # the atlas has its own module (test_atlas.py): it takes the longest
    return {fmt: export_plan(eng, plan_id, fmt, targets[fmt]) for fmt in FORMATS
            if fmt != "atlas"}


@pytest.fixture(scope="module")
def truth(planned) -> dict:
    """What the store says about the plan, read straight from its tables."""
    eng, plan_id, _ = planned
    with reader(eng) as s:
        plan = s.get(Plan, plan_id)
        n_kec = s.scalar(select(func.count()).select_from(Area).where(Area.level == "kecamatan"))
        n_vil = s.scalar(select(func.count()).select_from(Area).where(Area.level == "village"))
        kec_names = set(s.scalars(select(Area.name).where(Area.level == "kecamatan")))
        n_spans = s.scalar(select(func.count()).select_from(Span).where(Span.plan_id == plan_id))
        n_edges = s.scalar(select(func.count(func.distinct(Span.route_edge_id)))
                           .where(Span.plan_id == plan_id))
        n_sites = s.scalar(select(func.count()).select_from(Site))
        reached_offices = s.scalar(
            select(func.count()).select_from(PlanSite).join(Site, Site.id == PlanSite.site_id)
            .where(PlanSite.plan_id == plan_id, PlanSite.connected,
                   Site.kind == "village_office"))
        return {"summary": plan.summary, "kecamatan": n_kec, "villages": n_vil,
                "kec_names": kec_names, "spans": n_spans, "route_edges": n_edges,
                "sites": n_sites, "reached_offices": reached_offices}


def test_layers_counts_match_the_store(exports, truth):
    layers = exports["gpkg"]["layers"]
    assert list(layers) == list(LAYER_ORDER)
    assert (truth["kecamatan"], truth["villages"]) == (18, 304)
    assert layers["kecamatan"] == truth["kecamatan"]
    assert layers["villages"] == truth["villages"]
    assert layers["spans"] == truth["spans"]
    assert layers["route_edges"] == truth["route_edges"] == truth["summary"]["route_edges_used"]
    assert layers["sites"] == truth["sites"]
    assert layers["hubs"] == len(truth["summary"]["hubs"]) + 1
    assert layers["rings"] == len(truth["summary"]["rings"])


def test_gpkg_opens_in_gdal_with_every_layer(exports, truth):
    path = Path(exports["gpkg"]["files"][0])
    names = [n for n, _ in pyogrio.list_layers(path)]
    assert names == [*LAYER_ORDER, "layer_styles"]
    for name in LAYER_ORDER:
        info = pyogrio.read_info(path, layer=name)
        assert info["crs"] == "EPSG:4326", name
        assert info["features"] == exports["gpkg"]["layers"][name]
    proc = subprocess.run(["ogrinfo", "-so", str(path), "villages"], capture_output=True,
                          text=True, check=True)
    assert "Feature Count: 304" in proc.stdout
    assert 'ID["EPSG",4326]' in proc.stdout
    for field in ("status: String", "hub_code: String", "path_m: Real", "loss_1550_db: Real"):
        assert field in proc.stdout
    proc = subprocess.run(["ogrinfo", "-so", str(path), "kecamatan"], capture_output=True,
                          text=True, check=True)
    assert "Feature Count: 18" in proc.stdout


def test_gpkg_passes_the_gdal_validator(exports):
    path = exports["gpkg"]["files"][0]
    probe = subprocess.run(["/usr/bin/python3", "-c", "import osgeo_utils.samples.validate_gpkg"],
                           capture_output=True)
    require(probe.returncode == 0, "GDAL's validate_gpkg (Debian package python3-gdal) is not "
            f"installed: {probe.stderr.decode(errors='replace').strip()[-300:]}")
    proc = subprocess.run(["/usr/bin/python3", "-m", "osgeo_utils.samples.validate_gpkg", path],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gpkg_attributes(exports, truth):
    path = exports["gpkg"]["files"][0]
    villages = pyogrio.read_dataframe(path, layer="villages")
    assert villages["code"].is_unique and len(villages) == 304
    assert set(villages["status"]) <= {"built", "planned", "not_covered"}
    assert (villages["status"] != "not_covered").sum() == truth["reached_offices"]
    reached = villages[villages["status"] != "not_covered"]
    assert reached["hub_code"].notna().all()
    access = reached[reached["hub_code"] != reached["office_code"]]
    assert (access["path_m"] > 0).all() and (access["loss_1550_db"] > 0).all()
    spans = pyogrio.read_dataframe(path, layer="spans")
    assert set(spans["role"]) == {"backbone", "access"}
    assert (spans["cores"] > 0).all()
    assert spans["cost_idr"].sum() == pytest.approx(
        truth["summary"]["bill_of_materials"]["cable_cost_idr"], rel=1e-6)
    assert set(spans["install_method"]) <= {"aerial", "underground", "existing_duct"}
    hubs = pyogrio.read_dataframe(path, layer="hubs")
    assert hubs["role"].tolist().count("pop") == 1
    assert hubs.loc[hubs["role"] == "pop", "code"].item() == truth["summary"]["pop"]["code"]
    rings = pyogrio.read_dataframe(path, layer="rings")
    for r in rings.itertuples():
        assert r.length_m / 1000 == pytest.approx(r.km_summary, abs=0.01)


def test_gpkg_stores_a_qgis_style_per_layer(exports):
    con = sqlite3.connect(exports["gpkg"]["files"][0])
    cols = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
    assert cols == ["id", "f_table_catalog", "f_table_schema", "f_table_name",
                    "f_geometry_column", "styleName", "styleQML", "styleSLD", "useAsDefault",
                    "description", "owner", "ui", "update_time"]
    rows = {r[0]: r[1:] for r in con.execute(
        'SELECT f_table_name, f_geometry_column, "styleQML", "styleSLD", "useAsDefault" '
        "FROM layer_styles")}
    geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
    con.close()
    assert set(rows) == set(LAYER_ORDER)
    for name, (geom_col, qml, sld, default) in rows.items():
        assert geom_col == geom_cols[name] and default == 1
        root = ET.fromstring(qml.split("\n", 1)[1])
        assert root.tag == "qgis" and root.find("renderer-v2") is not None
        ET.fromstring(sld.encode())
    villages = ET.fromstring(rows["villages"][1].split("\n", 1)[1]).find("renderer-v2")
    assert villages.get("type") == "categorizedSymbol" and villages.get("attr") == "status"
    cats = {c.get("value"): c.get("label") for c in villages.iter("category")}
    assert cats == {"built": "Terbangun", "planned": "Direncanakan",
                    "not_covered": "Belum terjangkau"}
    spans = ET.fromstring(rows["spans"][1].split("\n", 1)[1]).find("renderer-v2")
    assert spans.get("attr") == "category"
    assert {c.get("value").split("_")[0] for c in spans.iter("category")} == {"backbone",
                                                                              "access"}


def test_geojson_is_one_rfc7946_file_per_layer(exports):
    files = [Path(f) for f in exports["geojson"]["files"]]
    assert [f.stem for f in files] == list(LAYER_ORDER)
    for f in files:
        doc = json.loads(f.read_text())
        assert doc["type"] == "FeatureCollection" and "crs" not in doc
        assert len(doc["features"]) == exports["geojson"]["layers"][f.stem]
        assert pyogrio.read_info(f)["crs"] == "EPSG:4326"
        assert f.with_suffix(".qml").exists()
    vil = json.loads((files[0].parent / "villages.geojson").read_text())
    lon, lat = np.array([c for f in vil["features"] for ring in
                         (f["geometry"]["coordinates"] if f["geometry"]["type"] == "Polygon"
                          else [r for p in f["geometry"]["coordinates"] for r in p])
                         for c in ring]).T
    assert 112.3 < lon.min() < lon.max() < 112.7 and -7.8 < lat.min() < lat.max() < -7.3


def test_kml_has_a_folder_per_kecamatan(exports, truth):
    root = ET.parse(exports["kml"]["files"][0]).getroot()
    kec = [f for f in root.iter(f"{KML}Folder")
           if re.fullmatch(r"kec-[\d.]+", f.get("id") or "")]
    assert len(kec) == 18
    assert {f.find(f"{KML}name").text for f in kec} == truth["kec_names"]
    styles = {s.get("id") for s in root.iter(f"{KML}Style")}
    village_marks = [p for p in root.iter(f"{KML}Placemark")
                     if (p.find(f"{KML}styleUrl").text or "").startswith("#style-village-")]
    assert len(village_marks) == 304
    for p in village_marks + [p for p in root.iter(f"{KML}Placemark")]:
        assert p.find(f"{KML}styleUrl").text[1:] in styles
    lines = [ls for ls in root.iter(f"{KML}LineString")]
    assert len(lines) > 100


def _read_csv(path: str) -> list[dict[str, str]]:
    """Read an exported CSV back with English column names and decimal points.

    Indonesian files (``--lang id``, the default) start with a UTF-8 byte-order mark and use
    ``;`` and a decimal comma.
    """
    from gis.export.tables import HEADERS_ID, SCOPE_ID

    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    if not text.startswith("\ufeff"):
        return list(csv.DictReader(text.splitlines()))
    back = {v: k for k, v in HEADERS_ID.items()}
    scope = {v: k for k, v in SCOPE_ID.items()}
    rows = []
    for row in csv.DictReader(text[1:].splitlines(), delimiter=";"):
        out = {}
        for k, v in row.items():
            key = back.get(k, k.replace("kabel_km_", "cable_km_", 1))
            out[key] = scope.get(v, v) if key == "scope" else (
                v.replace(",", ".") if key not in {"name", "hub_name"} else v)
        rows.append(out)
    return rows


def test_csv_totals_match_the_plan_summary(exports, truth):
    bom_path, cov_path = exports["csv"]["files"]
    assert bom_path.endswith("masterplan_bom.csv") and cov_path.endswith("masterplan_coverage.csv")
    bom = _read_csv(bom_path)
    summary = truth["summary"]
    total = bom[-1]
    assert total["scope"] == "total" and total["name"] == "Jumlah"
    assert int(total["cost_idr"]) == summary["cost_idr"]
    assert float(total["cable_km"]) == pytest.approx(summary["cable_km"], abs=0.002)
    for key in ("poles", "closures", "terminations", "cable_cost_idr", "hardware_cost_idr"):
        assert int(total[key]) == summary["bill_of_materials"][key], key
    kec_rows = [r for r in bom if r["scope"] == "kecamatan"]
    assert len(kec_rows) == 18
    parts = kec_rows + [r for r in bom if r["scope"] == "backbone"]
    # the rows add up to the total exactly, in every column
    for key in total:
        if key in ("scope", "kecamatan_code", "name", "hub_code", "sites"):
            continue
        if key.startswith("cable_km"):
            assert round(sum(float(r[key]) for r in parts), 3) == float(total[key]), key
        else:
            assert sum(int(r[key]) for r in parts) == int(total[key]), key
    for kind, km in summary["bill_of_materials"]["cable_km"].items():
        assert float(total["cable_km_" + kind.replace(" ", "_")]) == pytest.approx(km)
    assert sum(int(r["sites"]) for r in kec_rows) == int(total["sites"])

    cov = _read_csv(cov_path)
    assert len(cov) == 19 and cov[-1]["name"] == "Jumlah"
    assert int(cov[-1]["villages"]) == summary["villages_total"] == 304
    reached = int(cov[-1]["villages_built"]) + int(cov[-1]["villages_planned"])
    assert reached == summary["villages_connected"]
    assert sum(int(r["villages"]) for r in cov[:-1]) == 304
    assert int(cov[-1]["sites_over_budget"]) == len(summary["sites_over_budget"])
    assert float(cov[-1]["max_loss_1310_db"]) <= summary["max_loss_db"] + 1e-6


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), dtype=float)


def test_pdf_is_a3_landscape_and_not_blank(exports, truth, tmp_path):
    pdf = exports["pdf"]["files"][0]
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    w, h = (float(v) for v in size.split(":")[1].split("pts")[0].split(" x "))
    assert (w, h) == pytest.approx((1190.55, 841.89), abs=1.0)
    assert re.search(r"^Pages:\s+1$", info, re.M)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", pdf, str(tmp_path / "p")],
                   check=True)
    px = _pixels(tmp_path / "p.png")
    assert px.shape[1] > px.shape[0]
    assert px.var() > 500
    assert (px < 250).mean() > 0.15
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
    for word in ("Rencana Jaringan Serat Optik Kabupaten Mojokerto", "Terbangun",
                 "Direncanakan", "Belum terjangkau", "Sumber data", "Skala 1:",
                 *truth["kec_names"]):
        assert word in text, word


def test_png_is_a3_landscape_and_not_blank(exports):
    png = Path(exports["png"]["files"][0])
    im = Image.open(png)
    w, h = im.size
    assert w / h == pytest.approx(420 / 297, rel=0.01) and w >= 3000
    px = _pixels(png)[::4, ::4]
    assert px.var() > 500 and (px < 250).mean() > 0.15


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test application."""

    return app


def test_cli_english_csv_and_newest_plan(planned, tmp_path):
    eng, plan_id, path = planned
    result = CliRunner().invoke(
        cli(), ["export", "--format", "csv", "--out", str(tmp_path) + "/", "--lang", "en",
                "--json"], env={"FONET_DB_URL": f"sqlite:///{path}"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["plan_id"] == plan_id
    assert _read_csv(str(tmp_path / "bom.csv"))[-1]["name"] == "Total"
    assert _read_csv(str(tmp_path / "coverage.csv"))[-1]["name"] == "Total"


def test_unknown_plan_is_an_error_and_writes_nothing(planned, tmp_path):
    eng, _, path = planned
    with pytest.raises(NotFoundError, match="--plan 9999"):
        export_plan(eng, 9999, "gpkg", tmp_path / "x.gpkg")
    result = CliRunner().invoke(
        cli(), ["export", "--plan", "9999", "--format", "kml", "--out", str(tmp_path / "x.kml")],
        env={"FONET_DB_URL": f"sqlite:///{path}"})
    assert result.exit_code == 2
    assert "9999" in result.output
    assert list(tmp_path.iterdir()) == []


def test_failed_export_leaves_the_old_file(planned, tmp_path, monkeypatch):
    eng, plan_id, _ = planned
    target = tmp_path / "plan.gpkg"
    target.write_bytes(b"previous export")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("gis.export.gpkg._add_layer_styles", broken)
    with pytest.raises(OSError, match="disk full"):
        export_plan(eng, plan_id, "gpkg", target)
    assert target.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.gpkg"]


def test_built_fibre_makes_a_village_built(planned, tmp_path):
    _, plan_id, path = planned
    copy = tmp_path / "fonet.db"
    shutil.copy(path, copy)
    eng = make_engine(f"sqlite:///{copy}")
    before = load_layers(eng, plan_id).layers["villages"].set_index("office_code")
    office = before[(before["status"] == "planned") & (before["path_m"] > 0)].index[0]
    with transaction(eng) as s:
        sid = s.scalar(select(Site.id).where(Site.code == office))
        plan = s.get(Plan, plan_id)
        hub = before.loc[office, "hub_code"]
        rings = {r["ring"] for r in plan.summary["rings"] if hub in r["members"]}
        for sp in s.scalars(select(Span).where(Span.plan_id == plan_id)):
            if sid in (sp.attrs.get("site_ids") or []) or sp.attrs.get("ring") in rings:
                sp.status = "built"
        s.execute(update(PlanSite).where(PlanSite.plan_id == plan_id,
                                         PlanSite.site_id != sid,
                                         PlanSite.role == "access")
                  .values(connected=False).execution_options(synchronize_session=False))
    after = load_layers(eng, plan_id).layers["villages"].set_index("office_code")
    eng.dispose()
    assert after.loc[office, "status"] == "built"
    others = after.drop(index=office)
    access = others[others["hub_code"] != others.index]
    assert (access["status"] == "not_covered").all()


def test_kml_ids_are_unique_and_labels_localised(exports):
    root = ET.parse(exports["kml"]["files"][0]).getroot()
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    text = Path(exports["kml"]["files"][0]).read_text(encoding="utf-8")
    descriptions = [d.text or "" for d in root.iter(f"{KML}description")]
    cells = " ".join(descriptions)
    # Indonesian numbers: a decimal comma, thousands with a dot
    assert re.search(r"<td>\d{1,3}(\.\d{3})*,\d{1,2}</td>", cells)
    assert not re.search(r"<td>\d{1,3}(,\d{3})+\.\d+</td>", cells)
    for english in (">cores<", ">role<", "aerial", ">km<", ">Rp<"):
        assert english not in cells, english
    assert "udara (tiang)" in text and "Panjang jalur dari hub (m)" in text
    # raw values stay machine-readable in ExtendedData
    values = [v.text for d in root.iter(f"{KML}Data") if d.get("name") == "length_m"
              for v in d.iter(f"{KML}value")]
    assert values and all(re.fullmatch(r"\d+(\.\d+)?", v) for v in values)


def test_kml_in_english(planned, tmp_path):
    eng, plan_id, _ = planned
    out = tmp_path / "plan-en.kml"
    export_plan(eng, plan_id, "kml", out, lang="en")
    text = out.read_text(encoding="utf-8")
    assert "aerial (poles)" in text and "Path from hub (m)" in text
    assert "udara (tiang)" not in text


def test_kmz_is_the_kml_zipped(exports):
    kmz = Path(exports["kmz"]["files"][0])
    kml = Path(exports["kml"]["files"][0])
    with zipfile.ZipFile(kmz) as z:
        assert z.namelist()[0] == "doc.kml"
        root = ET.fromstring(z.read("doc.kml"))
    assert kmz.stat().st_size < kml.stat().st_size / 4
    marks = lambda r: len(list(r.iter(f"{KML}Placemark")))  # noqa: E731
    assert marks(root) == marks(ET.parse(kml).getroot())
    ogr = subprocess.run(["ogrinfo", "-ro", "-q", str(kmz)], capture_output=True, text=True)
    assert ogr.returncode == 0, ogr.stderr


def _decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def test_geojson_is_rounded_to_what_it_means(exports):
    folder = Path(exports["geojson"]["files"][0]).parent
    spans = json.loads((folder / "spans.geojson").read_text())
    villages = json.loads((folder / "villages.geojson").read_text())
    coords = [c for f in spans["features"] for c in f["geometry"]["coordinates"]]
    assert max(_decimals(v) for c in coords for v in c) <= 7
    for f in spans["features"]:
        assert _decimals(f["properties"]["length_m"]) <= 1
    for f in villages["features"]:
        p = f["properties"]
        for key in ("path_m", "path_to_pop_m"):
            if p[key] is not None:
                assert _decimals(p[key]) <= 1, (key, p[key])
        for key in ("loss_1310_db", "loss_1550_db"):
            if p[key] is not None:
                assert _decimals(p[key]) <= 2, (key, p[key])
        assert _decimals(p["area_km2"]) <= 4
    # rounding changes no length by more than 5 cm
    gpkg = pyogrio.read_dataframe(exports["gpkg"]["files"][0], layer="spans")
    rounded = {f["properties"]["span_id"]: f["properties"]["length_m"] for f in spans["features"]}
    for r in gpkg.itertuples():
        assert abs(rounded[r.span_id] - r.length_m) <= 0.05 + 1e-9


def test_indonesian_csv_parses_with_indonesian_settings(exports, truth):
    """``;`` between fields, a decimal comma, a UTF-8 BOM and Indonesian headers."""
    import pandas as pd

    bom_path, cov_path = exports["csv"]["files"]
    raw = Path(bom_path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    bom = pd.read_csv(bom_path, sep=";", decimal=",", encoding="utf-8-sig")
    assert {"cakupan", "nama", "kabel_km", "tiang", "biaya_total_idr"} <= set(bom.columns)
    assert bom["kabel_km"].dtype.kind == "f" and bom["tiang"].dtype.kind == "i"
    summary = truth["summary"]
    assert bom["biaya_total_idr"].iloc[-1] == summary["cost_idr"]
    assert bom["biaya_total_idr"].iloc[:-1].sum() == summary["cost_idr"]
    assert bom["kabel_km"].iloc[-1] == pytest.approx(summary["cable_km"])
    assert list(bom["cakupan"].iloc[-2:]) == ["tulang_punggung", "jumlah"]
    cov = pd.read_csv(cov_path, sep=";", decimal=",", encoding="utf-8-sig")
    assert cov["desa"].iloc[-1] == 304 and cov["cakupan_persen"].dtype.kind == "f"


def test_xlsx_workbook_opens_with_numbers(exports, truth):
    import openpyxl

    path = exports["xlsx"]["files"][0]
    assert path.endswith("plan.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Rincian biaya", "Per tahap", "Cakupan", "Redaman per lokasi",
                             "Ditunda", "Harga satuan"]
    summary = truth["summary"]
    for sheet in ("Rincian biaya", "Per tahap"):
        ws = wb[sheet]
        head = [c.value for c in ws[1]]
        cost = head.index("biaya_total_idr")
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
        assert rows[-1][0] == "jumlah" and rows[-1][cost] == summary["cost_idr"]
        assert sum(r[cost] for r in rows[:-1]) == summary["cost_idr"]  # numbers, adding up
        assert ws.cell(2, cost + 1).number_format == '"Rp" #,##0'
    loss = wb["Redaman per lokasi"]
    head = [c.value for c in loss[1]]
    assert {"kode", "redaman_1310_db", "transceiver", "anggaran_daya_db"} <= set(head)
    values = [r[head.index("redaman_1310_db")].value for r in loss.iter_rows(min_row=2)]
    assert len(values) > 300 and all(isinstance(v, float) for v in values)
    prices = {r[0].value: r[1].value for r in wb["Harga satuan"].iter_rows(min_row=2)}
    assert prices["pole"] == 150000 and prices["transceiver_1000BASE-LX10"] > 0
