"""The store: SQLAlchemy tables, engines, transactions and migrations."""

from fonet.store.db import make_engine, reader, require_current, transaction, upgrade

__all__ = ["make_engine", "reader", "require_current", "transaction", "upgrade"]
