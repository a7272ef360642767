"""Late fees: once per missed instalment, after the grace period, capped.

Why these rules:
- After the grace period only. A payment that leaves the borrower's bank on the due date can land
  a day or two later (bank transfer batches, USSD timeouts, weekends); a grace period stops us
  charging for our rails' latency. Assessment happens on the first day after the grace period.
- Once per missed instalment, never again for the same instalment, and never on fees. Charging
  a fee on a fee, or again every month on the same arrears, is "pyramiding", which consumer
  lending rules forbid (US FTC Credit Practices Rule, 16 CFR 444.4; the same principle appears in
  most consumer-credit codes and lender codes of conduct). So the percentage applies to the
  overdue principal and interest of that instalment only.
- Capped. A fee must stay proportionate to the cost of the late payment (compare Regulation Z,
  12 CFR 1026.52(b), which limits credit-card penalty fees to the amount of the violation), and a
  fee that can grow without limit cannot be disclosed up front as a number, which digital-lending
  rules such as Nigeria's FCCPC regulations expect. The cap is per instalment, set in the product.

Caveat (for the services layer): with the default allocation order, a later on-time payment first
settles older late fees, which can leave the current instalment short and "late" only because of
an earlier fee; a product that wants to rule this out entirely should allocate principal and
interest before fees, or the services layer should waive such a fee.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from backend.lending.allocation import InstalmentDue
from backend.lending.money import Money
from backend.lending.products import Component, LateFeeRule


@dataclass(frozen=True, slots=True)
class LateFee:
    """A late fee to add to `instalment`'s fees, assessed `on` a date."""

    instalment: int
    amount: Money
    assessed_on: date
    overdue: Money


def first_late_day(due_date: date, grace_period_days: int) -> date:
    """The first day an unpaid instalment may be charged a late fee."""
    return due_date + timedelta(days=grace_period_days + 1)


def assess_late_fees(
    dues: Sequence[InstalmentDue],
    on: date,
    rule: LateFeeRule,
    grace_period_days: int,
    already_assessed: Collection[int] = (),
) -> list[LateFee]:
    """The late fees to charge `on` a date: one per instalment past its grace period with
    principal or interest still unpaid, except instalments in `already_assessed` (numbers).

    Running this daily, or twice on the same day, charges nothing twice as long as the caller
    records the assessed numbers; zero fees are not returned.
    """
    if grace_period_days < 0:
        raise ValueError("a grace period cannot be negative")
    fees: list[LateFee] = []
    for due in sorted(dues, key=lambda d: (d.due_date, d.number)):
        if due.number in already_assessed or on < first_late_day(due.due_date, grace_period_days):
            continue
        overdue = due.outstanding(Component.PRINCIPAL) + due.outstanding(Component.INTEREST)
        if overdue.minor == 0:
            continue
        fee = rule.fee_for(overdue)
        if fee.minor:
            fees.append(LateFee(due.number, fee, on, overdue))
    return fees
