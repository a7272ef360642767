"""Personal data out of anything sent to a hosted model.

A hosted model is a third party: BVN/NIN, account and card numbers, phone numbers and e-mail
addresses never need to reach it for an answer or a summary (NDPA 2023 data minimisation; CBN's
rules on BVN disclosure), so every text passed to a model goes through `redact` first. Numbers are
classified by length and shape as written in Nigeria: a NUBAN account number has 10 digits, a BVN
or NIN 11 (a mobile number also has 11, but starts with 0), an international phone number starts
with 234, a card number has 13 to 19 digits. Digits may be grouped with spaces or dashes.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DIGITS = re.compile(r"(?<![\w])\+?\d(?:[ -]?\d){7,18}(?![\w])")
NIN_NEARBY = re.compile(r"\bnin\b", re.IGNORECASE)
# Labels are what a model sees instead; they keep enough meaning for a summary ("gave their [BVN]").
BVN, NIN, ACCOUNT, PHONE, CARD, NUMBER, EMAIL_LABEL = (
    "[BVN]",
    "[NIN]",
    "[ACCOUNT]",
    "[PHONE]",
    "[CARD]",
    "[NUMBER]",
    "[EMAIL]",
)


def _label(match: re.Match[str], text: str) -> str:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+") or (digits.startswith("234") and len(digits) in (12, 13)):
        return PHONE
    if len(digits) == 10:
        return ACCOUNT
    if len(digits) == 11:
        if digits.startswith("0"):
            return PHONE
        before = text[max(0, match.start() - 40) : match.start()]
        return NIN if NIN_NEARBY.search(before) else BVN
    if 13 <= len(digits) <= 19:
        return CARD
    return NUMBER if len(digits) >= 9 else raw


def redact(text: str) -> str:
    """`text` with identity, account, card and phone numbers and e-mail addresses replaced by labels.
    Amounts ("₦50,000", "20000") and dates are kept: they are what a summary is about."""
    text = EMAIL.sub(EMAIL_LABEL, text)
    return DIGITS.sub(lambda m: _label(m, text), text)
