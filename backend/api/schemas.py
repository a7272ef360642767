"""Request and response bodies shared by several routers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, StrictInt

from backend.lending.money import MINOR_UNIT_EXPONENTS, Money
from backend.services.formatting import format_money


def _int_or_digits(value: object) -> object:
    """Minor units arrive as an integer or a string of digits, never a float."""
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


MinorUnits = Annotated[StrictInt, BeforeValidator(_int_or_digits)]


class MoneyIn(BaseModel):
    amount_minor: MinorUnits = Field(gt=0, description="Integer minor units (kobo, cents).")
    currency: str = Field(pattern="^[A-Z]{3}$", description="ISO 4217 code.")

    def to_money(self) -> Money:
        from backend.api.errors import Problem

        if self.currency not in MINOR_UNIT_EXPONENTS:
            raise Problem(422, "unsupported-currency", f"{self.currency} is not a currency we handle.")
        return Money(self.amount_minor, self.currency)


class MoneyOut(BaseModel):
    amount_minor: int
    currency: str
    formatted: str = Field(description="For display in the customer's locale.")

    @classmethod
    def of(cls, money: Money, locale: str | None) -> MoneyOut:
        return cls(amount_minor=money.minor, currency=money.currency, formatted=format_money(money, locale))
