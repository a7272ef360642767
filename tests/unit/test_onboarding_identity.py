"""The pure identity and business-identifier rules the chat validates as the customer types."""

from __future__ import annotations

from datetime import date

import pytest

from backend.lending.business_ids import normalise_registration_number, normalise_tin, registration_kind
from backend.lending.identity import (
    IdType,
    InvalidIdentity,
    age_on,
    mask,
    normalise_id_number,
    normalise_name,
    parse_date_of_birth,
)

TODAY = date(2026, 11, 29)


def test_a_bvn_is_eleven_digits_starting_with_22_and_typed_spaces_go() -> None:
    assert normalise_id_number(IdType.BVN, "221 2345 6789") == "22123456789"
    with pytest.raises(InvalidIdentity, match="starts with 22"):
        normalise_id_number(IdType.BVN, "12345678901")
    with pytest.raises(InvalidIdentity, match="11 digits"):
        normalise_id_number(IdType.BVN, "2212345678")


def test_a_nin_is_eleven_digits_with_any_first_digits() -> None:
    assert normalise_id_number(IdType.NIN, "12345678901") == "12345678901"
    for bad in ("1234567890a", "123456789012", "١٢٣٤٥٦٧٨٩٠١"):  # the last: Arabic-Indic digits
        with pytest.raises(InvalidIdentity) as exc:
            normalise_id_number(IdType.NIN, bad)
        assert exc.value.field == "id_number"


def test_only_the_last_four_digits_are_ever_shown() -> None:
    assert mask("22123456789") == "*******6789"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  ADA   obi ", "Ada Obi"),
        ("chukwuemeka adeyemi-BELLO", "Chukwuemeka Adeyemi-Bello"),
        ("o'neil mcDonald", "O'Neil mcDonald"),
    ],
)
def test_names_are_trimmed_and_capitalised(typed: str, stored: str) -> None:
    assert normalise_name(typed) == stored


@pytest.mark.parametrize("typed", ["Ada", "Ada 0bi", "   "])
def test_a_name_needs_a_surname_and_letters_only(typed: str) -> None:
    with pytest.raises(InvalidIdentity) as exc:
        normalise_name(typed)
    assert exc.value.field == "full_name"


def test_a_customer_is_eighteen_on_their_birthday_not_the_day_before() -> None:
    assert parse_date_of_birth("2008-11-29", TODAY) == date(2008, 11, 29)
    with pytest.raises(InvalidIdentity, match="at least 18"):
        parse_date_of_birth("2008-11-30", TODAY)


def test_a_leap_day_birthday_counts_from_the_first_of_march_in_common_years() -> None:
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


@pytest.mark.parametrize("typed", ["03/04/1990", "1990-02-30", "2027-01-01", "1890-01-01"])
def test_dates_of_birth_are_iso_real_past_and_plausible(typed: str) -> None:
    with pytest.raises(InvalidIdentity) as exc:
        parse_date_of_birth(typed, TODAY)
    assert exc.value.field == "date_of_birth"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("rc 123456", "RC123456"),
        ("RC-123456", "RC123456"),
        ("bn2345678", "BN2345678"),
        ("It/12345", "IT12345"),
    ],
)
def test_cac_numbers_are_normalised_to_the_certificate_form(typed: str, stored: str) -> None:
    assert normalise_registration_number(typed) == stored


def test_the_cac_prefix_names_the_register() -> None:
    assert registration_kind("RC123456") == "company"
    assert registration_kind("BN2345678") == "business_name"
    with pytest.raises(InvalidIdentity):
        normalise_registration_number("AB123456")


def test_a_tin_is_the_old_eight_dash_four_or_the_new_ten_digits() -> None:
    assert normalise_tin("12345678-0001") == "12345678-0001"
    assert normalise_tin("1234 567 890") == "1234567890"
    for bad in ("1234567-0001", "123456789", "12345678-001"):
        with pytest.raises(InvalidIdentity) as exc:
            normalise_tin(bad)
        assert exc.value.field == "tin"
