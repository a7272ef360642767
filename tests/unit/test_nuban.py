"""NUBAN check digits, against the CBN's published examples and the properties that make the
check worth having (every single-digit typo is caught)."""

from __future__ import annotations

import pytest

from backend.lending.banks import BANKS, bank_by_code, find_bank
from backend.lending.nuban import candidate_banks, check_digit, institution_code, is_valid, mask

# CBN "Proposals on the implementation of NUBAN scheme" v0.4 (2010), section 2a, examples 1 and 2:
# First Bank (011), serials 000001457 and 000000022.
PUBLISHED = [("011", "000001457", 9), ("011", "000000022", 0)]


@pytest.mark.parametrize(("bank", "serial", "digit"), PUBLISHED)
def test_the_cbn_worked_examples_give_the_published_check_digits(bank: str, serial: str, digit: int) -> None:
    assert check_digit(bank, serial) == digit
    assert is_valid(bank, serial + str(digit))


def test_a_sum_that_is_a_multiple_of_ten_gives_zero_not_ten() -> None:
    # 0*3+1*7+1*3 + 2*7+2*3 = 30 (example 2): 10 - 0 = 10, written as 0.
    assert check_digit("011", "000000022") == 0


def test_every_single_digit_typo_is_caught() -> None:
    good = "0000014579"
    for position in range(10):
        for d in "0123456789":
            if d == good[position]:
                continue
            typo = good[:position] + d + good[position + 1 :]
            assert not is_valid("011", typo), typo


def test_the_same_number_is_valid_for_one_bank_and_not_another() -> None:
    assert is_valid("011", "0000014579")
    assert not is_valid("058", "0000014579")


def test_a_bank_code_is_widened_to_six_digits_as_the_2020_revision_says() -> None:
    assert institution_code("058") == "000058"
    assert institution_code("50211") == "950211"
    assert institution_code("999992") == "999992"
    with pytest.raises(ValueError):
        institution_code("5821")


def test_microfinance_and_mobile_money_numbers_use_all_fifteen_weights() -> None:
    # 9,5,0,2,1,1 (Kuda's 9-prefixed code) then the serial 123456789, weights 3,7,3 repeated:
    # 27+35+0+6+7+3 = 78; 1*3+2*7+3*3+4*3+5*7+6*3+7*3+8*7+9*3 = 195; 273 -> 10 - 3 = 7
    assert check_digit("50211", "123456789") == 7
    assert is_valid("50211", "1234567897")


@pytest.mark.parametrize("number", ["", "123456789", "12345678901", "000001457X", "abcdefghij"])
def test_anything_but_ten_digits_is_not_a_nuban(number: str) -> None:
    assert not is_valid("011", number)


def test_spaces_and_dashes_that_customers_type_are_ignored() -> None:
    assert is_valid("011", "000 001 4579")
    assert is_valid("011", "000-001-4579")


def test_an_unknown_code_shape_is_not_valid_rather_than_an_error() -> None:
    assert not is_valid("12", "0000014579")


def test_suggested_banks_are_exactly_those_the_number_passes_for() -> None:
    number = "0000014579"
    suggested = candidate_banks(number)
    assert bank_by_code("011") in suggested
    assert all(is_valid(b.code, number) for b in suggested)
    assert all(not is_valid(b.code, number) for b in BANKS if b not in suggested)
    assert len(suggested) < len(BANKS)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("gtb", "058"),
        ("GTBank", "058"),
        ("zenith", "057"),
        ("Zenith Bank Plc", "057"),
        ("first bank", "011"),
        ("opay", "999992"),
        ("moniepoint", "50515"),
        ("kuda", "50211"),
        ("access", "044"),
        ("UBA", "033"),
        ("058", "058"),
    ],
)
def test_the_names_customers_type_find_their_bank(typed: str, code: str) -> None:
    bank = find_bank(typed)
    assert bank is not None and bank.code == code


def test_an_unknown_bank_name_finds_nothing() -> None:
    assert find_bank("bank of narnia") is None
    assert find_bank("  ") is None


def test_bank_codes_are_unique_and_each_widens_to_six_digits() -> None:
    codes = [b.code for b in BANKS]
    assert len(codes) == len(set(codes))
    assert all(len(institution_code(c)) == 6 for c in codes)


def test_a_masked_number_keeps_only_the_last_four_digits() -> None:
    assert mask("0123456789") == "******6789"
