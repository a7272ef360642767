"""double-entry ledger: accounts, entries, postings; on PostgreSQL, zero-sum and immutability triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:40:00

The triggers exist only on PostgreSQL (production). SQLite, the embedded developer default, keeps
the tables and relies on the domain's own refusal of unbalanced entries.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Checked when the transaction commits (DEFERRABLE INITIALLY DEFERRED), so an entry and its
# postings can be inserted row by row; checking per row would refuse every entry halfway through.
# SQLSTATE 23514 is check_violation, so callers see an IntegrityError like any other constraint.
BALANCE_FUNCTION = """
CREATE FUNCTION ledger_entry_must_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    checked uuid;
BEGIN
    -- Record fields are resolved when evaluated, so each table's key is read in its own branch.
    IF TG_TABLE_NAME = 'ledger_entries' THEN
        checked := NEW.id;
    ELSE
        checked := NEW.entry_id;
    END IF;
    IF (SELECT count(*) FROM ledger_postings WHERE entry_id = checked) < 2 THEN
        RAISE EXCEPTION 'ledger entry % has fewer than two postings', checked USING ERRCODE = '23514';
    END IF;
    IF EXISTS (
        SELECT 1 FROM ledger_postings WHERE entry_id = checked
        GROUP BY currency HAVING sum(amount_minor) <> 0
    ) THEN
        RAISE EXCEPTION 'ledger entry % does not balance per currency', checked USING ERRCODE = '23514';
    END IF;
    IF EXISTS (
        SELECT 1 FROM ledger_postings p
        JOIN ledger_accounts a ON a.id = p.account_id
        JOIN ledger_entries e ON e.id = p.entry_id
        WHERE p.entry_id = checked AND (p.currency <> a.currency OR a.tenant_id <> e.tenant_id)
    ) THEN
        RAISE EXCEPTION 'ledger entry % posts to an account of another currency or tenant', checked
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;
"""

IMMUTABLE_FUNCTION = """
CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % refused: ledger rows are immutable, post a reversal instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = '42501';
END $$;
"""

TRIGGERS = [
    (
        "ledger_postings_balance",
        "ledger_postings",
        "CREATE CONSTRAINT TRIGGER ledger_postings_balance AFTER INSERT ON ledger_postings "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_must_balance()",
    ),
    (
        "ledger_entries_balance",
        "ledger_entries",
        "CREATE CONSTRAINT TRIGGER ledger_entries_balance AFTER INSERT ON ledger_entries "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_must_balance()",
    ),
    (
        "ledger_postings_append_only",
        "ledger_postings",
        "CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings "
        "FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only()",
    ),
    (
        "ledger_entries_append_only",
        "ledger_entries",
        "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only()",
    ),
    (
        "ledger_postings_no_truncate",
        "ledger_postings",
        "CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only()",
    ),
    (
        "ledger_entries_no_truncate",
        "ledger_entries",
        "CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only()",
    ),
]


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_ledger_accounts_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint(
            "tenant_id", "kind", "loan_id", "currency", name=op.f("uq_ledger_accounts_tenant_id")
        ),
    )
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_accounts_loan_id", ["loan_id"], unique=False)
        batch_op.create_index(
            "uq_ledger_accounts_tenant_wide",
            ["tenant_id", "kind", "currency"],
            unique=True,
            postgresql_where=sa.text("loan_id IS NULL"),
            sqlite_where=sa.text("loan_id IS NULL"),
        )

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("transfer_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reverses_entry_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reverses_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_entries_reverses_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_ledger_entries_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("reverses_entry_id", name=op.f("uq_ledger_entries_reverses_entry_id")),
        sa.UniqueConstraint("tenant_id", "transfer_id", name=op.f("uq_ledger_entries_tenant_id")),
    )

    op.create_table(
        "ledger_postings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_ledger_postings_nonzero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_ledger_postings_account_id_ledger_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entries.id"], name=op.f("fk_ledger_postings_entry_id_ledger_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_postings_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_postings_entry_id"), ["entry_id"], unique=False)

    if _on_postgresql():
        op.execute(BALANCE_FUNCTION)
        op.execute(IMMUTABLE_FUNCTION)
        for _name, _table, ddl in TRIGGERS:
            op.execute(ddl)


def downgrade() -> None:
    if _on_postgresql():
        for name, table, _ddl in reversed(TRIGGERS):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ledger_is_append_only()")
        op.execute("DROP FUNCTION IF EXISTS ledger_entry_must_balance()")

    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_postings_entry_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_postings_account_id"))
    op.drop_table("ledger_postings")
    op.drop_table("ledger_entries")
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.drop_index("uq_ledger_accounts_tenant_wide")
        batch_op.drop_index("ix_ledger_accounts_loan_id")
    op.drop_table("ledger_accounts")
