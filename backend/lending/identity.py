"""Who the borrower is: Nigerian identity numbers, names, dates of birth, and how a number is shown.

Pure rules, no I/O. The formats are the regulators' (CBN for the BVN, NIMC for the NIN), checked
here so a typo is caught while the customer is still typing in chat, not days later by a provider.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

MINIMUM_AGE = 18  # a credit agreement with a minor is voidable under Nigerian law: we never lend to one


class IdType(StrEnum):
    BVN = "bvn"  # Bank Verification Number, issued by banks under the CBN
    NIN = "nin"  # National Identification Number, issued by NIMC


class InvalidIdentity(ValueError):
    """A value the customer typed breaks a rule; `field` names it and the message says how to fix it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


_NON_DIGITS = re.compile(r"[\s\-.]")


def normalise_id_number(id_type: IdType, raw: str) -> str:
    """11 digits for both; a BVN also starts with 22 (every BVN the NIBSS has issued does), so a
    NIN typed as a BVN is caught here. Spaces, dots and dashes people type to group digits go."""
    digits = _NON_DIGITS.sub("", raw)
    if not digits.isdigit() or len(digits) != 11 or not digits.isascii():
        raise InvalidIdentity("id_number", f"A {id_type.value.upper()} is 11 digits.")
    if id_type is IdType.BVN and not digits.startswith("22"):
        raise InvalidIdentity(
            "id_number", "A BVN starts with 22; check the number, or send your NIN instead."
        )
    return digits


def mask(id_number: str) -> str:
    """Only the last four digits are ever shown: enough for the customer to recognise the number,
    not enough for anyone reading over their shoulder (or a transcript) to reuse it."""
    return "*" * max(len(id_number) - 4, 0) + id_number[-4:]


_NAME_SEPARATORS = re.compile(r"\s+")
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:['\-][^\W\d_]+)*$")
_PARTICLES = frozenset({"de", "da", "van", "von", "del", "la", "le"})


def _cap(word: str) -> str:
    """Each part of "o'neil" or "adeyemi-bello" starts with a capital. A part typed all in one case
    (phones often send "ADA" or "ada") is capitalised; a part in mixed case ("McDonald") was
    typed that way on purpose and is kept."""
    if word.lower() in _PARTICLES:
        return word.lower()
    parts = re.split(r"(['\-])", word)
    return "".join(p if p in "'-" or not (p.isupper() or p.islower()) else p.capitalize() for p in parts)


def normalise_name(raw: str) -> str:
    """Trimmed, single-spaced, each name capitalised ("  ADA   obi " -> "Ada Obi"): the name is
    compared with the identity register, which ignores case, and printed on the agreement."""
    words = [w for w in _NAME_SEPARATORS.split(raw.strip()) if w]
    if len(words) < 2:
        raise InvalidIdentity("full_name", "Send your first name and surname, as on your ID.")
    if any(not _NAME_CHARS.match(w) for w in words):
        raise InvalidIdentity("full_name", "A name has letters, hyphens and apostrophes only.")
    if sum(len(w) for w in words) > 150:
        raise InvalidIdentity("full_name", "That name is too long.")
    return " ".join(_cap(w) for w in words)


def age_on(born: date, today: date) -> int:
    """Whole years; someone born on 29 February turns a year older on 1 March in common years."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def parse_date_of_birth(raw: str, today: date) -> date:
    """ISO YYYY-MM-DD only: "03/04/1990" is the 3rd of April here and the 4th of March elsewhere,
    so the bot turns what the customer typed into ISO and confirms it with them."""
    try:
        born = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidIdentity("date_of_birth", "Use the form YYYY-MM-DD, e.g. 1990-04-03.") from None
    if born > today:
        raise InvalidIdentity("date_of_birth", "A date of birth cannot be in the future.")
    if age_on(born, today) < MINIMUM_AGE:
        raise InvalidIdentity("date_of_birth", f"You must be at least {MINIMUM_AGE} years old to borrow.")
    if age_on(born, today) > 120:
        raise InvalidIdentity("date_of_birth", "Check the year of your date of birth.")
    return born
