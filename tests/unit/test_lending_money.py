from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision

from backend.lending.money import MINOR_UNIT_EXPONENTS, CurrencyMismatch, Money, UnknownCurrency


def test_adding_naira_to_shillings_is_refused():
    with pytest.raises(CurrencyMismatch):
        Money(100, "NGN") + Money(100, "KES")


def test_a_float_amount_is_refused():
    with pytest.raises(TypeError):
        Money(10.5, "NGN")  # type: ignore[arg-type]


def test_an_unknown_currency_is_refused():
    with pytest.raises(UnknownCurrency):
        Money(1, "XYZ")


def test_major_units_round_half_up_to_the_minor_unit():
    assert Money.of("1.005", "USD") == Money(101, "USD")
    assert Money.of("1.004", "USD") == Money(100, "USD")
    assert Money.of("1200000", "NGN").minor == 120_000_000
    assert Money.of("1500", "UGX").minor == 1500


def test_split_puts_the_remainder_cent_on_the_first_instalment():
    parts = Money(1000, "NGN").split(3)
    assert parts == [Money(334, "NGN"), Money(333, "NGN"), Money(333, "NGN")]
    assert sum(p.minor for p in parts) == 1000


def test_times_rounds_half_up():
    assert Money(5, "NGN").times(Decimal("0.5")) == Money(3, "NGN")
    assert Money(4, "NGN").times(Decimal("0.5")) == Money(2, "NGN")


def test_round_down_to_a_quoting_step():
    assert Money.of("3612345.67", "NGN").round_down_to(Money.of(10_000, "NGN")) == Money.of(3_610_000, "NGN")


def test_minor_unit_table_agrees_with_babel():
    for currency, exponent in MINOR_UNIT_EXPONENTS.items():
        assert get_currency_precision(currency) == exponent, currency
