"""Ports of the payments use cases: the provider (name enquiry, collections, the payout rail) and
the stores. Adapters implement them; unit tests fake them with a few dictionaries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, Self

from backend.lending.money import Money
from backend.services.servicing.ports import Agreements, Audit, Loans

METHODS = ("link", "virtual_account")


@dataclass(frozen=True, slots=True)
class BankAccount:
    id: uuid.UUID
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    bank_code: str
    bank_name: str
    account_number: str
    account_name: str
    verified_at: datetime

    def destination(self) -> dict[str, str]:
        """The payout destination the disbursement use case and the payout provider take."""
        return {
            "bank_account_id": str(self.id),
            "bank_code": self.bank_code,
            "bank_name": self.bank_name,
            "account_number": self.account_number,
            "account_name": self.account_name,
        }


@dataclass(frozen=True, slots=True)
class Payer:
    """The customer as a payment provider needs them (Paystack requires an e-mail address)."""

    id: uuid.UUID
    full_name: str | None
    locale: str
    email: str


@dataclass(frozen=True, slots=True)
class VirtualAccount:
    bank_name: str
    account_number: str
    account_name: str


@dataclass(frozen=True, slots=True)
class Collection:
    """What the provider answered to a pay-now request: where the customer pays."""

    provider: str
    link_url: str | None
    virtual_account: VirtualAccount | None
    expires_at: datetime


@dataclass(slots=True)
class Instruction:
    id: uuid.UUID
    tenant_id: uuid.UUID
    loan_id: uuid.UUID
    customer_id: uuid.UUID
    reference: str
    provider: str
    method: str
    amount: Money
    status: str  # "pending" | "paid"
    link_url: str | None
    virtual_account: VirtualAccount | None
    expires_at: datetime
    created_at: datetime
    paid_amount: Money | None = None
    paid_at: datetime | None = None
    payment_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """A provider's "payment succeeded" notice, reduced to what confirming it needs."""

    reference: str
    amount: Money
    paid_at: datetime


@dataclass(frozen=True, slots=True)
class Arrival:
    at: datetime
    instant: bool


class AccountNames(Protocol):
    def resolve(self, *, bank_code: str, account_number: str, hint: str | None) -> str | None:
        """The account holder's name as the bank holds it (NIP name enquiry); None when the bank
        says there is no such account. `hint` lets a sandbox answer with the customer's name."""
        ...


class Collections(Protocol):
    name: str

    def collect(
        self, *, reference: str, amount: Money, method: str, payer: Payer, now: datetime
    ) -> Collection:
        """Ask the provider for a checkout link or a transfer account for exactly this payment."""
        ...


class Webhooks(Protocol):
    name: str

    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        """True when the provider signed exactly these bytes (the signature covers the raw body,
        so it is checked before anything parses it)."""
        ...

    def parse(self, raw_body: bytes) -> PaymentEvent | None:
        """The successful payment the event reports; None for every other event."""
        ...


class PayoutRail(Protocol):
    def arrival(self, now: datetime) -> Arrival:
        """When a payout instructed at `now` reaches the borrower's bank."""
        ...


class BankAccounts(Protocol):
    def get(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> BankAccount | None: ...
    def find(
        self, tenant_id: uuid.UUID, customer_id: uuid.UUID, bank_code: str, account_number: str
    ) -> BankAccount | None: ...
    def for_customer(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> list[BankAccount]: ...
    def add(self, account: BankAccount) -> None: ...


class Instructions(Protocol):
    def get(self, tenant_id: uuid.UUID, instruction_id: uuid.UUID) -> Instruction | None: ...
    def by_reference(self, reference: str, *, for_update: bool = False) -> Instruction | None:
        """Across tenants: a webhook names only the reference (unique everywhere)."""
        ...

    def add(self, instruction: Instruction) -> None: ...
    def save(self, instruction: Instruction) -> None:
        """Store `status`, `paid_amount`, `paid_at` and `payment_id`."""
        ...


class Payers(Protocol):
    def get(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> Payer | None: ...


class PaymentsUnitOfWork(Protocol):
    bank_accounts: BankAccounts
    instructions: Instructions
    payers: Payers
    loans: Loans
    agreements: Agreements
    audit: Audit

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
