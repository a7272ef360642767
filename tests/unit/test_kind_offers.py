"""BNPL and invoice-financing offers and their schedules (pure): the split, the single payment,
the advance bound, and that the offer's figures are the schedule's."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from backend.lending.dates import Frequency
from backend.lending.kind_offers import BNPL_LENDER, bnpl_offer, invoice_decision
from backend.lending.money import Money
from backend.lending.offers import make_offers
from backend.lending.products import DEFAULT_PRODUCTS
from backend.lending.quoting import offer_schedule, quote_fn
from backend.lending.schedules import Amortization, InvalidTerms
from tests.unit.test_offers import a_lender, an_approval

PAID_OUT = date(2026, 3, 2)
BNPL = DEFAULT_PRODUCTS["ngn-bnpl-4"]
INVOICE = DEFAULT_PRODUCTS["ngn-invoice-financing"]


def ngn_minor(minor: int) -> Money:
    return Money(minor, "NGN")


def test_pay_in_n_puts_the_odd_kobo_on_the_first_instalment_and_charges_no_interest() -> None:
    price = ngn_minor(10_000_003)
    schedule = offer_schedule(
        price, Decimal(0), 4, Frequency.FORTNIGHTLY, ngn_minor(0), PAID_OUT, Amortization.PAY_IN_N
    )
    assert [r.payment.minor for r in schedule.installments] == [2_500_003, 2_500_000, 2_500_000, 2_500_000]
    assert schedule.total_interest.minor == 0 and schedule.installments[-1].balance.minor == 0
    assert [r.due_date.isoformat() for r in schedule.installments] == [
        "2026-03-16",
        "2026-03-30",
        "2026-04-13",
        "2026-04-27",
    ]


def test_pay_in_n_refuses_interest() -> None:
    with pytest.raises(InvalidTerms):
        offer_schedule(
            ngn_minor(100_000),
            Decimal("0.1"),
            4,
            Frequency.FORTNIGHTLY,
            ngn_minor(0),
            PAID_OUT,
            Amortization.PAY_IN_N,
        )


def test_bnpl_offer_is_one_zero_rate_zero_apr_plan_for_the_price() -> None:
    price = ngn_minor(10_000_001)
    decision = an_approval("1000000")
    offer = bnpl_offer(decision, BNPL, price, quote_fn(PAID_OUT, Amortization.PAY_IN_N))
    assert offer is not None
    assert (offer.lender_id, offer.term_count, offer.frequency) == (BNPL_LENDER, 4, Frequency.FORTNIGHTLY)
    assert offer.nominal_rate == 0 and offer.apr == 0 and offer.fees == ()
    assert offer.periodic_payment.minor == 2_500_001 and offer.total_repayable == price


def test_bnpl_offers_nothing_when_the_limit_does_not_cover_the_price() -> None:
    decision = replace(an_approval("1000000"), limit=ngn_minor(5_000_000))
    assert (
        bnpl_offer(decision, BNPL, ngn_minor(10_000_001), quote_fn(PAID_OUT, Amortization.PAY_IN_N)) is None
    )


def test_a_bullet_is_one_payment_of_principal_and_simple_interest_for_the_days() -> None:
    due = date(2026, 5, 1)  # 60 days after the payout
    schedule = offer_schedule(
        ngn_minor(120_000_000),
        Decimal("0.30"),
        1,
        Frequency.MONTHLY,
        ngn_minor(0),
        PAID_OUT,
        Amortization.BULLET,
        due,
    )
    (row,) = schedule.installments
    assert row.due_date == due and row.principal.minor == 120_000_000
    assert row.interest.minor == 5_917_808  # 120m x 0.30 x 60 / 365, half up


def test_a_bullet_must_mature_after_the_payout() -> None:
    with pytest.raises(InvalidTerms):
        offer_schedule(
            ngn_minor(100_000),
            Decimal("0.3"),
            1,
            Frequency.MONTHLY,
            ngn_minor(0),
            PAID_OUT,
            Amortization.BULLET,
            PAID_OUT,
        )


def test_invoice_offers_advance_the_rate_capped_by_the_limit_and_ignore_instalment_terms() -> None:
    approval = an_approval("1000000")  # limit NGN 1,000,000
    small = invoice_decision(approval, INVOICE, Money.of("500000", "NGN"))
    assert small.limit == Money.of("400000", "NGN")  # 80% of the invoice
    large = invoice_decision(approval, INVOICE, Money.of("5000000", "NGN"))
    assert large.limit == approval.limit  # the approval bounds the advance
    lender = a_lender("harbour", terms=frozenset({3, 6}))
    quote = quote_fn(PAID_OUT, Amortization.BULLET, date(2026, 5, 1))
    assert make_offers(small, [lender], 1, Frequency.MONTHLY, quote) == []  # 1 is not an instalment term
    (offer,) = make_offers(small, [lender], 1, Frequency.MONTHLY, quote, match_terms=False)
    assert offer.amount == Money.of("400000", "NGN") and offer.term_count == 1
    assert offer.total_repayable == offer.amount + offer.total_interest + offer.fees[0].amount
