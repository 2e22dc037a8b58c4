"""Fixtures of the GIS tests: a planned copy of the regency store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fonet.store import make_engine, transaction


@pytest.fixture(scope="session")
def planned(regency_db_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the regency store with one default plan, shared by the run (not modified).

    Yields ``(engine, plan_id, path)``.
    """
    from fonet.planning.plan import run_plan
    from fonet.planning.profile import load_profile

    path = tmp_path_factory.mktemp("export") / "fonet.db"
    shutil.copy(regency_db_file, path)
    eng = make_engine(f"sqlite:///{path}")
    with transaction(eng) as s:
        plan_id = run_plan(s, load_profile()).plan_id
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    yield eng, plan_id, path
    eng.dispose()


@pytest.fixture(scope="session")
def plan_layers(planned):
    """The layers of the shared plan (read once; do not modify)."""
    from gis.export.layers import load_layers

    eng, plan_id, _ = planned
    return load_layers(eng, plan_id)
