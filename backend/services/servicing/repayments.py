"""Record a repayment, quote a payoff, charge late fees.

Each use case locks the loan row first (SELECT ... FOR UPDATE in the SQL adapter), so two payments
on one loan are allocated one after the other against fresh dues and can never both pay the same
naira of an instalment; payments on different loans do not wait for each other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from backend.lending.allocation import Allocation, allocate
from backend.lending.applications import Status, Transition, next_status
from backend.lending.late_fees import assess_late_fees as late_fees_due
from backend.lending.ledger import late_fee
from backend.lending.money import Money
from backend.lending.payoff import PayoffQuote, quote_payoff
from backend.lending.products import OverpaymentRule
from backend.services.servicing.accounting import (
    accounts_of,
    accrual_entry,
    daily_accrual_id,
    interest_to_accrue,
    repayment_entry,
)
from backend.services.servicing.errors import (
    InvalidRepayment,
    LoanNotActive,
    NotFound,
    ProviderRefConflict,
)
from backend.services.servicing.ports import LoanState, PaymentRecord, ServicingUnitOfWork


@dataclass(frozen=True, slots=True)
class RecordRepayment:
    tenant_id: uuid.UUID
    loan_id: uuid.UUID
    amount: Money
    received_on: date
    provider_ref: str
    actor: str = "api"


def locked_loan(uow: ServicingUnitOfWork, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> LoanState:
    """The loan, its row locked until commit, so every change to one loan is serialised."""
    loan = uow.loans.get(tenant_id, loan_id, for_update=True)
    if loan is None:
        raise NotFound(f"loan {loan_id} not found")
    return loan


def _allocation_json(allocation: Allocation, *, payoff: bool) -> dict[str, Any]:
    def part(p: Any) -> dict[str, int]:
        return {
            "number": p.number,
            "fees_minor": p.fees.minor,
            "interest_minor": p.interest.minor,
            "principal_minor": p.principal.minor,
        }

    return {
        "payoff": payoff,
        "parts": [part(p) for p in allocation.parts],
        "prepayments": [part(p) for p in allocation.prepayments],
        "credit_minor": allocation.credit.minor,
    }


def close_if_settled(loan: LoanState, uow: ServicingUnitOfWork, on: date) -> bool:
    """Close the loan and its application once every instalment is settled, whatever settled the
    last naira (a repayment, a payoff or held credit)."""
    if loan.status != "active" or not all(d.settled for d in loan.dues):
        return False
    loan.status, loan.closed_on = "closed", on
    if loan.credit_line_id is None:  # a draw's application is its line's, closed with the line
        uow.applications.set_status(
            loan.tenant_id, loan.application_id, next_status(Status.DISBURSED, Transition.CLOSE).value
        )
    return True


def _payoff_if_covered(loan: LoanState, amount: Money, on: date) -> PayoffQuote | None:
    """The payoff quote for `on` if `amount` covers it, else None.

    Every quote includes all unpaid principal (plus interest and fees, never negative), so a
    payment smaller than the unpaid principal cannot be a payoff and the quote, the costliest
    pure step of a repayment (docs/ledger.md, Benchmark), is not worked out for it."""
    unpaid_principal = sum(d.principal.minor - d.principal_paid.minor for d in loan.dues)
    if amount.minor < unpaid_principal:
        return None
    quote = quote_payoff(loan.dues, on, loan.annual_rate, loan.disbursed_on)
    return quote if quote.total <= amount else None


def record_repayment(cmd: RecordRepayment, uow: ServicingUnitOfWork) -> PaymentRecord:
    """Allocate, post and store one payment; a redelivered provider reference changes nothing.

    A payment of at least the payoff quote for its date settles the loan as a payoff: interest not
    yet earned is waived (see `backend.lending.payoff`) rather than collected, since a borrower who
    sends everything owed means to close the loan."""
    if cmd.amount.minor <= 0:
        raise InvalidRepayment("a repayment must be positive")
    with uow:
        loan = locked_loan(uow, cmd.tenant_id, cmd.loan_id)
        # Checked under the loan lock: a concurrent redelivery waits here and then sees the first.
        if (done := uow.payments.by_provider_ref(cmd.tenant_id, cmd.provider_ref)) is not None:
            if done.loan_id != cmd.loan_id or done.amount != cmd.amount:
                raise ProviderRefConflict(f"provider_ref {cmd.provider_ref} was recorded for another payment")
            return replace(done, replayed=True)
        if loan.status != "active":
            raise LoanNotActive(f"loan {loan.id} is {loan.status}")
        if cmd.amount.currency != loan.currency:
            raise InvalidRepayment(f"a {cmd.amount.currency} payment on a {loan.currency} loan")
        if cmd.received_on < loan.disbursed_on:
            raise InvalidRepayment("a repayment cannot be received before the payout")

        product = uow.products.get(cmd.tenant_id, loan.product_code)
        quote = _payoff_if_covered(loan, cmd.amount, cmd.received_on)
        payoff = quote is not None
        if quote is not None:
            allocation = allocate(
                quote.dues,
                cmd.amount,
                cmd.received_on,
                product.allocation_order,
                OverpaymentRule.APPLY_TO_PRINCIPAL,
            )
            loan.dues = allocation.apply_to(quote.dues)
        else:
            allocation = allocate(
                loan.dues, cmd.amount, cmd.received_on, product.allocation_order, product.overpayment
            )
            loan.dues = allocation.apply_to(loan.dues)

        entry = accrual_entry(loan, f"{cmd.provider_ref}:accrual", interest_to_accrue(loan), cmd.received_on)
        if entry is not None:
            uow.ledger.post(entry, cmd.tenant_id)
        uow.ledger.post(repayment_entry(loan, cmd.provider_ref, allocation, cmd.received_on), cmd.tenant_id)
        loan.credit_balance = loan.credit_balance + allocation.credit

        closed = close_if_settled(loan, uow, cmd.received_on)
        record = PaymentRecord(
            id=uuid.uuid4(),
            tenant_id=cmd.tenant_id,
            loan_id=loan.id,
            amount=cmd.amount,
            received_on=cmd.received_on,
            provider_ref=cmd.provider_ref,
            allocation=_allocation_json(allocation, payoff=payoff),
            ledger_transfer_id=cmd.provider_ref,
        )
        uow.payments.add(record)
        uow.loans.save(loan)
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action="loan.repayment_recorded",
            subject_type="loan",
            subject_id=str(loan.id),
            data={
                "provider_ref": cmd.provider_ref,
                "amount_minor": cmd.amount.minor,
                "currency": cmd.amount.currency,
                "received_on": cmd.received_on.isoformat(),
                "payoff": payoff,
                "closed": closed,
            },
        )
        uow.commit()
        return record


def payoff_quote(tenant_id: uuid.UUID, loan_id: uuid.UUID, on: date, uow: ServicingUnitOfWork) -> PayoffQuote:
    """What closes the loan on `on`; paying exactly this (see `record_repayment`) closes it."""
    with uow:
        loan = uow.loans.get(tenant_id, loan_id)
        if loan is None:
            raise NotFound(f"loan {loan_id} not found")
        if on < loan.disbursed_on:
            raise InvalidRepayment("a payoff cannot be quoted before the payout")
        return quote_payoff(loan.dues, on, loan.annual_rate, loan.disbursed_on)


@dataclass(frozen=True, slots=True)
class LateFeesCharged:
    loan_id: uuid.UUID
    fees: tuple[tuple[int, Money], ...]  # (instalment number, fee)


def assess_late_fees(
    tenant_id: uuid.UUID, loan_id: uuid.UUID, today: date, uow: ServicingUnitOfWork, actor: str = "servicing"
) -> LateFeesCharged:
    """The daily servicing pass for one loan: recognise interest that has fallen due, then charge
    one late fee per instalment still unpaid after the grace period (never twice: the instalment
    remembers it was charged, and the transfer id names the instalment)."""
    with uow:
        loan = locked_loan(uow, tenant_id, loan_id)
        if loan.status != "active":
            return LateFeesCharged(loan_id, ())
        product = uow.products.get(tenant_id, loan.product_code)
        entry = accrual_entry(
            loan, daily_accrual_id(loan, today), interest_to_accrue(loan, due_by=today), today
        )
        if entry is not None:
            uow.ledger.post(entry, tenant_id)
        fees = late_fees_due(
            loan.dues, today, product.late_fee, product.grace_period_days, set(loan.late_fee_assessed)
        )
        by_number = {d.number: d for d in loan.dues}
        for fee in fees:
            by_number[fee.instalment] = replace(
                by_number[fee.instalment], fees=by_number[fee.instalment].fees + fee.amount
            )
            loan.late_fee_assessed[fee.instalment] = today
            uow.ledger.post(
                late_fee(
                    f"late-fee:{loan.id}:{fee.instalment}",
                    loan=accounts_of(loan),
                    amount=fee.amount,
                    on=today,
                    memo=f"late fee, instalment {fee.instalment}",
                ),
                tenant_id,
            )
        loan.dues = tuple(by_number[d.number] for d in loan.dues)
        if fees or entry is not None:
            uow.loans.save(loan)
        if fees:
            uow.audit.append(
                tenant_id,
                actor=actor,
                action="loan.late_fees_assessed",
                subject_type="loan",
                subject_id=str(loan.id),
                data={"fees": [{"instalment": f.instalment, "amount_minor": f.amount.minor} for f in fees]},
            )
        uow.commit()
        return LateFeesCharged(loan_id, tuple((f.instalment, f.amount) for f in fees))
