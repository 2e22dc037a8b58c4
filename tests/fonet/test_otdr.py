"""OTDR: the SR-4731 reader on real instrument files and on its own writer's; bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli import otdr_cmd
from fonet.errors import InputError
from fonet.otdr import TraceSpec, WrittenEvent, parse_sor, read_sor, sor_bytes, write_sor
from fonet.otdr.sor import crc16_ccitt

DATA = Path(__file__).resolve().parents[1] / "data" / "otdr"
# What the instruments reported as the end of the fibre (tests/data/otdr/SOURCES.md).
REPORTED = {
    "EXFO_FTB7400_1550_U.SOR": (1556.3, 1.465, 100, 20264.13, 24),
    "EXFO_FTB7400_1625_U.SOR": (1624.8, 1.465, 100, 20267.98, 22),
    "JDSU_MTS6000_1310_G.sor": (1310.0, 1.4675, 30, 2317.40, 6),
    "JDSU_MTS6000_1550_G.sor": (1550.0, 1.468, 30, 2317.88, 6),
}


def run(*args: str) -> tuple[int, str, str]:
    app = typer.Typer()
    otdr_cmd.register(app)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_real_instrument_files(name):
    wavelength, index, pulse, end_m, events = REPORTED[name]
    code, out, err = run("otdr", "read", str(DATA / name), "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["wavelength_nm"] == pytest.approx(wavelength, abs=0.05)
    assert got["index"] == pytest.approx(index, abs=1e-4)
    assert got["pulse_width_ns"] == pulse
    assert abs(got["end_of_fibre_m"] - end_m) <= 1.0
    assert len(got["events"]) == events and got["points"] > 5000
    for e in got["events"]:
        assert set(e) >= {"distance_m", "loss_db", "reflectance_db", "type"}
    distances = [e["distance_m"] for e in got["events"]]
    assert distances == sorted(distances) and distances[-1] == pytest.approx(end_m, abs=1.0)
    # the trace falls to the noise floor at the end of the fibre: its level a few points
    # past the end is far below the level a few points before it
    trace = read_sor(DATA / name)
    step = trace.resolution_m
    at = int(end_m / step)
    before = max(trace.points[at - 40:at - 5])
    after = sorted(trace.points[at + 40:at + 200])[len(trace.points[at + 40:at + 200]) // 2]
    assert before - after > 3.0, (before, after)


def test_both_wavelengths_agree_on_the_length():
    exfo = [read_sor(DATA / n).end_of_fibre_m for n in REPORTED if n.startswith("EXFO")]
    jdsu = [read_sor(DATA / n).end_of_fibre_m for n in REPORTED if n.startswith("JDSU")]
    assert abs(exfo[0] - exfo[1]) < 5 and abs(jdsu[0] - jdsu[1]) < 1


@pytest.mark.parametrize("version", [1, 2])
def test_written_traces_read_back(tmp_path, version):
    events = [WrittenEvent(0.0, 0.0, -50.0), WrittenEvent(1234.5, 0.12),
              WrittenEvent(2210.0, 0.45, -42.0), WrittenEvent(3200.0, 0.0, -14.0, end=True)]
    spec = TraceSpec(events, wavelength_nm=1550.0, index=1.4682, pulse_width_ns=275,
                     resolution_m=0.5, cable_id="P1:AC:V1", location_a="HUB", location_b="V1")
    path = write_sor(tmp_path / f"v{version}.sor", spec, version=version)
    trace = read_sor(path)
    assert trace.version == version and trace.checksum_ok is True
    assert trace.wavelength_nm == 1550.0 and trace.index == pytest.approx(1.4682)
    assert trace.pulse_width_ns == 275 and trace.general["cable_id"] == "P1:AC:V1"
    got = [(round(e.distance_m, 1), round(e.loss_db, 3), e.reflectance_db, e.type)
           for e in trace.events]
    assert got == [(0.0, 0.0, -50.0, "reflective"), (1234.5, 0.12, None, "non_reflective"),
                   (2210.0, 0.45, -42.0, "reflective"), (3200.0, 0.0, -14.0, "end_of_fibre")]
    assert trace.end_of_fibre_m == pytest.approx(3200.0, abs=0.05)
    assert trace.resolution_m == pytest.approx(0.5, abs=1e-3)
    # the trace: attenuation, then the steps of the events, then noise
    assert trace.points[int(1000 / 0.5)] == pytest.approx(-0.35, abs=0.01)
    assert trace.points[int(3000 / 0.5)] == pytest.approx(-1.05 - 0.57, abs=0.01)
    code, out, _ = run("otdr", "read", str(path), "--json")
    assert code == 0 and json.loads(out)["end_of_fibre_m"] == pytest.approx(3200.0, abs=0.05)


def test_crc_is_ccitt():
    assert crc16_ccitt(b"123456789") == 0x29B1  # the CRC-16/CCITT-FALSE check value


@pytest.mark.parametrize("version", [1, 2])
def test_bad_files_are_refused_by_name(tmp_path, version):
    good = sor_bytes(TraceSpec([WrittenEvent(500.0, 0.0, -20.0, end=True)]), version=version)
    cases = {
        "truncated.sor": (good[: len(good) // 2], "truncated"),
        "checksum.sor": (good[:-2] + bytes([good[-2] ^ 0xFF, good[-1]]), "wrong checksum"),
        "flipped.sor": (good[:300] + bytes([good[300] ^ 0x01]) + good[301:], "wrong checksum"),
        "text.sor": (b"This is a text file, not an OTDR trace.\n" * 3, "not an SOR file"),
        "empty.sor": (b"", "not an SOR file"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(InputError, match=message) as info:
            read_sor(path)
        assert name in str(info.value)
        code, out, err = run("otdr", "read", str(path), "--json")
        assert code == 2 and out == "" and message in err and name in err
    code, _, err = run("otdr", "read", str(tmp_path / "missing.sor"))
    assert code == 2 and "missing.sor" in err


def test_real_file_truncated_or_garbled_is_refused(tmp_path):
    data = (DATA / "JDSU_MTS6000_1310_G.sor").read_bytes()
    cut = tmp_path / "cut.sor"
    cut.write_bytes(data[:20000])
    with pytest.raises(InputError, match="truncated"):
        read_sor(cut)
    with pytest.raises(InputError, match="not an SOR file"):
        parse_sor(b"\x00" * 64 + data[64:], "garbled.sor")
