"""Hardship options on a worked loan: NGN 100,000 at 42% a year over six months from 15 January."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from backend.lending.allocation import InstalmentDue
from backend.lending.dates import Frequency
from backend.lending.hardship import (
    HardshipPolicy,
    InvalidPolicy,
    LoanForHardship,
    NotEligible,
    OptionCode,
    build_option,
    hardship_options,
    split_dues,
)
from backend.lending.money import Money
from backend.lending.schedules import Amortization, LoanTerms, build_schedule

RATE = Decimal("0.42")
TERMS = LoanTerms(
    Money.of("100000", "NGN"),
    RATE,
    6,
    Frequency.MONTHLY,
    Amortization.ANNUITY,
    date(2026, 1, 15),
    date(2026, 2, 15),
)
SCHEDULE = build_schedule(TERMS)
ZERO = Money.zero("NGN")


def a_loan(paid: int = 0, **changes) -> LoanForHardship:
    dues = [
        InstalmentDue.unpaid(r.number, r.due_date, r.principal, r.interest, ZERO)
        for r in SCHEDULE.installments
    ]
    dues[:paid] = [replace(d, principal_paid=d.principal, interest_paid=d.interest) for d in dues[:paid]]
    accrued = {d.number: d.interest for d in dues[:paid]}
    loan = LoanForHardship("active", RATE, Frequency.MONTHLY, Amortization.ANNUITY, tuple(dues), accrued)
    return replace(loan, **changes)


def test_a_payment_holiday_skips_the_next_instalment_and_costs_one_periods_interest():
    loan = a_loan(paid=1)
    option = build_option(loan, HardshipPolicy(), date(2026, 3, 1), OptionCode.PAYMENT_HOLIDAY)
    assert option.skipped_due_date == date(2026, 3, 15)
    assert [r.due_date for r in option.installments] == [date(2026, m, 15) for m in range(4, 9)]
    assert [r.number for r in option.installments] == [2, 3, 4, 5, 6]
    principal = sum(d.principal.minor for d in loan.dues[1:])
    one_period = Money(principal, "NGN").times(RATE / 12)
    assert option.extra_cost == one_period  # the skipped period's interest, spread, never capitalised
    deferred_shares = {
        r.interest.minor - Money(r.balance.minor + r.principal.minor, "NGN").times(RATE / 12).minor
        for r in option.installments
    }
    assert deferred_shares <= {one_period.minor // 5, one_period.minor // 5 + 1}
    assert option.active_until == date(2026, 4, 15)


def test_extending_the_term_lowers_the_payment_and_moves_the_last_due_date():
    option = build_option(a_loan(paid=1), HardshipPolicy(), date(2026, 3, 1), OptionCode.EXTEND_TERM, 3)
    assert len(option.installments) == 8
    assert option.new_maturity_date == date(2026, 10, 15)
    assert option.new_payment < SCHEDULE.payment
    assert option.extra_cost.minor > 0
    first = option.installments[0]
    assert first.interest == SCHEDULE.installments[1].interest  # one period on the same principal


def test_reduced_payments_halve_the_next_payment_then_catch_up_over_the_periods_that_were_left():
    option = build_option(a_loan(paid=1), HardshipPolicy(), date(2026, 3, 1), OptionCode.REDUCED_PAYMENTS, 2)
    rows = option.installments
    half = SCHEDULE.installments[1].payment.times(Decimal("0.5"))
    assert [r.payment for r in rows[:2]] == [half, half]
    assert len(rows) == 2 + 5 and option.active_until == rows[2].due_date
    assert option.later_payment == rows[2].payment
    assert option.later_payment < SCHEDULE.payment + SCHEDULE.payment.times(Decimal("0.2"))


def test_a_reduced_payment_below_the_interest_is_interest_only_never_negative_amortisation():
    policy = HardshipPolicy(reduced_fraction=Decimal("0.01"))
    option = build_option(a_loan(), policy, date(2026, 2, 1), OptionCode.REDUCED_PAYMENTS, 3)
    assert all(r.principal.minor == 0 and r.interest.minor > 0 for r in option.installments[:3])
    assert option.installments[2].balance == TERMS.principal


def test_arrears_stay_owed_and_are_not_rescheduled():
    loan = a_loan(paid=1)
    split = split_dues(loan, date(2026, 3, 20))  # instalment 2 (15 March) is overdue
    assert [d.number for d in split.kept] == [1, 2]
    assert split.arrears == SCHEDULE.installments[1].payment
    option = build_option(loan, HardshipPolicy(), date(2026, 3, 20), OptionCode.PAYMENT_HOLIDAY)
    assert option.arrears == SCHEDULE.installments[1].payment
    assert option.skipped_due_date == date(2026, 4, 15)


def test_an_instalment_due_today_or_already_being_paid_is_kept():
    loan = a_loan(paid=1)
    assert split_dues(loan, date(2026, 3, 15)).replaced[0].number == 3
    started = list(loan.dues)
    started[1] = replace(started[1], interest_paid=Money(100, "NGN"))
    split = split_dues(replace(loan, dues=tuple(started)), date(2026, 3, 1))
    assert [d.number for d in split.replaced] == [3, 4, 5, 6]


def test_month_end_loans_stay_on_month_ends_after_a_plan():
    terms = replace(TERMS, disbursement_date=date(2025, 12, 31), first_payment_date=date(2026, 1, 31))
    dues = tuple(
        InstalmentDue.unpaid(r.number, r.due_date, r.principal, r.interest, ZERO)
        for r in build_schedule(terms).installments
    )
    loan = replace(a_loan(), dues=dues)
    option = build_option(loan, HardshipPolicy(), date(2026, 2, 10), OptionCode.EXTEND_TERM, 1)
    assert [r.due_date.day for r in option.installments] == [28, 31, 30, 31, 30, 31]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": "closed"}, "loan-not-active"),
        ({"active_plan": True}, "plan-active"),
        ({"plans_so_far": 2}, "plan-limit-reached"),
        ({"amortization": Amortization.FLAT}, "not-reschedulable"),
    ],
)
def test_ineligible_loans_are_refused_with_a_stable_reason(changes, reason):
    with pytest.raises(NotEligible) as refused:
        hardship_options(a_loan(**changes), HardshipPolicy(), date(2026, 2, 1))
    assert refused.value.reason == reason


def test_a_loan_with_nothing_left_to_reschedule_is_refused():
    with pytest.raises(NotEligible) as refused:
        hardship_options(a_loan(), HardshipPolicy(), date(2026, 7, 15))
    assert refused.value.reason == "nothing-to-reschedule"


def test_the_policy_bounds_the_periods_and_the_options():
    policy = HardshipPolicy(options=(OptionCode.EXTEND_TERM,), max_extension_periods=4, extension_periods=2)
    assert [o.code for o in hardship_options(a_loan(), policy, date(2026, 2, 1))] == [OptionCode.EXTEND_TERM]
    assert hardship_options(a_loan(), policy, date(2026, 2, 1))[0].periods == 2
    with pytest.raises(NotEligible) as too_long:
        build_option(a_loan(), policy, date(2026, 2, 1), OptionCode.EXTEND_TERM, 5)
    assert too_long.value.reason == "invalid-periods"
    with pytest.raises(NotEligible) as not_offered:
        build_option(a_loan(), policy, date(2026, 2, 1), OptionCode.PAYMENT_HOLIDAY)
    assert not_offered.value.reason == "option-not-offered"


def test_a_policy_is_validated_when_read():
    assert HardshipPolicy.from_dict({"reduced_fraction": "0.6"}).reduced_fraction == Decimal("0.6")
    for bad in (
        {"max_plans": 1},
        {"reduced_fraction": "1.5"},
        {"options": ["skip_forever"]},
        {"extension_periods": "3"},
        {"reduced_fraction": 0.5},
    ):
        with pytest.raises(InvalidPolicy):
            HardshipPolicy.from_dict(bad)
