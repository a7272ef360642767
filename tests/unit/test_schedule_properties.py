"""Properties every schedule must have, for any amortization, frequency and timing in sane bounds."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.lending.dates import Frequency, due_date
from backend.lending.money import Money
from backend.lending.schedules import Amortization, LoanTerms, PaymentTiming, build_schedule


@st.composite
def loan_terms(draw: st.DrawFn) -> LoanTerms:
    frequency = draw(st.sampled_from(Frequency))
    count = draw(st.integers(1, 360))
    principal = draw(st.integers(100 * count, 10**9))  # at least one unit of currency per instalment
    rate = Decimal(draw(st.integers(0, 100_000))) / 100_000  # 0% to 100%
    first = draw(st.dates(date(2000, 1, 1), date(2090, 1, 1)))
    timing = draw(st.sampled_from(PaymentTiming))
    regular = (first - due_date(first, -1, frequency)).days
    if timing is PaymentTiming.ADVANCE:
        disbursed = first - timedelta(days=draw(st.integers(0, regular - 1)))
    else:
        odd = draw(st.integers(-(regular // 2), regular - 1))
        disbursed = due_date(first, -1, frequency) - timedelta(days=odd)
    financed = draw(st.booleans())
    fee = draw(st.integers(0, principal // 10))
    return LoanTerms(
        Money(principal, "USD"),
        rate,
        count,
        frequency,
        # pay_in_n (0% only) and bullet (one payment) have their own rules: tests/unit/test_kind_offers.py
        draw(st.sampled_from([Amortization.ANNUITY, Amortization.EQUAL_PRINCIPAL, Amortization.FLAT])),
        disbursed,
        first,
        timing,
        Money(fee, "USD"),
        financed,
    )


@settings(max_examples=300, deadline=None)
@given(loan_terms())
def test_schedules_repay_exactly_and_never_go_negative(terms: LoanTerms):
    schedule = build_schedule(terms)
    rows = schedule.installments
    assert len(rows) == terms.term_count
    assert sum(r.principal.minor for r in rows) == terms.financed.minor
    assert rows[-1].balance.minor == 0
    assert all(r.principal.minor >= 0 and r.interest.minor >= 0 and r.balance.minor >= 0 for r in rows)
    assert all(r.payment == r.principal + r.interest for r in rows)
    assert schedule.total_repayable.minor == terms.financed.minor + schedule.total_interest.minor
    balances = [terms.financed.minor] + [r.balance.minor for r in rows]
    assert all(
        b - r.principal.minor == after for b, r, after in zip(balances, rows, balances[1:], strict=False)
    )
    assert [r.due_date for r in rows] == sorted(r.due_date for r in rows)
