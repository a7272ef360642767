"""servicing: credit refund payouts and their outcome

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=False),
        sa.Column("transfer_id", sa.String(length=128), nullable=False),
        sa.Column("destination", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_credit_refunds_loan_id_loans"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_credit_refunds_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_refunds")),
        sa.UniqueConstraint("loan_id", "attempt", name="uq_credit_refunds_loan_attempt"),
        sa.UniqueConstraint("tenant_id", "provider_ref", name="uq_credit_refunds_provider_ref"),
        sa.UniqueConstraint("tenant_id", "transfer_id", name="uq_credit_refunds_transfer_id"),
    )
    with op.batch_alter_table("credit_refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_refunds_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_refunds_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_refunds_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_credit_refunds_loan_id"))
    op.drop_table("credit_refunds")
