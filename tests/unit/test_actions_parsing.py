"""How the bot reads dates, identity numbers, codes, durations and yes/no in customers' words."""

from __future__ import annotations

from datetime import date

import pytest

from actions.catalog import kind_from_text
from actions.formatting import money, schedule_lines
from actions.parsing.answers import (
    Duration,
    digits_of_length,
    identity_number,
    in_unit,
    months_of,
    parse_date,
    parse_duration,
    yes_no,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/03/1990", date(1990, 3, 12)),
        ("03/04/1990", date(1990, 4, 3)),  # day first, as Nigerians write it
        ("12 March 1990", date(1990, 3, 12)),
        ("12th march 1990", date(1990, 3, 12)),
        ("1990-03-12", date(1990, 3, 12)),
        ("my dob is 5 may 1985", date(1985, 5, 5)),
    ],
)
def test_birth_dates_are_read_day_first(text: str, expected: date) -> None:
    assert parse_date(text, past=True) == expected


@pytest.mark.parametrize("text", ["march", "1990", "asap", ""])
def test_a_date_without_day_month_and_year_is_not_guessed(text: str) -> None:
    assert parse_date(text, past=True) is None


def test_an_identity_number_is_a_bvn_unless_the_customer_says_nin() -> None:
    assert identity_number("my bvn na 2221 2345 678") is not None
    bvn = identity_number("22212345678")
    assert bvn is not None and (bvn.id_type, bvn.number) == ("bvn", "22212345678")
    nin = identity_number("NIN 12345678901")
    assert nin is not None and (nin.id_type, nin.number) == ("nin", "12345678901")


@pytest.mark.parametrize("text", ["2221234567", "222123456789", "no bvn", "22212345678 and 22212345679"])
def test_anything_but_exactly_one_11_digit_number_is_refused(text: str) -> None:
    assert identity_number(text) is None


def test_codes_typed_with_spaces_or_dashes_are_read() -> None:
    assert digits_of_length("code is 482 913", 6) == "482913"
    assert digits_of_length("482-913", 6) == "482913"
    assert digits_of_length("48291", 6) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6 months", Duration(6, "months")),
        ("6 mnths", Duration(6, "months")),
        ("two years", Duration(2, "years")),
        ("12wks", Duration(12, "weeks")),
        ("90", Duration(90, None)),
    ],
)
def test_durations(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


def test_durations_convert_only_where_exact() -> None:
    assert in_unit(Duration(2, "years"), "months") == 24
    assert in_unit(Duration(6, None), "months") == 6
    assert in_unit(Duration(3, "months"), "weeks") is None
    assert months_of(Duration(3, "years")) == 36


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("oya", None, True),
        ("I agree", None, True),
        ("not now", None, False),
        ("maybe", None, None),
        ("x", "affirm", True),
    ],
)
def test_yes_and_no(text: str, intent: str | None, expected: bool | None) -> None:
    assert yes_no(text, intent) is expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("finance my invoice", "invoice_financing"),
        ("pay small small", "bnpl"),
        ("overdraft", "line_of_credit"),
        ("business loan", "working_capital"),
        ("invoice loan", "invoice_financing"),
        ("banana", None),
    ],
)
def test_product_words(text: str, kind: str | None) -> None:
    assert kind_from_text(text) == kind


def test_money_is_formatted_from_minor_units_without_floats() -> None:
    assert money(123456789, "NGN", "en_NG") == "₦1,234,567.89"
    assert money(1, "NGN", "en_NG") == "₦0.01"


def test_a_long_schedule_shows_its_first_rows_and_says_how_many_follow() -> None:
    rows = [{"number": n, "due_date": f"2027-{n:02d}-15", "payment_minor": 1000000} for n in range(1, 13)]
    text = schedule_lines(rows, "NGN", "en_NG", limit=3)
    assert text.splitlines()[0] == "1. 15 Jan 2027: ₦10,000.00"
    assert text.splitlines()[-1] == "… and 9 more payments."
