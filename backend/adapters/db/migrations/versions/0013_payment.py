"""payment instructions and bank accounts

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MINOR = sa.BigInteger()


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="RESTRICT"
    )


def upgrade() -> None:
    op.create_table(
        "bank_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("bank_code", sa.String(length=8), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("account_number", sa.String(length=10), nullable=False),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("bank_accounts", "tenant_id", "tenants"),
        _fk("bank_accounts", "customer_id", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_accounts")),
        sa.UniqueConstraint(
            "tenant_id", "customer_id", "bank_code", "account_number", name=op.f("uq_bank_accounts_tenant_id")
        ),
    )
    op.create_index(
        "ix_bank_accounts_customer_created",
        "bank_accounts",
        ["tenant_id", "customer_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "payment_instructions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", MINOR, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("link_url", sa.Text(), nullable=True),
        sa.Column("va_bank_name", sa.String(length=100), nullable=True),
        sa.Column("va_account_number", sa.String(length=20), nullable=True),
        sa.Column("va_account_name", sa.String(length=200), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_amount_minor", MINOR, nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("payment_instructions", "tenant_id", "tenants"),
        _fk("payment_instructions", "loan_id", "loans"),
        _fk("payment_instructions", "customer_id", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_instructions")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_instructions_reference")),
    )
    op.create_index(
        "ix_payment_instructions_loan_created",
        "payment_instructions",
        ["tenant_id", "loan_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_payment_instructions_loan_created", table_name="payment_instructions")
    op.drop_table("payment_instructions")
    op.drop_index("ix_bank_accounts_customer_created", table_name="bank_accounts")
    op.drop_table("bank_accounts")
