"""Tables of the lending lifecycle: profiles, products, lenders, applications, decisions, offers,
agreements, loans and their instalments, disbursements and payments.

Amounts are BIGINT minor units beside a currency column; rates are decimal strings (NUMERIC would
round-trip as Decimal too, but a string keeps the exact text the pricing was configured with).
Rows that a retry could duplicate carry the provider's reference under a unique key per tenant.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.adapters.db.models import Base, utcnow

Minor = BigInteger


def _tenant() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)


class BusinessProfile(Base):
    __tablename__ = "business_profiles"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), unique=True
    )
    business_name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str | None] = mapped_column(String(32), default=None)
    tax_id: Mapped[str | None] = mapped_column(String(32), default=None)
    business_type: Mapped[str] = mapped_column(String(32))
    months_in_business: Mapped[int] = mapped_column(Integer)
    monthly_revenue_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Product(Base):
    """A tenant's product, stored as the validated definition the pure domain reads."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("tenant_id", "code", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(32))
    definition: Mapped[dict[str, Any]] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lender(Base):
    __tablename__ = "lenders"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    pricing: Mapped[dict[str, Any]] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditApplication(Base):
    __tablename__ = "credit_applications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    product_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    requested_amount_minor: Mapped[int | None] = mapped_column(Minor, default=None)
    currency: Mapped[str] = mapped_column(String(3))
    term_count: Mapped[int | None] = mapped_column(Integer, default=None)
    frequency: Mapped[str | None] = mapped_column(String(16), default=None)
    purpose: Mapped[str | None] = mapped_column(String(500), default=None)
    invoice: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # Optimistic locking: an update names the version it read, so two edits never interleave.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Decision(Base):
    """An underwriting decision with the rule-set version and inputs that produced it (replayable)."""

    __tablename__ = "decisions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credit_applications.id", ondelete="RESTRICT"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(16))
    risk_grade: Mapped[str | None] = mapped_column(String(2), default=None)
    limit_minor: Mapped[int | None] = mapped_column(Minor, default=None)
    currency: Mapped[str] = mapped_column(String(3))
    reasons: Mapped[list[str]] = mapped_column()
    documents_required: Mapped[list[str]] = mapped_column()
    ruleset_id: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    # The product version the decision was made under: products are re-versioned, and a decision
    # must be explained with the bounds and kind it was checked against. Null before migration 0010.
    product_code: Mapped[str | None] = mapped_column(String(64), default=None)
    product_version: Mapped[int | None] = mapped_column(Integer, default=None)
    inputs: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Offer(Base):
    __tablename__ = "offers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credit_applications.id", ondelete="RESTRICT"), index=True
    )
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decisions.id", ondelete="RESTRICT"))
    lender_code: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(String(3))
    term_count: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[str] = mapped_column(String(16))
    amortization: Mapped[str] = mapped_column(String(16))
    payment_minor: Mapped[int] = mapped_column(Minor)
    annual_rate: Mapped[str] = mapped_column(String(16))
    apr: Mapped[str] = mapped_column(String(16))
    fees: Mapped[list[dict[str, Any]]] = mapped_column()
    total_repayable_minor: Mapped[int] = mapped_column(Minor)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A single-payment offer (invoice financing) falls due on a fixed date, not one period on.
    maturity_date: Mapped[date | None] = mapped_column(Date, default=None)


class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credit_applications.id", ondelete="RESTRICT")
    )
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id", ondelete="RESTRICT"), unique=True)
    template_name: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    otp_challenge: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    signer: Mapped[str | None] = mapped_column(String(128), default=None)
    channel: Mapped[str | None] = mapped_column(String(16), default=None)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


LIVE_TERM_LOAN = "status <> 'cancelled' AND credit_line_id IS NULL"


class CreditLine(Base):
    """A revolving line opened from a signed line-of-credit agreement. Its terms are the accepted
    offer's (limit, rate, draw term); what is drawn is the sum of its draws' unpaid principal, so
    it is never stored twice and cannot drift from the loans."""

    __tablename__ = "credit_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credit_applications.id", ondelete="RESTRICT"), unique=True
    )
    agreement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agreements.id", ondelete="RESTRICT"), unique=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    product_code: Mapped[str] = mapped_column(String(64))
    lender_code: Mapped[str] = mapped_column(String(64))
    limit_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(String(3))
    annual_rate: Mapped[str] = mapped_column(String(16))
    term_count: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Loan(Base):
    __tablename__ = "loans"
    __table_args__ = (
        Index("ix_loans_tenant_created", "tenant_id", "created_at", "id"),
        # One live loan per term-loan application; a loan cancelled by a failed payout stays as
        # history beside the loan of the next payout attempt (migration 0008). A credit line's
        # draws share its application and are many by design (migration 0009).
        Index(
            "uq_loans_live_application",
            "application_id",
            unique=True,
            postgresql_where=text(LIVE_TERM_LOAN),
            sqlite_where=text(LIVE_TERM_LOAN),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credit_applications.id", ondelete="RESTRICT")
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id", ondelete="RESTRICT"))
    lender_code: Mapped[str] = mapped_column(String(64))
    product_code: Mapped[str] = mapped_column(String(64))
    principal_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(String(3))
    annual_rate: Mapped[str] = mapped_column(String(16))
    amortization: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(16))
    term_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    disbursed_on: Mapped[date | None] = mapped_column(Date, default=None)
    credit_balance_minor: Mapped[int] = mapped_column(Minor, default=0)
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    # Set on a draw against a credit line: its application is the line's, shared by every draw.
    credit_line_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credit_lines.id", ondelete="RESTRICT"), index=True, default=None
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Instalment(Base):
    __tablename__ = "instalments"
    __table_args__ = (UniqueConstraint("loan_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    principal_minor: Mapped[int] = mapped_column(Minor)
    interest_minor: Mapped[int] = mapped_column(Minor)
    fees_minor: Mapped[int] = mapped_column(Minor, default=0)
    paid_principal_minor: Mapped[int] = mapped_column(Minor, default=0)
    paid_interest_minor: Mapped[int] = mapped_column(Minor, default=0)
    paid_fees_minor: Mapped[int] = mapped_column(Minor, default=0)
    # Interest recognised in the ledger for this instalment so far (accrued when collected or when
    # the instalment falls due), so interest receivable always equals accrued minus paid.
    interest_accrued_minor: Mapped[int] = mapped_column(Minor, default=0)
    # Set once a late fee is charged: the rule is one late fee per missed instalment, ever.
    late_fee_assessed_on: Mapped[date | None] = mapped_column(Date, default=None)


class Disbursement(Base):
    __tablename__ = "disbursements"
    __table_args__ = (UniqueConstraint("tenant_id", "provider_ref"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id", ondelete="RESTRICT"), index=True)
    amount_minor: Mapped[int] = mapped_column(Minor)
    fee_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str] = mapped_column(String(128))
    destination: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    expected_arrival: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payment(Base):
    """A repayment received; `provider_ref` makes a redelivered payment webhook a no-op."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("tenant_id", "provider_ref"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id", ondelete="RESTRICT"), index=True)
    amount_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[date] = mapped_column(Date)
    provider_ref: Mapped[str] = mapped_column(String(128))
    allocation: Mapped[dict[str, Any]] = mapped_column()
    ledger_transfer_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
