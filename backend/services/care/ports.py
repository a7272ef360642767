"""Ports of the care use cases. The SQL adapter implements them; unit tests use dictionaries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, Self

from backend.lending.allocation import InstalmentDue
from backend.lending.dates import Frequency
from backend.lending.hardship import HardshipPolicy
from backend.lending.money import Money
from backend.lending.schedules import Amortization, Installment


@dataclass(frozen=True, slots=True)
class LoanSnapshot:
    """A loan and its instalments as a plan needs them."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    product_code: str
    status: str
    annual_rate: Decimal
    frequency: Frequency
    amortization: Amortization
    term_count: int
    currency: str
    dues: tuple[InstalmentDue, ...]
    interest_accrued: dict[int, Money] = field(default_factory=dict)
    late_fee_assessed: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class PlanRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID
    loan_id: uuid.UUID
    option_code: str
    periods: int
    status: str
    reason: str
    as_of: date
    active_until: date
    currency: str
    extra_cost: Money
    previous_term_count: int
    installments: tuple[Installment, ...]
    previous_installments: tuple[dict[str, Any], ...]
    actor: str
    created_at: datetime

    def status_on(self, today: date) -> str:
        """ "active" until the first payment at the plan's regular amount falls due, then "completed"."""
        return self.status if self.status != "active" or today <= self.active_until else "completed"


@dataclass(frozen=True, slots=True)
class DisputeRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID
    reference: str
    customer_id: uuid.UUID
    loan_id: uuid.UUID | None
    category: str
    description: str
    amount: Money | None
    attachment_document_id: uuid.UUID | None
    status: str
    sla_due_at: datetime
    resolution_note: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class HandoffRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID
    conversation_id: uuid.UUID
    reason: str
    note: str | None
    priority: str
    status: str
    assigned_agent_id: uuid.UUID | None
    created_at: datetime
    replayed: bool = False


class CareLoans(Protocol):
    def get(
        self, tenant_id: uuid.UUID, loan_id: uuid.UUID, *, for_update: bool = False
    ) -> LoanSnapshot | None:
        """`for_update` takes the loan row lock repayments take, so a plan and a payment on one
        loan run one after the other."""
        ...

    def reschedule(
        self,
        tenant_id: uuid.UUID,
        loan_id: uuid.UUID,
        replaced: Sequence[int],
        rows: Sequence[Installment],
        term_count: int,
    ) -> None:
        """Replace the instalments numbered `replaced` by `rows` (unpaid) and store the term."""
        ...

    def customer_of(self, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> uuid.UUID | None: ...


class HardshipPlans(Protocol):
    def for_loan(self, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> list[PlanRecord]:
        """Oldest first."""
        ...

    def add(self, plan: PlanRecord) -> None: ...


class Policies(Protocol):
    def hardship(self, tenant_id: uuid.UUID, product_code: str) -> HardshipPolicy:
        """The product's policy, else the tenant's, else the defaults."""
        ...

    def disputes(self, tenant_id: uuid.UUID) -> dict[str, Any] | None:
        """The tenant's dispute policy as stored, or None for the defaults."""
        ...

    def set(self, tenant_id: uuid.UUID, kind: str, scope: str, definition: dict[str, Any]) -> None:
        """Replace the tenant's policy of `kind` for `scope` (a product code, or "")."""
        ...


class Disputes(Protocol):
    def reference_taken(self, tenant_id: uuid.UUID, reference: str) -> bool: ...
    def add(self, record: DisputeRecord) -> None: ...
    def get(
        self, tenant_id: uuid.UUID, reference: str, *, for_update: bool = False
    ) -> DisputeRecord | None: ...
    def save(self, record: DisputeRecord) -> None:
        """Store `status`, `resolution_note` and `updated_at`."""
        ...

    def for_customer(
        self,
        tenant_id: uuid.UUID,
        customer_id: uuid.UUID,
        before: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[DisputeRecord]:
        """Newest first, strictly before the cursor key."""
        ...


class Handoffs(Protocol):
    def waiting(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> HandoffRecord | None: ...
    def add(self, record: HandoffRecord) -> HandoffRecord:
        """Insert; if another request for the conversation started waiting meanwhile, return that
        one (marked `replayed`) instead."""
        ...

    def for_conversation(
        self,
        tenant_id: uuid.UUID,
        conversation_id: uuid.UUID,
        before: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[HandoffRecord]: ...


class Directory(Protocol):
    """Existence checks on what other areas own."""

    def customer_exists(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> bool: ...
    def conversation_exists(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> bool: ...


class Audit(Protocol):
    def append(
        self,
        tenant_id: uuid.UUID,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        data: dict[str, Any],
    ) -> None: ...


class CareUnitOfWork(Protocol):
    loans: CareLoans
    plans: HardshipPlans
    policies: Policies
    disputes: Disputes
    handoffs: Handoffs
    directory: Directory
    audit: Audit

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
