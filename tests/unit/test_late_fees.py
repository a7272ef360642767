from datetime import date
from decimal import Decimal

import pytest
from lending_factories import FIRST_DUE, a_due, a_schedule, ngn

from backend.lending.late_fees import assess_late_fees, first_late_day
from backend.lending.products import DEFAULT_PRODUCTS, LateFeeRule

RULE = LateFeeRule(flat=ngn("1000.00"), percentage=Decimal("0.05"), cap=ngn("1050.00"))
GRACE = 3


def test_no_late_fee_within_the_grace_period():
    assert assess_late_fees(a_schedule(), date(2026, 2, 4), RULE, GRACE) == []


def test_a_late_fee_is_charged_the_day_after_the_grace_period_ends():
    assert first_late_day(FIRST_DUE, GRACE) == date(2026, 2, 5)
    fees = assess_late_fees(a_schedule(), date(2026, 2, 5), RULE, GRACE)
    assert [(f.instalment, f.amount) for f in fees] == [(1, ngn("1050.00"))]


def test_the_percentage_applies_to_unpaid_principal_and_interest_never_to_fees():
    dues = [a_due(1, fees="5000.00", interest="0", principal="100.00")]
    fees = assess_late_fees(dues, date(2026, 3, 1), RULE, GRACE)
    assert fees[0].overdue == ngn("100.00")
    assert fees[0].amount == ngn("1005.00")


def test_the_late_fee_is_capped():
    fees = assess_late_fees([a_due(1, principal="1000000.00")], date(2026, 3, 1), RULE, GRACE)
    assert fees[0].amount == ngn("1050.00")


def test_a_missed_instalment_is_charged_once_only():
    dues = a_schedule()
    assert assess_late_fees(dues, date(2026, 3, 20), RULE, GRACE, already_assessed={1, 2}) == []


def test_each_missed_instalment_is_charged_its_own_fee():
    fees = assess_late_fees(a_schedule(), date(2026, 3, 20), RULE, GRACE)
    assert [f.instalment for f in fees] == [1, 2]


def test_an_instalment_with_only_fees_unpaid_is_not_charged_again():
    dues = [a_due(1, fees="1000.00", interest_paid="100.00", principal_paid="1000.00")]
    assert assess_late_fees(dues, date(2026, 3, 1), RULE, GRACE) == []


def test_a_zero_fee_rule_charges_nothing():
    assert assess_late_fees(a_schedule(), date(2026, 3, 1), LateFeeRule(ngn("0"), Decimal("0")), GRACE) == []


def test_the_demo_bnpl_late_fee_is_a_flat_500_naira():
    product = DEFAULT_PRODUCTS["ngn-bnpl-4"]
    fees = assess_late_fees(a_schedule(), date(2026, 3, 1), product.late_fee, product.grace_period_days)
    assert fees[0].amount == ngn("500.00")


def test_a_negative_grace_period_is_refused():
    with pytest.raises(ValueError):
        assess_late_fees(a_schedule(), date(2026, 3, 1), RULE, -1)
