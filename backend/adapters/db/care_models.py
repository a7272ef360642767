"""Tables of customer care: hardship plans, disputes, handoff requests and the tenant's care policies.

Amounts are BIGINT minor units beside a currency, as everywhere else. A hardship plan keeps the
instalments it replaced (with what had been paid on them) as JSON: the servicing code reads every
instalment row of a loan as live, so superseded rows cannot stay in `instalments`, and the plan is
where the previous schedule stays recoverable.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
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

WAITING = "status = 'waiting'"


def _tenant() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)


class CarePolicy(Base):
    """A tenant's care rules as data: `kind` "hardship" (scope: a product code, or "" for every
    product) or "disputes" (scope ""). Validated when read by the pure policy types."""

    __tablename__ = "care_policies"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "scope"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    kind: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(64), default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HardshipPlan(Base):
    __tablename__ = "hardship_plans"
    __table_args__ = (Index("ix_hardship_plans_loan_created", "loan_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loans.id", ondelete="RESTRICT"))
    option_code: Mapped[str] = mapped_column(String(32))
    periods: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    as_of: Mapped[date] = mapped_column(Date)
    active_until: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    extra_cost_minor: Mapped[int] = mapped_column(BigInteger)
    previous_term_count: Mapped[int] = mapped_column(Integer)
    installments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    previous_installments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dispute(Base):
    __tablename__ = "disputes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "reference"),
        Index("ix_disputes_customer_created", "tenant_id", "customer_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = _tenant()
    reference: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    loan_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("loans.id", ondelete="RESTRICT"), index=True, default=None
    )
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    # A stored document's id; no foreign key: the documents table arrives in revision 0011.
    attachment_document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    status: Mapped[str] = mapped_column(String(16))
    sla_due_at: Mapped[datetime] = mapped_column()
    resolution_note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HandoffRequest(Base):
    """A conversation waiting for a human. At most one waiting request per conversation, which the
    partial unique index enforces even against two concurrent requests. `priority` is "high" or
    "normal": they sort in queue order as text, so the queue index serves "oldest high first"."""

    __tablename__ = "handoff_requests"
    __table_args__ = (
        Index(
            "uq_handoff_requests_waiting",
            "conversation_id",
            unique=True,
            postgresql_where=text(WAITING),
            sqlite_where=text(WAITING),
        ),
        Index("ix_handoff_requests_queue", "tenant_id", "status", "priority", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    assigned_agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # SLA (revision 0018): due times fixed when the request is created, in support hours; the
    # breach flags are computed on read from these and the actual times.
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_due_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_due_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_note: Mapped[str | None] = mapped_column(Text, default=None)
