"""How customers type money in chat, pinned down: one example per accepted form and per refusal."""

from __future__ import annotations

import pytest

from actions.parsing.money import ParsedMoney, parse_money

ACCEPTED: list[tuple[str, int, str]] = [
    ("250k", 25_000_000, "NGN"),
    ("₦1.2m", 120_000_000, "NGN"),
    ("N1,200,000", 120_000_000, "NGN"),
    ("2 million naira", 200_000_000, "NGN"),
    ("1.5m", 150_000_000, "NGN"),
    ("fifty thousand", 5_000_000, "NGN"),
    ("KES 20k", 2_000_000, "KES"),
    ("$3,000", 300_000, "USD"),
    ("NGN 500,000", 50_000_000, "NGN"),
    ("500000", 50_000_000, "NGN"),
    ("1.2 million", 120_000_000, "NGN"),
    ("₦250,000.50", 25_000_050, "NGN"),
    ("2.5M naira", 250_000_000, "NGN"),
    ("ksh 20,000", 2_000_000, "KES"),
    ("20k shillings", 2_000_000, "KES"),
    ("USD 3000", 300_000, "USD"),
    ("3,000 dollars", 300_000, "USD"),
    ("GHS 1,000", 100_000, "GHS"),
    ("GH₵ 500", 50_000, "GHS"),
    ("R 10 000", 1_000_000, "ZAR"),
    ("one hundred and twenty thousand naira", 12_000_000, "NGN"),
    ("a million", 100_000_000, "NGN"),
    ("about 300k", 30_000_000, "NGN"),
    ("around N2m per month", 200_000_000, "NGN"),
    ("350 thousand", 35_000_000, "NGN"),
    ("1.2bn", 120_000_000_000, "NGN"),
    ("N 75k", 7_500_000, "NGN"),
    ("75k naira", 7_500_000, "NGN"),
    ("₦ 1,000,000", 100_000_000, "NGN"),
    ("1 000 000", 100_000_000, "NGN"),
    ("2m ngn", 200_000_000, "NGN"),
    ("NGN2m", 200_000_000, "NGN"),
    ("I make about 300k a month", 30_000_000, "NGN"),
    ("300K/month", 30_000_000, "NGN"),
    ("1.200.000", 120_000_000, "NGN"),
    ("twenty k", 2_000_000, "NGN"),
    ("a thousand dollars", 100_000, "USD"),
    ("€2,000", 200_000, "EUR"),
    ("roughly 1.2 million naira monthly", 120_000_000, "NGN"),
    ("  ₦\u00a0450,000  ", 45_000_000, "NGN"),
]


@pytest.mark.parametrize(("text", "minor", "currency"), ACCEPTED)
def test_accepted_forms_become_exact_minor_units(text: str, minor: int, currency: str) -> None:
    assert parse_money(text, default_currency="NGN") == ParsedMoney(amount_minor=minor, currency=currency)


REJECTED = [
    "",
    "   ",
    "hello",
    "lots",
    "k",
    "-5000",
    "0",
    "abc123xyz",
    "1.2.3",
    "five apples",
    "€2.000",  # two euros or two thousand? a factor of 1000 is not ours to guess
    "1,5m",  # decimal comma: ambiguous with a thousands separator
    "₦10.505",  # more decimals than the naira has: we never round money
    "between 200k and 300k",
    "$500 naira",
    "I run a shop",
]


@pytest.mark.parametrize("text", REJECTED)
def test_unreadable_or_ambiguous_text_is_refused_so_the_form_asks_again(text: str) -> None:
    assert parse_money(text, default_currency="NGN") is None


def test_the_default_currency_applies_only_when_none_is_written() -> None:
    assert parse_money("20k", default_currency="KES") == ParsedMoney(2_000_000, "KES")
    assert parse_money("₦20k", default_currency="KES") == ParsedMoney(2_000_000, "NGN")


def test_minor_units_follow_the_currency_exponent_from_babel() -> None:
    # The Ugandan shilling has no minor unit in ISO 4217 / CLDR: 20k UGX is 20,000 minor units.
    assert parse_money("20k", default_currency="UGX") == ParsedMoney(20_000, "UGX")


def test_shillings_mean_the_customers_own_shilling_when_that_is_ugandan() -> None:
    assert parse_money("20k shillings", default_currency="UGX") == ParsedMoney(20_000, "UGX")
    assert parse_money("20k shillings", default_currency="NGN") == ParsedMoney(2_000_000, "KES")


def test_the_result_is_an_int_never_a_float() -> None:
    parsed = parse_money("₦1.1m", default_currency="NGN")
    assert parsed is not None
    assert type(parsed.amount_minor) is int
    assert parsed.amount_minor == 110_000_000
