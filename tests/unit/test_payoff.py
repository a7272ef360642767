from datetime import date
from decimal import Decimal

import pytest
from lending_factories import a_due, a_schedule, ngn

from backend.lending.allocation import allocate
from backend.lending.payoff import PayoffQuote, quote_payoff
from backend.lending.products import Component

DISBURSED = date(2026, 1, 2)
RATE = Decimal("0.36")
DUE_1, DUE_2, DUE_3 = date(2026, 2, 1), date(2026, 3, 3), date(2026, 4, 2)


def a_loan_with_first_instalment_paid() -> list:
    dues = a_schedule()
    return list(allocate(dues, ngn("1100.00"), DUE_1).apply_to(dues))


def assert_clears_exactly(quote: PayoffQuote) -> None:
    allocation = quote.settle()
    assert allocation.applied_to_dues + allocation.principal_prepaid == quote.total
    assert allocation.credit == ngn("0")
    assert all(d.settled for d in allocation.apply_to(quote.dues))


def test_a_payoff_is_principal_plus_interest_accrued_daily_since_the_last_due_date():
    quote = quote_payoff(a_loan_with_first_instalment_paid(), date(2026, 2, 16), RATE, DISBURSED)
    # 2000.00 x 0.36 x 15 / 365 = 29.589... -> 29.59
    assert quote.principal == ngn("2000.00")
    assert quote.interest == ngn("29.59")
    assert quote.total == ngn("2029.59")
    assert_clears_exactly(quote)


def test_interest_not_yet_earned_is_waived_and_reported():
    quote = quote_payoff(a_loan_with_first_instalment_paid(), date(2026, 2, 16), RATE, DISBURSED)
    assert quote.waived_interest == ngn("170.41")


def test_before_the_first_due_date_interest_accrues_from_disbursement():
    quote = quote_payoff(a_schedule(), date(2026, 1, 12), RATE, DISBURSED)
    # 3000.00 x 0.36 x 10 / 365 = 29.589... -> 29.59
    assert quote.interest == ngn("29.59")
    assert_clears_exactly(quote)


def test_accrued_interest_rounds_half_up_to_the_minor_unit():
    dues = [a_due(1, DUE_1, principal="18.25", interest="1.00")]
    quote = quote_payoff(dues, date(2026, 1, 3), Decimal("0.1"), DISBURSED)
    # 1825 kobo x 0.1 / 365 = 0.5 kobo -> 1 kobo
    assert quote.interest == ngn("0.01")


def test_paying_off_early_never_costs_more_than_the_scheduled_interest_of_the_period():
    quote = quote_payoff(a_loan_with_first_instalment_paid(), DUE_2, Decimal("3.00"), DISBURSED)
    assert quote.interest == ngn("100.00")
    assert_clears_exactly(quote)


def test_overdue_instalments_are_owed_in_full_with_their_fees():
    dues = a_schedule()
    dues[0] = a_due(1, DUE_1, fees="500.00")
    quote = quote_payoff(dues, date(2026, 2, 11), RATE, DISBURSED)
    # overdue: 1000 + 100 + 500 fees; accrual on all 3000.00 unpaid principal for 10 days = 29.59
    assert quote.principal == ngn("3000.00")
    assert quote.interest == ngn("129.59")
    assert quote.fees == ngn("500.00")
    assert_clears_exactly(quote)


def test_fees_of_future_instalments_are_waived():
    quote = quote_payoff(a_schedule(fees="50.00"), date(2026, 1, 12), RATE, DISBURSED)
    assert quote.fees == ngn("50.00")
    assert quote.waived_fees == ngn("100.00")


def test_interest_already_paid_on_the_current_instalment_is_not_charged_again():
    dues = a_loan_with_first_instalment_paid()
    dues[1] = a_due(2, DUE_2, interest_paid="80.00")
    quote = quote_payoff(dues, date(2026, 2, 16), RATE, DISBURSED)
    assert quote.interest == ngn("0")
    assert_clears_exactly(quote)


def test_after_maturity_the_payoff_is_everything_overdue():
    dues = a_schedule()
    quote = quote_payoff(dues, date(2026, 5, 1), RATE, DISBURSED)
    assert quote.total == ngn("3300.00")
    assert_clears_exactly(quote)


def test_an_interest_free_bnpl_payoff_is_the_unpaid_principal():
    dues = [a_due(n, d, principal="2500.00", interest="0") for n, d in enumerate((DUE_1, DUE_2, DUE_3), 1)]
    dues = list(allocate(dues, ngn("2500.00"), DUE_1).apply_to(dues))
    quote = quote_payoff(dues, date(2026, 2, 5), Decimal("0"), DISBURSED)
    assert quote.total == ngn("5000.00")
    assert_clears_exactly(quote)


def test_the_payoff_clears_whatever_the_products_allocation_order():
    quote = quote_payoff(a_schedule(fees="50.00"), date(2026, 2, 20), RATE, DISBURSED)
    allocation = quote.settle(order=(Component.PRINCIPAL, Component.INTEREST, Component.FEES))
    assert all(d.settled for d in allocation.apply_to(quote.dues))


def test_a_payoff_before_disbursement_is_refused():
    with pytest.raises(ValueError, match="disbursed"):
        quote_payoff(a_schedule(), date(2026, 1, 1), RATE, DISBURSED)
