"""Fixtures shared by every test package: the regency data and stores loaded from it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.ci import (  # noqa: F401  (hooks: under CI=true a skipped test fails the run)
    pytest_collectreport,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _secret_key_file(tmp_path_factory: pytest.TempPathFactory):
    """Seal test credentials with a key file of the test run, never the user's own."""
    if os.environ.get("FONET_SECRET_KEY") or os.environ.get("FONET_SECRET_KEY_FILE"):
        yield
        return
    path = tmp_path_factory.mktemp("secret-key") / "secret.key"
    os.environ["FONET_SECRET_KEY_FILE"] = str(path)
    try:
        yield
    finally:
        os.environ.pop("FONET_SECRET_KEY_FILE", None)


@pytest.fixture(autouse=True)
def _default_language(monkeypatch: pytest.MonkeyPatch):
    """Every test starts in the default language (Indonesian).

    The CLI keeps the language chosen by ``--lang`` for the rest of its process; tests run many
    commands in one process (some through a Typer app without the root option), so the choice
    of one test must not reach the next; nor may a ``FONET_LANG`` of the shell running them.
    """
    from api.cli import common

    monkeypatch.delenv("FONET_LANG", raising=False)
    common._LANG.clear()
    yield
    common._LANG.clear()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real regency data directory (FONET_DATA_DIR, else the data packaged with fonet)."""
    from fonet.config import Settings

    path = Settings().regency_dir
    if not (path / "kab_mojokerto_boundary.geojson").exists():
        pytest.fail(f"regency data not found at {path}")
    return path


@pytest.fixture(scope="session")
def regency_db_file(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """An SQLite store with the regency loaded once per test run (do not modify it)."""
    from fonet.store import make_engine
    from gis.load import init_store

    path = tmp_path_factory.mktemp("regency") / "regency.db"
    eng = make_engine(f"sqlite:///{path}")
    init_store(eng, data_dir)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


@pytest.fixture
def regency_db(regency_db_file: Path, tmp_path: Path) -> str:
    """URL of a private copy of the loaded regency store, free to modify."""
    dst = tmp_path / "fonet.db"
    shutil.copy(regency_db_file, dst)
    return f"sqlite:///{dst}"


@pytest.fixture
def regency_engine(regency_db: str):
    """An engine on a private copy of the loaded regency store."""
    from fonet.store import make_engine

    eng = make_engine(regency_db)
    yield eng
    eng.dispose()


@pytest.fixture
def data_copy(data_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the regency data directory, for tests that corrupt a file.

    The copy has no checksum manifest, so each test meets the reader's own check of what it
    corrupted (the manifest itself is tested in ``tests/gis/test_packaged_data.py``).
    """
    dst = tmp_path / "data"
    shutil.copytree(data_dir, dst)
    for f in dst.iterdir():
        f.chmod(0o644)
    (dst / "SHA256SUMS").unlink(missing_ok=True)  # edited on purpose: no manifest to contradict
    return dst
