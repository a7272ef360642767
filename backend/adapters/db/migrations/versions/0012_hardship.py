"""hardship plans and disputes

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "status = 'waiting'"


def _fk(table: str, column: str, target: str, ondelete: str = "RESTRICT") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "care_policies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("care_policies", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_policies")),
        sa.UniqueConstraint("tenant_id", "kind", "scope", name=op.f("uq_care_policies_tenant_id")),
    )
    with op.batch_alter_table("care_policies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_policies_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "hardship_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("option_code", sa.String(length=32), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("active_until", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("extra_cost_minor", sa.BigInteger(), nullable=False),
        sa.Column("previous_term_count", sa.Integer(), nullable=False),
        sa.Column("installments", sa.JSON(), nullable=False),
        sa.Column("previous_installments", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("hardship_plans", "loan_id", "loans"),
        _fk("hardship_plans", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hardship_plans")),
    )
    with op.batch_alter_table("hardship_plans", schema=None) as batch_op:
        batch_op.create_index("ix_hardship_plans_loan_created", ["loan_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_hardship_plans_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "disputes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        # A stored document's id, deliberately without a foreign key (documents: revision 0011).
        sa.Column("attachment_document_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("disputes", "customer_id", "customers"),
        _fk("disputes", "loan_id", "loans"),
        _fk("disputes", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("tenant_id", "reference", name=op.f("uq_disputes_tenant_id")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_disputes_customer_created", ["tenant_id", "customer_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_disputes_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_agent_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("handoff_requests", "conversation_id", "conversations", ondelete="CASCADE"),
        _fk("handoff_requests", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_requests")),
    )
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_handoff_requests_queue", ["tenant_id", "status", "priority", "created_at"], unique=False
        )
        # One waiting request per conversation, enforced against concurrent requests too.
        batch_op.create_index(
            "uq_handoff_requests_waiting",
            ["conversation_id"],
            unique=True,
            postgresql_where=sa.text(WAITING),
            sqlite_where=sa.text(WAITING),
        )


def downgrade() -> None:
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_handoff_requests_waiting", postgresql_where=sa.text(WAITING), sqlite_where=sa.text(WAITING)
        )
        batch_op.drop_index("ix_handoff_requests_queue")
    op.drop_table("handoff_requests")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_disputes_loan_id"))
        batch_op.drop_index("ix_disputes_customer_created")
    op.drop_table("disputes")
    with op.batch_alter_table("hardship_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hardship_plans_tenant_id"))
        batch_op.drop_index("ix_hardship_plans_loan_created")
    op.drop_table("hardship_plans")
    with op.batch_alter_table("care_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_policies_tenant_id"))
    op.drop_table("care_policies")
