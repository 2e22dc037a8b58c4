"""A regency store with the default plan and its fibre layer designed (shared per module)."""

from __future__ import annotations

import shutil

import pytest

from fonet.fibre.design import design
from fonet.planning.plan import run_plan
from fonet.planning.profile import load_profile
from fonet.store import make_engine, transaction


@pytest.fixture(scope="module")
def designed(regency_db_file, tmp_path_factory):
    """``(engine, url, plan result, design result)`` on a private copy of the regency."""
    dst = tmp_path_factory.mktemp("fibre") / "fonet.db"
    shutil.copy(regency_db_file, dst)
    url = f"sqlite:///{dst}"
    engine = make_engine(url)
    with transaction(engine) as s:
        plan = run_plan(s, load_profile()).to_json()
    with transaction(engine) as s:
        result = design(s, plan["plan_id"]).to_json()
    yield engine, url, plan, result
    engine.dispose()


@pytest.fixture
def fresh(designed, tmp_path):
    """A private copy of the designed store, free to modify: ``(engine, url, plan id)``."""
    engine, url, plan, _ = designed
    engine.dispose()
    dst = tmp_path / "fonet.db"
    src = url.removeprefix("sqlite:///")
    with make_engine(url).connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(src, dst)
    eng = make_engine(f"sqlite:///{dst}")
    yield eng, f"sqlite:///{dst}", plan["plan_id"]
    eng.dispose()
