"""Any kabupaten/kota by its code: real East Java raw files converted, loaded side by side, planned.

The raw files are byte copies of the public sources in ``tests/data/jatim-raw`` (see its
SOURCES.md): Kabupaten Jombang (35.17), Kota Surabaya (35.78) and Kota Batu (35.79).
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import (
    app,
    commands,  # noqa: F401  (registers the sub-commands)
)
from fonet.errors import InputError
from fonet.store import make_engine, reader
from fonet.store import models as m
from gis.fetch import fetch_province_data, fetch_regency_data
from gis.fetch_parse import read_boundary_rows
from gis.fetch_sources import REGENCY_CODE, regency_sources
from gis.readers import check_utf8
from gis.regency import read_regency
from tests.gis.test_fetch import write_boundary_sql

JATIM_RAW = Path(__file__).resolve().parents[1] / "data" / "jatim-raw"
KAB_SQL = "db/kab/wilayah_boundaries_kab_35.sql"


def run(*args: str, db: Path) -> object:
    return CliRunner().invoke(app, list(args), env={"FONET_DB_URL": f"sqlite:///{db}",
                                                   "FONET_DATA_DIR": "", "FONET_LANG": "en"})


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three regencies converted once for the module (not modified by tests)."""
    out = tmp_path_factory.mktemp("regencies")
    for code in ("35.17", "35.78", "35.79"):
        fetch_regency_data(out / code, regency=code, from_dir=JATIM_RAW)
    return out


def two_kota_province(dest: Path) -> Path:
    """A raw directory whose province 35 holds only Kota Surabaya and Kota Batu.

    Every file is the real one except the kabupaten/kota dump, rewritten with those two rows.
    """
    shutil.copytree(JATIM_RAW, dest)
    path = dest / KAB_SQL
    rows = read_boundary_rows(path, check_utf8(path), prefix="35.",
                              code_pattern=REGENCY_CODE)
    write_boundary_sql(path, [(r.code, r.name, r.lat, r.lng, r.geometry) for r in rows
                              if r.code in ("35.78", "35.79")])
    return dest


def test_kota_surabaya_kelurahan_only(converted: Path) -> None:
    out = converted / "35.78"
    regency = read_regency(out)
    assert regency.boundary.code == "35.78" and regency.boundary.name == "Kota Surabaya"
    assert regency.boundary.code_bps == "3578"
    assert len(regency.villages) == 153 and len(regency.kecamatan) == 31
    assert {v.village_type for v in regency.villages} == {"kelurahan"}
    assert regency.schools == []
    assert (out / "kota_surabaya_boundary.geojson").is_file()
    sources = (out / "SOURCES.md").read_text()
    assert "no school list for this regency" in sources
    # a kelurahan formed after BPS 2018 has no BPS code, and says so
    assert "35.78.12.1006 Tanjung Perak" in sources
    bps = {v.code: v.code_bps for v in regency.villages}
    assert bps["35.78.12.1006"] is None
    assert sum(c is not None for c in bps.values()) == 152
    assert all(c.startswith("3578") for c in bps.values() if c)


def test_names_come_from_the_raw_files(converted: Path) -> None:
    batu = read_regency(converted / "35.79")
    assert batu.boundary.name == "Kota Batu" and len(batu.villages) == 24
    jombang = read_regency(converted / "35.17")
    assert jombang.boundary.name == "Kabupaten Jombang"
    assert len(jombang.villages) == 306 and len(jombang.kecamatan) == 21
    kec = {k.code: k.name for k in jombang.kecamatan}
    assert kec["35.17.01"] == "Perak"  # the spelling of the kecamatan dump
    assert {v.parent_code for v in jombang.villages} == set(kec)


def test_jombang_and_surabaya_in_one_store_planned_apart(converted: Path,
                                                          tmp_path: Path) -> None:
    db = tmp_path / "fonet.db"
    res = run("init", "--regency", "35.17", "--data-dir", str(converted / "35.17"), db=db)
    assert res.exit_code == 0, res.output
    res = run("init", "--regency", "35.78", "--data-dir", str(converted / "35.78"), "--json",
              db=db)
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["status"] == "added" and body["villages"] == 153 and body["kecamatan"] == 31
    # the same regency again: left as it is
    res = run("init", "--regency", "35.78", "--data-dir", str(converted / "35.78"), "--json",
              db=db)
    assert json.loads(res.stdout)["status"] == "unchanged"

    plans = {}
    for code, villages in (("35.17", 306), ("35.78", 153)):
        res = run("plan", "--regency", code, "--json", db=db)
        assert res.exit_code == 0, res.output
        plan = json.loads(res.stdout)
        assert plan["regency_code"] == code
        assert plan["villages_total"] == villages == plan["villages_connected"]
        assert plan["offices_connected"] == plan["offices_total"]
        assert plan["unreachable_sites"] == []
        plans[code] = plan["plan_id"]
    # the default is the first regency loaded (by code)
    res = run("plan", "--json", db=db)
    assert json.loads(res.stdout)["regency_code"] == "35.17"

    eng = make_engine(f"sqlite:///{db}")
    with reader(eng) as s:
        for code, plan_id in plans.items():
            kecs = set(s.scalars(select(m.Site.kecamatan_code).join(
                m.PlanSite, m.PlanSite.site_id == m.Site.id).where(m.PlanSite.plan_id == plan_id)))
            assert kecs and all(k.startswith(code + ".") for k in kecs), (code, kecs)
            # every span lies within the regency's outline (grown by 3 km)
            lons = s.execute(select(m.RouteNode.lon, m.RouteNode.lat).join(
                m.Span, m.Span.a_node_id == m.RouteNode.id).where(m.Span.plan_id == plan_id)
            ).all()
            sites = s.execute(select(m.Site.lon, m.Site.lat).where(
                m.Site.kecamatan_code.startswith(code + "."))).all()
            lo, hi = min(x for x, _ in sites) - 0.05, max(x for x, _ in sites) + 0.05
            assert lons and all(lo <= x <= hi for x, _ in lons)
    eng.dispose()

    res = run("plan", "--regency", "35.99", db=db)
    assert res.exit_code == 2 and "35.99" in res.output and "35.78 Kota Surabaya" in res.output


def test_unknown_and_malformed_codes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        fetch_regency_data(out, regency="35.99", from_dir=JATIM_RAW)
    assert "35.99" in str(info.value) and "wilayah_boundaries_kab_35.sql" in str(info.value)
    assert not out.exists()
    db = tmp_path / "fonet.db"
    res = run("data", "fetch", "--regency", "3517", "--from-dir", str(JATIM_RAW), "--out",
              str(out), db=db)
    assert res.exit_code == 2 and "3517" in res.output and not out.exists()
    res = run("data", "fetch", "--province", "99", "--from-dir", str(JATIM_RAW), "--out",
              str(out), db=db)
    assert res.exit_code == 2 and "wilayah_boundaries_kab_99.sql" in res.output
    assert not out.exists()
    res = run("init", "--regency", "35.17", "--data-dir", str(tmp_path / "none"), db=db)
    assert res.exit_code == 2 and "35.17" in res.output and not db.exists()


def test_missing_and_malformed_regency_files(tmp_path: Path) -> None:
    raw = shutil.copytree(JATIM_RAW, tmp_path / "raw")
    out = tmp_path / "out"
    # Kabupaten Mojokerto is a known code, but its villages are not among these raw files
    with pytest.raises(InputError, match="wilayah_boundaries_kel_35.16.sql.*not found"):
        fetch_regency_data(out, regency="35.16", from_dir=raw)
    assert not out.exists()
    kel = raw / "db/kel/35/wilayah_boundaries_kel_35.79.sql"
    text = kel.read_text()
    kel.write_text(text[: len(text) // 2])  # cut short in the middle of a row
    res = run("data", "fetch", "--regency", "35.79", "--from-dir", str(raw), "--out", str(out),
              db=tmp_path / "db")
    assert res.exit_code == 2 and "wilayah_boundaries_kel_35.79.sql" in res.output
    assert not out.exists()
    # --force replaces another regency's data whole
    other = tmp_path / "other"
    fetch_regency_data(other, regency="35.78", from_dir=raw)
    with pytest.raises(InputError, match="--force"):
        fetch_regency_data(other, regency="35.17", from_dir=raw)
    fetch_regency_data(other, regency="35.17", from_dir=raw, force=True)
    assert not list(other.glob("kota_surabaya_*"))
    assert read_regency(other).boundary.name == "Kabupaten Jombang"
    # an existing directory keeps what it had
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(InputError):
        fetch_regency_data(out, regency="35.79", from_dir=raw)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_province_fetch_and_init(tmp_path: Path) -> None:
    raw = two_kota_province(tmp_path / "raw")
    out = tmp_path / "prov"
    db = tmp_path / "fonet.db"
    res = run("data", "fetch", "--province", "35", "--from-dir", str(raw), "--out", str(out),
              db=db)
    assert res.exit_code == 0, res.output
    assert "35.78 Kota Surabaya: 153 villages" in res.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
        ["35.78", "35.79"]
    res = run("init", "--province", "35", "--data-dir", str(out), "--json", db=db)
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["regencies"] == ["35.78", "35.79"] and body["villages"] == 153 + 24
    # a province whose regency file is missing: nothing written
    (raw / "db/kel/35/wilayah_boundaries_kel_35.79.sql").unlink()
    with pytest.raises(InputError, match="wilayah_boundaries_kel_35.79.sql"):
        fetch_province_data(tmp_path / "prov2", province="35", from_dir=raw)
    assert not (tmp_path / "prov2").exists()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


def test_download_of_another_regency(tmp_path: Path) -> None:
    """Kota Batu downloaded from a real HTTP server on 127.0.0.1 (BASE/REPO/COMMIT/PATH)."""
    root = tmp_path / "mirror"
    for src in regency_sources("35.79"):
        dest = root / src.repo / src.commit / src.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(JATIM_RAW / src.path, dest)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        out = tmp_path / "batu"
        result = fetch_regency_data(out, regency="35.79", base_url=base, show_progress=False)
        assert result["name"] == "Kota Batu" and result["villages"] == 24
        assert not result["schools_source"]
        assert sorted(p.name for p in (out / "raw").iterdir()) == sorted(
            s.filename for s in regency_sources("35.79"))
        assert base in (out / "SOURCES.md").read_text()
        # an unknown code stops after the regions file, naming it; nothing is left behind
        with pytest.raises(InputError, match="35.98"):
            fetch_regency_data(tmp_path / "x", regency="35.98", base_url=base,
                               show_progress=False)
        assert not (tmp_path / "x").exists()
    finally:
        server.shutdown()
        server.server_close()
