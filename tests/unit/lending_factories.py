"""Small factories for lending tests: dues are built by rule, not typed out as rows."""

from __future__ import annotations

from datetime import date, timedelta

from backend.lending.allocation import InstalmentDue
from backend.lending.money import Money

FIRST_DUE = date(2026, 2, 1)


def ngn(major: str | int) -> Money:
    return Money.of(major, "NGN")


def a_due(
    number: int = 1,
    due_date: date = FIRST_DUE,
    principal: str = "1000.00",
    interest: str = "100.00",
    fees: str = "0",
    principal_paid: str = "0",
    interest_paid: str = "0",
    fees_paid: str = "0",
) -> InstalmentDue:
    return InstalmentDue(
        number=number,
        due_date=due_date,
        principal=ngn(principal),
        interest=ngn(interest),
        fees=ngn(fees),
        principal_paid=ngn(principal_paid),
        interest_paid=ngn(interest_paid),
        fees_paid=ngn(fees_paid),
    )


def a_schedule(
    instalments: int = 3,
    principal: str = "1000.00",
    interest: str = "100.00",
    fees: str = "0",
    first_due: date = FIRST_DUE,
    every_days: int = 30,
) -> list[InstalmentDue]:
    return [
        a_due(n, first_due + timedelta(days=every_days * (n - 1)), principal, interest, fees)
        for n in range(1, instalments + 1)
    ]
