"""APR and APRC against published worked examples.

US figures: Regulation Z, 12 CFR Part 1026 Appendix J, "(c) Examples for the actuarial method",
https://www.consumerfinance.gov/rules-policy/regulations/1026/j/ (as transcribed in the tests of
github.com/simontreanor/FSharp.Finance.Personal, tests/AprUsActuarialTests.fs), and the HP 12C
Platinum Owner's Handbook, section 3, APR example 2 (https://www.manualshelf.com/manual/hp/hp-12c/
operation-manual-english/page-54.html).
EU figures: a third-party library's expectations (FSharp.Finance.Personal,
tests/AprEuropeanUnionTests.fs), which use actual days / 365 as Annex I remark (c) allows.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from backend.lending.apr import AprError, UnitPeriod, YearBasis, eu_aprc, unit_time, us_actuarial_apr
from backend.lending.dates import Frequency, add_months, due_date
from backend.lending.money import Money
from backend.lending.schedules import Amortization, LoanTerms, build_schedule


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def monthly(first: date, count: int, amount: str, months: int = 1) -> list[tuple[date, Money]]:
    return [(add_months(first, k * months), usd(amount)) for k in range(count)]


def every(first: date, count: int, amount: str, days: int) -> list[tuple[date, Money]]:
    return [(first + timedelta(days=days * k), usd(amount)) for k in range(count)]


@pytest.mark.parametrize(
    ("example", "advance", "advanced_on", "payments", "unit", "apr"),
    [
        ("(c)(1)(i) monthly, regular first period", "5000", date(1978, 1, 10),
         monthly(date(1978, 2, 10), 24, "230"), UnitPeriod.MONTH, "9.69"),
        ("(c)(1)(ii) monthly, long first period", "6000", date(1978, 2, 10),
         monthly(date(1978, 4, 1), 36, "200"), UnitPeriod.MONTH, "11.82"),
        ("(c)(1)(iii) semimonthly, short first period", "5000", date(1978, 2, 23),
         [(due_date(date(1978, 3, 1), k, Frequency.SEMI_MONTHLY), usd("219.17")) for k in range(24)],
         UnitPeriod.SEMI_MONTH, "10.34"),
        ("(c)(1)(iv) quarterly, long first period", "10000", date(1978, 5, 23),
         monthly(date(1978, 10, 1), 40, "385", months=3), UnitPeriod.QUARTER, "8.97"),
        ("(c)(1)(v) weekly, long first period", "500", date(1978, 3, 20),
         every(date(1978, 4, 21), 30, "17.60", 7), UnitPeriod.WEEK, "14.96"),
        ("(c)(3)(i) monthly, irregular final payment", "5000", date(1978, 1, 10),
         [*monthly(date(1978, 2, 10), 23, "230"), (date(1980, 1, 10), usd("280"))],
         UnitPeriod.MONTH, "10.50"),
        ("(c)(3)(ii) every 2 weeks, short first period, irregular final payment", "200", date(1978, 4, 3),
         [*every(date(1978, 4, 11), 19, "9.50", 14), (date(1978, 4, 11) + timedelta(days=266), usd("30"))],
         UnitPeriod.FORTNIGHT, "12.22"),
        ("HP 12C handbook: 42 x $120, 13 odd days", "3950", date(2003, 7, 19),
         monthly(date(2003, 9, 1), 42, "120"), UnitPeriod.MONTH, "13.95"),
    ],
)  # fmt: skip
def test_us_actuarial_apr_matches_the_published_examples(example, advance, advanced_on, payments, unit, apr):
    assert us_actuarial_apr(usd(advance), advanced_on, payments, unit) == Decimal(apr), example


def test_odd_days_are_counted_back_from_the_payment_in_thirty_day_months():
    assert unit_time(date(1978, 2, 10), date(1978, 4, 1), UnitPeriod.MONTH) == (1, Decimal(19) / 30)


def test_semimonthly_fraction_is_over_fifteen_days():
    assert unit_time(date(1978, 2, 23), date(1978, 3, 16), UnitPeriod.SEMI_MONTH) == (1, Decimal(6) / 15)


def test_eu_aprc_single_payment_after_five_days():
    eur = Money.of("500", "EUR")
    assert eu_aprc(eur, date(2012, 10, 10), [(date(2012, 10, 15), Money.of("510", "EUR"))], 3) == Decimal(
        "324.436"
    )


def test_eu_aprc_two_monthly_payments_on_actual_days():
    flows = [(date(2012, 11, 10), Money.of("270", "EUR")), (date(2012, 12, 10), Money.of("270", "EUR"))]
    assert eu_aprc(Money.of("500", "EUR"), date(2012, 10, 10), flows, 2) == Decimal("84.63")


def test_eu_aprc_in_equal_months_differs_only_by_the_time_basis():
    flows = [(date(2012, 11, 10), Money.of("270", "EUR")), (date(2012, 12, 10), Money.of("270", "EUR"))]
    months = eu_aprc(Money.of("500", "EUR"), date(2012, 10, 10), flows, 2, YearBasis.MONTHS)
    assert months == Decimal("85.59")  # our own figure: 1/12 and 2/12 of a year instead of 31 and 61 days


def test_eu_aprc_is_rounded_to_one_decimal_half_up():
    flows = monthly(date(2026, 2, 10), 12, "100")
    assert eu_aprc(usd("1100"), date(2026, 1, 10), flows).as_tuple().exponent == -1


def test_zero_interest_loan_has_a_zero_apr():
    assert (
        us_actuarial_apr(
            usd("1200"), date(2026, 1, 1), monthly(date(2026, 2, 1), 12, "100"), UnitPeriod.MONTH
        )
        == 0
    )


def loan(fee: str = "0", financed: bool = False) -> LoanTerms:
    return LoanTerms(
        usd("5000"), Decimal("0.1325"), 24, Frequency.MONTHLY, Amortization.ANNUITY,
        date(2026, 1, 10), date(2026, 2, 10), upfront_fee=usd(fee), fee_financed=financed,
    )  # fmt: skip


def apr_of(terms: LoanTerms) -> Decimal:
    received, on, payments = build_schedule(terms).cash_flows()
    return us_actuarial_apr(received, on, payments, UnitPeriod.MONTH)


def test_without_fees_the_apr_is_the_nominal_rate():
    assert apr_of(loan()) == Decimal("13.25")


@pytest.mark.parametrize("financed", [False, True])
def test_an_origination_fee_raises_the_apr_above_the_nominal_rate(financed):
    assert apr_of(loan("100", financed)) > Decimal("13.25") + Decimal("1.5")


def test_flat_interest_apr_is_far_above_its_quoted_rate():
    terms = LoanTerms(
        usd("1000"),
        Decimal("0.10"),
        12,
        Frequency.MONTHLY,
        Amortization.FLAT,
        date(2026, 1, 1),
        date(2026, 2, 1),
    )
    # 11 payments of 91.67 and a last of 91.63 for 1000: the add-on rule of thumb, nearly double.
    assert apr_of(terms) == Decimal("17.97")


@pytest.mark.parametrize(
    "payments",
    [
        [],
        [(date(2025, 1, 1), usd("10"))],
        [(date(2026, 2, 1), Money.of("10", "EUR"))],
        [(date(2026, 2, 1), usd("0"))],
    ],
)
def test_meaningless_cash_flows_are_refused(payments):
    with pytest.raises(AprError):
        us_actuarial_apr(usd("100"), date(2026, 1, 1), payments, UnitPeriod.MONTH)


def test_eu_aprc_matches_the_directives_own_first_example():
    """Directive 98/7/EC, Annex III ('Examples of calculation', calendar basis), first example:
    1,000 lent on 1 January 1994, repaid with a single 1,200 on 1 July 1995 (546 days later);
    the annex gives 13 % at one decimal's rounding rule, or 12.96 % to two places."""
    advance = Money.of("1000", "EUR")
    repaid = [(date(1995, 7, 1), Money.of("1200", "EUR"))]
    assert eu_aprc(advance, date(1994, 1, 1), repaid, 2) == Decimal("12.96")
    assert eu_aprc(advance, date(1994, 1, 1), repaid, 1) == Decimal("13.0")


def test_eu_aprc_of_two_yearly_payments_solves_the_quadratic_exactly():
    """1,000 repaid by 600 after one year and 600 after two: 1000 = 600v + 600v², v = 1/(1+i),
    so i = 2 / (sqrt(1 + 4 * 1000/600) - 1) - 1 = 13.066 %."""
    flows = [(date(1995, 1, 1), Money.of("600", "EUR")), (date(1996, 1, 1), Money.of("600", "EUR"))]
    assert eu_aprc(Money.of("1000", "EUR"), date(1994, 1, 1), flows, 2) == Decimal("13.07")
