"""Amounts shown to customers, in their locale (₦3,600,000.00 in en_NG, KSh 20,000.00 in en_KE)."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

from backend.lending.money import Money

FALLBACK_LOCALE = "en"


def safe_locale(locale: str | None) -> str:
    """A locale babel knows; a bad value from a client falls back rather than failing the turn."""
    if locale:
        try:
            Locale.parse(locale.replace("-", "_"))
            return locale.replace("-", "_")
        except (ValueError, UnknownLocaleError):
            pass
    return FALLBACK_LOCALE


def format_money(money: Money, locale: str | None) -> str:
    return format_currency(money.major, money.currency, locale=safe_locale(locale))
