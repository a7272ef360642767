"""What a borrower owes on a day, as the balance endpoint and the bot show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backend.lending.allocation import sum_money
from backend.lending.money import Money
from backend.lending.products import Component
from backend.services.servicing.ports import LoanState


@dataclass(frozen=True, slots=True)
class LoanBalance:
    on: date
    principal: Money
    interest: Money  # scheduled interest still unpaid (a payoff may waive the unearned part)
    fees: Money
    overdue: Money  # everything unpaid on instalments due before `on`
    next_due_date: date | None
    next_due: Money | None
    credit: Money

    @property
    def total(self) -> Money:
        return self.principal + self.interest + self.fees


def balance_of(loan: LoanState, on: date) -> LoanBalance:
    c = loan.currency
    unsettled = sorted((d for d in loan.dues if not d.settled), key=lambda d: (d.due_date, d.number))
    upcoming = [d for d in unsettled if d.due_date >= on]
    nxt = upcoming[0] if upcoming else None
    return LoanBalance(
        on=on,
        principal=sum_money((d.outstanding(Component.PRINCIPAL) for d in loan.dues), c),
        interest=sum_money((d.outstanding(Component.INTEREST) for d in loan.dues), c),
        fees=sum_money((d.outstanding(Component.FEES) for d in loan.dues), c),
        overdue=sum_money((d.total_outstanding for d in unsettled if d.due_date < on), c),
        next_due_date=nxt.due_date if nxt else None,
        next_due=nxt.total_outstanding if nxt else None,
        credit=loan.credit_balance,
    )
