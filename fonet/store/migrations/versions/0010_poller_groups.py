"""pollers on several hosts: device poller groups, cycle ledgers, the collectors' queue

Adds ``device.poller_group`` (``default`` for every existing device), the ledgers that make
a poll and an evaluation happen once per cycle (``device_poll_cycle``, ``evaluated_cycle``)
and the list of running collectors (``poller_collector``).

On PostgreSQL it also creates the schema ``fonet_queue`` holding procrastinate's tables and
functions (the job queue the collectors share); SQLite gets none of it (one collector only).
Kept in a schema of its own, the queue never mixes with fonet's tables.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-30 00:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

QUEUE_SCHEMA = "fonet_queue"


def _create_queue_schema() -> None:
    try:
        from procrastinate.schema import SchemaManager
    except ImportError as exc:
        from fonet.errors import StateError

        raise StateError("a PostgreSQL store needs procrastinate for its collectors' queue: "
                         "pip install 'fonet[postgres]'") from exc

    conn = op.get_bind()
    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {QUEUE_SCHEMA} CASCADE")
    conn.exec_driver_sql(f"CREATE SCHEMA {QUEUE_SCHEMA}")
    conn.exec_driver_sql(f"SET LOCAL search_path TO {QUEUE_SCHEMA}")
    # The driver's own execute: procrastinate's SQL holds `%` and `:` that must reach the
    # server as they are (no parameters are bound).
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(SchemaManager.get_schema())
    conn.exec_driver_sql("SET LOCAL search_path TO DEFAULT")


def upgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("poller_group", sa.String(length=64),
                                      server_default="default", nullable=False))
        batch_op.create_index(batch_op.f("ix_device_poller_group"), ["poller_group"],
                              unique=False)
    op.create_table(
        "device_poll_cycle",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cycle_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("polled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collector", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], ondelete="CASCADE",
                                name=op.f("fk_device_poll_cycle_device_id_device")),
        sa.PrimaryKeyConstraint("device_id", "cycle_start", name=op.f("pk_device_poll_cycle")),
    )
    with op.batch_alter_table("device_poll_cycle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_poll_cycle_cycle_start"), ["cycle_start"],
                              unique=False)
    op.create_table(
        "evaluated_cycle",
        sa.Column("cycle_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collector", sa.String(length=128), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.Column("link_changes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cycle_start", name=op.f("pk_evaluated_cycle")),
    )
    op.create_table(
        "poller_collector",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("host", sa.String(length=256), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_poller_collector")),
    )
    with op.batch_alter_table("poller_collector", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poller_collector_seen_at"), ["seen_at"],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _create_queue_schema()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql(f"DROP SCHEMA IF EXISTS {QUEUE_SCHEMA} CASCADE")
    with op.batch_alter_table("poller_collector", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poller_collector_seen_at"))
    op.drop_table("poller_collector")
    op.drop_table("evaluated_cycle")
    with op.batch_alter_table("device_poll_cycle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_poll_cycle_cycle_start"))
    op.drop_table("device_poll_cycle")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_poller_group"))
        batch_op.drop_column("poller_group")
