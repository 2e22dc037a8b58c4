"""Poll profiles as data: every bundled file loads, bad files are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.decode import sensor_dbm
from collectors.profiles import PROFILE_DIR, ProfileError, load_profile, load_profiles

BUNDLED = sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_profiles_load(name):
    profile = load_profile(name)
    assert profile.name == name and profile.all_columns
    for column in profile.all_columns:
        assert column.oid[:4] == (1, 3, 6, 1)


def test_if_mib_profile_contents():
    profile = load_profile("if_mib")
    cols = {c.key: c for c in profile.columns}
    assert cols["in_octets"].dotted == "1.3.6.1.2.1.31.1.1.1.6"
    assert cols["in_octets"].fallback.dotted == "1.3.6.1.2.1.2.2.1.10"
    assert cols["in_octets"].fallback.type == "counter32"
    assert cols["oper"].enum[7] == "lowerLayerDown" and cols["oper"].required
    assert profile.scalars[0].dotted == "1.3.6.1.2.1.1.3.0"
    assert set(profile.discovery) == {"name", "descr", "alias", "high_speed_mbps", "speed_bps"}
    assert cols["speed_bps"].dotted == "1.3.6.1.2.1.2.2.1.5"


def test_vendor_scaling_as_declared():
    scale = {n: {c.key: c.scale for c in load_profile(n).columns}
             for n in ("mikrotik_optical", "huawei_optical", "juniper_dom")}
    assert scale["mikrotik_optical"]["rx_dbm"] == 0.001
    assert scale["huawei_optical"]["rx_dbm"] == 0.01
    assert scale["juniper_dom"]["tx_dbm"] == 0.01
    assert 2147483647 in load_profile("huawei_optical").columns[0].invalid


def test_entity_profile_added_when_needed():
    assert [p.name for p in load_profiles(("juniper_dom",))] == ["if_mib", "juniper_dom"]
    assert [p.name for p in load_profiles(("cisco_entity_sensor", "if_mib"))] == [
        "if_mib", "cisco_entity_sensor", "entity"]


def test_sensor_arithmetic():
    assert sensor_dbm("dbm", -75, 9, 1) == pytest.approx(-7.5)
    assert sensor_dbm("dbm", -3210, 8, 0) == pytest.approx(-3.21)   # milli-dBm
    assert sensor_dbm("watts", 5012, 7, 1) == pytest.approx(-3.0, abs=0.01)  # 501.2 uW
    assert sensor_dbm("watts", 1, 8, 0) == pytest.approx(0.0)       # 1 mW
    assert sensor_dbm("watts", 0, 7, 1) is None


def write(folder: Path, name: str, text: str) -> Path:
    (folder / f"{name}.yaml").write_text(text)
    return folder


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: p\nindex: if_index\ncolumns:\n  oper: {oid: 1.3.x, type: integer}\n",
         "columns.oper.oid: '1.3.x' is not a numeric OID"),
        ("name: p\nindex: if_index\ncolumns:\n  oper: {oid: 1.3.6, type: float}\n",
         "columns.oper: type 'float' is not one of"),
        ("name: p\nindex: if_index\ncolumns:\n  colour: {oid: 1.3.6, type: integer}\n",
         "columns.colour: 'colour' is not an interface field"),
        ("name: p\nindex: rows\ncolumns: {}\n", "index 'rows' is not one of"),
        ("name: p\nindex: if_index\ncolumns:\n  oper: {oid: 1.3.6, type: enum, enum: nope}\n",
         "enum 'nope' is not defined"),
        ("name: p\nindex: name\ncolumns:\n  rx_dbm: {oid: 1.3.6, type: integer}\n",
         "index 'name' needs match_column"),
        ("name: other\nindex: if_index\ncolumns:\n  rx_dbm: {oid: 1.3.6, type: integer}\n",
         "name 'other' differs from the file name"),
        ("name: p\nindex: if_index\n", "no columns, scalars or sensor"),
        ("name: p\nindex: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_profiles_are_refused_with_file_and_field(tmp_path, text, message):
    folder = write(tmp_path, "p", text)
    with pytest.raises(ProfileError, match=message.replace("[", r"\[")) as info:
        load_profile("p", folder)
    assert str(tmp_path / "p.yaml") in str(info.value)


def test_missing_profile(tmp_path):
    with pytest.raises(ProfileError, match="profile 'ghost': no file"):
        load_profile("ghost", tmp_path)
