"""Properties every allocation must keep, for any dues, payment, date, order and overpayment rule."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import permutations

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.lending.allocation import Allocation, InstalmentDue, allocate
from backend.lending.money import Money
from backend.lending.payoff import quote_payoff
from backend.lending.products import Component, OverpaymentRule

START = date(2026, 1, 1)
ORDERS = list(permutations(Component))


def ngn(minor: int) -> Money:
    return Money(minor, "NGN")


@st.composite
def component(draw: st.DrawFn) -> tuple[Money, Money]:
    due = draw(st.integers(0, 500_000))
    paid = draw(st.one_of(st.just(0), st.just(due), st.integers(0, due)))
    return ngn(due), ngn(paid)


@st.composite
def dues_states(draw: st.DrawFn) -> list[InstalmentDue]:
    count = draw(st.integers(1, 6))
    gaps = draw(st.lists(st.integers(1, 40), min_size=count, max_size=count))
    dues = []
    due_date = START
    for number, gap in enumerate(gaps, start=1):
        due_date += timedelta(days=gap)
        (principal, principal_paid), (interest, interest_paid), (fees, fees_paid) = (
            draw(component()) for _ in range(3)
        )
        dues.append(
            InstalmentDue(
                number, due_date, principal, interest, fees, principal_paid, interest_paid, fees_paid
            )
        )
    return draw(st.permutations(dues))


def owed(dues: list[InstalmentDue]) -> int:
    return sum(d.total_outstanding.minor for d in dues)


def scenario() -> st.SearchStrategy:
    return st.tuples(
        dues_states(),
        st.integers(0, 4_000_000),
        st.integers(0, 250).map(lambda days: START + timedelta(days=days)),
        st.sampled_from(ORDERS),
        st.sampled_from(list(OverpaymentRule)),
    )


def run(case: tuple) -> tuple[list[InstalmentDue], Allocation]:
    dues, payment, on, order, rule = case
    return dues, allocate(dues, ngn(payment), on, order, rule)


@given(scenario())
def test_no_cent_is_lost_or_invented(case: tuple):
    _, allocation = run(case)
    assert allocation.applied_to_dues + allocation.principal_prepaid + allocation.credit == allocation.payment
    assert allocation.credit.minor >= 0


@given(scenario())
def test_no_component_is_paid_more_than_is_owed(case: tuple):
    dues, allocation = run(case)
    by_number = {d.number: d for d in dues}
    for part in (*allocation.parts, *allocation.prepayments):
        for c in Component:
            assert 0 <= part.of(c).minor <= by_number[part.number].outstanding(c).minor
    for part in allocation.prepayments:
        assert part.fees.minor == part.interest.minor == 0
    for due in allocation.apply_to(dues):
        assert all(due.outstanding(c).minor >= 0 for c in Component)


@given(scenario())
def test_overdue_is_settled_before_anything_later_is_paid(case: tuple):
    dues, allocation = run(case)
    on = allocation.on
    after = {d.number: d for d in allocation.apply_to(dues)}
    overdue = [n for n, d in after.items() if d.due_date < on]
    paid_later = any(after[p.number].due_date >= on for p in allocation.parts)
    if paid_later or allocation.prepayments or allocation.credit.minor:
        assert all(after[n].settled for n in overdue)


@given(scenario())
def test_overdue_instalments_are_paid_oldest_first(case: tuple):
    dues, allocation = run(case)
    after = {d.number: d for d in allocation.apply_to(dues)}
    paid_dates = [after[p.number].due_date for p in allocation.parts]
    assert paid_dates == sorted(paid_dates)
    for part in allocation.parts[:-1]:
        assert after[part.number].settled


@given(scenario())
def test_credit_is_held_only_once_everything_the_rule_allows_is_paid(case: tuple):
    dues, allocation = run(case)
    if allocation.credit.minor == 0:
        return
    after = allocation.apply_to(dues)
    upcoming = sorted(d.due_date for d in after if d.due_date >= allocation.on)
    due_now = [d for d in after if d.due_date < allocation.on or (upcoming and d.due_date == upcoming[0])]
    assert all(d.settled for d in due_now)
    if case[4] is OverpaymentRule.APPLY_TO_PRINCIPAL:
        assert all(d.outstanding(Component.PRINCIPAL).minor == 0 for d in after)


@given(scenario(), st.floats(0, 1))
def test_two_payments_on_one_day_allocate_like_their_sum(case: tuple, share: float):
    dues, payment, on, order, rule = case
    first = int(payment * share)
    one = allocate(dues, ngn(first), on, order, rule)
    two = allocate(one.apply_to(dues), ngn(payment - first), on, order, rule)
    whole = allocate(dues, ngn(payment), on, order, rule)
    assert two.apply_to(one.apply_to(dues)) == whole.apply_to(dues)
    assert one.credit + two.credit == whole.credit


@given(scenario())
def test_the_allocation_does_not_depend_on_the_order_dues_are_listed_in(case: tuple):
    dues, payment, on, order, rule = case
    listed = allocate(dues, ngn(payment), on, order, rule)
    by_number = allocate(sorted(dues, key=lambda d: d.number), ngn(payment), on, order, rule)
    assert listed == by_number


@given(scenario())
def test_paying_exactly_what_is_owed_overdue_and_due_now_leaves_no_credit(case: tuple):
    dues, _, on, order, rule = case
    upcoming = sorted(d.due_date for d in dues if d.due_date >= on)
    due_now = [d for d in dues if d.due_date < on or (upcoming and d.due_date == upcoming[0])]
    allocation = allocate(dues, ngn(owed(due_now)), on, order, rule)
    assert allocation.credit.minor == 0 and allocation.prepayments == ()
    due_now_numbers = {d.number for d in due_now}
    assert all(d.settled for d in allocation.apply_to(dues) if d.number in due_now_numbers)


@settings(max_examples=300)
@given(
    dues_states(),
    st.integers(0, 250).map(lambda days: START + timedelta(days=days)),
    st.decimals(Decimal("0"), Decimal("2"), places=4),
    st.sampled_from(ORDERS),
)
def test_a_payoff_of_the_quoted_amount_clears_the_loan_exactly(
    dues: list, on: date, rate: Decimal, order: tuple
):
    quote = quote_payoff(dues, on, rate, disbursed_on=START)
    allocation = quote.settle(order)
    assert allocation.credit.minor == 0
    assert allocation.applied_to_dues + allocation.principal_prepaid == quote.total
    assert all(d.settled for d in allocation.apply_to(quote.dues))
    assert quote.principal.minor == sum(d.outstanding(Component.PRINCIPAL).minor for d in dues)
