"""servicing tables and columns

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instalments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("interest_accrued_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("late_fee_assessed_on", sa.Date(), nullable=True))
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expected_arrival", sa.Date(), nullable=True))
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        # GET /v1/loans pages by (created_at, id) within a tenant.
        batch_op.create_index("ix_loans_tenant_created", ["tenant_id", "created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index("ix_loans_tenant_created")
        batch_op.drop_column("closed_on")
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.drop_column("expected_arrival")
    with op.batch_alter_table("instalments", schema=None) as batch_op:
        batch_op.drop_column("late_fee_assessed_on")
        batch_op.drop_column("interest_accrued_minor")
