"""Alembic environment: runs migrations on the engine fonet hands over."""

from alembic import context

from fonet.store.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # command-line use: `alembic -x url=...`
    from fonet.store.db import make_engine

    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass the store URL with -x url=...")
    engine = make_engine(url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    context.run_migrations()
