from datetime import date

import pytest
from lending_factories import FIRST_DUE, a_due, a_schedule, ngn

from backend.lending.allocation import InstalmentDue, InstalmentPart, InvalidDues, allocate
from backend.lending.money import CurrencyMismatch, Money
from backend.lending.products import Component, OverpaymentRule

ORDER_INTEREST_FIRST = (Component.INTEREST, Component.FEES, Component.PRINCIPAL)
SECOND_DUE = date(2026, 3, 3)
THIRD_DUE = date(2026, 4, 2)


def part(number: int, fees: str = "0", interest: str = "0", principal: str = "0") -> InstalmentPart:
    return InstalmentPart(number, ngn(fees), ngn(interest), ngn(principal))


def test_a_payment_on_time_pays_fees_then_interest_then_principal_of_the_current_instalment():
    dues = a_schedule(fees="50.00")
    allocation = allocate(dues, ngn("1150.00"), FIRST_DUE)
    assert allocation.parts == (part(1, fees="50.00", interest="100.00", principal="1000.00"),)
    assert allocation.credit == ngn("0")
    assert allocation.principal_prepaid == ngn("0")


def test_a_partial_payment_stops_where_the_money_runs_out_in_the_order():
    allocation = allocate(a_schedule(fees="50.00"), ngn("120.00"), FIRST_DUE)
    assert allocation.parts == (part(1, fees="50.00", interest="70.00"),)


def test_the_product_can_put_interest_before_fees():
    allocation = allocate(a_schedule(fees="50.00"), ngn("120.00"), FIRST_DUE, order=ORDER_INTEREST_FIRST)
    assert allocation.parts == (part(1, interest="100.00", fees="20.00"),)


def test_overdue_instalments_are_paid_oldest_first_before_the_current_one():
    dues = a_schedule()
    allocation = allocate(dues, ngn("1500.00"), SECOND_DUE)
    assert allocation.parts == (
        part(1, interest="100.00", principal="1000.00"),
        part(2, interest="100.00", principal="300.00"),
    )


def test_overdue_is_settled_before_current_even_when_listed_in_any_order():
    dues = list(reversed(a_schedule()))
    allocation = allocate(dues, ngn("1100.00"), THIRD_DUE)
    assert [p.number for p in allocation.parts] == [1]


def test_paying_before_the_due_date_pays_the_current_instalment_not_a_prepayment():
    allocation = allocate(a_schedule(), ngn("1100.00"), date(2026, 1, 10))
    assert allocation.parts == (part(1, interest="100.00", principal="1000.00"),)


def test_an_overpayment_prepays_principal_from_the_last_instalment_backwards():
    allocation = allocate(
        a_schedule(), ngn("2600.00"), FIRST_DUE, overpayment=OverpaymentRule.APPLY_TO_PRINCIPAL
    )
    assert allocation.prepayments == (part(3, principal="1000.00"), part(2, principal="500.00"))
    assert allocation.principal_prepaid == ngn("1500.00")
    assert allocation.credit == ngn("0")


def test_a_prepayment_never_touches_future_interest_or_fees():
    allocation = allocate(a_schedule(fees="50.00"), ngn("5000.00"), FIRST_DUE)
    assert allocation.total_of(Component.PRINCIPAL) == ngn("3000.00")
    assert allocation.total_of(Component.INTEREST) == ngn("100.00")
    assert allocation.total_of(Component.FEES) == ngn("50.00")
    assert allocation.credit == ngn("1850.00")


def test_an_overpayment_is_held_as_credit_when_the_product_says_so():
    allocation = allocate(a_schedule(), ngn("1500.00"), FIRST_DUE, overpayment=OverpaymentRule.HOLD_AS_CREDIT)
    assert allocation.prepayments == ()
    assert allocation.credit == ngn("400.00")


def test_a_settled_current_instalment_sends_the_next_payment_to_overpayment():
    dues = a_schedule()
    first = allocate(dues, ngn("1100.00"), date(2026, 1, 20))
    second = allocate(first.apply_to(dues), ngn("200.00"), date(2026, 1, 20))
    assert second.parts == ()
    assert second.prepayments == (part(3, principal="200.00"),)


def test_money_beyond_everything_owed_is_held_as_credit():
    dues = a_schedule(instalments=1)
    allocation = allocate(dues, ngn("1200.00"), FIRST_DUE)
    assert allocation.applied_to_dues == ngn("1100.00")
    assert allocation.credit == ngn("100.00")


def test_already_paid_amounts_are_not_paid_twice():
    dues = [a_due(1, interest_paid="100.00", principal_paid="400.00")]
    allocation = allocate(dues, ngn("1000.00"), FIRST_DUE)
    assert allocation.parts == (part(1, principal="600.00"),)
    assert allocation.credit == ngn("400.00")


def test_applying_an_allocation_records_the_payment_on_each_instalment():
    dues = a_schedule()
    after = allocate(dues, ngn("2600.00"), FIRST_DUE).apply_to(dues)
    assert [d.total_outstanding for d in after] == [ngn("0"), ngn("600.00"), ngn("100.00")]
    assert after[2].interest_paid == ngn("0")


def test_a_zero_payment_allocates_nothing():
    allocation = allocate(a_schedule(), ngn("0"), FIRST_DUE)
    assert allocation.parts == () and allocation.prepayments == () and allocation.credit == ngn("0")


def test_a_negative_payment_is_refused():
    with pytest.raises(ValueError, match="negative"):
        allocate(a_schedule(), ngn("-1.00"), FIRST_DUE)


def test_a_payment_in_another_currency_is_refused():
    with pytest.raises(CurrencyMismatch):
        allocate(a_schedule(), Money(100, "KES"), FIRST_DUE)


def test_dues_paid_beyond_what_was_due_are_refused():
    with pytest.raises(InvalidDues):
        allocate([a_due(1, interest_paid="150.00")], ngn("10.00"), FIRST_DUE)


def test_repeated_instalment_numbers_are_refused():
    with pytest.raises(InvalidDues):
        allocate([a_due(1), a_due(1)], ngn("10.00"), FIRST_DUE)


def test_an_incomplete_allocation_order_is_refused():
    with pytest.raises(ValueError, match="order"):
        allocate(a_schedule(), ngn("10.00"), FIRST_DUE, order=(Component.FEES, Component.INTEREST))


def test_an_unpaid_instalment_starts_with_nothing_paid():
    due = InstalmentDue.unpaid(1, FIRST_DUE, ngn("1000.00"), ngn("100.00"), ngn("0"))
    assert due.total_outstanding == ngn("1100.00")
    assert not due.settled
