"""Planning profile checks: a bad profile is refused with the field at fault."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fonet.errors import InputError
from fonet.planning.profile import DEFAULT_PROFILE, load_profile


def _write(tmp_path: Path, edit) -> Path:  # noqa: ANN001
    doc = yaml.safe_load(DEFAULT_PROFILE.read_text())
    edit(doc)
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_default_profile_loads() -> None:
    p = load_profile()
    assert p.optics.attenuation_db_per_km == {"1310": 0.35, "1550": 0.25}
    assert p.demand.core_sizes == [12, 24, 48, 96, 144]


@pytest.mark.parametrize(("edit", "needle"), [
    (lambda d: d["methods"]["cost_idr_per_m"].update(aerial=-1), "methods.cost_idr_per_m"),
    (lambda d: d["demand"].update(core_sizes=[12, 25]), "unknown core size 25"),
    (lambda d: d.pop("optics"), "optics"),
    (lambda d: d["hardware"].pop("drum_length_m"), "hardware.drum_length_m"),
    (lambda d: d["optics"].update(access_transceiver="100BASE-FX"), "100BASE-FX"),
    (lambda d: d["demand"]["cores_per_site"].update(warehouse=2), "warehouse"),
    (lambda d: d["hardware"].update(pole_cost_idr=-5), "pole_cost_idr"),
    # a cable size cheaper than nothing: -26 billion plans must not come out
    (lambda d: d["methods"]["cable_cost_idr_per_m_by_cores"].update({12: -5000}),
     "12-core cable laid aerial would cost -500"),
    (lambda d: d["optics"].update(attenuation_db_per_km={"1310": 0.35}), "1550"),
    (lambda d: d["optics"]["transceivers"]["1000BASE-EX"].update(tx_min_dbm=-30.0),
     "no power budget"),
    (lambda d: d["optics"]["transceivers"]["1000BASE-EX"].update(cost_idr=-1), "cost_idr"),
    (lambda d: d["optics"]["transceivers"]["1000BASE-EX"].update(wavelength_nm=850), "850"),
    (lambda d: d["methods"].update(overlay_cost_idr_per_m=-1), "overlay_cost_idr_per_m"),
    (lambda d: d["hardware"].update(drum_length_m=0), "drum_length_m"),
])
def test_bad_profiles(tmp_path: Path, edit, needle: str) -> None:  # noqa: ANN001
    path = _write(tmp_path, edit)
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert str(path) in str(info.value)
    assert needle in str(info.value)


def test_malformed_yaml(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("demand: [unclosed\n")
    with pytest.raises(InputError, match="malformed YAML"):
        load_profile(path)


def test_every_problem_is_named(tmp_path: Path) -> None:
    """A profile is checked whole: the message lists each problem, not only the first."""
    def edit(d: dict) -> None:
        d["hardware"]["pole_cost_idr"] = -5
        d["hardware"]["closure_cost_idr"] = -7
    path = _write(tmp_path, edit)
    with pytest.raises(InputError) as info:
        load_profile(path)
    text = str(info.value)
    assert "2 problem(s)" in text
    assert "pole_cost_idr" in text and "closure_cost_idr" in text


def test_negative_cable_cost_refused_by_the_cli(tmp_path: Path, regency_db: str) -> None:
    import subprocess
    import sys

    path = _write(tmp_path, lambda d: d["methods"]["cable_cost_idr_per_m_by_cores"]
                  .update({12: -9000}))
    env = {"FONET_DB_URL": regency_db, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    bad = subprocess.run([sys.executable, "-m", "api.cli", "plan", "--profile", str(path)],
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and str(path) in bad.stderr
