"""Ports of the origination use cases: plain records in, plain records out, one tenant per unit
of work (the adapter scopes every read and write to it, so a use case cannot leak across tenants).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, Self


@dataclass(slots=True)
class CustomerRec:
    id: uuid.UUID
    phone_e164: str | None
    full_name: str | None
    locale: str
    currency: str
    consented_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class ProfileRec:
    customer_id: uuid.UUID
    business_name: str
    business_type: str
    months_in_business: int
    monthly_revenue_minor: int
    currency: str
    registration_number: str | None = None
    tax_id: str | None = None


@dataclass(slots=True)
class ProductRec:
    code: str
    version: int
    kind: str
    definition: dict[str, Any]
    active: bool = True


@dataclass(slots=True)
class LenderRec:
    code: str
    name: str
    pricing: dict[str, Any]
    active: bool = True


@dataclass(slots=True)
class ApplicationRec:
    id: uuid.UUID
    customer_id: uuid.UUID
    product_code: str
    status: str
    requested_amount_minor: int | None
    currency: str
    term_count: int | None
    frequency: str | None
    purpose: str | None = None
    invoice: dict[str, Any] | None = None
    version: int = 1
    created_at: datetime | None = None
    submitted_at: datetime | None = None


@dataclass(slots=True)
class DecisionRec:
    id: uuid.UUID
    application_id: uuid.UUID
    outcome: str
    risk_grade: str | None
    limit_minor: int | None
    currency: str
    reasons: list[str]
    documents_required: list[str]
    ruleset_id: str
    ruleset_version: str
    inputs: dict[str, Any]
    created_at: datetime | None = None
    product_code: str | None = None
    product_version: int | None = None


@dataclass(slots=True)
class OfferRec:
    id: uuid.UUID
    application_id: uuid.UUID
    decision_id: uuid.UUID
    lender_code: str
    rank: int
    amount_minor: int
    currency: str
    term_count: int
    frequency: str
    amortization: str
    payment_minor: int
    annual_rate: str
    apr: str
    fees: list[dict[str, Any]]
    total_repayable_minor: int
    status: str = "open"
    created_at: datetime | None = None
    maturity_date: date | None = None


@dataclass(slots=True)
class AgreementRec:
    id: uuid.UUID
    application_id: uuid.UUID
    offer_id: uuid.UUID
    template_name: str
    template_version: str
    text: str
    sha256: str
    status: str = "pending"
    otp_challenge: dict[str, Any] | None = None
    signed_at: datetime | None = None
    signer: str | None = None
    channel: str | None = None
    evidence: dict[str, Any] | None = field(default=None)
    created_at: datetime | None = None


class OriginationRepository(Protocol):
    """Every method reads or writes the unit of work's tenant only."""

    def add_customer(self, rec: CustomerRec) -> None:
        """Raise DuplicatePhone if the tenant already has a customer with this phone (a concurrent
        registration the service's read could not see)."""
        ...

    def customer(self, customer_id: uuid.UUID) -> CustomerRec | None: ...
    def customer_by_phone(self, phone_e164: str) -> CustomerRec | None: ...
    def customers(self, after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[CustomerRec]: ...
    def profile(self, customer_id: uuid.UUID) -> ProfileRec | None: ...
    def put_profile(self, rec: ProfileRec) -> None: ...

    def product(self, code: str) -> ProductRec | None:
        """The active (newest) version of a product."""
        ...

    def products(self) -> list[ProductRec]: ...
    def add_product_version(self, rec: ProductRec) -> None:
        """Store a new version and retire the older ones of the same code."""
        ...

    def lenders(self, active_only: bool = True) -> list[LenderRec]: ...
    def lender(self, code: str) -> LenderRec | None: ...
    def put_lender(self, rec: LenderRec) -> None: ...
    def ruleset_text(self) -> str | None:
        """The YAML of the newest active rule set."""
        ...

    def add_application(self, rec: ApplicationRec) -> None: ...
    def application(
        self, application_id: uuid.UUID, *, for_update: bool = False
    ) -> ApplicationRec | None: ...
    def applications(
        self, customer_id: uuid.UUID | None, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[ApplicationRec]: ...
    def save_application(self, rec: ApplicationRec, expected_version: int) -> ApplicationRec:
        """Write the record; raise StaleVersion if someone saved the application since it was read."""
        ...

    def add_decision(self, rec: DecisionRec) -> None: ...
    def latest_decision(self, application_id: uuid.UUID) -> DecisionRec | None: ...
    def add_offer(self, rec: OfferRec) -> None: ...
    def offers(self, application_id: uuid.UUID) -> list[OfferRec]: ...
    def offer(self, offer_id: uuid.UUID) -> OfferRec | None: ...
    def set_offer_status(self, offer_id: uuid.UUID, status: str) -> None: ...
    def add_agreement(self, rec: AgreementRec) -> None: ...
    def agreement(self, agreement_id: uuid.UUID, *, for_update: bool = False) -> AgreementRec | None: ...
    def save_agreement(self, rec: AgreementRec) -> None: ...


class StaleVersion(Exception):
    """The optimistic lock lost: the row changed since it was read."""


class DuplicatePhone(Exception):
    """The tenant already has a customer with this phone (the database's unique constraint)."""


class Audit(Protocol):
    def append(
        self, *, actor: str, action: str, subject_type: str, subject_id: str, data: dict[str, Any]
    ) -> None:
        """A hash-chained audit row in the unit of work's transaction."""
        ...


class Notifier(Protocol):
    def send_to_customer(self, customer_id: uuid.UUID, text: str) -> bool:
        """Send on the customer's latest conversation; False when they have none."""
        ...


class OriginationUnitOfWork(Protocol):
    tenant_id: uuid.UUID
    repo: OriginationRepository
    audit: Audit
    notifier: Notifier

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
