"""Bad output paths and bad options: exit 2, one line naming the fault, the previous export intact.

Every test starts from a folder holding a previous export set (a GeoJSON folder, the CSV pair,
a KML and a PDF, written by fonet itself) and checks, whatever the failure, that the set is
byte for byte what it was and that no temporary file is left behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli.export_cmd import register
from gis.export import export_plan


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test application."""

    return app


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def previous_set(planned, tmp_path_factory) -> Path:
    """A previous export set, written once by fonet."""
    eng, plan_id, _ = planned
    folder = tmp_path_factory.mktemp("previous") / "annex"
    export_plan(eng, plan_id, "geojson", folder / "layers")
    export_plan(eng, plan_id, "csv", folder / "masterplan")
    export_plan(eng, plan_id, "kml", folder / "plan.kml")
    (folder / "sheet.pdf").write_bytes(b"%PDF-1.4 previous sheet")
    return folder


@pytest.fixture
def previous(previous_set, tmp_path) -> Path:
    """A copy of the previous export set; its snapshot is checked after each test."""
    folder = tmp_path / "annex"
    shutil.copytree(previous_set, folder)
    before = snapshot(folder)
    assert len(before) == 2 * 8 + 2 + 1 + 1
    yield folder
    assert snapshot(folder) == before
    assert not [p for p in folder.rglob(".fonet-export-*")]


def run(planned, *args: str):  # noqa: ANN201
    _, _, path = planned
    return CliRunner().invoke(cli(), ["export", *args], env={"FONET_DB_URL": f"sqlite:///{path}"})


def one_line_error(result, *needles: str) -> None:  # noqa: ANN001
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("galat: ")  # the default language is Indonesian
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_a_device_is_not_replaced(planned, previous):
    before = os.stat("/dev/full")
    result = run(planned, "-f", "kml", "-o", "/dev/full")
    # the extension is checked first; a device with the right extension is refused too
    one_line_error(result, "--out", "/dev/full")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    link = previous.parent / "device.kml"
    link.symlink_to("/dev/full")
    one_line_error(run(planned, "-f", "kml", "-o", str(link)), "device", "not a regular file")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode) and os.stat("/dev/full").st_rdev == \
        before.st_rdev


def test_an_existing_folder_is_refused_before_any_work(planned, previous):
    folder = previous / "plan.gpkg"
    folder.mkdir()
    result = run(planned, "-f", "gpkg", "-o", str(folder))
    one_line_error(result, str(folder), "a folder, not a regular file")
    assert list(folder.iterdir()) == []
    folder.rmdir()


def test_a_parent_that_is_a_file(planned, previous):
    result = run(planned, "-f", "kml", "-o", str(previous / "plan.kml" / "new.kml"))
    one_line_error(result, "plan.kml", "not a folder")
    result = run(planned, "-f", "geojson", "-o", str(previous / "sheet.pdf" / "layers"))
    one_line_error(result, "sheet.pdf", "not a folder")
    result = run(planned, "-f", "csv", "-o", str(previous / "plan.kml" / "x"))
    one_line_error(result, "plan.kml", "not a folder")


def test_an_unwritable_folder(planned, previous):
    result = run(planned, "-f", "kml", "-o", "/proc/fonet-export-test/plan.kml")
    one_line_error(result, "/proc")
    assert not os.path.exists("/proc/fonet-export-test")


@pytest.mark.parametrize(("fmt", "name", "needle"), [
    ("pdf", "x.png", "writes a .pdf file"),
    ("png", "x.pdf", "writes a .png file"),
    ("kml", "x.kmz", "writes a .kml file"),
    ("kmz", "x.kml", "writes a .kmz file"),
    ("gpkg", "x", "has no extension"),
    ("atlas", "annex.png", "writes a .pdf file"),
    ("geojson", "layers.geojson", "folder"),
    ("csv", "tables.xlsx", ".csv"),
])
def test_extension_must_match_the_format(planned, previous, fmt, name, needle):
    result = run(planned, "-f", fmt, "-o", str(previous / name))
    one_line_error(result, needle)
    assert not (previous / name).exists()


def test_a_folder_holding_other_files_is_not_replaced(planned, previous):
    (previous / "layers" / "notes.txt").write_text("mine")
    try:
        result = run(planned, "-f", "geojson", "-o", str(previous / "layers"))
        one_line_error(result, "notes.txt", "not part of this export")
    finally:
        (previous / "layers" / "notes.txt").unlink()


def test_unknown_plan_kecamatan_and_language(planned, previous):
    one_line_error(run(planned, "-f", "kml", "--plan", "9999", "-o", str(previous / "plan.kml")),
                   "9999")
    one_line_error(run(planned, "-f", "atlas", "--kecamatan", "Surabaya",
                       "-o", str(previous / "sheet.pdf")), "Surabaya", "Pacet")
    one_line_error(run(planned, "-f", "kml", "--kecamatan", "Pacet",
                       "-o", str(previous / "plan.kml")), "--kecamatan", "atlas")
    result = run(planned, "-f", "kml", "--lang", "fr", "-o", str(previous / "plan.kml"))
    assert result.exit_code == 2 and "fr" in result.output
    eng, plan_id, _ = planned
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        export_plan(eng, plan_id, "kml", previous / "plan.kml", lang="fr")


def test_a_failed_layer_leaves_the_previous_geojson_set(planned, previous, monkeypatch):
    import pyogrio

    eng, plan_id, _ = planned
    real = pyogrio.write_dataframe
    calls = []

    def fail_on_the_fifth(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(args[1])
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr("gis.export.gpkg.pyogrio.write_dataframe", fail_on_the_fifth)
    with pytest.raises(OSError, match="No space left"):
        export_plan(eng, plan_id, "geojson", previous / "layers")
    assert len(calls) == 5


def test_a_failed_swap_leaves_the_previous_geojson_set(planned, previous, monkeypatch):
    eng, plan_id, _ = planned
    real = os.rename

    def refuse_new_folder(src, dst, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        if Path(src).name == "new":
            raise OSError(5, "Input/output error")
        return real(src, dst, *a, **kw)

    monkeypatch.setattr("gis.export.files._exchange", lambda a, b: False)
    monkeypatch.setattr("gis.export.files.os.rename", refuse_new_folder)
    with pytest.raises(OSError, match="Input/output"):
        export_plan(eng, plan_id, "geojson", previous / "layers")


def test_a_failed_rename_leaves_the_previous_csv_pair(planned, previous, monkeypatch):
    eng, plan_id, _ = planned
    real = os.replace
    calls = []

    def fail_on_the_second(src, dst, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        return real(src, dst, *a, **kw)

    monkeypatch.setattr("gis.export.files.os.replace", fail_on_the_second)
    with pytest.raises(OSError, match="Input/output"):
        export_plan(eng, plan_id, "csv", previous / "masterplan")
    # the first file had been replaced, then was put back
    assert len(calls) >= 3


def test_a_good_export_replaces_the_whole_geojson_set(planned, tmp_path):
    eng, plan_id, _ = planned
    folder = tmp_path / "layers"
    export_plan(eng, plan_id, "geojson", folder)
    stale = folder / "rings.geojson"
    stale.write_text("stale")
    first = snapshot(folder)
    export_plan(eng, plan_id, "geojson", folder)
    again = snapshot(folder)
    assert set(again) == set(first)
    assert again["rings.geojson"] != first["rings.geojson"]
    assert not list(tmp_path.glob(".fonet-export-*"))
