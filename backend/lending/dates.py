"""Calendar arithmetic for repayment schedules: month steps that clamp to month end, and the
due dates of each payment frequency.

Pure stdlib on purpose: `backend.lending` may not import python-dateutil (an import-linter contract
keeps the money logic free of third-party code), and the one rule we need from it is small.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum


class Frequency(StrEnum):
    """How often an instalment falls due."""

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    SEMI_MONTHLY = "semi_monthly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    @property
    def periods_per_year(self) -> int:
        """Nominal periods in a year: the periodic rate is the annual rate divided by this."""
        return _PERIODS_PER_YEAR[self]


_PERIODS_PER_YEAR = {
    Frequency.WEEKLY: 52,
    Frequency.FORTNIGHTLY: 26,
    Frequency.SEMI_MONTHLY: 24,
    Frequency.MONTHLY: 12,
    Frequency.QUARTERLY: 4,
}


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months, clamped to the end of a shorter month (Jan 31 + 1 -> Feb 28/29).

    Always computed from the anchor date, never chained step by step: chaining would drift a
    31st-of-the-month schedule to the 28th for good after the first February."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def months_between(earlier: date, later: date) -> int:
    """Whole months from `earlier` forward to `later`, counted backwards from `later` as Regulation Z
    Appendix J (b)(3)(iv) measures them (from a date to the same date of another month)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    while months > 0 and add_months(later, -months) < earlier:
        months -= 1
    return max(months, 0)


def due_date(first: date, index: int, frequency: Frequency) -> date:
    """The due date of instalment `index` (0 = the first payment date, -1 = one period before it).

    Semi-monthly instalments fall on two days 15 days apart: (d, d+15) when the first payment is on
    or before the 15th, otherwise (d-15 of the next month, d) - the usual 1st/16th or 15th/30th
    payroll pattern. The later day clamps to month end."""
    if frequency is Frequency.WEEKLY:
        return first + timedelta(days=7 * index)
    if frequency is Frequency.FORTNIGHTLY:
        return first + timedelta(days=14 * index)
    if frequency is Frequency.MONTHLY:
        return add_months(first, index)
    if frequency is Frequency.QUARTERLY:
        return add_months(first, 3 * index)
    half, odd = divmod(index, 2)
    if not odd:
        return add_months(first, half)
    if first.day <= 15:
        base = add_months(first, half)
        return base.replace(day=min(first.day + 15, calendar.monthrange(base.year, base.month)[1]))
    return add_months(first, half + 1).replace(day=first.day - 15)
