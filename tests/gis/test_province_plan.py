"""A province planned on Dask: regencies as independent tasks, then the provincial backbone.

The Dask tests run a real :class:`distributed.LocalCluster` of two worker processes on a real
SQLite store holding two kota converted from the raw files in ``tests/data/jatim-raw``.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from shapely.geometry import box
from sqlalchemy import func, select

from api.cli import (
    commands,  # noqa: F401  (registers the sub-commands)
)
from fonet.planning.province import RegencyPop, provincial_backbone
from fonet.store import make_engine, reader
from fonet.store import models as m
from gis.fetch import fetch_regency_data
from gis.fetch_convert import dissolve
from tests.gis.test_regency_code import JATIM_RAW, run

# ---------------------------------------------------------------- the backbone, pure


def square(code: str, col: int, row: int, size: float = 0.1) -> RegencyPop:
    """A square regency at grid cell (col, row) of ``size`` degrees, its POP in the middle."""
    x, y = 112.0 + col * size, -7.0 - row * size
    return RegencyPop(code, f"Regency {code}", int(code.replace(".", "")), f"POP-{code}",
                      x + size / 2, y - size / 2, box(x, y - size, x + size, y))


def test_backbone_rings_spofs_and_islands() -> None:
    """Six regencies; F lies off by itself (another island).

        A B C
        D E .  G      A B C D E form cycles; G hangs off C alone; F is far away.
    """
    pops = [square("35.01", 0, 0), square("35.02", 1, 0), square("35.03", 2, 0),
            square("35.04", 0, 1), square("35.05", 1, 1), square("35.07", 3, 1),
            square("35.06", 20, 20)]
    b = provincial_backbone(pops)
    assert b.unreached == ["35.06"]
    assert not b.two_edge_connected
    ringed = {c for r in b.rings for c in r.regencies}
    assert ringed == {"35.01", "35.02", "35.03", "35.04", "35.05", "35.07"}
    assert all(r.regencies[0] == b.core for r in b.rings)
    # G's only neighbour is C (they touch at a corner): that corridor is a single point
    spofs = {(s.a, s.b) for s in b.single_points_of_failure}
    assert spofs == {("35.03", "35.07")}
    assert b.route_km > 0 and len(b.corridor_lines) >= 4

    # without G and F every POP is on a ring with two ways to the core
    b = provincial_backbone(pops[:5])
    assert b.two_edge_connected and b.single_points_of_failure == [] and b.unreached == []


def test_dissolve_keeps_a_valid_shape_when_a_sliver_holds_an_island() -> None:
    """A gap under 0.01 km² between villages holding a speck of another village."""
    ring = box(112.4, -7.5, 112.5, -7.4).difference(box(112.45, -7.45, 112.4505, -7.4495))
    speck = box(112.4502, -7.4498, 112.4503, -7.4497)
    out = dissolve([ring, speck])
    assert out.is_valid and out.geom_type == "Polygon" and not list(out.interiors)


# ---------------------------------------------------------------- on Dask, real data


@pytest.fixture(scope="module")
def two_kota(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding Kota Batu and Kota Malang (neighbours 1 km apart), not yet planned."""
    root = tmp_path_factory.mktemp("province")
    for code in ("35.79", "35.73"):
        fetch_regency_data(root / code, regency=code, from_dir=JATIM_RAW)
    db = root / "fonet.db"
    res = run("init", "--regency", "35.79", "--data-dir", str(root / "35.79"), db=db)
    assert res.exit_code == 0, res.output
    res = run("init", "--regency", "35.73", "--data-dir", str(root / "35.73"), db=db)
    assert res.exit_code == 0, res.output
    eng = make_engine(f"sqlite:///{db}")
    with eng.connect() as conn:  # the copies the tests take hold everything
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return db


def counts(db: Path) -> tuple[int, int]:
    eng = make_engine(f"sqlite:///{db}")
    with reader(eng) as s:
        out = (s.scalar(select(func.count()).select_from(m.Plan)) or 0,
               s.scalar(select(func.count()).select_from(m.ProvinceScenario)) or 0)
    eng.dispose()
    return out


def test_province_planned_on_a_local_cluster(two_kota: Path, tmp_path: Path) -> None:
    db = tmp_path / "fonet.db"
    db.write_bytes(two_kota.read_bytes())
    res = run("plan", "--province", "35", "--workers", "2", "--json", db=db)
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert sorted(body["regencies"]) == ["35.73", "35.79"]
    assert body["villages_total"] == 57 + 24 == body["villages_connected"]
    for code, plan in body["regencies"].items():
        assert plan["villages_connected"] == plan["villages_total"] > 0, code
        assert plan["name"] == f"{body['name']} {code}"
    # two regencies: one corridor both ways round, reported as a single point of failure
    b = body["backbone"]
    assert b["corridors"] == 1 and b["unreached"] == [] and not b["two_edge_connected"]
    assert [(s["a"], s["b"]) for s in b["single_points_of_failure"]] == [("35.73", "35.79")]
    # each regency's plan ran in a worker process of its own cluster, and said how big it got
    assert body["workers"] and all(w["peak_rss_mb"] > 0 for w in body["workers"])
    assert sorted(c for w in body["workers"] for c in w["regencies"]) == ["35.73", "35.79"]

    eng = make_engine(f"sqlite:///{db}")
    with reader(eng) as s:
        scenario = s.scalar(select(m.ProvinceScenario))
        assert scenario is not None and scenario.province == "35"
        assert scenario.summary["backbone"]["core"] in ("35.73", "35.79")
        rows = {r.regency_code: r.plan_id for r in s.scalars(select(m.ProvincePlan))}
        assert rows == {c: p["plan_id"] for c, p in body["regencies"].items()}
        for code, plan_id in rows.items():
            plan = s.get(m.Plan, plan_id)
            assert plan is not None and plan.summary["regency_code"] == code
            kecs = set(s.scalars(select(m.PlanSite.kecamatan_code)
                                 .where(m.PlanSite.plan_id == plan_id)))
            assert kecs and all(k.startswith(code + ".") for k in kecs)
    eng.dispose()

    # the progress lines (on stderr) name each regency as it arrives
    assert "35.73: plan" in res.stderr and "35.79: plan" in res.stderr
    assert counts(db) == (2, 1)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_province_bad_input(two_kota: Path, tmp_path: Path) -> None:
    db = tmp_path / "fonet.db"
    db.write_bytes(two_kota.read_bytes())
    address = f"tcp://127.0.0.1:{_closed_port()}"
    res = run("plan", "--province", "35", "--scheduler", address, db=db)
    assert res.exit_code == 2 and "cannot reach the Dask scheduler" in res.output
    assert address in res.output
    res = run("plan", "--province", "36", db=db)
    assert res.exit_code == 2 and "no regency of province 36" in res.output
    res = run("plan", "--province", "3x", db=db)
    assert res.exit_code == 2 and "'3x'" in res.output
    res = run("plan", "--province", "35", "--pop", "VO-35.79.01.2001", db=db)
    assert res.exit_code == 2 and "--pop" in res.output
    assert counts(db) == (0, 0)


def test_province_on_an_existing_cluster(two_kota: Path, tmp_path: Path) -> None:
    """``--scheduler ADDRESS`` sends the tasks to a cluster that runs on its own."""
    from distributed import LocalCluster

    db = tmp_path / "fonet.db"
    db.write_bytes(two_kota.read_bytes())
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        res = run("plan", "--province", "35", "--scheduler", cluster.scheduler_address,
                  "--name", "jatim", db=db)
        assert res.exit_code == 0, res.output
        out = " ".join(res.output.split())
        assert "(jatim): 2 regencies, reaches 81/81 villages" in out
        assert "single point of failure: corridor 35.73–35.79" in out
        assert cluster.status.name == "running"  # not closed by the command
    assert counts(db) == (2, 1)
    res = run("plan", "--province", "35", "--name", "jatim", db=db)
    assert res.exit_code == 2 and "'jatim'" in res.output


def test_a_regency_that_fails_leaves_no_plan(two_kota: Path, tmp_path: Path) -> None:
    """Kota Batu's corridors cut in two: its plan fails; Kota Malang's is not kept either."""
    db = tmp_path / "fonet.db"
    db.write_bytes(two_kota.read_bytes())
    eng = make_engine(f"sqlite:///{db}")
    with eng.begin() as conn:
        conn.exec_driver_sql("DELETE FROM route_edge WHERE kind = 'corridor' AND "
                             "ref LIKE '35.79.01.%' ")
    eng.dispose()
    res = run("plan", "--province", "35", db=db)
    assert res.exit_code == 1 and "regency 35.79: planning failed" in res.output
    assert counts(db) == (0, 0)


def test_islands_are_joined_by_a_crossing() -> None:
    """Two villages sharing a border, and an island village 5 km off: one crossing joins it."""
    from gis.corridors import corridor_graph

    a, b = box(112.40, -7.50, 112.42, -7.48), box(112.42, -7.50, 112.44, -7.48)
    island = box(112.48, -7.50, 112.49, -7.49)
    villages = [(code, g, (g.centroid.x, g.centroid.y))
                for code, g in (("35.29.01.2001", a), ("35.29.01.2002", b),
                                ("35.29.01.2003", island))]
    _, edges = corridor_graph(villages)
    crossing = [e for e in edges if e.name == "crossing"]
    assert len(crossing) == 1
    assert {crossing[0].u, crossing[0].v} == {"35.29.01.2003", "35.29.01.2002"}
    _, edges = corridor_graph(villages[:2])
    assert not [e for e in edges if e.name == "crossing"]
