"""province: provincial scenarios, one plan per regency

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 00:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "province_scenario",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("province", sa.String(length=8), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_scenario")),
        sa.UniqueConstraint("name", name=op.f("uq_province_scenario_name")),
    )
    op.create_index(op.f("ix_province_scenario_province"), "province_scenario", ["province"])
    op.create_table(
        "province_plan",
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("regency_code", sa.String(length=8), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["scenario_id"], ["province_scenario.id"], ondelete="CASCADE",
                                name=op.f("fk_province_plan_scenario_id_province_scenario")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], ondelete="CASCADE",
                                name=op.f("fk_province_plan_plan_id_plan")),
        sa.PrimaryKeyConstraint("scenario_id", "regency_code", name=op.f("pk_province_plan")),
    )
    op.create_index(op.f("ix_province_plan_plan_id"), "province_plan", ["plan_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_province_plan_plan_id"), "province_plan")
    op.drop_table("province_plan")
    op.drop_index(op.f("ix_province_scenario_province"), "province_scenario")
    op.drop_table("province_scenario")
