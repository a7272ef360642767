"""Pure helpers of origination: the real quote function, lender configuration, phone numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from backend.lending.dates import Frequency
from backend.lending.lender_config import DEMO_LENDERS, InvalidLender, lender_from_config
from backend.lending.money import Money
from backend.lending.quoting import ScheduleQuote, apr_of, first_due_on, offer_schedule
from backend.services.origination.customers import normalise_phone, region_of
from backend.services.origination.errors import Invalid

NGN = "NGN"


def test_the_quote_agrees_with_the_schedule_the_customer_will_sign() -> None:
    principal, fee = Money.of("1500000", NGN), Money.of("30000", NGN)
    quote = ScheduleQuote(date(2026, 1, 15))(principal, Decimal("0.38"), 6, Frequency.MONTHLY, fee)
    schedule = offer_schedule(principal, Decimal("0.38"), 6, Frequency.MONTHLY, fee, date(2026, 1, 15))
    assert quote.periodic_payment == schedule.payment
    assert quote.total_interest == schedule.total_interest
    assert quote.apr == apr_of(schedule)


def test_a_fee_deducted_at_payout_lifts_the_apr_above_the_nominal_rate() -> None:
    principal = Money.of("1000000", NGN)
    quote = ScheduleQuote(date(2026, 1, 15))
    without = quote(principal, Decimal("0.30"), 12, Frequency.MONTHLY, Money.zero(NGN))
    with_fee = quote(principal, Decimal("0.30"), 12, Frequency.MONTHLY, Money.of("20000", NGN))
    assert with_fee.apr > without.apr > Decimal("30")


def test_the_first_instalment_falls_one_full_period_after_payout() -> None:
    assert first_due_on(date(2026, 1, 31), Frequency.MONTHLY) == date(2026, 2, 28)
    assert first_due_on(date(2026, 1, 1), Frequency.WEEKLY) == date(2026, 1, 8)


def test_demo_lenders_are_valid_configuration() -> None:
    lenders = [lender_from_config(code, name, data) for code, name, data in DEMO_LENDERS]
    assert {lender.id for lender in lenders} == {"harbour-capital", "kora-finance", "sahel-microcredit"}
    assert lenders[0].pricing["A"].annual_rate == Decimal("0.28")


def test_a_lender_rate_written_as_a_float_is_refused() -> None:
    code, name, data = DEMO_LENDERS[0]
    bad = {**data, "grades": {"A": {"annual_rate": 0.28, "origination_fee_percent": "1"}}}
    with pytest.raises(InvalidLender, match="float"):
        lender_from_config(code, name, bad)


def test_a_lender_without_terms_is_refused() -> None:
    code, name, data = DEMO_LENDERS[0]
    with pytest.raises(InvalidLender, match="terms"):
        lender_from_config(code, name, {k: v for k, v in data.items() if k != "terms"})


def test_a_local_nigerian_number_becomes_e164() -> None:
    assert region_of("en_NG") == "NG"
    assert normalise_phone("0803 123 4567", "en_NG") == "+2348031234567"
    assert normalise_phone("+254 712 345678", "en_NG") == "+254712345678"


def test_a_number_that_cannot_exist_is_refused_with_the_field_named() -> None:
    with pytest.raises(Invalid) as refused:
        normalise_phone("12345", "en_NG")
    assert refused.value.extra["field"] == "phone"
