"""Money as integer minor units of one ISO 4217 currency.

A kobo lost in rounding is a kobo someone is owed, so amounts are never floats: they are integers
of the currency's minor unit, and Decimal appears only for rates and intermediate arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor-unit exponents of the currencies we lend in or accept. Kept here (and not taken
# from babel) because this package is pure: babel's table is checked against this one in tests.
MINOR_UNIT_EXPONENTS: dict[str, int] = {
    "NGN": 2,
    "KES": 2,
    "GHS": 2,
    "ZAR": 2,
    "UGX": 0,
    "TZS": 2,
    "RWF": 0,
    "XOF": 0,
    "EGP": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
}


class CurrencyMismatch(TypeError):
    """Arithmetic across currencies has no meaning without an exchange rate."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} with {right}")


class UnknownCurrency(ValueError):
    """A currency we do not know the minor unit of cannot be stored without guessing."""


def exponent_of(currency: str) -> int:
    try:
        return MINOR_UNIT_EXPONENTS[currency]
    except KeyError:
        raise UnknownCurrency(currency) from None


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int of minor units, never a float")
        exponent_of(self.currency)

    @classmethod
    def of(cls, major: str | int | Decimal, currency: str) -> Money:
        """Build from a major-unit amount written as text ("3600000.00"); rounds half-up."""
        quantum = Decimal(1).scaleb(-exponent_of(currency))
        value = Decimal(str(major)).quantize(quantum, rounding=ROUND_HALF_UP)
        return cls(int(value.scaleb(exponent_of(currency))), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @property
    def major(self) -> Decimal:
        """The amount in major units, exact."""
        return Decimal(self.minor).scaleb(-exponent_of(self.currency))

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.minor <= other.minor

    def times(self, factor: Decimal) -> Money:
        """Multiply by a rate, rounding half-up to the minor unit."""
        return Money(int((Decimal(self.minor) * factor).quantize(Decimal(1), ROUND_HALF_UP)), self.currency)

    def round_down_to(self, step: Money) -> Money:
        """The largest multiple of `step` not above this amount (limits are quoted in round sums)."""
        self._check(step)
        return Money(self.minor - self.minor % step.minor, self.currency)

    def split(self, parts: int) -> list[Money]:
        """Equal parts; the remainder goes to the first parts, so the sum is exact."""
        if parts < 1:
            raise ValueError("parts must be at least 1")
        base, remainder = divmod(self.minor, parts)
        return [Money(base + (1 if i < remainder else 0), self.currency) for i in range(parts)]
