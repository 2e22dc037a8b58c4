"""``fonet data fetch``: raw source files in their real formats, converted and read back.

The raw files are written here in the formats of the public sources (MySQL INSERT dumps with
[lat, lng] JSON paths, two-column TSVs, the Dapodik JSON), converted with ``--from-dir`` or
downloaded from a real HTTP server on 127.0.0.1, and the outputs are read with
:func:`gis.regency.read_regency`.
"""

from __future__ import annotations

import csv
import functools
import http.server
import json
import shutil
import socket
import threading
from pathlib import Path

import pytest
import shapely
import typer
from shapely.geometry import MultiPolygon, Polygon, box, shape
from typer.testing import CliRunner

from api.cli.data_cmd import register
from fonet.datasets import read_checksums
from fonet.errors import InputError
from fonet.geo import to_metric
from gis.fetch import OUTPUT_FILES, fetch_regency_data
from gis.fetch_parse import parse_sql_inserts
from gis.fetch_sources import RAW_SOURCES
from gis.regency import read_regency

# ---------------------------------------------------------------- raw format writers

SQL_HEADER = """
/*
================================================================================
filename  : {name}
desc      : Data wilayah_boundaries (test copy)
================================================================================
MIT License
================================================================================
*/
"""


def sql_path(geom) -> str:  # noqa: ANN001
    def rings(poly: Polygon) -> list:
        return [[[y, x] for x, y in ring.coords] for ring in (poly.exterior, *poly.interiors)]

    if isinstance(geom, MultiPolygon):
        return json.dumps([rings(p) for p in geom.geoms], separators=(",", ":"))
    return json.dumps(rings(geom), separators=(",", ":"))


def sql_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def write_boundary_sql(path: Path, rows: list, per_insert: int = 3) -> None:
    """Rows ``(kode, nama, lat, lng, geometry)`` as the source's INSERT statements."""
    out = [SQL_HEADER.format(name=path.name)]
    for start in range(0, len(rows), per_insert):
        out.append("INSERT INTO wilayah_boundaries(kode,nama,lat,lng,path) VALUES\n")
        out.append(",\n".join(
            f"\t({sql_quote(k)},{sql_quote(n)},{lat!r},{lng!r},{sql_quote(sql_path(g))})"
            for k, n, lat, lng, g in rows[start:start + per_insert]) + ";\n")
    path.write_text("".join(out), encoding="utf-8")


def write_tsv(path: Path, rows: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{a}\t{b}\n" for a, b in rows), encoding="utf-8")


def school(npsn: str, name: str, kec_code: str, kec_name: str, lat, lon,  # noqa: ANN001
           bentuk: str = "SD", status: str = "N", alamat: str = "Jalan Raya") -> dict:
    return {
        "kode_prop": "050000  ", "propinsi": "Prov. Jawa Timur", "kode_kab_kota": "050300  ",
        "kabupaten_kota": "Kab. Mojokerto", "kode_kec": f"{kec_code}  ",
        "kecamatan": f"Kec. {kec_name}", "id": f"ID-{npsn}", "npsn": npsn, "sekolah": name,
        "bentuk": bentuk, "status": status, "alamat_jalan": alamat,
        "lintang": ".0000000" if lat is None else f"{lat:.7f}",
        "bujur": ".0000000" if lon is None else f"{lon:.7f}",
    }


def write_schools(path: Path, records: list[dict]) -> None:
    path.write_text(json.dumps({"050300": records}), encoding="utf-8")


# ---------------------------------------------------------------- a small synthetic regency

HOLE = box(112.425, -7.515, 112.435, -7.505)  # an enclave of another regency inside A2
ISLAND = box(112.38, -7.515, 112.39, -7.505)  # detached second part of A1
A2_OUTER = [(112.42, -7.52), (112.44, -7.52), (112.44, -7.5105), (112.4395, -7.51),
            (112.44, -7.5095), (112.44, -7.50), (112.42, -7.50)]  # notch: a sliver gap by A3
VILLAGES = {
    "35.16.01.2001": ("Alpha Satu", MultiPolygon([box(112.40, -7.52, 112.42, -7.50), ISLAND])),
    "35.16.01.2002": ("Gedeg", Polygon(A2_OUTER, [HOLE.exterior.coords])),
    "35.16.01.2003": ("Alpha Tiga", box(112.44, -7.52, 112.46, -7.50)),
    "35.16.02.1001": ("Beta Kota", box(112.40, -7.54, 112.42, -7.52)),
    "35.16.02.2002": ("Pindahan", box(112.42, -7.54, 112.46, -7.52)),
}
OUTSIDE_CENTROID = "35.16.02.2002"  # the source's centroid for it lies in 35.16.02.1001


def make_raw(raw: Path) -> Path:
    """Write the six raw files of the synthetic regency into ``raw``."""
    raw.mkdir(parents=True, exist_ok=True)
    rows = []
    for code, (name, geom) in VILLAGES.items():
        c = geom.centroid
        lat, lng = (-7.53, 112.41) if code == OUTSIDE_CENTROID else (c.y, c.x)
        rows.append((code, name, lat, lng, geom))
    write_boundary_sql(raw / "wilayah_boundaries_kel_35.16.sql", rows)
    write_boundary_sql(raw / "wilayah_boundaries_kab_35.sql", [
        ("35.01", "Kabupaten Pacitan", -8.1, 110.9, box(110.9, -8.2, 111.0, -8.1)),
        ("35.16", "Kabupaten Mojokerto", -7.52, 112.42, box(112.38, -7.54, 112.46, -7.50)),
        ("35.76", "Kota Mojokerto", -7.51, 112.43, HOLE),
    ])
    write_boundary_sql(raw / "wilayah_boundaries_kec_35.sql", [
        ("35.01.01", "Donorojo", -8.1, 110.9, box(110.9, -8.2, 111.0, -8.1)),
        ("35.16.01", "Alpha", -7.51, 112.43, box(112.38, -7.52, 112.46, -7.50)),
        ("35.16.02", "Beta", -7.53, 112.43, box(112.40, -7.54, 112.46, -7.52)),
        ("35.76.01", "Kota Kec", -7.51, 112.43, HOLE),
    ], per_insert=2)
    write_tsv(raw / "bps-to-dagri.tsv", [
        ("35", "35"), ("3516", "35.16"), ("3516010", "35.16.01"), ("3516091", "35.16.02"),
        ("3576010", "35.76.01"), ("3516010001", "35.16.01.2001"), ("3516010001", "35.16.01.2001"),
        ("3516010002", "35.16.01.2002"),
        ("3516091002", "35.16.01.2003"),  # moved village: the bridge still has its old code
        ("3516010003", "35.16.01.2003"), ("3516091001", "35.16.02.1001"),
        ("3576010001", "35.76.01.1001"), ("6106090003", ""),
    ])
    write_tsv(raw / "bps-20181.tsv", [
        ("35", "JAWA TIMUR"), ("3516", "MOJOKERTO"), ("3516010", "ALPHA"), ("3516091", "BETA"),
        ("3516010001", "ALPHA SATU"), ("3516010002", "GEDEK"), ("3516010003", "ALPHA TIGA"),
        ("3516091001", "'BETA KOTA'"), ("3516091002", "PINDAHAN"), ("1214080", "'LOLOWA''U'"),
    ])
    write_schools(raw / "050300.json", [
        school("10000001", "SDN ALPHA 1", "050301", "Alpha", -7.51, 112.41),
        school("10000002", "SDN PULAU", "050301", "Alpha", -7.51, 112.385),
        school("10000003", "SMPN ALPHA", "050301", "Alpha", -7.53, 112.41, "SMP"),
        school("10000004", "SMKS TANPA", "050318", "Beta", None, None, "SMK", "S"),
        school("10000005", "SDN LUAR", "050318", "Beta", -7.51, 112.47),
        school("10000006", "SDN KOTA", "050301", "Alpha", -7.51, 112.43),
        school("10000007", "SMAS BETA", "050318", "Beta", -7.5301234, 112.4512346, "SMA", "S"),
    ])
    return raw


def km2(geom) -> float:  # noqa: ANN001
    return to_metric(geom).area / 1e6


def features(path: Path) -> list[dict]:
    return json.loads(path.read_text())["features"]


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return make_raw(tmp_path / "raw")


# ---------------------------------------------------------------- conversion


def test_convert_from_dir_reads_back(raw: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = fetch_regency_data(out, from_dir=raw)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    # the manifest covers every other file, and the reader verifies it
    assert sorted(read_checksums(out)) == sorted(OUTPUT_FILES[:-1])
    (out / OUTPUT_FILES[3]).write_bytes((out / OUTPUT_FILES[3]).read_bytes() + b" ")
    with pytest.raises(InputError, match="checksum"):
        read_regency(out)
    (out / OUTPUT_FILES[3]).write_bytes((out / OUTPUT_FILES[3]).read_bytes()[:-1])

    regency = read_regency(out)
    assert regency.boundary.code == "35.16" and regency.boundary.code_bps == "3516"
    assert [k.code for k in regency.kecamatan] == ["35.16.01", "35.16.02"]
    assert {k.code: k.code_bps for k in regency.kecamatan} == {"35.16.01": "3516010",
                                                               "35.16.02": "3516091"}
    bps = {v.code: v.code_bps for v in regency.villages}
    assert bps == {"35.16.01.2001": "3516010001", "35.16.01.2002": "3516010002",
                   "35.16.01.2003": "3516010003", "35.16.02.1001": "3516091001",
                   "35.16.02.2002": "3516091002"}
    assert result["matched_by_name"] and "Pindahan" in result["matched_by_name"][0]
    types = {v.code: v.village_type for v in regency.villages}
    assert types["35.16.02.1001"] == "kelurahan" and types["35.16.01.2001"] == "desa"
    assert {v.code: v.parent_code for v in regency.villages}["35.16.02.2002"] == "35.16.02"
    # the kecamatan names come from the kecamatan dump
    assert {k.code: k.name for k in regency.kecamatan} == {"35.16.01": "Alpha", "35.16.02": "Beta"}

    qa = {s.attrs["npsn"]: s.attrs["qa"] for s in regency.schools}
    assert qa == {"10000001": "ok", "10000002": "ok", "10000003": "point_in_other_kecamatan",
                  "10000005": "point_outside_regency", "10000006": "point_outside_regency",
                  "10000007": "ok"}
    assert regency.schools_skipped == {"no_coordinates": 1}
    props = {f["properties"]["npsn"]: f for f in features(out / OUTPUT_FILES[6])}
    assert props["10000004"]["geometry"] is None
    assert props["10000004"]["properties"]["qa"] == "no_coordinates"
    assert props["10000002"]["properties"]["kode_desa"] == "35.16.01.2001"  # the island part
    assert props["10000003"]["properties"]["kode_kec"] == "35.16.02"
    assert props["10000003"]["properties"]["kode_kec_dapodik"] == "050301"
    assert props["10000007"]["properties"]["status"] == "swasta"
    assert props["10000007"]["geometry"]["coordinates"] == [round(112.4512346, 6),
                                                            round(-7.5301234, 6)]


def test_geometry_holes_crs_and_rounding(raw: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    fetch_regency_data(out, from_dir=raw)
    for name in OUTPUT_FILES:
        if name.endswith(".geojson"):
            doc = json.loads((out / name).read_text())
            assert doc["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
            assert doc["name"] == name.removesuffix(".geojson")

    # the union of kecamatan Alpha's villages has the enclave and the sliver gap as holes
    alpha = [g for c, (_, g) in VILLAGES.items() if c.startswith("35.16.01")]
    raw_union = shapely.unary_union(alpha)
    assert sum(len(p.interiors) for p in raw_union.geoms) == 2

    kec = {f["properties"]["kode"]: f for f in features(out / "kab_mojokerto_kecamatan.geojson")}
    k1 = shape(kec["35.16.01"]["geometry"])
    assert k1.geom_type == "MultiPolygon"  # the island stays
    holes = [Polygon(r) for p in k1.geoms for r in p.interiors]
    assert len(holes) == 1  # the sliver went, the enclave stayed
    assert km2(holes[0]) == pytest.approx(km2(HOLE), rel=1e-4)
    assert kec["35.16.01"]["properties"]["jumlah_desa_kel"] == 3
    assert kec["35.16.01"]["properties"]["luas_km2"] == pytest.approx(
        km2(shapely.unary_union(alpha)), abs=0.01)

    (b,) = features(out / "kab_mojokerto_boundary.geojson")
    outline = shape(b["geometry"])
    outline_holes = [Polygon(r) for p in outline.geoms for r in p.interiors]
    assert len(outline_holes) == 1
    assert km2(outline_holes[0]) == pytest.approx(km2(HOLE), rel=1e-4)
    assert b["properties"]["luas_km2"] == pytest.approx(
        sum(km2(g) for _, g in VILLAGES.values()), abs=0.01)

    villages = {f["properties"]["kode"]: f for f in features(out / OUTPUT_FILES[0])}
    assert villages["35.16.01.2001"]["geometry"]["type"] == "MultiPolygon"
    assert len(villages["35.16.01.2002"]["geometry"]["coordinates"]) == 2  # its hole kept
    coords = json.dumps(villages["35.16.01.2002"]["geometry"]["coordinates"])
    assert all(len(x.split(".")[1]) <= 6 for x in coords.replace("[", "").replace("]", "")
               .split(",") if "." in x)
    first = villages["35.16.01.2003"]["geometry"]["coordinates"][0][0]
    assert first[0] > 100 and first[1] < 0  # lon, lat

    pts = {f["properties"]["kode"]: f for f in features(out / OUTPUT_FILES[1])}
    moved = pts[OUTSIDE_CENTROID]
    assert moved["properties"]["point_type"].startswith("inner_point_computed")
    assert shape(villages[OUTSIDE_CENTROID]["geometry"]).contains(shape(moved["geometry"]))
    assert pts["35.16.01.2003"]["properties"]["point_type"] == "polygon_centroid_from_source"

    with (out / "kab_mojokerto_kode_wilayah.csv").open() as fh:
        table = {r["kode_kemendagri"]: r for r in csv.DictReader(fh)}
    assert table[OUTSIDE_CENTROID]["centroid_inside_polygon"] == "False"
    assert table["35.16.02.1001"]["nama_bps_2018"] == "BETA KOTA"
    assert table["35.16.01.2002"]["nama_bps_2018"] == "GEDEK"

    text = (out / "SOURCES.md").read_text()
    for src in RAW_SOURCES:
        assert src.commit in text and src.path in text
    assert "Pindahan" in text and str(raw) in text


def test_existing_data_needs_force(raw: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    fetch_regency_data(out, from_dir=raw)
    with pytest.raises(InputError, match="--force") as info:
        fetch_regency_data(out, from_dir=raw)
    assert info.value.source == str(out)
    (out / OUTPUT_FILES[0]).write_text("{}")
    fetch_regency_data(out, from_dir=raw, force=True)
    assert len(read_regency(out).villages) == len(VILLAGES)
    assert not [p for p in out.iterdir() if p.name.startswith(".fetch-")]


# ---------------------------------------------------------------- malformed inputs


def _fails(raw: Path, tmp_path: Path, *needles: str) -> InputError:
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        fetch_regency_data(out, from_dir=raw)
    for needle in needles:
        assert needle in str(info.value), str(info.value)
    assert not any((out / f).exists() for f in OUTPUT_FILES)
    return info.value


def test_malformed_sql_row(raw: Path, tmp_path: Path) -> None:
    sql = raw / "wilayah_boundaries_kel_35.16.sql"
    sql.write_text(sql.read_text().replace("'Alpha Tiga',", "'Alpha Tiga',oops,", 1))
    err = _fails(raw, tmp_path, sql.name, "row 3", "malformed SQL value")
    assert "line" in str(err.feature)


def test_bad_path_json(raw: Path, tmp_path: Path) -> None:
    sql = raw / "wilayah_boundaries_kel_35.16.sql"
    path = sql_path(VILLAGES["35.16.01.2003"][1])
    sql.write_text(sql.read_text().replace(path, path.replace("112.46", '"x"', 1)))
    err = _fails(raw, tmp_path, sql.name, "35.16.01.2003", "[lat, lng]")
    assert err.field == "path"


def test_swapped_axes_refused(raw: Path, tmp_path: Path) -> None:
    sql = raw / "wilayah_boundaries_kel_35.16.sql"
    geom = VILLAGES["35.16.01.2003"][1]
    swapped = json.dumps([[[x, y] for x, y in geom.exterior.coords]], separators=(",", ":"))
    sql.write_text(sql.read_text().replace(sql_path(geom), swapped))
    _fails(raw, tmp_path, "latitude out of range", "35.16.01.2003")


def test_unexpected_schools_json(raw: Path, tmp_path: Path) -> None:
    path = raw / "050300.json"
    path.write_text(json.dumps([{"npsn": "1"}]))
    _fails(raw, tmp_path, "050300.json", "'050300'")
    path.write_text(json.dumps({"050300": [{"npsn": "1", "sekolah": "X"}]}))
    err = _fails(raw, tmp_path, "050300.json", "record 1")
    assert err.field == "bentuk"
    path.write_text("{not json")
    _fails(raw, tmp_path, "malformed JSON", "line 1")


def test_bad_tsv_line_and_villages_missing_from_the_bridge(raw: Path, tmp_path: Path) -> None:
    bridge = raw / "bps-to-dagri.tsv"
    good = bridge.read_text()
    bridge.write_text(good + "3516010009\t35.16.01.2009\textra\n")
    _fails(raw, tmp_path, bridge.name, "line 14", "2 tab-separated columns")
    # not in the bridge: matched by its BPS name in its kecamatan
    bridge.write_text(good.replace("3516010001\t35.16.01.2001\n", ""))
    result = fetch_regency_data(tmp_path / "a", from_dir=raw)
    assert any("Alpha Satu: BPS 3516010001 ALPHA SATU" in n for n in result["matched_by_name"])
    assert result["no_bps_code"] == []
    # in no BPS table at all (a village formed after 2018): no BPS code, reported
    names = raw / "bps-20181.tsv"
    names.write_text(names.read_text().replace("3516010001\tALPHA SATU\n", ""))
    result = fetch_regency_data(tmp_path / "b", from_dir=raw)
    assert result["no_bps_code"] == ["35.16.01.2001 Alpha Satu"]
    assert "35.16.01.2001 Alpha Satu" in (tmp_path / "b" / "SOURCES.md").read_text()
    regency = read_regency(tmp_path / "b")
    bps = {v.code: v.code_bps for v in regency.villages}
    assert bps["35.16.01.2001"] is None and bps["35.16.01.2002"] == "3516010002"


def test_missing_raw_file(raw: Path, tmp_path: Path) -> None:
    (raw / "bps-20181.tsv").unlink()
    _fails(raw, tmp_path, "bps-20181.tsv", "not found", "kodewilayah/explorer")


def test_sql_parser_escapes_comments_and_statements(tmp_path: Path) -> None:
    text = ("-- dump\n/* a 'quoted' comment; */\n"
            "INSERT INTO t(a,b,c) VALUES ('O\\'Brien',1.5,NULL),\n ('it''s',-2e3,'x;y');\n"
            "# another comment\nINSERT INTO `t` (a,b,c) VALUES ('z',.5,'/* not a comment */');")
    cols, rows = parse_sql_inserts(tmp_path / "t.sql", text)
    assert cols == ["a", "b", "c"]
    assert [v for _, v in rows] == [["O'Brien", 1.5, None], ["it's", -2000.0, "x;y"],
                                    ["z", 0.5, "/* not a comment */"]]
    assert [line for line, _ in rows] == [3, 4, 6]
    with pytest.raises(InputError,
                       match=r"row 2 \(line 4\): malformed SQL: expected ',' or '\)'"):
        parse_sql_inserts(tmp_path / "t.sql", text.replace("-2e3,", "-2e3 "))


# ---------------------------------------------------------------- downloads and the command


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def mirror(raw: Path, tmp_path: Path):
    """A real HTTP server on 127.0.0.1 serving the raw files as BASE/OWNER/REPO/COMMIT/PATH."""
    root = tmp_path / "mirror"
    for src in RAW_SOURCES:
        dest = root / src.repo / src.commit / src.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(raw / src.filename, dest)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_from_server(mirror, tmp_path: Path) -> None:  # noqa: ANN001
    root, base = mirror
    out = tmp_path / "data"
    result = fetch_regency_data(out, base_url=base, show_progress=False)
    assert result["villages"] == len(VILLAGES)
    for src in RAW_SOURCES:
        assert (out / "raw" / src.filename).read_bytes() == \
            (root / src.repo / src.commit / src.path).read_bytes()
    assert len(read_regency(out).villages) == len(VILLAGES)
    assert base in (out / "SOURCES.md").read_text()
    # the raw copies convert offline to the same data
    again = tmp_path / "again"
    fetch_regency_data(again, from_dir=out / "raw")
    assert (again / OUTPUT_FILES[0]).read_bytes() == (out / OUTPUT_FILES[0]).read_bytes()


def test_download_http_error_names_url(mirror, tmp_path: Path) -> None:  # noqa: ANN001
    root, base = mirror
    src = RAW_SOURCES[2]
    (root / src.repo / src.commit / src.path).unlink()
    with pytest.raises(InputError, match="HTTP 404") as info:
        fetch_regency_data(tmp_path / "data", base_url=base, show_progress=False)
    assert info.value.source == src.url(base)
    assert not (tmp_path / "data" / OUTPUT_FILES[0]).exists()


def test_download_closed_port_names_url(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(InputError, match="download failed") as info:
        fetch_regency_data(tmp_path / "data", base_url=base, show_progress=False)
    assert info.value.source == RAW_SOURCES[0].url(base)
    assert not (tmp_path / "data").exists()


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # keep "data" a sub-command, not the root
    return app


def test_cli_fetch_from_dir_and_errors(raw: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "data"
    res = runner.invoke(_cli(), ["data", "fetch", "--out", str(out), "--from-dir", str(raw),
                                 "--json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["villages"] == len(VILLAGES) and body["schools_qa"]["no_coordinates"] == 1
    res = runner.invoke(_cli(), ["data", "fetch", "--out", str(out), "--from-dir", str(raw)])
    assert res.exit_code == 2 and "--force" in res.output
    res = runner.invoke(_cli(), ["data", "fetch", "--out", str(out), "--from-dir", str(raw),
                                 "--force"], env={"FONET_LANG": "en"})
    assert res.exit_code == 0 and "5 villages" in " ".join(res.output.split())

    base = f"http://127.0.0.1:{_closed_port()}"
    res = runner.invoke(_cli(), ["data", "fetch", "--out", str(tmp_path / "x"),
                                 "--base-url", base])
    assert res.exit_code == 2
    assert "download failed" in res.output and f"127.0.0.1:{base.rsplit(':', 1)[1]}" in res.output


def test_cli_default_out_is_the_data_dir(raw: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FONET_DATA_DIR", str(tmp_path / "env-data"))
    res = CliRunner().invoke(_cli(), ["data", "fetch", "--from-dir", str(raw)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "env-data" / "kab_mojokerto_boundary.geojson").is_file()


# ---------------------------------------------------------------- the real data, round trip


def test_round_trip_of_the_shipped_data(data_dir: Path, tmp_path: Path) -> None:
    """Raw files rebuilt from the shipped data convert back to the same codes, flags and shapes."""
    raw = tmp_path / "raw"
    raw.mkdir()
    villages = features(data_dir / "kab_mojokerto_desa_kelurahan.geojson")
    write_boundary_sql(raw / "wilayah_boundaries_kel_35.16.sql", [
        (f["properties"]["kode"], f["properties"]["nama"], f["properties"]["lat"],
         f["properties"]["lng"], shape(f["geometry"])) for f in villages], per_insert=50)
    (outline,) = features(data_dir / "kab_mojokerto_boundary.geojson")
    geom = shape(outline["geometry"])
    hole = Polygon(geom.interiors[0])
    write_boundary_sql(raw / "wilayah_boundaries_kab_35.sql", [
        ("35.16", "Kabupaten Mojokerto", geom.centroid.y, geom.centroid.x, Polygon(geom.exterior)),
        ("35.76", "Kota Mojokerto", hole.centroid.y, hole.centroid.x, hole)])
    kec = features(data_dir / "kab_mojokerto_kecamatan_source_simplified.geojson")
    write_boundary_sql(raw / "wilayah_boundaries_kec_35.sql", [
        (f["properties"]["kode"], f["properties"]["nama"], f["properties"]["lat"],
         f["properties"]["lng"], shape(f["geometry"])) for f in kec])
    with (data_dir / "kab_mojokerto_kode_wilayah.csv").open() as fh:
        table = list(csv.DictReader(fh))
    kecs = sorted({(r["kode_bps_kec"], r["kode_kec"]) for r in table})
    # stale bridge codes, as for villages that moved: the first village of the first and of
    # the last kecamatan get each other's Kemendagri code; both must be matched by name
    first, last = table[0], table[-1]
    stale = {first["kode_bps_2018"]: last["kode_kemendagri"],
             last["kode_bps_2018"]: first["kode_kemendagri"]}
    write_tsv(raw / "bps-to-dagri.tsv", [("3516", "35.16"), *kecs] + [
        (r["kode_bps_2018"], stale.get(r["kode_bps_2018"], r["kode_kemendagri"])) for r in table])
    write_tsv(raw / "bps-20181.tsv", [(r["kode_bps_2018"], r["nama_bps_2018"]) for r in table])
    schools = features(data_dir / "kab_mojokerto_sekolah_kemdikbud_2019.geojson")
    write_schools(raw / "050300.json", [
        school(p["npsn"], p["nama"], p["kode_kec_dapodik"], p["kecamatan_dapodik"],
               g and g["coordinates"][1], g and g["coordinates"][0], p["bentuk"],
               {"negeri": "N", "swasta": "S"}[p["status"]], p["alamat_jalan"])
        for p, g in ((f["properties"], f["geometry"]) for f in schools)])

    out = tmp_path / "out"
    result = fetch_regency_data(out, from_dir=raw)
    named = " ".join(result["matched_by_name"])
    assert first["kode_kemendagri"] in named and last["kode_kemendagri"] in named
    for name in OUTPUT_FILES[:-1]:
        if not name.endswith(".geojson"):
            continue
        got, want = features(out / name), features(data_dir / name)
        assert len(got) == len(want), name
        for g, w in zip(got, want, strict=True):
            gp, wp = g["properties"], w["properties"]
            assert list(gp) == list(wp), name
            for key, value in wp.items():
                if key == "luas_km2":
                    assert gp[key] == pytest.approx(value, abs=1e-3), (name, key)
                elif key not in ("lat", "lng") or name != OUTPUT_FILES[4]:
                    assert gp[key] == value, (name, wp.get("kode", wp.get("npsn")), key)
            if w["geometry"] is None:
                assert g["geometry"] is None
            else:
                a, b = shape(g["geometry"]), shape(w["geometry"])
                assert a.geom_type == b.geom_type
                assert a.symmetric_difference(b).area <= 1e-7 or a.distance(b) <= 1e-6
    regency = read_regency(out)
    assert len(regency.villages) == len(villages)
