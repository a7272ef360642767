"""The amount that closes a loan on a given day, and the allocation that proves it does.

A payoff quote is a promise: a borrower who pays exactly the quoted amount on the quoted day must
end with nothing owed, not a stray kobo of interest that turns into a late fee next month. So the
quote is built as a view of the dues ("what is owed if the loan ends today"), and the same view is
then run through `allocate`; the test suite checks the two agree to the minor unit.

What is owed if the loan ends on day D:
- overdue instalments in full: their principal, scheduled interest and fees (late fees included);
- all unpaid principal of the instalments not yet due;
- interest accrued in the current period, on every unpaid naira of principal (overdue or not:
  the borrower has had the use of all of it), from the last due date before D (or from
  disbursement) to D, by simple daily accrual, actual/365, rounded half-up to the minor unit.
  Actual/365 is what Nigerian and most Commonwealth lenders quote daily interest on. It is capped
  at the current instalment's scheduled interest, so paying off early never costs more than
  letting the schedule run to the end of the period;
- fees already charged on the current instalment.
Interest and fees of instalments after the current one are not yet earned and are waived; the
quote reports them so the ledger can reverse the scheduled income. After the last due date there
is no current period, so nothing further accrues here: default interest after maturity, if a
product ever charges it, is a separate, disclosed charge and not part of this calculation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from backend.lending.allocation import Allocation, InstalmentDue, allocate, sum_money
from backend.lending.money import Money
from backend.lending.products import DEFAULT_ALLOCATION_ORDER, Component, OverpaymentRule

DAYS_IN_YEAR = Decimal(365)


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    on: date
    principal: Money
    interest: Money
    fees: Money
    waived_interest: Money
    waived_fees: Money
    dues: tuple[InstalmentDue, ...]

    @property
    def total(self) -> Money:
        return self.principal + self.interest + self.fees

    def settle(self, order: Sequence[Component] = DEFAULT_ALLOCATION_ORDER) -> Allocation:
        """The allocation of a payment of exactly `total` on `on`.

        Always `apply_to_principal`, whatever the product's overpayment rule: a payoff is an
        instruction to close the loan, not to build up a credit while principal stays owed.
        """
        return allocate(self.dues, self.total, self.on, order, OverpaymentRule.APPLY_TO_PRINCIPAL)


def quote_payoff(
    dues: Sequence[InstalmentDue], on: date, annual_rate: Decimal, disbursed_on: date
) -> PayoffQuote:
    """What closes the loan on `on` (see the module docstring for each part)."""
    if not dues:
        raise ValueError("a loan without instalments has nothing to pay off")
    if on < disbursed_on:
        raise ValueError("a payoff cannot be quoted before the loan is disbursed")
    currency = dues[0].currency
    ordered = sorted(dues, key=lambda d: (d.due_date, d.number))
    upcoming = [d for d in ordered if d.due_date >= on]
    current_date = upcoming[0].due_date if upcoming else None
    period_start = max((d.due_date for d in ordered if d.due_date < on), default=disbursed_on)
    unpaid_principal = sum_money((d.outstanding(Component.PRINCIPAL) for d in ordered), currency)
    accrued = unpaid_principal.times(annual_rate * (on - period_start).days / DAYS_IN_YEAR)

    view: list[InstalmentDue] = []
    zero = Money.zero(currency)
    waived_interest, waived_fees = zero, zero
    for due in dues:
        if due.due_date < on:
            view.append(due)
        elif due.due_date == current_date:
            interest = max(min(accrued, due.interest), due.interest_paid)
            waived_interest = waived_interest + (due.interest - interest)
            view.append(replace(due, interest=interest))
            accrued = accrued - min(accrued, due.interest)
        else:
            waived_interest = waived_interest + due.outstanding(Component.INTEREST)
            waived_fees = waived_fees + due.outstanding(Component.FEES)
            view.append(replace(due, interest=due.interest_paid, fees=due.fees_paid))

    return PayoffQuote(
        on=on,
        principal=sum_money((d.outstanding(Component.PRINCIPAL) for d in view), currency),
        interest=sum_money((d.outstanding(Component.INTEREST) for d in view), currency),
        fees=sum_money((d.outstanding(Component.FEES) for d in view), currency),
        waived_interest=waived_interest,
        waived_fees=waived_fees,
        dues=tuple(view),
    )
