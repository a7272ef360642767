"""Turn what customers type into the values the backend expects, or None when we cannot tell.

Chat answers are messy ("12th march 90", "6 mnths", "my bvn na 222 1234 5678"); these parsers are
forgiving about the shape and strict about the value: an ambiguous answer is re-asked rather than
guessed, since a wrong date of birth or account number costs the customer more than a second
question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import dateparser

_DIGIT_RUN = re.compile(r"\d[\d\s-]*\d|\d")


def digit_runs(text: str) -> list[str]:
    """Digit runs with the spaces and dashes people type inside numbers removed."""
    return [re.sub(r"[\s-]", "", run) for run in _DIGIT_RUN.findall(text or "")]


def digits_of_length(text: str, length: int) -> str | None:
    """The one run of exactly `length` digits in the text ("code is 482 913" -> "482913")."""
    runs = [run for run in digit_runs(text) if len(run) == length]
    return runs[0] if len(runs) == 1 else None


@dataclass(frozen=True, slots=True)
class IdentityNumber:
    id_type: str  # "bvn" | "nin"
    number: str


def identity_number(text: str) -> IdentityNumber | None:
    """An 11-digit BVN, or a NIN when the customer says so ("NIN 12345678901")."""
    number = digits_of_length(text, 11)
    if number is None:
        return None
    kind = "nin" if re.search(r"\bnin\b", text.lower()) else "bvn"
    return IdentityNumber(kind, number)


# "my dob is ...", "born on ...", "it's due ...": words before the date itself
_DATE_PREFIX = re.compile(
    r"^(?:(?:my|the|it'?s|it is|i was|na|is|on|due|date of birth|dob|d\.o\.b|birthday|born)\b[\s:,-]*)+",
    re.IGNORECASE,
)
_DATE_SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DAY_OF_MONTH": "first",
    "REQUIRE_PARTS": ["day", "month", "year"],
}


def parse_date(text: str, *, past: bool | None = None) -> date | None:
    """A full date (day, month and year), day-first as Nigerians write it: 03/04/1990 is 3 April.

    `past=True` prefers a past date for two-digit years (a birth date); `past=False` a future one.
    """
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", (text or "").strip(), flags=re.IGNORECASE)
    cleaned = _DATE_PREFIX.sub("", cleaned).strip()
    if not cleaned:
        return None
    settings: dict = dict(_DATE_SETTINGS)
    if past is True:
        settings["PREFER_DATES_FROM"] = "past"
    elif past is False:
        settings["PREFER_DATES_FROM"] = "future"
    parsed = dateparser.parse(cleaned, languages=["en"], settings=settings)
    return parsed.date() if parsed else None


_UNIT_WORDS = {
    "day": "days", "days": "days", "dy": "days", "dys": "days",
    "week": "weeks", "weeks": "weeks", "wk": "weeks", "wks": "weeks",
    "month": "months", "months": "months", "mnth": "months", "mnths": "months", "mth": "months",
    "mths": "months", "mo": "months", "mos": "months", "monts": "months", "moths": "months",
    "year": "years", "years": "years", "yr": "years", "yrs": "years",
}  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty": 20,
    "twenty four": 24, "thirty": 30, "sixty": 60, "ninety": 90, "a": 1, "an": 1, "half a": 0,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Duration:
    count: int
    unit: str | None  # days | weeks | months | years, or None for a bare number


def parse_duration(text: str) -> Duration | None:
    """'6 months', '12wks', 'two years', '90' (a bare number: the product's own unit)."""
    lowered = (text or "").lower().strip()
    for word, value in sorted(_NUMBER_WORDS.items(), key=lambda kv: -len(kv[0])):
        lowered = re.sub(rf"\b{word}\b", str(value), lowered)
    match = re.search(r"(\d{1,4})\s*([a-z]+)?", lowered)
    if not match:
        return None
    count = int(match.group(1))
    unit = _UNIT_WORDS.get(match.group(2) or "")
    if count <= 0:
        return None
    return Duration(count, unit)


def in_unit(duration: Duration, unit: str) -> int | None:
    """Convert to the product's term unit where the conversion is exact (1 year = 12 months)."""
    if duration.unit is None or duration.unit == unit:
        return duration.count
    exact = {
        ("years", "months"): 12,
        ("weeks", "days"): 7,
        ("years", "weeks"): 52,
        ("months", "days"): 30,
    }
    factor = exact.get((duration.unit, unit))
    return duration.count * factor if factor else None


def months_of(duration: Duration) -> int | None:
    if duration.unit in (None, "months"):
        return duration.count
    if duration.unit == "years":
        return duration.count * 12
    if duration.unit == "weeks":
        return duration.count // 4
    if duration.unit == "days":
        return duration.count // 30
    return None


YES_WORDS = frozenset(
    {"yes", "y", "yeah", "yea", "yep", "ok", "okay", "sure", "agree", "i agree", "confirm", "correct",
     "go ahead", "proceed", "ehen", "na so", "oya", "accept", "continue"}
)  # fmt: skip
NO_WORDS = frozenset(
    {"no", "n", "nope", "nah", "not now", "disagree", "i don't agree", "no o", "cancel", "skip", "none",
     "i no agree"}
)  # fmt: skip


def yes_no(text: str, intent: str | None) -> bool | None:
    """True for a yes, False for a no, None when the answer is neither."""
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    cleaned = re.sub(r"[^a-z' ]", "", (text or "").lower()).strip()
    if cleaned in YES_WORDS:
        return True
    if cleaned in NO_WORDS:
        return False
    return None
