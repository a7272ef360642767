"""loose ends: one customer per phone per tenant in the database; decisions keep their product version

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The service's "phone already registered" check cannot see a concurrent insert; the
    # constraint can. NULL phones (customers created from a chat identity) stay unconstrained.
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_customers_tenant_id"), ["tenant_id", "phone_e164"])
    # Nullable: decisions made before this revision did not record the product version.
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("product_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("product_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("product_version")
        batch_op.drop_column("product_code")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_customers_tenant_id"), type_="unique")
