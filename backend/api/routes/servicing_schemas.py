"""Response bodies of the servicing endpoints (loans, disbursements, ledger)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel, Field

from backend.api.schemas import MoneyIn, MoneyOut
from backend.lending.money import Money
from backend.services.servicing.balances import LoanBalance
from backend.services.servicing.ports import DisbursementRecord, LoanState, PaymentRecord


def business_date() -> date:
    """Today's business date for a request (UTC). A dependency, so tests and back-dated
    operations can override it; services never read a clock themselves."""
    return datetime.now(UTC).date()


TodayDep = Annotated[date, Depends(business_date)]


class LoanOut(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    customer_id: uuid.UUID
    agreement_id: uuid.UUID
    product_code: str
    lender_code: str
    status: str
    principal: MoneyOut
    annual_rate: str
    amortization: str
    frequency: str
    term_count: int
    disbursed_on: date
    closed_on: date | None
    credit_balance: MoneyOut
    credit_line_id: uuid.UUID | None = Field(default=None, description="Set on a line's draw.")

    @classmethod
    def of(cls, loan: LoanState, locale: str | None) -> LoanOut:
        return cls(
            id=loan.id,
            application_id=loan.application_id,
            customer_id=loan.customer_id,
            agreement_id=loan.agreement_id,
            product_code=loan.product_code,
            lender_code=loan.lender_code,
            status=loan.status,
            principal=MoneyOut.of(loan.principal, locale),
            annual_rate=str(loan.annual_rate),
            amortization=loan.amortization.value,
            frequency=loan.frequency.value,
            term_count=loan.term_count,
            disbursed_on=loan.disbursed_on,
            closed_on=loan.closed_on,
            credit_balance=MoneyOut.of(loan.credit_balance, locale),
            credit_line_id=loan.credit_line_id,
        )


class InstalmentOut(BaseModel):
    number: int
    due_date: date
    principal: MoneyOut
    interest: MoneyOut
    fees: MoneyOut
    paid_principal: MoneyOut
    paid_interest: MoneyOut
    paid_fees: MoneyOut
    outstanding: MoneyOut
    status: str = Field(description="paid, overdue, due or upcoming, as of today.")


class ScheduleOut(BaseModel):
    loan_id: uuid.UUID
    instalments: list[InstalmentOut]


def schedule_of(loan: LoanState, today: date, locale: str | None) -> ScheduleOut:
    rows = []
    for d in loan.dues:
        if d.settled:
            status = "paid"
        elif d.due_date < today:
            status = "overdue"
        elif d.due_date == today:
            status = "due"
        else:
            status = "upcoming"
        rows.append(
            InstalmentOut(
                number=d.number,
                due_date=d.due_date,
                principal=MoneyOut.of(d.principal, locale),
                interest=MoneyOut.of(d.interest, locale),
                fees=MoneyOut.of(d.fees, locale),
                paid_principal=MoneyOut.of(d.principal_paid, locale),
                paid_interest=MoneyOut.of(d.interest_paid, locale),
                paid_fees=MoneyOut.of(d.fees_paid, locale),
                outstanding=MoneyOut.of(d.total_outstanding, locale),
                status=status,
            )
        )
    return ScheduleOut(loan_id=loan.id, instalments=rows)


class BalanceOut(BaseModel):
    loan_id: uuid.UUID
    on: date
    status: str
    principal: MoneyOut
    interest: MoneyOut
    fees: MoneyOut
    total: MoneyOut
    overdue: MoneyOut
    next_due_date: date | None
    next_due: MoneyOut | None
    credit: MoneyOut

    @classmethod
    def of(cls, loan: LoanState, b: LoanBalance, locale: str | None) -> BalanceOut:
        return cls(
            loan_id=loan.id,
            on=b.on,
            status=loan.status,
            principal=MoneyOut.of(b.principal, locale),
            interest=MoneyOut.of(b.interest, locale),
            fees=MoneyOut.of(b.fees, locale),
            total=MoneyOut.of(b.total, locale),
            overdue=MoneyOut.of(b.overdue, locale),
            next_due_date=b.next_due_date,
            next_due=MoneyOut.of(b.next_due, locale) if b.next_due is not None else None,
            credit=MoneyOut.of(b.credit, locale),
        )


class PayoffQuoteOut(BaseModel):
    loan_id: uuid.UUID
    on: date
    principal: MoneyOut
    interest: MoneyOut
    fees: MoneyOut
    total: MoneyOut
    waived_interest: MoneyOut
    waived_fees: MoneyOut


class DisbursementIn(BaseModel):
    agreement_id: uuid.UUID
    destination: dict[str, Any] = Field(
        description="Where the money goes, e.g. {'bank_code': '058', 'account_number': '0123456789'}."
    )


class DisbursementOut(BaseModel):
    id: uuid.UUID
    loan_id: uuid.UUID
    amount: MoneyOut
    provider_fee: MoneyOut
    provider: str
    provider_ref: str
    status: str
    expected_arrival: date | None

    @classmethod
    def of(cls, d: DisbursementRecord, locale: str | None) -> DisbursementOut:
        return cls(
            id=d.id,
            loan_id=d.loan_id,
            amount=MoneyOut.of(d.amount, locale),
            provider_fee=MoneyOut.of(d.provider_fee, locale),
            provider=d.provider,
            provider_ref=d.provider_ref,
            status=d.status,
            expected_arrival=d.expected_arrival,
        )


class RepaymentIn(BaseModel):
    amount: MoneyIn
    received_on: date
    provider_ref: str = Field(min_length=1, max_length=128)


class AllocationPartOut(BaseModel):
    number: int
    fees_minor: int
    interest_minor: int
    principal_minor: int


class RepaymentOut(BaseModel):
    id: uuid.UUID
    loan_id: uuid.UUID
    amount: MoneyOut
    received_on: date
    provider_ref: str
    payoff: bool
    parts: list[AllocationPartOut]
    prepayments: list[AllocationPartOut]
    credit: MoneyOut
    loan_status: str | None = None

    @classmethod
    def of(cls, p: PaymentRecord, locale: str | None, loan_status: str | None = None) -> RepaymentOut:
        a = p.allocation
        return cls(
            id=p.id,
            loan_id=p.loan_id,
            amount=MoneyOut.of(p.amount, locale),
            received_on=p.received_on,
            provider_ref=p.provider_ref,
            payoff=bool(a.get("payoff")),
            parts=[AllocationPartOut(**x) for x in a.get("parts", [])],
            prepayments=[AllocationPartOut(**x) for x in a.get("prepayments", [])],
            credit=MoneyOut.of(Money(int(a.get("credit_minor", 0)), p.amount.currency), locale),
            loan_status=loan_status,
        )


class PostingOut(BaseModel):
    account: str
    amount: MoneyOut = Field(description="Signed: debit positive, credit negative.")


class EntryOut(BaseModel):
    id: uuid.UUID
    transfer_id: str
    kind: str
    effective_date: date
    memo: str
    reverses: str | None
    postings: list[PostingOut]


class LedgerOut(BaseModel):
    loan_id: uuid.UUID
    entries: list[EntryOut]


class TrialBalanceLine(BaseModel):
    account: str
    balance: MoneyOut


class TrialBalanceOut(BaseModel):
    lines: list[TrialBalanceLine]
    totals: list[MoneyOut] = Field(description="Net per currency; zero when the books balance.")
