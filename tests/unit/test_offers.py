"""Offers: at most three, cheapest total first, every fee counted, grade pricing respected."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from backend.lending.eligibility import BusinessType
from backend.lending.money import Money
from backend.lending.offers import Fee, Frequency, GradePricing, Lender, Quote, make_offers
from backend.lending.underwriting import KycResult, Outcome, UnderwritingInput, decide
from backend.lending.underwriting_config import parse_ruleset
from backend.lending.underwriting_default import DEFAULT_RULESET_YAML

RULESET = parse_ruleset(DEFAULT_RULESET_YAML)
CENT = Decimal(1)


def annuity_quote(
    principal: Money, annual_rate: Decimal, term_count: int, frequency: Frequency, fee: Money
) -> Quote:
    """A plain level-payment annuity in Decimal minor units, half-up; APR by bisection on the net
    amount (principal minus the up-front fee). Stands in for the real schedule/APR engine."""
    periods = frequency.periods_per_year
    rate = annual_rate / periods
    p = Decimal(principal.minor)
    if rate == 0:
        payment = (p / term_count).quantize(CENT, ROUND_HALF_UP)
    else:
        payment = (p * rate / (1 - (1 + rate) ** -term_count)).quantize(CENT, ROUND_HALF_UP)
    interest = payment * term_count - p
    net = p - fee.minor
    low, high = Decimal(0), Decimal(10)
    for _ in range(80):
        mid = (low + high) / 2
        r = mid / periods
        present = payment * term_count if r == 0 else payment * (1 - (1 + r) ** -term_count) / r
        low, high = (mid, high) if present > net else (low, mid)
    return Quote(
        periodic_payment=Money(int(payment), principal.currency),
        total_interest=Money(int(interest), principal.currency),
        apr=(low * 100).quantize(Decimal("0.01"), ROUND_HALF_UP),
    )


def ngn(major: str | int) -> Money:
    return Money.of(major, "NGN")


def a_lender(lender_id: str, rate: str = "0.30", fee: str = "1", **overrides: Any) -> Lender:
    fields: dict[str, Any] = {
        "id": lender_id,
        "name": lender_id.title(),
        "pricing": {g: GradePricing(Decimal(rate), Decimal(fee)) for g in "ABCD"},
        "terms": frozenset({3, 6, 12}),
        "frequencies": frozenset({Frequency.MONTHLY, Frequency.WEEKLY}),
        "max_amount": ngn("5000000"),
    }
    fields.update(overrides)
    return Lender(**fields)


def an_approval(requested: str = "1000000"):
    decision = decide(
        UnderwritingInput(
            requested_amount=ngn(requested),
            product_kind="working_capital",
            business_type=BusinessType.RETAIL,
            months_in_business=24,
            monthly_revenue=ngn("600000"),
            kyc=KycResult.VERIFIED,
        ),
        RULESET,
    )
    assert decision.outcome is Outcome.APPROVE and decision.grade == "C"
    return decision


def offers_from(*lenders: Lender, decision=None, term: int = 6, frequency: Frequency = Frequency.MONTHLY):
    return make_offers(decision or an_approval(), list(lenders), term, frequency, annuity_quote)


def test_the_test_quote_is_a_real_annuity():
    quote = annuity_quote(ngn("1000000"), Decimal("0.24"), 12, Frequency.MONTHLY, ngn("0"))
    assert quote.periodic_payment == ngn("94559.60")  # 1m at 2 % a month over 12 months
    assert quote.apr == Decimal("24.00")


def test_offers_are_sorted_by_total_repayable_ascending():
    offers = offers_from(a_lender("dear", "0.40"), a_lender("cheap", "0.20"), a_lender("middle", "0.30"))
    assert [o.lender_id for o in offers] == ["cheap", "middle", "dear"]
    totals = [o.total_repayable.minor for o in offers]
    assert totals == sorted(totals)


def test_at_most_three_offers_and_they_are_the_cheapest_three():
    lenders = [a_lender(f"l{i}", f"0.{20 + i}") for i in range(6)]
    offers = offers_from(*reversed(lenders))
    assert [o.lender_id for o in offers] == ["l0", "l1", "l2"]


def test_a_lender_without_pricing_for_the_grade_offers_nothing():
    no_c = a_lender("no_c", pricing={"A": GradePricing(Decimal("0.1"), Decimal(0))})
    assert [o.lender_id for o in offers_from(no_c, a_lender("ok"))] == ["ok"]


def test_fees_are_in_the_total_and_a_cheap_rate_with_a_big_fee_can_lose():
    big_fee = a_lender("big_fee", "0.20", fee="8")
    honest = a_lender("honest", "0.24", fee="0")
    offers = offers_from(big_fee, honest)
    assert [o.lender_id for o in offers] == ["honest", "big_fee"]
    loaded = offers[1]
    assert loaded.fees == (Fee("origination", ngn("80000")),)  # 8 % of 1,000,000
    assert loaded.total_repayable == loaded.amount + loaded.total_interest + ngn("80000")
    assert loaded.cost_of_credit == loaded.total_interest + ngn("80000")
    assert loaded.apr > loaded.nominal_rate * 100
    assert loaded.paid_out == ngn("920000")
    assert offers[0].fees == ()


def test_each_offer_carries_lender_amount_term_frequency_payment_rates_and_total():
    (offer,) = offers_from(a_lender("solo", "0.24", fee="1.5"), term=12)
    assert (offer.lender_id, offer.lender_name, offer.term_count, offer.frequency) == (
        "solo",
        "Solo",
        12,
        Frequency.MONTHLY,
    )
    assert offer.amount == ngn("1000000")
    assert offer.periodic_payment == ngn("94559.60")
    assert offer.nominal_rate == Decimal("0.24")
    assert offer.total_interest == ngn("134715.20")
    assert offer.total_repayable == ngn("1149715.20")  # + 15,000 fee


def test_a_lender_lends_at_most_its_own_maximum():
    (offer,) = offers_from(a_lender("small", max_amount=ngn("400000")))
    assert offer.amount == ngn("400000")


def test_a_lender_whose_minimum_is_above_the_limit_offers_nothing():
    assert offers_from(a_lender("big_only", min_amount=ngn("2000000"))) == []


@pytest.mark.parametrize(("term", "frequency"), [(24, Frequency.MONTHLY), (6, Frequency.QUARTERLY)])
def test_a_lender_that_does_not_offer_the_term_or_frequency_offers_nothing(term, frequency):
    assert offers_from(a_lender("fixed"), term=term, frequency=frequency) == []


def test_a_lender_in_another_currency_offers_nothing():
    assert offers_from(a_lender("kenyan", max_amount=Money.of(100000, "KES"))) == []


def test_a_refer_or_decline_gets_no_offers():
    referred = decide(
        UnderwritingInput(
            ngn("1000000"), "working_capital", BusinessType.RETAIL, 24, ngn("600000"), KycResult.NEEDS_REVIEW
        ),
        RULESET,
    )
    assert referred.outcome is Outcome.REFER
    assert offers_from(a_lender("any"), decision=referred) == []
