"""Where a repayment goes: which instalment, which component, and what is left over.

The rule, in order (Fineract's "horizontal" allocation strategies have the same shape):

1. Overdue instalments first, oldest first. Money owed longest is settled first so that arrears,
   late fees and a delinquency bucket are measured on the oldest debt, and a borrower catching up
   is brought current as fast as possible.
2. Then the instalment of the current period: the one with the first due date on or after the
   payment date. Paying it before its date is ordinary "paying early", not a prepayment.
3. Within an instalment, components are paid in the product's order (fees, interest, principal
   by default).
4. Anything left is an overpayment, handled by the product's `OverpaymentRule`:
   - `apply_to_principal`: prepays principal of future instalments from the LAST instalment
     backwards. That shortens the loan and keeps every upcoming instalment amount exactly as the
     borrower agreed and as reminders and debit mandates state it; reducing the next instalment
     instead would make the next reminder disagree with the signed schedule. Interest saved by the
     prepayment is realised when the schedule engine recomputes interest on the lower balance.
   - `hold_as_credit`: kept as a customer credit, applied as a payment on the next due date.
   Money beyond everything owed is always held as credit (to be refunded), whatever the rule:
   allocation never invents a debt to absorb a payment.

Whether an instalment is overdue depends only on its due date, not on a grace period: grace
delays a late fee (see `late_fees`), it does not change which debt is oldest.

Every naira of the payment ends up in exactly one place: `sum(parts) + prepaid + credit == payment`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from backend.lending.money import CurrencyMismatch, Money
from backend.lending.products import DEFAULT_ALLOCATION_ORDER, Component, OverpaymentRule


class InvalidDues(ValueError):
    """Dues that cannot be allocated against without guessing (overpaid rows, duplicates, ...)."""


@dataclass(frozen=True, slots=True)
class InstalmentDue:
    """One instalment as it stands: what was scheduled and what has been paid of each component.

    `fees` includes late fees assessed on this instalment. The services layer maps schedule rows
    (number, due_date, principal, interest, ...) and recorded payments onto this.
    """

    number: int
    due_date: date
    principal: Money
    interest: Money
    fees: Money
    principal_paid: Money
    interest_paid: Money
    fees_paid: Money

    @classmethod
    def unpaid(
        cls, number: int, due_date: date, principal: Money, interest: Money, fees: Money
    ) -> InstalmentDue:
        zero = Money.zero(principal.currency)
        return cls(number, due_date, principal, interest, fees, zero, zero, zero)

    @property
    def currency(self) -> str:
        return self.principal.currency

    def due(self, component: Component) -> Money:
        amount: Money = getattr(self, component.value)
        return amount

    def paid(self, component: Component) -> Money:
        amount: Money = getattr(self, f"{component.value}_paid")
        return amount

    def outstanding(self, component: Component) -> Money:
        return self.due(component) - self.paid(component)

    @property
    def total_outstanding(self) -> Money:
        return sum_money((self.outstanding(c) for c in Component), self.currency)

    @property
    def settled(self) -> bool:
        return self.total_outstanding.minor == 0

    def with_paid(self, component: Component, amount: Money) -> InstalmentDue:
        """This instalment with `amount` more paid on `component`."""
        name = f"{component.value}_paid"
        return replace(self, **{name: self.paid(component) + amount})


@dataclass(frozen=True, slots=True)
class InstalmentPart:
    """What one payment put on one instalment, by component."""

    number: int
    fees: Money
    interest: Money
    principal: Money

    @property
    def total(self) -> Money:
        return self.fees + self.interest + self.principal

    def of(self, component: Component) -> Money:
        amount: Money = getattr(self, component.value)
        return amount


@dataclass(frozen=True, slots=True)
class Allocation:
    """The split of one payment.

    `parts` pay instalments that are overdue or currently due; `prepayments` are principal-only
    parts on future instalments (last first); `credit` is held for the customer.
    """

    payment: Money
    on: date
    parts: tuple[InstalmentPart, ...]
    prepayments: tuple[InstalmentPart, ...]
    credit: Money

    @property
    def principal_prepaid(self) -> Money:
        return sum_money((p.principal for p in self.prepayments), self.payment.currency)

    @property
    def applied_to_dues(self) -> Money:
        return sum_money((p.total for p in self.parts), self.payment.currency)

    def total_of(self, component: Component) -> Money:
        """All of this payment that went to `component`, prepayments included."""
        return sum_money((p.of(component) for p in (*self.parts, *self.prepayments)), self.payment.currency)

    def apply_to(self, dues: Sequence[InstalmentDue]) -> tuple[InstalmentDue, ...]:
        """The dues after this payment: paid amounts raised by every part, in the input order."""
        by_number = {d.number: d for d in dues}
        for part in (*self.parts, *self.prepayments):
            due = by_number[part.number]
            for component in Component:
                if part.of(component).minor:
                    due = due.with_paid(component, part.of(component))
            by_number[part.number] = due
        return tuple(by_number[d.number] for d in dues)


def allocate(
    dues: Sequence[InstalmentDue],
    payment: Money,
    on: date,
    order: Sequence[Component] = DEFAULT_ALLOCATION_ORDER,
    overpayment: OverpaymentRule = OverpaymentRule.APPLY_TO_PRINCIPAL,
) -> Allocation:
    """Split `payment` received `on` a date over the loan's `dues` (see the module docstring)."""
    _validate(dues, payment, order)
    ordered = sorted(dues, key=lambda d: (d.due_date, d.number))
    overdue = [d for d in ordered if d.due_date < on and not d.settled]
    upcoming = [d for d in ordered if d.due_date >= on]
    current_date = upcoming[0].due_date if upcoming else None
    current = [d for d in upcoming if d.due_date == current_date and not d.settled]
    future = [d for d in upcoming if d.due_date != current_date]

    remaining = payment
    parts: list[InstalmentPart] = []
    for due in (*overdue, *current):
        part, remaining = _pay_instalment(due, remaining, order)
        if part.total.minor:
            parts.append(part)

    prepayments: list[InstalmentPart] = []
    if overpayment is OverpaymentRule.APPLY_TO_PRINCIPAL:
        zero = Money.zero(payment.currency)
        for due in reversed(future):
            if remaining.minor == 0:
                break
            principal = min(remaining, due.outstanding(Component.PRINCIPAL))
            if principal.minor:
                prepayments.append(InstalmentPart(due.number, zero, zero, principal))
                remaining = remaining - principal
    return Allocation(payment, on, tuple(parts), tuple(prepayments), credit=remaining)


def _pay_instalment(
    due: InstalmentDue, available: Money, order: Sequence[Component]
) -> tuple[InstalmentPart, Money]:
    paid: dict[Component, Money] = {}
    for component in order:
        paid[component] = min(available, due.outstanding(component))
        available = available - paid[component]
    part = InstalmentPart(
        due.number, paid[Component.FEES], paid[Component.INTEREST], paid[Component.PRINCIPAL]
    )
    return part, available


def _validate(dues: Sequence[InstalmentDue], payment: Money, order: Sequence[Component]) -> None:
    if payment.minor < 0:
        raise ValueError("a payment cannot be negative; a refund or reversal is its own event")
    if sorted(order) != sorted(Component):
        raise ValueError("the allocation order must name fees, interest and principal exactly once")
    numbers = [d.number for d in dues]
    if len(set(numbers)) != len(numbers):
        raise InvalidDues(f"instalment numbers repeat: {numbers}")
    for due in dues:
        for component in Component:
            for amount in (due.due(component), due.paid(component)):
                if amount.currency != payment.currency:
                    raise CurrencyMismatch(payment.currency, amount.currency)
            if due.paid(component).minor < 0 or due.outstanding(component).minor < 0:
                raise InvalidDues(f"instalment {due.number}: {component} paid must be between 0 and due")


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total
