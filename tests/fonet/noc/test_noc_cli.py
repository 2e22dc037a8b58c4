"""``fonet impact``, ``fonet locate-cut`` and ``fonet alarms`` on the hand-built plan."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from api.cli.noc_cmd import register

from . import T0, Net, mini_store


@pytest.fixture
def cli(tmp_path):
    engine, m = mini_store(tmp_path)
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def run(*args: str, code: int = 0, lang: str = ""):
        result = runner.invoke(app, list(args), env={"FONET_DB_URL": m.url, "FONET_LANG": lang})
        assert result.exit_code == code, result.output
        return result

    yield run, engine, m
    engine.dispose()


def test_impact_what_if_json(cli):
    run, _, m = cli
    out = json.loads(run("impact", "--span", str(m.spans["s4"]), "--json").stdout)
    assert {r["code"] for r in out["cut_off"]["sites"]} == {"V1", "V2"}
    assert out["cut_off"]["by_kecamatan"]["K1"]["by_kind"] == {"village_office": 2}
    out = json.loads(run("impact", "--link", m.link("BB0:POP>H1"), "--plan", str(m.plan_id),
                         "--json").stdout)
    assert out["cut_off"]["count"] == 0 and out["without_redundancy"]["count"] == 5
    text = " ".join(run("impact", "--route-edge", str(m.edges["r8"]), lang="en").output.split())
    assert "Cut off from the core POP: 2" in text and "Kecamatan Dua" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["impact"], "name a failure"),
        (["impact", "--live", "--span", "1"], "not both"),
        (["impact", "--span", "424242"], "no span 424242"),
        (["impact", "--link", "nope"], "no link 'nope'"),
        (["impact", "--device", "nope"], "no device named 'nope'"),
        (["impact", "--span", "1", "--plan", "77"], "no plan with id 77"),
        (["locate-cut", "--limit", "0"], "--limit"),
        (["alarms", "ack", "5", "--user", "rina", "--comment", "x"], "no alarm with id 5"),
    ],
)
def test_bad_input_exits_2_and_names_it(cli, args, message):
    run, _, _ = cli
    result = run(*args, code=2)
    assert message in result.output.replace("\n", " ")


def test_live_locate_and_alarms(cli):
    from datetime import timedelta

    run, engine, m = cli
    net = Net(engine, m)
    net.poll(T0)
    net.cut("s4")
    net.poll(T0 + timedelta(minutes=1))
    found = json.loads(run("locate-cut", "--json").stdout)
    assert found["candidates"][0]["spans"] == [m.spans["s4"]]
    live = json.loads(run("impact", "--live", "--json").stdout)
    assert {r["code"] for r in live["cut_off"]["sites"]} == {"V1", "V2"}
    roots = json.loads(run("alarms", "list", "--open", "--json").stdout)
    assert [(r["kind"], r["children_count"]) for r in roots] == [("fibre_cut", 2)]
    run("alarms", "ack", str(roots[0]["id"]), "--user", "rina", "--comment", "on it")
    text = " ".join(run("alarms", "list").output.split())  # Indonesian by default
    assert "dugaan serat putus di" in text and "diakui oleh rina, 2 dikelompokkan" in text
    text = " ".join(run("alarms", "list", lang="en").output.split())
    assert "probable fibre cut at the" in text and "ack by rina, 2 grouped" in text
    (root,) = json.loads(run("alarms", "list", "--json").stdout)
    assert (root["acknowledged_by"], root["ack_comment"]) == ("rina", "on it")
    run("alarms", "ack", str(roots[0]["id"]), "--user", "", "--comment", "x", code=2)
