import pytest

from backend.lending.eligibility import (
    BelowMinimumRevenue,
    BusinessType,
    EligibilityInput,
    UnsupportedCurrency,
    indicative_limit,
)
from backend.lending.money import Money


def quote(business: str, amount: str, currency: str = "NGN"):
    return indicative_limit(EligibilityInput(BusinessType(business), Money.of(amount, currency)))


def test_a_retailer_can_borrow_three_months_of_revenue():
    result = quote("retail", "1200000")
    assert result.eligible
    assert result.limit == Money.of("3600000", "NGN")
    assert not result.capped


@pytest.mark.parametrize(
    ("business", "revenue", "limit"),
    [
        ("services", "1000000", "2500000"),
        ("agriculture", "1000000", "1500000"),
        ("transport", "400000", "800000"),
        ("manufacturing", "333333", "990000"),  # 999,999 rounded down to the ₦10,000 step
        ("other", "100000", "200000"),  # exactly the minimum revenue qualifies
    ],
)
def test_limit_is_revenue_times_the_sector_multiple_rounded_down(business, revenue, limit):
    assert quote(business, revenue).limit == Money.of(limit, "NGN")


def test_revenue_below_the_minimum_is_declined_with_the_minimum_named():
    result = quote("retail", "99999.99")
    assert not result.eligible
    assert result.limit is None
    assert result.reasons == [BelowMinimumRevenue(Money.of(100_000, "NGN"))]


def test_the_limit_is_capped_at_the_currency_maximum():
    result = quote("retail", "40000000")
    assert result.eligible and result.capped
    assert result.limit == Money.of(50_000_000, "NGN")


def test_kenyan_shillings_use_their_own_thresholds():
    assert quote("retail", "20000", "KES").limit == Money.of(60_000, "KES")


def test_a_currency_we_do_not_lend_in_is_explained():
    result = quote("retail", "5000", "EUR")
    assert not result.eligible
    assert result.reasons == [UnsupportedCurrency("EUR")]
