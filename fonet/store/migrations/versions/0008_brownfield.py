"""brownfield: site kinds of the programme, connected sites and capacity, cable edges,
unique plan names

On SQLite the kind checks are rewritten in place (``PRAGMA writable_schema``, the procedure
SQLite documents for changing a CHECK constraint) rather than by copying the tables: copying
``site`` or ``route_edge`` would drop them, and with foreign keys on, the drop cascades to
route nodes, plan sites and links.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 21:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_SITE_KINDS = ("core_pop", "hub", "kecamatan_office", "village_office", "opd", "school",
                  "closure", "other")
NEW_SITE_KINDS = ("core_pop", "hub", "kecamatan_office", "village_office", "opd", "school",
                  "puskesmas", "rsud", "closure", "odf", "other")
OLD_EDGE_KINDS = ("road", "corridor", "drop")
NEW_EDGE_KINDS = ("road", "corridor", "drop", "cable")


def _in(values: tuple[str, ...]) -> str:
    return f"kind IN ({', '.join(repr(v) for v in values)})"


def _set_check(table: str, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    name = f"ck_{table}_kind"
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, _in(new))
        return
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    if not isinstance(sql, str) or _in(old) not in sql:
        raise RuntimeError(f"unexpected schema of {table}: {name} not found")
    version = int(conn.exec_driver_sql("PRAGMA schema_version").scalar() or 0)
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                         (sql.replace(_in(old), _in(new)), table))
    conn.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    # names were not unique before: keep the first of each, number the others
    conn = op.get_bind()
    seen: set[str] = set()
    for pid, name in conn.execute(sa.text("SELECT id, name FROM plan ORDER BY id")).all():
        if name in seen:
            new = f"{name} ({pid})"
            conn.execute(sa.text("UPDATE plan SET name = :n WHERE id = :i"), {"n": new, "i": pid})
            name = new
        seen.add(name)
    op.add_column("site", sa.Column("connected", sa.Boolean(), server_default=sa.false(),
                                    nullable=False))
    op.add_column("site", sa.Column("capacity_mbps", sa.Float(), nullable=True))
    _set_check("site", OLD_SITE_KINDS, NEW_SITE_KINDS)
    _set_check("route_edge", OLD_EDGE_KINDS, NEW_EDGE_KINDS)
    op.create_index("uq_plan_name", "plan", ["name"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_plan_name", "plan")
    _set_check("route_edge", NEW_EDGE_KINDS, OLD_EDGE_KINDS)
    _set_check("site", NEW_SITE_KINDS, OLD_SITE_KINDS)
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("capacity_mbps")
        batch_op.drop_column("connected")
