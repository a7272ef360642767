"""Business-day arithmetic for service-level promises ("we'll reply within 2 business days").

A promise to a customer is counted in days the team works: Saturdays, Sundays and the tenant's
public holidays do not count, and the day a request arrives is never day one (a complaint sent on
Friday evening with a 2-day SLA is due on Tuesday, not Saturday). Pure stdlib: the holiday list is
the tenant's data, passed in, because public holidays differ by country and are announced late
(Nigeria's Eid holidays are gazetted days before they fall).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

WEEKEND = frozenset({5, 6})  # date.weekday(): Saturday, Sunday


def is_business_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() not in WEEKEND and day not in holidays


def add_business_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The `days`-th business day after `start` (`start` itself never counts).

    `days` = 0 means the first business day on or after `start`: a same-day promise made on a
    Sunday is kept on Monday."""
    if days < 0:
        raise ValueError("a service level counts forward")
    day = start
    if days == 0:
        while not is_business_day(day, holidays):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day, holidays):
            counted += 1
    return day
