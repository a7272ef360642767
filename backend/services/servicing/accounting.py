"""The accounting processor: loan events to journal entries (Fineract's third seam).

Interest is recognised on the accrual basis, per instalment, at the earlier of two events: the
instalment falls due, or the borrower pays that interest. So interest receivable never goes
negative, a payoff that waives future interest has nothing to reverse, and at every step
principal, interest and fees receivable equal what the instalments say is owed and recognised.
"""

from __future__ import annotations

from datetime import date

from backend.lending.allocation import Allocation
from backend.lending.ledger import (
    JournalEntry,
    LoanAccounts,
    RepaymentParts,
    interest_accrual,
    repayment,
)
from backend.lending.money import Money
from backend.lending.products import Component
from backend.services.servicing.ports import LoanState


def accounts_of(loan: LoanState) -> LoanAccounts:
    return LoanAccounts(loan.tenant_id, loan.id, loan.currency)


def interest_to_accrue(loan: LoanState, *, due_by: date | None = None) -> dict[int, Money]:
    """Per instalment, interest paid or fallen due (`due_by`) that the ledger has not yet recognised."""
    zero = Money.zero(loan.currency)
    out: dict[int, Money] = {}
    for due in loan.dues:
        earned = due.interest_paid
        if due_by is not None and due.due_date <= due_by:
            earned = due.interest
        gap = earned - loan.interest_accrued.get(due.number, zero)
        if gap.minor > 0:
            out[due.number] = gap
    return out


def daily_accrual_id(loan: LoanState, on: date) -> str:
    """One transfer id per loan and day for interest that has fallen due, shared by every daily
    pass (credit application, late fees), so whichever runs first posts it and the rest find
    nothing left to accrue."""
    return f"accrual:{loan.id}:{on.isoformat()}"


def accrual_entry(loan: LoanState, transfer_id: str, gaps: dict[int, Money], on: date) -> JournalEntry | None:
    """One accrual entry for `gaps`, recorded on the loan state; None when nothing is owed."""
    total = sum((m.minor for m in gaps.values()), 0)
    if total == 0:
        return None
    zero = Money.zero(loan.currency)
    for number, amount in gaps.items():
        loan.interest_accrued[number] = loan.interest_accrued.get(number, zero) + amount
    memo = "interest on instalments " + ", ".join(str(n) for n in sorted(gaps))
    return interest_accrual(
        transfer_id, loan=accounts_of(loan), amount=Money(total, loan.currency), on=on, memo=memo
    )


def repayment_entry(loan: LoanState, transfer_id: str, allocation: Allocation, on: date) -> JournalEntry:
    parts = RepaymentParts(
        principal=allocation.total_of(Component.PRINCIPAL),
        interest=allocation.total_of(Component.INTEREST),
        fees=allocation.total_of(Component.FEES),
        overpayment=allocation.credit,
    )
    return repayment(transfer_id, loan=accounts_of(loan), parts=parts, on=on, memo="repayment")
