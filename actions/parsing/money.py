"""Read an amount of money the way people type it in chat, into integer minor units.

Customers answer "what is your monthly revenue?" with "250k", "₦1.2m", "N1,200,000", "2 million
naira" or "fifty thousand". A wrong guess is worse than a re-ask: reading "€2.000" as two euros
when the customer meant two thousand changes an eligibility decision by a factor of 1000. So the
parser accepts one amount with optional currency and a few filler words ("about", "per month"),
and returns ``None`` for anything ambiguous; the form then re-asks with an example.

Decisions on ambiguous forms:
- "€2.000" / "1.500" (one dot followed by exactly three digits, no scale word): rejected, it may
  be a decimal point or a European thousands separator.
- "1,5m" (decimal comma): rejected, the comma is read as a thousands separator only in groups of 3.
- "1.2bn": accepted as 1.2 billion; limits are the backend's business, not the parser's.
- "five apples": rejected, every word left after the amount and currency must be a known filler.
- "-5000" and "0": rejected, revenue is positive.
- More decimals than the currency has ("₦10.505"): rejected, we never round money.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision, get_currency_symbol
from text_to_num import alpha2digit

# Currencies we expect customers to mention. Restricting ISO codes to a known list keeps
# ordinary words from being read as codes ("all" is the Albanian lek, "bob" the boliviano).
SUPPORTED_CURRENCIES: tuple[str, ...] = (
    "NGN", "KES", "GHS", "ZAR", "UGX", "TZS", "RWF", "XOF", "XAF", "EGP", "USD", "EUR", "GBP",
)  # fmt: skip

# Locales whose CLDR symbols our customers type (₦, Ksh, GH₵, R, US$, $, €, £).
_SYMBOL_LOCALES: tuple[str, ...] = ("en", "en_NG", "en_KE", "en_GH", "en_ZA", "en_UG", "en_TZ", "en_GB")

# Chat spellings CLDR does not know: names, plurals, slang and the bare letter customers use
# when a keyboard has no ₦ (N) or for the rand (R). "shillings" means the customer's own
# shilling when their default is UGX or TZS (see _resolve_shillings).
_CHAT_SPELLINGS: dict[str, str] = {
    "n": "NGN", "naira": "NGN", "nairas": "NGN",
    "ksh": "KES", "kshs": "KES", "ksh.": "KES", "kes.": "KES", "bob": "KES",
    "shilling": "KES", "shillings": "KES", "shs": "KES",
    "ghc": "GHS", "gh¢": "GHS", "₵": "GHS", "¢": "GHS", "cedi": "GHS", "cedis": "GHS",
    "r": "ZAR", "rand": "ZAR", "rands": "ZAR",
    "$": "USD", "us$": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
    "€": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "pound": "GBP", "pounds": "GBP",
    "cfa": "XOF",
}  # fmt: skip

_SHILLING_WORDS = frozenset({"shilling", "shillings", "shs"})

# Words that may surround an amount without changing it ("about 300k per month").
_FILLERS = frozenset({
    "about", "around", "roughly", "approximately", "approx", "approx.", "circa", "~", "nearly",
    "almost", "close", "to", "like", "maybe", "probably", "usually", "normally", "on", "average",
    "avg", "i", "we", "make", "earn", "do", "get", "my", "our", "the", "revenue", "sales",
    "turnover", "income", "is", "it's", "its", "it", "was", "of", "per", "a", "an", "each",
    "every", "month", "months", "monthly", "mth", "mo", "pm", "p.m.", "in", "total", "just",
    "+", "plus",
})  # fmt: skip

_SCALES: dict[str, Decimal] = {
    "k": Decimal(1_000), "thousand": Decimal(1_000),
    "m": Decimal(1_000_000), "mn": Decimal(1_000_000), "mil": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "b": Decimal(1_000_000_000), "bn": Decimal(1_000_000_000), "billion": Decimal(1_000_000_000),
}  # fmt: skip

# Anything above this is a typo, not revenue, and would not fit a BIGINT of minor units anyway.
_MAX_MAJOR_UNITS = Decimal(10) ** 13

_NUMBER = (
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,200,000 or 250,000.50
    r"|\d{1,3}(?: \d{3})+"  # 1 000 000 (space thousands, South Africa)
    r"|\d{1,3}(?:\.\d{3}){2,}"  # 1.200.000 (two or more dot groups: unambiguous)
    r"|\d+(?:\.\d+)?"  # 500000, 1.2
)
_SCALE_WORDS = "|".join(sorted(_SCALES, key=len, reverse=True))
_AMOUNT_RE = re.compile(
    rf"(?<![\w.,])(?P<neg>-\s?)?(?P<num>{_NUMBER})\s?(?P<scale>{_SCALE_WORDS})?"
    r"(?=$|[\s!?)/;:]|[.,](?!\d))"
)
_SUFFIX_OF_SCALE_WORD = {"thousand": "k", "million": "m", "billion": "bn"}
_SPELLED_SCALE_RE = re.compile(r"(?:(?<=\d)|(?<=\d )|\ba )(thousand|million|billion)\b")


@dataclass(frozen=True, slots=True)
class ParsedMoney:
    """An amount typed by a customer, in integer minor units of an ISO 4217 currency."""

    amount_minor: int
    currency: str


def _build_aliases() -> dict[str, str]:
    """Map every spelling we accept (lower case) to its ISO code: codes, CLDR symbols, chat words."""
    aliases: dict[str, str] = {}
    for code in SUPPORTED_CURRENCIES:
        aliases[code.lower()] = code
        for locale in _SYMBOL_LOCALES:
            symbol = get_currency_symbol(code, locale=locale).lower()
            # "$" is USD for us even though en_* locales also use it for other dollars.
            if symbol != code.lower() and symbol not in aliases:
                aliases[symbol] = code
    aliases.update(_CHAT_SPELLINGS)
    return aliases


_ALIASES: dict[str, str] = _build_aliases()
# Longest first, so "gh₵" wins over "₵" and "ngn" over "n".
_ALIAS_ALTERNATION = "|".join(re.escape(a) for a in sorted(_ALIASES, key=len, reverse=True))
# A currency glued to the number ("n1,200,000", "ngn2m", "gh₵500"): split it off.
_GLUED_PREFIX_RE = re.compile(rf"(?<![a-z])({_ALIAS_ALTERNATION})(?=-?\d)")
_SYMBOLS_RE = re.compile(r"([₦$€£₵¢])")


def _normalise(text: str) -> str:
    """Lower-case, unify spaces and turn number words into digits ("fifty thousand" -> "50000")."""
    text = text.replace("\u00a0", " ").replace("\u202f", " ").strip().lower()
    text = re.sub(r"\s+", " ", text)
    # "2 million" / "a million": to suffix form before alpha2digit, which would otherwise leave
    # "2 1000000" behind.
    text = _SPELLED_SCALE_RE.sub(
        lambda m: ("1" if m[0].startswith("a ") else "") + _SUFFIX_OF_SCALE_WORD[m[1]], text
    )
    text = re.sub(r"(\d) (k|m|bn)\b", r"\1\2", text)
    text = alpha2digit(text, "en")
    text = _GLUED_PREFIX_RE.sub(r"\1 ", text)
    return _SYMBOLS_RE.sub(r" \1 ", text).replace("gh ₵", "gh₵").replace("gh ¢", "gh¢").strip()


def _to_decimal(number: str, scale: str | None) -> Decimal | None:
    """The numeric value of one matched amount, or None when its separators are ambiguous."""
    if scale is None and re.fullmatch(r"\d+\.\d{3}", number):
        return None  # "2.000": two, or two thousand? Ask again rather than guess.
    if number.count(".") > 1:
        number = number.replace(".", "")
    try:
        value = Decimal(number.replace(",", "").replace(" ", ""))
    except InvalidOperation:
        return None
    return value * _SCALES[scale] if scale else value


def _resolve_shillings(code: str, word: str, default_currency: str) -> str:
    """Shillings are Kenyan, Ugandan or Tanzanian: trust the customer's own currency first."""
    if word in _SHILLING_WORDS and default_currency in {"UGX", "TZS"}:
        return default_currency
    return code


def parse_money(text: str, default_currency: str) -> ParsedMoney | None:
    """Parse one positive amount with an optional currency; None when unreadable or ambiguous.

    ``default_currency`` (the customer's currency from message metadata) applies when the text
    names none.
    """
    if not text or not text.strip():
        return None
    normalised = _normalise(text)
    matches = list(_AMOUNT_RE.finditer(normalised))
    if len(matches) != 1:
        return None  # no number, or several ("between 200k and 300k")
    match = matches[0]
    if match["neg"]:
        return None
    value = _to_decimal(match["num"], match["scale"])
    if value is None or value <= 0 or value > _MAX_MAJOR_UNITS:
        return None

    rest = normalised[: match.start()] + " " + normalised[match.end() :]
    currencies: set[str] = set()
    for raw in re.split(r"[\s/]+", rest):
        token = raw.strip(",!?;:()'\"")
        if not token or token in {".", "-"}:
            continue
        if token in _ALIASES:
            currencies.add(_resolve_shillings(_ALIASES[token], token, default_currency))
        elif token.rstrip(".") in _ALIASES:
            code = _ALIASES[token.rstrip(".")]
            currencies.add(_resolve_shillings(code, token.rstrip("."), default_currency))
        elif token not in _FILLERS and token.rstrip(".") not in _FILLERS:
            return None  # "five apples", "abc123xyz": not only an amount
    if len(currencies) > 1:
        return None  # "$500 naira": which one?
    currency = currencies.pop() if currencies else default_currency.upper()

    exponent = get_currency_precision(currency)
    minor = value * (Decimal(10) ** exponent)
    if minor != minor.to_integral_value():
        return None  # more decimals than the currency has: never round money
    return ParsedMoney(amount_minor=int(minor), currency=currency)
