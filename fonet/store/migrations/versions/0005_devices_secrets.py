"""devices: detected profile, credentials sealed at rest

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 21:20:00.000000

Adds ``device.detected_by`` and widens the credential columns to hold Fernet tokens, then
seals every credential stored in plain text before this revision (with the key of
:func:`fonet.secrets.sealer`, created on first use). Downgrading opens them again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SECRETS = sa.table(
    "device_secret",
    sa.column("device_id", sa.Integer()),
    sa.column("community", sa.Text()),
    sa.column("auth_key", sa.Text()),
    sa.column("priv_key", sa.Text()),
)
_FIELDS = ("community", "auth_key", "priv_key")


def _convert(change) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_SECRETS)).mappings().all()
    for row in rows:
        values = {k: change(row[k], f"device id {row['device_id']} {k}") for k in _FIELDS}
        conn.execute(_SECRETS.update().where(_SECRETS.c.device_id == row["device_id"])
                     .values(**values))


def upgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detected_by", sa.String(length=512), nullable=True))
    with op.batch_alter_table("device_secret", schema=None) as batch_op:
        for name in _FIELDS:
            batch_op.alter_column(name, existing_type=sa.String(length=256), type_=sa.Text(),
                                  existing_nullable=True)
    if op.get_bind().execute(sa.select(sa.func.count()).select_from(_SECRETS)).scalar():
        from fonet.secrets import sealer

        seal = sealer(create=True)
        _convert(lambda value, _what: seal.seal(value))


def downgrade() -> None:
    if op.get_bind().execute(sa.select(sa.func.count()).select_from(_SECRETS)).scalar():
        from fonet.secrets import sealer

        seal = sealer(create=False)
        _convert(seal.open)
    with op.batch_alter_table("device_secret", schema=None) as batch_op:
        for name in _FIELDS:
            batch_op.alter_column(name, existing_type=sa.Text(), type_=sa.String(length=256),
                                  existing_nullable=True)
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_column("detected_by")
