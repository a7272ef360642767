"""Time to build a 360-row schedule and to solve its APR/APRC: `.venv/bin/python bench/schedules.py`."""

from __future__ import annotations

import timeit
from datetime import date
from decimal import Decimal
from functools import partial

from backend.lending.apr import UnitPeriod, eu_aprc, us_actuarial_apr
from backend.lending.dates import Frequency
from backend.lending.money import Money
from backend.lending.schedules import Amortization, LoanTerms, build_schedule


def terms(amortization: Amortization) -> LoanTerms:
    return LoanTerms(
        Money.of("250000.00", "USD"),
        Decimal("0.065"),
        360,
        Frequency.MONTHLY,
        amortization,
        date(2026, 1, 10),
        date(2026, 2, 10),
        upfront_fee=Money.of("2500.00", "USD"),
    )


def per_call_ms(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1000


def main() -> None:
    for amortization in (Amortization.ANNUITY, Amortization.EQUAL_PRINCIPAL, Amortization.FLAT):
        ms = per_call_ms(partial(build_schedule, terms(amortization)), 50)
        print(f"build_schedule 360 rows {amortization.value:16s} {ms:7.2f} ms")
    received, on, payments = build_schedule(terms(Amortization.ANNUITY)).cash_flows()
    us = per_call_ms(lambda: us_actuarial_apr(received, on, payments, UnitPeriod.MONTH), 3)
    eu = per_call_ms(lambda: eu_aprc(received, on, payments), 3)
    print(f"us_actuarial_apr 360 payments              {us:7.2f} ms")
    print(f"eu_aprc 360 payments                       {eu:7.2f} ms")


if __name__ == "__main__":
    main()
