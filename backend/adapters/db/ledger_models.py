"""SQL mapping of the double-entry ledger (see backend.lending.ledger for the rules).

The database keeps the ledger's two promises even for code that bypasses the domain: on
PostgreSQL, migration 0002 adds a deferred constraint trigger that refuses, at commit, any entry
whose postings do not sum to zero per currency (django-hordak's approach), and triggers that refuse
UPDATE and DELETE of entries and postings, because a correction is a new, reversing entry.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
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


class LedgerAccount(Base):
    """One account of a tenant's books: a kind, a loan for loan-scoped kinds, one currency."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "loan_id", "currency"),
        # NULLs are distinct in a unique constraint, so tenant-wide accounts (loan_id NULL) need
        # their own index or two racing requests could each create "the" fee income account.
        Index(
            "uq_ledger_accounts_tenant_wide",
            "tenant_id",
            "kind",
            "currency",
            unique=True,
            postgresql_where=text("loan_id IS NULL"),
            sqlite_where=text("loan_id IS NULL"),
        ),
        Index("ix_ledger_accounts_loan_id", "loan_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(32))
    # No foreign key yet: the loans table arrives with the loan lifecycle.
    loan_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerEntry(Base):
    """A journal entry. `transfer_id` is unique per tenant: it is how a retry finds the first post."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "transfer_id"),
        # An entry is reversed at most once; a second reversal would double the correction.
        UniqueConstraint("reverses_entry_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    transfer_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    effective_date: Mapped[date] = mapped_column(Date)
    memo: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reverses_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entries.id"), default=None)


class LedgerPosting(Base):
    """One signed line of an entry: debit positive, credit negative, in minor units."""

    __tablename__ = "ledger_postings"
    __table_args__ = (CheckConstraint("amount_minor <> 0", name="nonzero"),)

    # An integer key keeps the postings of an entry in the order they were written.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
