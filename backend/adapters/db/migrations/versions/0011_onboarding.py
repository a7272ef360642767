"""onboarding: consents, identity, documents, KYC and KYB checks, referral documents

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consent_policies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_consent_policies_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_policies")),
        sa.UniqueConstraint("tenant_id", "version", name=op.f("uq_consent_policies_tenant_id")),
    )
    op.create_index(op.f("ix_consent_policies_tenant_id"), "consent_policies", ["tenant_id"])

    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_consents_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_consents_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(op.f("ix_consents_tenant_id"), "consents", ["tenant_id"])
    op.create_index("ix_consents_customer_id_created_at", "consents", ["customer_id", "created_at"])

    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_ref", sa.String(length=300), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_documents_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_documents_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index(op.f("ix_documents_tenant_id"), "documents", ["tenant_id"])
    op.create_index("ix_documents_customer_id_created_at", "documents", ["customer_id", "created_at"])

    op.create_table(
        "document_blobs",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_document_blobs_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_blobs")),
    )
    op.create_index(op.f("ix_document_blobs_tenant_id"), "document_blobs", ["tenant_id"])

    op.create_table(
        "customer_onboarding",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("applicant_type", sa.String(length=16), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("id_type", sa.String(length=8), nullable=True),
        sa.Column("id_number_ciphertext", sa.Text(), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("id_number_last4", sa.String(length=4), nullable=True),
        sa.Column("kyc_status", sa.String(length=16), nullable=False),
        sa.Column("kyb_status", sa.String(length=16), nullable=False),
        sa.Column("business_name", sa.String(length=200), nullable=True),
        sa.Column("registration_number", sa.String(length=32), nullable=True),
        sa.Column("tin", sa.String(length=32), nullable=True),
        sa.Column("business_type", sa.String(length=32), nullable=True),
        sa.Column("months_in_business", sa.Integer(), nullable=True),
        sa.Column("registration_document_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_onboarding_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["registration_document_id"],
            ["documents.id"],
            name=op.f("fk_customer_onboarding_registration_document_id_documents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_onboarding_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_onboarding")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_customer_onboarding_customer_id")),
    )
    op.create_index(
        "ix_customer_onboarding_tenant_id_id_number_hash",
        "customer_onboarding",
        ["tenant_id", "id_number_hash"],
    )

    op.create_table(
        "verification_checks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_reference", sa.String(length=128), nullable=True),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("checked_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_verification_checks_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_verification_checks_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_checks")),
    )
    op.create_index(op.f("ix_verification_checks_tenant_id"), "verification_checks", ["tenant_id"])
    op.create_index(
        "ix_verification_checks_customer_id_checked_at", "verification_checks", ["customer_id", "checked_at"]
    )

    op.create_table(
        "application_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["credit_applications.id"],
            name=op.f("fk_application_documents_application_id_credit_applications"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_application_documents_document_id_documents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_application_documents_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_documents")),
        sa.UniqueConstraint(
            "application_id", "document_id", "kind", name=op.f("uq_application_documents_application_id")
        ),
    )
    op.create_index(op.f("ix_application_documents_tenant_id"), "application_documents", ["tenant_id"])
    op.create_index(
        op.f("ix_application_documents_application_id"), "application_documents", ["application_id"]
    )


def downgrade() -> None:
    for table in (
        "application_documents",
        "verification_checks",
        "customer_onboarding",
        "document_blobs",
        "documents",
        "consents",
        "consent_policies",
    ):
        op.drop_table(table)
