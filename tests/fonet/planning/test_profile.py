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
