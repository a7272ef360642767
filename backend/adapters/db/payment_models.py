"""Tables of payments with a customer: the bank accounts payouts go to, and the pay-now
instructions (a checkout link or a transfer account) whose reference a confirmed payment carries.

`payment_instructions.reference` is unique across tenants because a provider's webhook names only
the reference: it is how an unauthenticated (but signed) confirmation finds its tenant and loan.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.adapters.db.models import Base, utcnow

Minor = BigInteger


class BankAccountRow(Base):
    """A customer's account, stored once its name was resolved with the bank (name enquiry), so a
    payout never goes to a number nobody checked."""

    __tablename__ = "bank_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id", "bank_code", "account_number"),
        Index("ix_bank_accounts_customer_created", "tenant_id", "customer_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    bank_code: Mapped[str] = mapped_column(String(8))
    bank_name: Mapped[str] = mapped_column(String(100))
    account_number: Mapped[str] = mapped_column(String(10))
    account_name: Mapped[str] = mapped_column(String(200))
    verified_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentInstructionRow(Base):
    __tablename__ = "payment_instructions"
    __table_args__ = (Index("ix_payment_instructions_loan_created", "tenant_id", "loan_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id", ondelete="RESTRICT"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    provider: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    link_url: Mapped[str | None] = mapped_column(Text, default=None)
    va_bank_name: Mapped[str | None] = mapped_column(String(100), default=None)
    va_account_number: Mapped[str | None] = mapped_column(String(20), default=None)
    va_account_name: Mapped[str | None] = mapped_column(String(200), default=None)
    expires_at: Mapped[datetime] = mapped_column()
    paid_amount_minor: Mapped[int | None] = mapped_column(Minor, default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
