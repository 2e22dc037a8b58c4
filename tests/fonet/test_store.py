"""The store: migrations match the model, SQLite runs in WAL mode, imports are atomic.

PostgreSQL runs too when FONET_TEST_PG_URL names a server (CI starts one).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, insert, select, text

from fonet.errors import StateError
from fonet.store import make_engine, reader, require_current, transaction, upgrade
from fonet.store import models as m
from fonet.store.db import current_revision, head_revision
from tests.ci import require

PG_URL = os.environ.get("FONET_TEST_PG_URL")
NO_PG = ("FONET_TEST_PG_URL is not set: no PostgreSQL server to test against "
         "(make test starts one with scripts/start-postgres.sh)")


def _urls(tmp_path: Path) -> list[str]:
    return [f"sqlite:///{tmp_path / 'a.db'}"] + ([PG_URL] if PG_URL else [])


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path: Path) -> str:  # noqa: ANN001
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'a.db'}"
    require(PG_URL, NO_PG)
    eng = make_engine(PG_URL)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    eng.dispose()
    return PG_URL


def test_migrations_match_model(empty_url: str) -> None:
    eng = make_engine(empty_url)
    require_fails = pytest.raises(StateError, match="fonet init")
    with require_fails:
        require_current(eng)
    upgrade(eng)
    assert current_revision(eng) == head_revision()
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
    assert diff == []
    require_current(eng)
    eng.dispose()


def test_upgrade_keeps_data(empty_url: str) -> None:
    eng = make_engine(empty_url)
    upgrade(eng, "0001")
    with transaction(eng) as s:  # the columns a plan had at 0001 (the model has more now)
        s.execute(insert(m.Plan.__table__).values(name="kept", profile={}, summary={},
                                                  created_at=m.utcnow()))
    with pytest.raises(StateError, match="schema 0001"):
        require_current(eng)
    upgrade(eng)
    with reader(eng) as s:
        assert s.scalar(select(m.Plan.name)) == "kept"
    eng.dispose()


def test_sqlite_wal_and_foreign_keys(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_transaction_is_all_or_nothing(empty_url: str) -> None:
    eng = make_engine(empty_url)
    upgrade(eng)
    with pytest.raises(RuntimeError), transaction(eng) as s:
        s.add(m.Plan(name="half", profile={}, summary={}))
        s.flush()
        raise RuntimeError("fails half-way")
    with reader(eng) as s:
        assert s.scalar(select(func.count()).select_from(m.Plan)) == 0
    eng.dispose()


def test_regency_on_postgresql(data_dir: Path) -> None:
    """The whole regency loads into PostgreSQL and reads back the same as from SQLite."""
    require(PG_URL, NO_PG)
    from fonet.summary import summary
    from gis.load import init_store

    eng = make_engine(PG_URL)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    init_store(eng, data_dir)
    with reader(eng) as s:
        r = summary(s)
    assert (r["villages"], r["kecamatan"], r["schools"], r["route_components"]) == (304, 18, 633, 1)
    eng.dispose()
