"""Customer credit: overpayments a product holds as credit (`hold_as_credit`), applied to
instalments as they fall due and refunded once the loan is closed.

Refunds (paying it back once the loan is closed, and tracking that payout's outcome) live in
`refunds.py`; `RefundCredit` and `refund_credit` are importable from here as before.

Credit is the borrower's money, a liability on our books (customer credit). Applying it is a
payment the borrower already made, so it follows the same allocation rules as a repayment, but no
cash moves: the entry debits customer credit instead of the settlement account. It is applied
only to instalments that have fallen due: paying an instalment before its date would be a
prepayment, which is exactly what the product chose not to do with the overpayment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from backend.lending.allocation import allocate, sum_money
from backend.lending.ledger import RepaymentParts, credit_application
from backend.lending.money import Money
from backend.lending.products import Component, OverpaymentRule
from backend.services.servicing.accounting import (
    accounts_of,
    accrual_entry,
    daily_accrual_id,
    interest_to_accrue,
)
from backend.services.servicing.ports import ServicingUnitOfWork
from backend.services.servicing.refunds import RefundCredit, refund_credit
from backend.services.servicing.repayments import close_if_settled, locked_loan

__all__ = ["CreditApplied", "RefundCredit", "apply_credit", "credit_transfer_id", "refund_credit"]


@dataclass(frozen=True, slots=True)
class CreditApplied:
    loan_id: uuid.UUID
    amount: Money
    closed: bool = False


def credit_transfer_id(loan_id: uuid.UUID, on: date) -> str:
    """One application per loan and day: after it, either the credit is spent or everything due
    by that day is paid, so a second pass the same day finds nothing to do."""
    return f"credit:{loan_id}:{on.isoformat()}"


def apply_credit(
    tenant_id: uuid.UUID, loan_id: uuid.UUID, today: date, uow: ServicingUnitOfWork, actor: str = "servicing"
) -> CreditApplied:
    """Pay what has fallen due by `today` out of the loan's held credit (idempotent per day)."""
    with uow:
        loan = locked_loan(uow, tenant_id, loan_id)
        zero = Money.zero(loan.currency)
        if loan.status != "active" or loan.credit_balance.minor <= 0:
            return CreditApplied(loan_id, zero)
        # The interest about to be settled must be recognised first, or its receivable goes negative.
        accrual = accrual_entry(
            loan, daily_accrual_id(loan, today), interest_to_accrue(loan, due_by=today), today
        )
        if accrual is not None:
            uow.ledger.post(accrual, tenant_id)
        fallen_due = sum_money((d.total_outstanding for d in loan.dues if d.due_date <= today), loan.currency)
        amount = min(loan.credit_balance, fallen_due)
        if amount.minor == 0:
            if accrual is not None:
                uow.loans.save(loan)
                uow.commit()
            return CreditApplied(loan_id, zero)

        product = uow.products.get(tenant_id, loan.product_code)
        # `amount` never exceeds what is due by today, and allocation pays overdue instalments and
        # then the one due today, so nothing lands on a future instalment and nothing is left over.
        allocation = allocate(
            loan.dues, amount, today, product.allocation_order, OverpaymentRule.HOLD_AS_CREDIT
        )
        assert allocation.credit.minor == 0 and not allocation.prepayments
        loan.dues = allocation.apply_to(loan.dues)
        parts = RepaymentParts(
            principal=allocation.total_of(Component.PRINCIPAL),
            interest=allocation.total_of(Component.INTEREST),
            fees=allocation.total_of(Component.FEES),
            overpayment=zero,
        )
        uow.ledger.post(
            credit_application(
                credit_transfer_id(loan.id, today),
                loan=accounts_of(loan),
                parts=parts,
                on=today,
                memo="customer credit applied to instalments "
                + ", ".join(str(p.number) for p in allocation.parts),
            ),
            tenant_id,
        )
        loan.credit_balance = loan.credit_balance - amount
        closed = close_if_settled(loan, uow, today)
        uow.loans.save(loan)
        uow.audit.append(
            tenant_id,
            actor=actor,
            action="loan.credit_applied",
            subject_type="loan",
            subject_id=str(loan.id),
            data={
                "amount_minor": amount.minor,
                "currency": loan.currency,
                "on": today.isoformat(),
                "instalments": [p.number for p in allocation.parts],
                "closed": closed,
            },
        )
        uow.commit()
        return CreditApplied(loan_id, amount, closed)
