"""Schedules: the payment, the rows and the conventions stated in backend/lending/schedules.py."""

from datetime import date
from decimal import Decimal

import pytest

from backend.lending.dates import Frequency, add_months, due_date
from backend.lending.money import Money
from backend.lending.schedules import (
    Amortization,
    InvalidTerms,
    LoanTerms,
    PaymentTiming,
    build_schedule,
)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def a_loan(
    principal: str = "5000.00",
    rate: str = "0.1325",
    count: int = 24,
    frequency: Frequency = Frequency.MONTHLY,
    amortization: Amortization = Amortization.ANNUITY,
    disbursed: date = date(2026, 1, 10),
    first: date = date(2026, 2, 10),
    timing: PaymentTiming = PaymentTiming.ARREARS,
    fee: str = "0",
    financed: bool = False,
) -> LoanTerms:
    return LoanTerms(
        usd(principal),
        Decimal(rate),
        count,
        frequency,
        amortization,
        disbursed,
        first,
        timing,
        usd(fee),
        financed,
    )


def test_annuity_payment_matches_the_calculator_figure():
    # PV 5000, 13.25%/12, n 24 -> PMT 238.30 on any TVM calculator (HP-12C, BA II Plus).
    schedule = build_schedule(a_loan())
    assert schedule.payment == usd("238.30")
    assert [r.payment for r in schedule.installments[:-1]] == [usd("238.30")] * 23


def test_each_row_interest_is_the_balance_times_the_periodic_rate_rounded_half_up():
    rows = build_schedule(a_loan()).installments
    assert rows[0].interest == usd("55.21")  # 5000 x 0.1325 / 12 = 55.2083
    assert rows[0].principal == usd("183.09")
    assert rows[1].interest == usd("53.19")  # 4816.91 x 0.0110416 = 53.186


def test_the_last_payment_clears_the_balance_exactly():
    rows = build_schedule(a_loan()).installments
    assert rows[-1].balance == usd("0")
    assert rows[-1].payment == usd("238.21")


def test_a_long_first_period_adds_odd_day_interest_to_the_first_instalment_only():
    regular = build_schedule(a_loan())
    long = build_schedule(a_loan(disbursed=date(2025, 12, 31)))  # 10 odd days
    extra = usd("5000").times(Decimal("0.1325") * 10 / 365)
    assert long.payment == regular.payment
    assert long.installments[0].interest == usd("5000").times(
        Decimal("0.1325") / 12 + Decimal("0.1325") * 10 / 365
    )
    assert long.installments[0].payment == regular.payment + extra
    assert long.installments[0].principal == regular.installments[0].principal


def test_a_short_first_period_takes_the_missing_days_off_the_first_instalment():
    short = build_schedule(a_loan(disbursed=date(2026, 1, 20)))  # 10 days short
    assert short.installments[0].payment < short.payment


@pytest.mark.parametrize(
    ("disbursed", "first"), [(date(2025, 11, 1), date(2026, 2, 10)), (date(2026, 2, 1), date(2026, 2, 10))]
)
def test_first_periods_outside_half_to_two_regular_periods_are_refused(disbursed, first):
    with pytest.raises(InvalidTerms):
        build_schedule(a_loan(disbursed=disbursed, first=first))


def test_in_advance_the_first_payment_on_disbursement_is_all_principal():
    schedule = build_schedule(a_loan(timing=PaymentTiming.ADVANCE, first=date(2026, 1, 10)))
    first = schedule.installments[0]
    assert first.interest == usd("0") and first.principal == first.payment
    assert schedule.payment == usd("235.69")  # 238.2963... / (1 + 0.1325/12), then rounded
    assert schedule.installments[-1].balance == usd("0")


def test_equal_principal_repays_the_same_principal_each_row_with_declining_interest():
    rows = build_schedule(
        a_loan(principal="1000.00", count=3, amortization=Amortization.EQUAL_PRINCIPAL)
    ).installments
    assert [r.principal for r in rows] == [usd("333.34"), usd("333.33"), usd("333.33")]
    assert [r.interest for r in rows] == [usd("11.04"), usd("7.36"), usd("3.68")]
    assert rows[0].payment > rows[1].payment > rows[2].payment


def test_flat_interest_is_charged_on_the_original_principal_for_the_whole_term():
    schedule = build_schedule(
        a_loan(principal="1200.00", rate="0.10", count=12, amortization=Amortization.FLAT)
    )
    assert schedule.total_interest == usd("120.00")
    assert schedule.payment == usd("110.00")
    assert {r.interest for r in schedule.installments} == {usd("10.00")}


def test_a_financed_fee_is_amortised_with_the_principal():
    schedule = build_schedule(a_loan(fee="100.00", financed=True))
    assert schedule.installments[0].interest == usd("56.31")  # 5100 x 0.1325/12
    received, _, _ = schedule.cash_flows()
    assert received == usd("5000.00")


def test_a_deducted_fee_lowers_the_cash_received_not_the_schedule():
    schedule = build_schedule(a_loan(fee="100.00"))
    assert schedule.payment == usd("238.30")
    assert schedule.cash_flows()[0] == usd("4900.00")


def test_month_arithmetic_clamps_to_the_month_end_without_drifting():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), 2) == date(2026, 3, 31)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("frequency", "first", "dates"),
    [
        (Frequency.WEEKLY, date(2026, 1, 5), [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]),
        (Frequency.FORTNIGHTLY, date(2026, 1, 5), [date(2026, 1, 5), date(2026, 1, 19), date(2026, 2, 2)]),
        (Frequency.SEMI_MONTHLY, date(2026, 1, 1), [date(2026, 1, 1), date(2026, 1, 16), date(2026, 2, 1)]),
        (
            Frequency.SEMI_MONTHLY,
            date(2026, 1, 30),
            [date(2026, 1, 30), date(2026, 2, 15), date(2026, 2, 28)],
        ),
        (Frequency.MONTHLY, date(2026, 1, 31), [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]),
        (Frequency.QUARTERLY, date(2025, 11, 30), [date(2025, 11, 30), date(2026, 2, 28), date(2026, 5, 30)]),
    ],
)
def test_due_dates_per_frequency(frequency, first, dates):
    assert [due_date(first, k, frequency) for k in range(3)] == dates


def test_zero_rate_annuity_splits_the_principal():
    schedule = build_schedule(a_loan(principal="100.00", rate="0", count=3))
    assert [r.payment for r in schedule.installments] == [usd("33.33"), usd("33.33"), usd("33.34")]


@pytest.mark.parametrize("bad", [{"count": 0}, {"rate": "-0.01"}, {"fee": "5000.00"}])
def test_impossible_terms_are_refused(bad):
    with pytest.raises(InvalidTerms):
        build_schedule(a_loan(**bad))
