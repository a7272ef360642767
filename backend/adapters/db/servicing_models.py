"""Tables servicing adds beyond the loan lifecycle's: the refund payouts of customer credit.

A refund is a payout like a disbursement, with the same uncertain ending (the provider reports it
paid or failed later), so its outcome needs a row of its own; the disbursements table is the
loan's payout attempts and must not count a refund as one.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.adapters.db.models import Base, utcnow


class CreditRefundRow(Base):
    """One attempt to pay a closed loan's held credit back: `pending` until the provider's outcome
    is confirmed, then `paid` or `failed` (a failed attempt's credit is back on the loan, and the
    next attempt gets the next `attempt` number, its own payout key and transfer id)."""

    __tablename__ = "credit_refunds"
    __table_args__ = (
        UniqueConstraint("loan_id", "attempt", name="uq_credit_refunds_loan_attempt"),
        UniqueConstraint("tenant_id", "provider_ref", name="uq_credit_refunds_provider_ref"),
        UniqueConstraint("tenant_id", "transfer_id", name="uq_credit_refunds_transfer_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id", ondelete="RESTRICT"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str] = mapped_column(String(128))
    transfer_id: Mapped[str] = mapped_column(String(128))
    destination: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    settled_on: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
