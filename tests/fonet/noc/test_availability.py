"""Availability per link and per served site equals a hand computation from a state history.

The hand-built network (drawing in ``__init__.py``) is polled through the real store path
(``record_poll``, ``update_link_states``, the alarms) around five failures in November 2026,
times in WIB (UTC+7)::

    E1  3 Nov 10:00-14:30  span s4 cut; V1, V2 managed in band go silent   -> cut
    E2 10 Nov 22:00-02:00  device V3 dies (H2's port to it goes dark)       -> its link
    E3 15 Nov 08:00-09:00  hub H1 dies: its four links go dark              -> device
    E4 20 Nov 12:00-13:00  trench r8 cut (spans s8a, s8b): H2 isolated      -> cut
    E5 25 Nov 06:00-08:00  span s1 cut: ring hop POP>H1 down, H1 stays up   -> link
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fonet.errors import InputError
from fonet.noc.availability import availability, month_bounds
from fonet.store import reader

from . import Net, mini_store

WIB = ZoneInfo("Asia/Jakarta")
MONTH_S = 30 * 86400
H = 3600


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment given in WIB, as the collectors stamp it: in UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB).astimezone(UTC)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    engine, m = mini_store(tmp_path_factory.mktemp("avail"))
    net = Net(engine, m)
    net.poll(datetime(2026, 10, 31, 12, tzinfo=WIB).astimezone(UTC))  # all up before the month

    def fail(start: datetime, end: datetime, *, cut=(), dead=(), dark=()):
        net.poll(start - timedelta(minutes=1))
        net.cut(*cut)
        net.unreachable |= set(dead)
        net.down_ports |= set(dark)
        net.poll(start)
        net.poll(start + timedelta(minutes=1))  # a second failed poll: unreachable
        net.repair()
        net.unreachable.clear()
        net.poll(end)

    fail(wib(3, 10), wib(3, 14, 30), cut=["s4"], dead=["dev-V1", "dev-V2"])
    fail(wib(10, 22), wib(11, 2), dead=["dev-V3"], dark=["dev-H2:to-V3"])
    dark_h1 = {z if a.startswith("dev-H1:") else a for a, z in net.ends.values()
               if "dev-H1:" in a or "dev-H1:" in z}
    fail(wib(15, 8), wib(15, 9), dead=["dev-H1"], dark=dark_h1)
    fail(wib(20, 12), wib(20, 13), cut=["s8a", "s8b"])
    fail(wib(25, 6), wib(25, 8), cut=["s1"])
    with reader(engine) as s:
        result = availability(s, "2026-11", now=wib(30, 12) + timedelta(days=5))
    yield m, result
    engine.dispose()


def pct(down_s: float) -> float:
    return round(100.0 * (MONTH_S - down_s) / MONTH_S, 4)


def test_links_equal_the_hand_computation(history):
    m, result = history
    links = {r["name"]: r for r in result["links"]}
    expected = {  # link: {cause: seconds down}
        "BB0:POP>H1": {"device": 1 * H, "link": 2 * H},
        "BB0:H1>H2": {"device": 1 * H, "cut": 1 * H},
        "BB0:H2>POP": {"cut": 1 * H},
        "AC:V1": {"cut": 4.5 * H, "device": 1 * H},
        "AC:V2": {"cut": 4.5 * H, "device": 1 * H},
        "AC:V3": {"link": 4 * H},
    }
    assert result["period_s"] == MONTH_S
    for label, causes in expected.items():
        row = links[m.link(label)]
        down = sum(causes.values())
        assert row["down_s"] == pytest.approx(down), label
        assert row["monitored_s"] == pytest.approx(MONTH_S) and row["unknown_s"] == 0
        assert row["availability_pct"] == pytest.approx(pct(down)), label
        assert row["downtime_by_cause"] == pytest.approx(causes), label
        assert sum(o["duration_s"] for o in row["outages"]) == pytest.approx(down)


def test_sites_equal_the_hand_computation(history):
    m, result = history
    sites = {r["code"]: r for r in result["sites"]}
    assert set(sites) == {"H1", "H2", "V1", "V2", "V3"}  # the POP serves, it is not served
    expected = {
        "H1": {"device": 1 * H},
        "H2": {"cut": 1 * H},
        "V1": {"cut": 4.5 * H, "device": 1 * H},
        "V2": {"cut": 4.5 * H, "device": 1 * H},
        "V3": {"link": 4 * H, "cut": 1 * H},
    }
    for code, causes in expected.items():
        row = sites[code]
        down = sum(causes.values())
        assert row["availability_pct"] == pytest.approx(pct(down)), code
        assert row["downtime_by_cause"] == pytest.approx(causes), code
    # ring protection: while s1 was cut (E5), H1 and the villages behind it stayed up
    assert [o["start"] for o in sites["H1"]["outages"]] == [wib(15, 8).isoformat()]
    assert sites["H1"]["outages"][0]["root"]["kind"] == "device_unreachable"
    # the worst of the month, worst first
    assert [w["code"] for w in result["worst"]] == ["V1", "V2", "V3", "H1", "H2"]


def test_days_split_at_local_midnight(history):
    m, result = history
    v3 = next(r for r in result["sites"] if r["code"] == "V3")
    days = {d["date"]: d for d in v3["days"]}
    assert len(days) == 30
    assert days["2026-11-10"]["down_s"] == pytest.approx(2 * H)  # 22:00-24:00 WIB
    assert days["2026-11-11"]["down_s"] == pytest.approx(2 * H)  # 00:00-02:00 WIB
    assert days["2026-11-11"]["availability_pct"] == pytest.approx(100 * 22 / 24, abs=1e-4)
    assert days["2026-11-20"]["down_s"] == pytest.approx(1 * H)
    assert days["2026-11-01"]["availability_pct"] == 100.0


def test_bad_month_or_zone_is_named():
    with pytest.raises(InputError, match="--month: '2026-13'"):
        month_bounds("2026-13")
    with pytest.raises(InputError, match="--month"):
        month_bounds("November")
    with pytest.raises(InputError, match="--tz"):
        month_bounds("2026-11", "Mars/Olympus")
    start, end, _ = month_bounds("2026-11")
    assert (end - start).total_seconds() == MONTH_S
    assert start.isoformat() == "2026-10-31T17:00:00+00:00"


def test_report_cli_formats_agree(history, tmp_path):
    """``fonet report availability`` in json, csv and pdf, from the same history."""
    import csv
    import json

    import typer
    from typer.testing import CliRunner

    from api.cli import report_cmd

    m, result = history
    app = typer.Typer()
    report_cmd.register(app)

    def run(*args: str):
        return CliRunner().invoke(app, ["report", "availability", "--month", "2026-11",
                                        *args], env={"FONET_DB_URL": m.url})

    got = run("--format", "json")
    assert got.exit_code == 0, got.output
    report = json.loads(got.stdout)
    sites = {r["code"]: r for r in report["sites"]}
    # counted until now, or the month's end if it is over
    period = report["period_s"]
    expected = round(100.0 * (period - 5 * H) / period, 4)
    assert sites["V3"]["availability_pct"] == pytest.approx(expected)
    assert sites["V3"]["downtime_by_cause"] == {"link": 4 * H, "cut": 1 * H}
    out = tmp_path / "a.csv"
    assert run("--format", "csv", "--out", str(out), "--daily").exit_code == 0
    rows = list(csv.DictReader(out.open()))
    month_rows = {r["code"]: r for r in rows if r["level"] == "site" and r["date"] == "2026-11"}
    assert float(month_rows["V3"]["availability_pct"]) == pytest.approx(expected)
    assert float(month_rows["V3"]["down_link_s"]) == 4 * H
    assert float(month_rows["V3"]["down_cut_s"]) == 1 * H
    day = next(r for r in rows if r["code"] == "V3" and r["date"] == "2026-11-10")
    assert float(day["down_s"]) == 2 * H
    pdf = tmp_path / "a.pdf"
    done = run("--format", "pdf", "--out", str(pdf))
    assert done.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob("*.part"))
    for bad in (("--format", "xls"), ("--month", "2026-13")):
        r = CliRunner().invoke(app, ["report", "availability", "--month", "2026-11", *bad],
                               env={"FONET_DB_URL": m.url})
        assert r.exit_code == 2, r.output
