"""The regency data shipped with fonet: found with no FONET_DATA_DIR, and guarded by checksums."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fonet.datasets import CHECKSUMS_FILE, packaged_data_dir, read_checksums, sha256_file
from fonet.errors import InputError
from fonet.store import make_engine
from gis.fetch import OUTPUT_FILES
from gis.load import init_store

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FONET_")}
    env.update({"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg"), **extra})
    return env


def test_the_manifest_lists_every_file_and_matches() -> None:
    sums = read_checksums(packaged_data_dir())
    assert set(sums) == set(OUTPUT_FILES) - {CHECKSUMS_FILE}
    for name, digest in sums.items():
        assert sha256_file(packaged_data_dir() / name) == digest, name
    licences = (packaged_data_dir() / "LICENSES.md").read_text()
    for holder in ("Cahya DSN", "kodewilayah", "suryavip"):
        assert "Copyright (c) " in licences and holder in licences


def test_init_without_data_dir_loads_the_packaged_regency(tmp_path: Path) -> None:
    db = tmp_path / "fonet.db"
    env = _env(tmp_path, FONET_DB_URL=f"sqlite:///{db}")
    run = subprocess.run([sys.executable, "-m", "api.cli", "init", "--json"], env=env,
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert (result["villages"], result["kecamatan"], result["schools"]) == (304, 18, 633)


def test_missing_file_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(packaged_data_dir(), data)
    (data / "kab_mojokerto_kecamatan.geojson").unlink()
    db = tmp_path / "store" / "fonet.db"
    env = _env(tmp_path, FONET_DB_URL=f"sqlite:///{db}", FONET_DATA_DIR=str(data))
    run = subprocess.run([sys.executable, "-m", "api.cli", "init"], env=env,
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "kab_mojokerto_kecamatan.geojson" in run.stderr and "missing" in run.stderr
    assert "Traceback" not in run.stderr
    assert not db.exists()


def test_a_corrupt_file_is_caught_by_its_checksum(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(packaged_data_dir(), data)
    for f in data.iterdir():
        f.chmod(0o644)
    path = data / "kab_mojokerto_desa_kelurahan.geojson"
    doc = json.loads(path.read_text())
    doc["features"][0]["properties"]["nama"] = "Desa Palsu"  # still valid, but not the source
    path.write_text(json.dumps(doc))
    db = tmp_path / "fonet.db"
    with pytest.raises(InputError) as info:
        init_store(make_engine(f"sqlite:///{db}"), data)
    assert path.name in str(info.value) and "checksum" in str(info.value)
    assert not db.exists()


def test_a_bad_manifest_line_is_named(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(packaged_data_dir(), data)
    (data / CHECKSUMS_FILE).chmod(0o644)
    (data / CHECKSUMS_FILE).write_text("not a checksum line\n")
    with pytest.raises(InputError) as info:
        init_store(make_engine(f"sqlite:///{tmp_path / 'x.db'}"), data)
    assert CHECKSUMS_FILE in str(info.value) and "line 1" in str(info.value)
