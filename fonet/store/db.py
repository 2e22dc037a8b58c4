"""Opening the store: engines, transactions and schema migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from fonet.errors import StateError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_private(path: Path) -> None:
    """Create ``path`` (and its folder) as an empty file with mode 0600 unless it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)  # the umask may have taken bits away, never added: be exact
    finally:
        os.close(fd)


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite files get WAL and foreign keys.

    Parameters
    ----------
    url
        SQLAlchemy URL, e.g. ``sqlite:////var/lib/fonet/fonet.db`` or
        ``postgresql+psycopg://user@host/fonet``.

    Returns
    -------
    Engine
        The engine. An SQLite file is created on the first connection, not before (so a
        command that fails before touching the store leaves nothing behind), with mode 0600
        whatever the umask (SQLite gives its WAL and shared-memory files the mode of the
        database file): the store holds sealed credentials and tokens.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url)
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database).expanduser()
            event.listen(engine, "do_connect", lambda *_: create_private(path))
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine):  # noqa: ANN202
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (the newest by default), keeping all data."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision the store is at, or ``None`` for an empty store."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """Return the newest schema revision this version of fonet knows."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))  # type: ignore[arg-type]
    head = script.get_current_head()
    assert head is not None
    return head


def require_current(engine: Engine) -> None:
    """Raise :class:`StateError` unless the store exists and its schema is current."""
    if "area" not in inspect(engine).get_table_names():
        raise StateError(f"the store at {engine.url!r} is empty: run `fonet init` first")
    rev = current_revision(engine)
    if rev != head_revision():
        raise StateError(
            f"the store at {engine.url!r} is at schema {rev}, this fonet needs "
            f"{head_revision()}: run `fonet init` to upgrade it"
        )


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """Yield a session whose work commits whole at the end, or rolls back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


@contextmanager
def reader(engine: Engine) -> Iterator[Session]:
    """Yield a session for reading."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:
        yield session
