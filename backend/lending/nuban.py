"""NUBAN: the Nigeria Uniform Bank Account Number and its check digit.

A NUBAN is ten digits: a nine-digit serial and a check digit computed over the institution's code
and the serial. The CBN's 2010 scheme ("Proposals on the implementation of NUBAN scheme", v0.4)
weighs the 3-digit bank code and the serial with 3,7,3,3,7,3,3,7,3,3,7,3 and takes
10 - (sum mod 10), with 10 read as 0. The 2020 revision widened the code to six digits so that
microfinance banks, mobile-money operators and other institutions get NUBANs too: a deposit money
bank's 3-digit code is prefixed with 000, another institution's 5-digit code with 9; the weights
keep repeating 3,7,3 over all fifteen digits. The leading zeros weigh nothing, so a bank's
account checked the old way and the new way gives the same digit.

Why we check it: most failed transfers in Nigeria are wrong beneficiary numbers. The check digit
catches every single-digit typo and most swaps before a name enquiry or, worse, a payout.
"""

from __future__ import annotations

from backend.lending.banks import BANKS, Bank

NUBAN_LENGTH = 10
_WEIGHTS = (3, 7, 3) * 5


def institution_code(bank_code: str) -> str:
    """The six-digit code the check digit is computed over (2020 revision): 000 + a bank's 3-digit
    code, 9 + another institution's 5-digit code, or a 6-digit code as it stands."""
    if not bank_code.isdigit():
        raise ValueError(f"a bank code is digits, not {bank_code!r}")
    if len(bank_code) == 3:
        return "000" + bank_code
    if len(bank_code) == 5:
        return "9" + bank_code
    if len(bank_code) == 6:
        return bank_code
    raise ValueError(f"a bank code has 3, 5 or 6 digits, not {len(bank_code)}")


def check_digit(bank_code: str, serial: str) -> int:
    """The check digit of a nine-digit serial at the bank with `bank_code`."""
    if len(serial) != NUBAN_LENGTH - 1 or not serial.isdigit():
        raise ValueError("a NUBAN serial is nine digits")
    digits = institution_code(bank_code) + serial
    total = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True))
    return (10 - total % 10) % 10


def normalise(account_number: str) -> str:
    """What customers type ("0123 456 789", "012-345-6789") reduced to its digits."""
    return "".join(ch for ch in account_number if not ch.isspace() and ch != "-")


def is_valid(bank_code: str, account_number: str) -> bool:
    """True when `account_number` is a well-formed NUBAN of the bank with `bank_code`."""
    number = normalise(account_number)
    if len(number) != NUBAN_LENGTH or not number.isdigit():
        return False
    try:
        return check_digit(bank_code, number[:-1]) == int(number[-1])
    except ValueError:
        return False


def candidate_banks(account_number: str, banks: tuple[Bank, ...] = BANKS) -> list[Bank]:
    """The banks for which this number is a valid NUBAN: what fintech apps offer as "is this your
    bank?" before the customer picks one. About one bank in ten passes by chance, so this narrows
    the list; it never proves the bank."""
    return [b for b in banks if is_valid(b.code, account_number)]


def mask(account_number: str) -> str:
    """Shown in chat and receipts: enough to recognise the account, not enough to reuse it."""
    number = normalise(account_number)
    return "******" + number[-4:] if len(number) >= 4 else "*" * len(number)
