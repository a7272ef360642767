"""Annual percentage rates: US Regulation Z Appendix J (actuarial method) and the EU Consumer
Credit Directive's APRC (Directive 2008/48/EC Annex I, same equation in 2023/2225).

Both solve one equation for the rate that makes the present value of the payments equal to the
amount the borrower actually received, so every fee the borrower pays raises the rate above the
nominal one - which is why regulators make lenders quote it.

* US: unit periods (a week, two weeks, a semimonth, a month, a quarter, a year). Each payment's time
  from the advance is counted backwards from the payment date in whole unit periods (t) plus a
  fraction (f) of odd days over 7, 14, 15, 30, 90 or 365 days (Appendix J (b)(5)); the general equation
  (b)(8) is A = sum P / ((1 + f*i) (1 + i)^t); APR = i x unit periods per year. Reported to 2 decimals,
  well inside the 1/8 of a percentage point tolerance of 12 CFR 1026.22(a)(2).
* EU: A = sum D (1 + X)^-s with s in years. Annex I remark (c) allows a year of 365 days or of
  12 equal months; both are offered (`YearBasis`). The default is actual days / 365 (366 in no case:
  we keep one divisor so the same loan quotes the same rate whatever the year), which needs no
  month-counting rule for irregular dates;
  `MONTHS` counts whole months back from the payment date as twelfths and the remaining days over
  365, so a monthly loan has exact 1/12 steps. Reported to 1 decimal, rounded half-up as remark (d)
  requires.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from backend.lending.dates import add_months, months_between
from backend.lending.money import Money

Payments = Sequence[tuple[date, Money]]


class YearBasis(StrEnum):
    DAYS = "days"
    MONTHS = "months"


class UnitPeriod(StrEnum):
    WEEK = "week"
    FORTNIGHT = "fortnight"
    SEMI_MONTH = "semi_month"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


# (unit periods per year, days in a fractional unit period) per Appendix J (b)(5)(iii)-(iv).
_UNITS: dict[UnitPeriod, tuple[int, int]] = {
    UnitPeriod.WEEK: (52, 7),
    UnitPeriod.FORTNIGHT: (26, 14),
    UnitPeriod.SEMI_MONTH: (24, 15),
    UnitPeriod.MONTH: (12, 30),
    UnitPeriod.QUARTER: (4, 90),
    UnitPeriod.YEAR: (1, 365),
}
_MONTHS_PER_UNIT = {UnitPeriod.MONTH: 1, UnitPeriod.QUARTER: 3, UnitPeriod.YEAR: 12}


class AprError(ValueError):
    """Cash flows with no meaningful rate (no payment, payments before the advance, nothing lent)."""


@dataclass(frozen=True, slots=True)
class _Flow:
    amount: Decimal
    whole: int
    fraction: Decimal


def unit_time(advance_date: date, paid_on: date, unit: UnitPeriod) -> tuple[int, Decimal]:
    """(whole unit periods, fraction) from the advance to a payment, counted back from the payment."""
    days_per_fraction = _UNITS[unit][1]
    if unit in _MONTHS_PER_UNIT:
        step = _MONTHS_PER_UNIT[unit]
        whole = months_between(advance_date, paid_on) // step
        days = (add_months(paid_on, -whole * step) - advance_date).days
    elif unit is UnitPeriod.SEMI_MONTH:
        months = months_between(advance_date, paid_on)
        days = (add_months(paid_on, -months) - advance_date).days
        whole, days = (2 * months + 1, days - 15) if days >= 15 else (2 * months, days)
    else:
        whole, days = divmod((paid_on - advance_date).days, days_per_fraction)
    return whole, Decimal(days) / days_per_fraction


def _check(advance: Money, advance_date: date, payments: Payments) -> None:
    if advance.minor <= 0:
        raise AprError("the amount advanced must be positive")
    if not payments:
        raise AprError("at least one payment is needed")
    if any(paid_on < advance_date for paid_on, _ in payments):
        raise AprError("a payment falls before the advance")
    if any(amount.currency != advance.currency or amount.minor < 0 for _, amount in payments):
        raise AprError("payments must be non-negative amounts in the advance's currency")
    if sum(amount.minor for _, amount in payments) <= 0:
        raise AprError("nothing is repaid")


def us_actuarial_apr(advance: Money, advance_date: date, payments: Payments, unit: UnitPeriod) -> Decimal:
    """APR in percent, 2 decimals (9.69 for Appendix J example (c)(1)(i))."""
    _check(advance, advance_date, payments)
    flows = [_Flow(amount.major, *unit_time(advance_date, paid_on, unit)) for paid_on, amount in payments]

    def present_value(i: Decimal) -> Decimal:
        return sum((f.amount / ((1 + f.fraction * i) * (1 + i) ** f.whole) for f in flows), Decimal(0))

    rate = _solve(present_value, advance.major)
    return _percent(rate * _UNITS[unit][0], 2)


def eu_aprc(
    advance: Money,
    advance_date: date,
    payments: Payments,
    places: int = 1,
    basis: YearBasis = YearBasis.DAYS,
) -> Decimal:
    """APRC in percent to `places` decimals (1 by default, the directive's minimum)."""
    _check(advance, advance_date, payments)
    times = [
        (float(amount.major), float(years_between(advance_date, paid_on, basis)))
        for paid_on, amount in payments
    ]

    def present_value(x: Decimal) -> Decimal:
        # Fractional powers of Decimal cost ~1 ms each (half a second for 360 payments), so the
        # discounting runs in binary floating point: it is a rate, not money, and a double's 1e-15
        # relative error is thirteen orders finer than the 0.1 point the directive shows.
        base = 1.0 + float(x)
        return Decimal(repr(math.fsum(amount * base**-years for amount, years in times)))

    return _percent(_solve(present_value, advance.major), places)


def years_between(start: date, end: date, basis: YearBasis = YearBasis.DAYS) -> Decimal:
    """Time in years under `basis` (see the module docstring)."""
    if basis is YearBasis.DAYS:
        return Decimal((end - start).days) / 365
    months = months_between(start, end)
    days = (end - add_months(start, months)).days if months else (end - start).days
    return Decimal(months) / 12 + Decimal(days) / 365


def _solve(present_value: Callable[[Decimal], Decimal], target: Decimal) -> Decimal:
    """The rate r with present_value(r) == target, by bisection on a bracket.

    present_value falls as the rate rises (payments are non-negative), so the root is unique and
    bisection cannot miss it; 200 halvings of a bracket under 1e4 reach below 1e-50, far finer than
    the 0.01 point shown. Bisection rather than Newton: no derivative, no divergence on odd flows."""
    with localcontext() as ctx:
        ctx.prec = 30
        low, high = Decimal("-0.99"), Decimal(1)
        while present_value(high) > target:
            high *= 2
            if high > 10_000:
                raise AprError("the rate is beyond any meaningful bound")
        tolerance = Decimal("1e-12")
        while high - low > tolerance:
            middle = (low + high) / 2
            if present_value(middle) > target:
                low = middle
            else:
                high = middle
        return (low + high) / 2


def _percent(rate: Decimal, places: int) -> Decimal:
    return (rate * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
