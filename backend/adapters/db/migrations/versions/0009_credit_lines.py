"""credit lines: a revolving line per line-of-credit application, and its draws as loans

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status <> 'cancelled'"
LIVE_TERM_LOAN = "status <> 'cancelled' AND credit_line_id IS NULL"


def upgrade() -> None:
    op.create_table(
        "credit_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("lender_code", sa.String(length=64), nullable=False),
        sa.Column("limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("annual_rate", sa.String(length=16), nullable=False),
        sa.Column("term_count", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_credit_lines_agreement_id_agreements"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["credit_applications.id"],
            name=op.f("fk_credit_lines_application_id_credit_applications"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_lines_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_credit_lines_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_lines")),
        sa.UniqueConstraint("agreement_id", name=op.f("uq_credit_lines_agreement_id")),
        sa.UniqueConstraint("application_id", name=op.f("uq_credit_lines_application_id")),
    )
    with op.batch_alter_table("credit_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_lines_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_lines_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_line_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_loans_credit_line_id"), ["credit_line_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_loans_credit_line_id_credit_lines"),
            "credit_lines",
            ["credit_line_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        # A line's draws share its application: one live loan per application only for term loans.
        batch_op.drop_index(
            "uq_loans_live_application", postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE)
        )
        batch_op.create_index(
            "uq_loans_live_application",
            ["application_id"],
            unique=True,
            postgresql_where=sa.text(LIVE_TERM_LOAN),
            sqlite_where=sa.text(LIVE_TERM_LOAN),
        )


def downgrade() -> None:
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_loans_live_application",
            postgresql_where=sa.text(LIVE_TERM_LOAN),
            sqlite_where=sa.text(LIVE_TERM_LOAN),
        )
        batch_op.create_index(
            "uq_loans_live_application",
            ["application_id"],
            unique=True,
            postgresql_where=sa.text(LIVE),
            sqlite_where=sa.text(LIVE),
        )
        batch_op.drop_constraint(batch_op.f("fk_loans_credit_line_id_credit_lines"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_loans_credit_line_id"))
        batch_op.drop_column("credit_line_id")
    with op.batch_alter_table("credit_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_lines_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_credit_lines_customer_id"))
    op.drop_table("credit_lines")
