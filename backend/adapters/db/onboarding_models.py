"""Tables onboarding adds: the privacy notice and consents, what onboarding knows about a
customer, their documents (bytes kept apart from metadata), verification checks, and the
documents attached to referred applications."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.adapters.db.models import Base, utcnow


def _tenant() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)


def _customer() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)


class ConsentPolicy(Base):
    """A tenant's own privacy notice, one row per version (consents point at a version's text)."""

    __tablename__ = "consent_policies"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    version: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(Base):
    """Append-only consent history: a withdrawal is a new row with accepted = false."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_customer_id_created_at", "customer_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    policy_version: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    accepted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerOnboarding(Base):
    """Identity and KYB facts of one customer. The identity number is stored encrypted, with a
    keyed hash (indexed per tenant) for duplicate look-ups and its last four digits for display."""

    __tablename__ = "customer_onboarding"
    __table_args__ = (
        Index("ix_customer_onboarding_tenant_id_id_number_hash", "tenant_id", "id_number_hash"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), unique=True
    )
    applicant_type: Mapped[str | None] = mapped_column(String(16), default=None)
    date_of_birth: Mapped[date | None] = mapped_column(Date, default=None)
    id_type: Mapped[str | None] = mapped_column(String(8), default=None)
    id_number_ciphertext: Mapped[str | None] = mapped_column(Text, default=None)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    id_number_last4: Mapped[str | None] = mapped_column(String(4), default=None)
    kyc_status: Mapped[str] = mapped_column(String(16), default="not_started")
    kyb_status: Mapped[str] = mapped_column(String(16), default="not_started")
    business_name: Mapped[str | None] = mapped_column(String(200), default=None)
    registration_number: Mapped[str | None] = mapped_column(String(32), default=None)
    tin: Mapped[str | None] = mapped_column(String(32), default=None)
    business_type: Mapped[str | None] = mapped_column(String(32), default=None)
    months_in_business: Mapped[int | None] = mapped_column(Integer, default=None)
    registration_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="RESTRICT"), default=None
    )
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class Document(Base):
    """A customer's document's metadata; `storage_ref` says where its bytes are."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_customer_id_created_at", "customer_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_ref: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DocumentBlob(Base):
    """The embedded document store: bytes in the database, apart from the metadata so listing
    documents never reads megabytes. Object storage replaces this table, not `documents`; like an
    object store it holds no foreign key (the bytes are written first, then the metadata)."""

    __tablename__ = "document_blobs"

    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    content: Mapped[bytes] = mapped_column(LargeBinary)


class VerificationCheck(Base):
    """One KYC or KYB check and the provider's own reference for it."""

    __tablename__ = "verification_checks"
    __table_args__ = (Index("ix_verification_checks_customer_id_checked_at", "customer_id", "checked_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    provider: Mapped[str] = mapped_column(String(32))
    provider_reference: Mapped[str | None] = mapped_column(String(128), default=None)
    document_ids: Mapped[list[str]] = mapped_column(JSON)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationDocument(Base):
    """A document attached to a referred application as the answer to one requested document."""

    __tablename__ = "application_documents"
    __table_args__ = (UniqueConstraint("application_id", "document_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credit_applications.id", ondelete="RESTRICT"), index=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
