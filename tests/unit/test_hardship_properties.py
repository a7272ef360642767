"""Properties every hardship option must have, for any loan, payments made so far and day asked."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backend.lending.allocation import InstalmentDue
from backend.lending.dates import Frequency, due_date
from backend.lending.hardship import (
    HardshipPolicy,
    LoanForHardship,
    NotEligible,
    OptionCode,
    build_option,
    split_dues,
)
from backend.lending.money import Money
from backend.lending.products import Component
from backend.lending.schedules import Amortization, LoanTerms, build_schedule

POLICY = HardshipPolicy(max_extension_periods=12, max_reduced_periods=6)


@st.composite
def loans_and_days(draw: st.DrawFn) -> tuple[LoanForHardship, date]:
    frequency = draw(st.sampled_from(Frequency))
    count = draw(st.integers(1, 60))
    principal = draw(st.integers(100 * count, 10**9))
    rate = Decimal(draw(st.integers(0, 100_000))) / 100_000
    first = draw(st.dates(date(2000, 1, 1), date(2090, 1, 1)))
    amortization = draw(st.sampled_from([Amortization.ANNUITY, Amortization.EQUAL_PRINCIPAL]))
    terms = LoanTerms(
        Money(principal, "USD"),
        rate,
        count,
        frequency,
        amortization,
        due_date(first, -1, frequency),
        first,
    )
    zero = Money.zero("USD")
    dues = [
        InstalmentDue.unpaid(r.number, r.due_date, r.principal, r.interest, zero)
        for r in build_schedule(terms).installments
    ]
    paid = draw(st.integers(0, count - 1))  # instalments paid in full so far
    dues[:paid] = [replace(d, principal_paid=d.principal, interest_paid=d.interest) for d in dues[:paid]]
    if draw(st.booleans()):  # a prepayment of principal on the last instalment (allocation's rule)
        last = dues[-1]
        dues[-1] = replace(last, principal_paid=Money(draw(st.integers(0, last.principal.minor)), "USD"))
    as_of = dues[paid].due_date - timedelta(days=draw(st.integers(1, 3)))
    accrued = {d.number: d.interest for d in dues[:paid]}
    loan = LoanForHardship("active", rate, frequency, amortization, tuple(dues), accrued)
    return loan, as_of


@settings(max_examples=300, deadline=None)
@given(loans_and_days(), st.sampled_from(OptionCode), st.integers(1, 6))
def test_every_option_repays_the_outstanding_principal_exactly(case, code, periods):
    loan, as_of = case
    try:
        split = split_dues(loan, as_of)
    except NotEligible:
        assume(False)
    option = build_option(loan, POLICY, as_of, code, 1 if code is OptionCode.PAYMENT_HOLIDAY else periods)
    rows = option.installments
    outstanding = sum(d.outstanding(Component.PRINCIPAL).minor for d in split.replaced)
    assert sum(r.principal.minor for r in rows) == outstanding
    assert rows[-1].balance.minor == 0
    assert all(r.principal.minor >= 0 and r.interest.minor >= 0 and r.balance.minor >= 0 for r in rows)
    assert all(r.payment == r.principal + r.interest for r in rows)
    balances = [outstanding] + [r.balance.minor for r in rows]
    assert all(
        b - r.principal.minor == after for b, r, after in zip(balances, rows, balances[1:], strict=False)
    )
    dates = [r.due_date for r in rows]
    assert dates == sorted(set(dates)) and dates[0] > as_of
    assert [r.number for r in rows] == list(
        range(split.replaced[0].number, split.replaced[0].number + len(rows))
    )
    assert option.new_total_repayable.minor == outstanding + option.new_interest.minor
    assert option.extra_cost == option.new_total_repayable - option.current_total


@settings(max_examples=200, deadline=None)
@given(loans_and_days())
def test_no_option_shortens_the_loan_or_makes_it_cheaper(case):
    loan, as_of = case
    try:
        split = split_dues(loan, as_of)
    except NotEligible:
        assume(False)
    assume(loan.annual_rate > 0)
    # A principal prepayment is only priced in when a schedule is recomputed (see allocation), so a
    # plan on a prepaid loan may rightly cost less than the stale schedule: left out here.
    assume(all(d.principal_paid.minor == 0 for d in split.replaced))
    for code in OptionCode:
        option = build_option(loan, POLICY, as_of, code)
        assert option.new_maturity_date > split.replaced[-1].due_date
        assert option.extra_cost.minor >= -_rounding_tolerance(loan, len(option.installments))


def _rounding_tolerance(loan: LoanForHardship, rows: int) -> int:
    """How much cheaper than the old schedule a plan may come out from rounding alone, in cents.

    Each row's interest is rounded to the cent (a cent a row), and the periodic payment is rounded
    to the cent too: the principal that rounding leaves in (or takes out of) the balance each period
    earns interest at the loan's rate, so up to a cent a period compounds like a savings plan, the
    future value of an annuity of one cent, ((1 + i)^n - 1) / i. At ordinary rates that is a few
    cents; at 78% a year paid quarterly over ten years (i = 19.5%, n = 40) it is tens of dollars,
    as hypothesis found."""
    i = loan.annual_rate / loan.frequency.periods_per_year
    compounded = ((1 + i) ** rows - 1) / i
    return rows + int(compounded.to_integral_value(rounding="ROUND_CEILING"))
