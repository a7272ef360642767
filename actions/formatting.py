"""How amounts, dates and tables look in chat, in the customer's locale.

The backend sends money as integer minor units plus an ISO currency; babel turns that into
"₦250,000.00" (or "NGN 250,000.00" where the locale has no symbol). Never a float: the minor units
become a Decimal scaled by the currency's exponent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, get_currency_precision

DEFAULT_LOCALE = "en_NG"


def _locale(locale: str | None) -> str:
    try:
        return str(Locale.parse(locale or DEFAULT_LOCALE))
    except (UnknownLocaleError, ValueError, TypeError):
        return DEFAULT_LOCALE


def major(amount_minor: int, currency: str) -> Decimal:
    """Minor units as an exact Decimal of major units (kobo -> naira)."""
    return Decimal(int(amount_minor)).scaleb(-get_currency_precision(currency))


def money(amount_minor: int, currency: str, locale: str | None = None) -> str:
    return format_currency(major(amount_minor, currency), currency, locale=_locale(locale))


def money_text(amount: str, currency: str, locale: str | None = None) -> str:
    """A decimal string from the API ("25000.00") formatted like `money`."""
    return format_currency(Decimal(amount), currency, locale=_locale(locale))


def day(value: date | str, locale: str | None = None) -> str:
    """'15 Dec 2026': short, unambiguous across day-first and month-first readers."""
    when = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return format_date(when, "d MMM y", locale=_locale(locale))


def percent(value: str | Decimal) -> str:
    """'47.3' -> '47.3%' (APRs arrive already in percent)."""
    return f"{Decimal(str(value)).normalize():f}%"


FREQUENCY_WORDS = {
    "weekly": "weekly",
    "fortnightly": "every 2 weeks",
    "semi_monthly": "twice a month",
    "monthly": "monthly",
    "quarterly": "every 3 months",
}


def frequency_text(frequency: str | None) -> str:
    return FREQUENCY_WORDS.get(frequency or "", frequency or "")


def schedule_lines(
    rows: list[dict], currency: str, locale: str | None, *, limit: int = 12, amount_key: str = "payment_minor"
) -> str:
    """One line per instalment; a long schedule shows its first rows and says how many follow.

    Chat is read on a phone: a 24-row table is a wall, so the first `limit` rows and the total
    are what people check, with the rest one message away ("show me the schedule" again).
    """
    lines = [
        f"{row['number']}. {day(row['due_date'], locale)}: {money(int(row[amount_key]), currency, locale)}"
        for row in rows[:limit]
    ]
    if len(rows) > limit:
        lines.append(f"… and {len(rows) - limit} more payments.")
    return "\n".join(lines)
