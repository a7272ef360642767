"""A tenant's lender as stored configuration -> the `offers.Lender` value.

Stored shape (the `lenders.pricing` JSON)::

    {"currency": "NGN", "max_amount": "5000000.00", "min_amount": "50000.00",
     "terms": [3, 6, 12], "frequencies": ["weekly", "monthly"],
     "grades": {"A": {"annual_rate": "0.28", "origination_fee_percent": "1.0"}, ...}}

Rates are strings and floats are refused, for the same reason as in products: a price that is
not exactly what the lender typed is a disclosure that is not exactly true.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.lending.dates import Frequency
from backend.lending.money import Money, UnknownCurrency
from backend.lending.offers import GradePricing, Lender


class InvalidLender(ValueError):
    """A lender configuration that cannot price an offer; the message names the field."""


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, float | bool):
        raise InvalidLender(f"{where}: write the number as a string, not a float")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InvalidLender(f"{where}: {value!r} is not a number") from None


def lender_from_config(code: str, name: str, data: Mapping[str, Any]) -> Lender:
    try:
        currency = str(data["currency"])
        max_amount = Money.of(_decimal(data["max_amount"], "max_amount"), currency)
        min_raw = data.get("min_amount")
        min_amount = None if min_raw is None else Money.of(_decimal(min_raw, "min_amount"), currency)
        terms = frozenset(int(t) for t in data["terms"])
        frequencies = frozenset(Frequency(f) for f in data["frequencies"])
        grades = {
            str(grade): GradePricing(
                _decimal(price["annual_rate"], f"grades.{grade}.annual_rate"),
                _decimal(price["origination_fee_percent"], f"grades.{grade}.origination_fee_percent"),
            )
            for grade, price in dict(data["grades"]).items()
        }
    except KeyError as exc:
        raise InvalidLender(f"{exc.args[0]}: required") from None
    except UnknownCurrency as exc:
        raise InvalidLender(f"currency: {exc}") from None
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InvalidLender):
            raise
        raise InvalidLender(str(exc)) from None
    if not terms or not frequencies or not grades:
        raise InvalidLender("terms, frequencies and grades must not be empty")
    return Lender(code, name, grades, terms, frequencies, max_amount, min_amount)


DEMO_LENDERS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "harbour-capital",
        "Harbour Capital",
        {
            "currency": "NGN",
            "max_amount": "10000000.00",
            "terms": [3, 6, 9, 12],
            "frequencies": ["weekly", "fortnightly", "monthly"],
            "grades": {
                "A": {"annual_rate": "0.28", "origination_fee_percent": "1.0"},
                "B": {"annual_rate": "0.32", "origination_fee_percent": "1.5"},
                "C": {"annual_rate": "0.38", "origination_fee_percent": "2.0"},
            },
        },
    ),
    (
        "kora-finance",
        "Kora Finance",
        {
            "currency": "NGN",
            "max_amount": "5000000.00",
            "terms": [3, 6, 12, 18, 24],
            "frequencies": ["monthly"],
            "grades": {
                "A": {"annual_rate": "0.26", "origination_fee_percent": "2.5"},
                "B": {"annual_rate": "0.30", "origination_fee_percent": "2.5"},
                "C": {"annual_rate": "0.34", "origination_fee_percent": "3.0"},
                "D": {"annual_rate": "0.45", "origination_fee_percent": "3.0"},
            },
        },
    ),
    (
        "sahel-microcredit",
        "Sahel Microcredit",
        {
            "currency": "NGN",
            "max_amount": "3000000.00",
            "min_amount": "50000.00",
            "terms": [3, 6],
            "frequencies": ["weekly", "monthly"],
            "grades": {
                "B": {"annual_rate": "0.36", "origination_fee_percent": "0"},
                "C": {"annual_rate": "0.40", "origination_fee_percent": "0.5"},
                "D": {"annual_rate": "0.48", "origination_fee_percent": "1.0"},
            },
        },
    ),
)
"""Demo funding partners (sandbox pricing, not real lenders)."""
