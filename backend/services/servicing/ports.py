"""Ports of the servicing use cases. Adapters (SQL, payment providers) implement them; the use
cases and their unit tests see only these shapes, so a fake is a few dictionaries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol, Self

from backend.lending.allocation import InstalmentDue
from backend.lending.dates import Frequency
from backend.lending.ledger import FeeTreatment, JournalEntry
from backend.lending.money import Money
from backend.lending.products import Product
from backend.lending.schedules import Amortization


@dataclass(frozen=True, slots=True)
class Payout:
    """What a payment provider answered to a payout instruction."""

    provider: str
    reference: str
    fee: Money  # what the provider charges us; not the borrower's origination fee
    expected_arrival: date
    status: str = "pending"


@dataclass(frozen=True, slots=True)
class PayoutOutcome:
    """What finally happened to a payout, as the provider reports it when asked (a "verify
    transfer" call): `succeeded` with the charge it took, or `failed` with its reason."""

    status: str  # "succeeded" | "failed"
    fee: Money
    reason: str = ""


class Payouts(Protocol):
    """A payment provider's payout API. `idempotency_key` must make a retried instruction return
    the first payout (every real provider offers this): the database transaction that records the
    payout can roll back after the provider accepted it, and the retry must not pay twice."""

    def payout(
        self, *, idempotency_key: str, amount: Money, destination: dict[str, Any], on: date
    ) -> Payout: ...

    def outcome(self, *, reference: str, amount: Money, destination: dict[str, Any]) -> PayoutOutcome:
        """Ask the provider what became of a payout. A status webhook is only a hint to ask: its
        body is never trusted to cancel a loan or post a fee on its own."""
        ...


@dataclass(frozen=True, slots=True)
class DisbursableAgreement:
    """A signed agreement with the accepted offer it signs, as disbursement needs it."""

    tenant_id: uuid.UUID
    agreement_id: uuid.UUID
    agreement_status: str
    application_id: uuid.UUID
    application_status: str
    customer_id: uuid.UUID
    product_code: str
    lender_code: str
    principal: Money
    annual_rate: Decimal
    term_count: int
    frequency: Frequency
    amortization: Amortization
    origination_fee: Money
    fee_treatment: FeeTreatment
    maturity: date | None = None
    """A single-payment offer's fixed due date (invoice financing); None: one period after payout."""


@dataclass(slots=True)
class LoanState:
    """A loan and its instalments, loaded (and locked) for one use case, then saved back."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    application_id: uuid.UUID
    customer_id: uuid.UUID
    agreement_id: uuid.UUID
    lender_code: str
    product_code: str
    principal: Money
    annual_rate: Decimal
    amortization: Amortization
    frequency: Frequency
    term_count: int
    status: str
    disbursed_on: date
    credit_balance: Money
    dues: tuple[InstalmentDue, ...]
    interest_accrued: dict[int, Money] = field(default_factory=dict)
    late_fee_assessed: dict[int, date] = field(default_factory=dict)
    closed_on: date | None = None
    credit_line_id: uuid.UUID | None = None
    """Set on a draw: the line, not the draw, owns the application (closing a draw leaves it open)."""

    @property
    def currency(self) -> str:
        return self.principal.currency


@dataclass(slots=True)
class CreditLineState:
    """A revolving line: the signed offer's limit, rate and draw terms. What is drawn is not stored
    here: it is the unpaid principal of the line's live draws (`CreditLines.drawn`)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    application_id: uuid.UUID
    agreement_id: uuid.UUID
    customer_id: uuid.UUID
    product_code: str
    lender_code: str
    limit: Money
    annual_rate: Decimal
    term_count: int
    frequency: Frequency
    status: str  # "open" | "closed"
    closed_on: date | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class DisbursementRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID
    loan_id: uuid.UUID
    amount: Money
    provider_fee: Money
    provider: str
    provider_ref: str
    destination: dict[str, Any]
    status: str
    expected_arrival: date | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID
    loan_id: uuid.UUID
    amount: Money
    received_on: date
    provider_ref: str
    allocation: dict[str, Any]
    ledger_transfer_id: str
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class CreditRefundRecord:
    """One attempt to pay a closed loan's credit back. `status`: `pending` until the provider's
    outcome is confirmed, then `paid` or `failed`; `attempt` numbers the loan's refund attempts
    (a failed one puts the credit back, and the next is a new payout under a new key)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    loan_id: uuid.UUID
    attempt: int
    amount: Money
    provider_fee: Money
    provider: str
    provider_ref: str
    transfer_id: str
    destination: dict[str, Any]
    status: str
    reason: str = ""
    settled_on: date | None = None
    replayed: bool = False


class Agreements(Protocol):
    def for_disbursement(self, tenant_id: uuid.UUID, agreement_id: uuid.UUID) -> DisbursableAgreement | None:
        """The agreement with its offer and application, its row locked until commit."""
        ...


class Applications(Protocol):
    def set_status(self, tenant_id: uuid.UUID, application_id: uuid.UUID, status: str) -> None: ...


class Loans(Protocol):
    def get(
        self, tenant_id: uuid.UUID, loan_id: uuid.UUID, *, for_update: bool = False
    ) -> LoanState | None: ...
    def add(self, loan: LoanState) -> None: ...
    def save(self, loan: LoanState) -> None: ...
    def active_ids(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(tenant_id, loan_id) of every active loan of every tenant."""
        ...

    def active_page(
        self, after: tuple[uuid.UUID, uuid.UUID] | None, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """The next `limit` active loans as (tenant_id, loan_id) after `after`, in that order:
        the daily job's work list, a page at a time (keyset paging, so loans closed meanwhile
        do not shift the pages)."""
        ...


class CreditLines(Protocol):
    def get(
        self, tenant_id: uuid.UUID, line_id: uuid.UUID, *, for_update: bool = False
    ) -> CreditLineState | None:
        """`for_update` locks the line until commit, so two draws are checked one after the other."""
        ...

    def for_application(self, tenant_id: uuid.UUID, application_id: uuid.UUID) -> CreditLineState | None: ...
    def add(self, line: CreditLineState) -> None: ...
    def save(self, line: CreditLineState) -> None:
        """Store the line's `status` and `closed_on`."""
        ...

    def drawn(self, tenant_id: uuid.UUID, line_id: uuid.UUID, currency: str) -> Money:
        """Unpaid principal of the line's draws that are not cancelled (a failed payout drew nothing)."""
        ...

    def open_draws(self, tenant_id: uuid.UUID, line_id: uuid.UUID) -> int:
        """How many of the line's draws are still active (principal repaid, interest still owed)."""
        ...


class Disbursements(Protocol):
    def for_application(self, tenant_id: uuid.UUID, application_id: uuid.UUID) -> DisbursementRecord | None:
        """The application's live payout (pending or succeeded); failed payouts are history."""
        ...

    def failed_count(self, tenant_id: uuid.UUID, application_id: uuid.UUID) -> int: ...
    def get(
        self, tenant_id: uuid.UUID, disbursement_id: uuid.UUID, *, for_update: bool = False
    ) -> DisbursementRecord | None: ...
    def add(self, record: DisbursementRecord) -> None: ...
    def set_outcome(self, record: DisbursementRecord) -> None:
        """Store the record's `status` and `provider_fee`."""
        ...


class CreditRefunds(Protocol):
    def latest(self, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> CreditRefundRecord | None:
        """The loan's newest refund attempt (the highest `attempt`)."""
        ...

    def get(
        self, tenant_id: uuid.UUID, refund_id: uuid.UUID, *, for_update: bool = False
    ) -> CreditRefundRecord | None: ...
    def add(self, record: CreditRefundRecord) -> None: ...
    def set_outcome(self, record: CreditRefundRecord) -> None:
        """Store the record's `status`, `provider_fee`, `reason` and `settled_on`."""
        ...


class Payments(Protocol):
    def by_provider_ref(self, tenant_id: uuid.UUID, provider_ref: str) -> PaymentRecord | None: ...
    def add(self, record: PaymentRecord) -> None: ...


class Ledger(Protocol):
    def post(self, entry: JournalEntry, tenant_id: uuid.UUID) -> object:
        """Idempotent on the entry's transfer id (a retry posts nothing)."""
        ...

    def entry(self, tenant_id: uuid.UUID, transfer_id: str) -> JournalEntry | None:
        """The entry posted under `transfer_id`, to reverse it or to answer a retry."""
        ...


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


class Products(Protocol):
    def get(self, tenant_id: uuid.UUID, code: str) -> Product: ...


class ServicingUnitOfWork(Protocol):
    """One transaction: the loan change, its ledger entries and its audit row commit together."""

    agreements: Agreements
    applications: Applications
    loans: Loans
    credit_lines: CreditLines
    disbursements: Disbursements
    payments: Payments
    credit_refunds: CreditRefunds
    ledger: Ledger
    audit: Audit
    products: Products

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
