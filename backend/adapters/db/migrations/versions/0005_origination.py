"""origination tables and columns

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("full_name", sa.String(length=200), nullable=True))
    op.add_column("customers", sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "rulesets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ruleset_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_rulesets_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rulesets")),
        sa.UniqueConstraint("tenant_id", "ruleset_id", "version", name=op.f("uq_rulesets_tenant_id")),
    )
    op.create_index(op.f("ix_rulesets_tenant_id"), "rulesets", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rulesets_tenant_id"), table_name="rulesets")
    op.drop_table("rulesets")
    op.drop_column("customers", "consented_at")
    op.drop_column("customers", "full_name")
