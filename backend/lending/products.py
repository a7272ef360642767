"""Credit products as per-tenant data.

A tenant's products are configuration, not code: a lender changes a fee, a term or a grace period
from the admin portal, and the change must be validated before a single offer is made with it. So a
product is a frozen value built by `Product.from_dict`, which refuses anything incoherent with an
`InvalidProduct` that names the field, rather than letting a bad number reach a borrower's schedule.

Amounts in the data are major-unit strings ("500000.00") or integers and rates are strings
("0.015"); floats are refused, because a rate that is not exactly what the lender typed is a
disclosure that is not exactly true.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from backend.lending.money import Money, UnknownCurrency

E = TypeVar("E", bound=StrEnum)


class InvalidProduct(ValueError):
    """A product definition that cannot be offered as written; the message names the field."""

    def __init__(self, code: str, field: str, problem: str) -> None:
        super().__init__(f"product {code!r}: {field}: {problem}")
        self.code = code
        self.field = field
        self.problem = problem


class ProductKind(StrEnum):
    LINE_OF_CREDIT = "line_of_credit"
    INVOICE_FINANCING = "invoice_financing"
    BNPL = "bnpl"
    WORKING_CAPITAL = "working_capital"


class Frequency(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    SEMI_MONTHLY = "semi_monthly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class TermUnit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class Component(StrEnum):
    """The parts of an instalment a repayment can be allocated to."""

    FEES = "fees"
    INTEREST = "interest"
    PRINCIPAL = "principal"


class OverpaymentRule(StrEnum):
    """What happens to money paid beyond what is due now.

    `apply_to_principal` prepays principal, which lowers the interest a borrower pays (the usual
    consumer expectation, and in many markets a right); `hold_as_credit` keeps it as a customer
    credit applied to the next due instalment, which suits products whose price does not fall with
    prepayment (BNPL at 0%, invoice financing repaid in one sum).
    """

    APPLY_TO_PRINCIPAL = "apply_to_principal"
    HOLD_AS_CREDIT = "hold_as_credit"


# Fees first, then interest, then principal is the common default (Fineract's default strategy):
# it keeps the lender's income recognised before its capital, and principal last means a short
# payment leaves the interest-bearing balance where the schedule expects it.
DEFAULT_ALLOCATION_ORDER: tuple[Component, ...] = (Component.FEES, Component.INTEREST, Component.PRINCIPAL)


@dataclass(frozen=True, slots=True)
class AmountBounds:
    minimum: Money
    maximum: Money

    def allows(self, amount: Money) -> bool:
        return self.minimum <= amount <= self.maximum


@dataclass(frozen=True, slots=True)
class TermBounds:
    minimum: int
    maximum: int
    unit: TermUnit

    def allows(self, term: int) -> bool:
        return self.minimum <= term <= self.maximum


@dataclass(frozen=True, slots=True)
class OriginationFee:
    """A percentage of the principal and/or a flat amount, kept between a floor and a ceiling.

    The floor covers the fixed cost of a small loan (KYC, payout, e-sign); the ceiling keeps a
    percentage fee on a large loan proportionate to the work.
    """

    percentage: Decimal
    flat: Money
    minimum: Money | None = None
    maximum: Money | None = None

    def for_principal(self, principal: Money) -> Money:
        fee = principal.times(self.percentage) + self.flat
        if self.minimum is not None and fee < self.minimum:
            fee = self.minimum
        if self.maximum is not None and self.maximum < fee:
            fee = self.maximum
        return fee


@dataclass(frozen=True, slots=True)
class LateFeeRule:
    """A flat amount and/or a percentage of the overdue amount, capped per missed instalment."""

    flat: Money
    percentage: Decimal
    cap: Money | None = None

    def fee_for(self, overdue: Money) -> Money:
        fee = overdue.times(self.percentage) + self.flat
        if self.cap is not None and self.cap < fee:
            return self.cap
        return fee


@dataclass(frozen=True, slots=True)
class LineOfCreditTerms:
    """Revolving: the borrower draws against a limit and repaid principal becomes available again."""

    minimum_draw: Money


@dataclass(frozen=True, slots=True)
class InvoiceFinancingTerms:
    """We advance a share of an invoice and are repaid in one sum on the invoice's due date.

    Advancing less than 100% leaves a margin for a debtor who short-pays or disputes a line.
    """

    advance_rate: Decimal

    def advance_for(self, invoice_amount: Money) -> Money:
        return invoice_amount.times(self.advance_rate)


@dataclass(frozen=True, slots=True)
class BnplTerms:
    """Pay-in-N at 0%: the price is split in equal instalments, the odd cent on the first one.

    The remainder goes first so that the later instalments (the ones a borrower is reminded of)
    are round and identical, and the lender is never short a cent at the end.
    """

    instalments: int
    frequency: Frequency

    def instalment_amounts(self, price: Money) -> list[Money]:
        """`Money.split` spreads a remainder of several cents over the first parts (2501, 2501,
        2501, 2500); here all of it goes on the first, so instalments 2..N are identical."""
        later = price.split(self.instalments)[-1]
        first = price - Money(later.minor * (self.instalments - 1), price.currency)
        return [first, *[later] * (self.instalments - 1)]


@dataclass(frozen=True, slots=True)
class WorkingCapitalTerms:
    """A term loan repaid in instalments; the schedule engine amortizes it."""


KindTerms = LineOfCreditTerms | InvoiceFinancingTerms | BnplTerms | WorkingCapitalTerms


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    name: str
    kind: ProductKind
    currency: str
    amount: AmountBounds
    term: TermBounds
    frequencies: frozenset[Frequency]
    annual_interest_rate: Decimal
    origination_fee: OriginationFee
    late_fee: LateFeeRule
    grace_period_days: int
    overpayment: OverpaymentRule
    allocation_order: tuple[Component, ...]
    terms: KindTerms

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Product:
        """Build and validate a product from tenant configuration; raise `InvalidProduct`."""
        return _Parser(data).product()


@dataclass(frozen=True, slots=True)
class CreditLine:
    """The state of a revolving line: what is drawn against what limit."""

    limit: Money
    drawn: Money

    @property
    def available(self) -> Money:
        return self.limit - self.drawn

    def draw(self, amount: Money, product: Product) -> CreditLine:
        """Refuse a draw below the product's minimum or beyond what is available."""
        if not isinstance(product.terms, LineOfCreditTerms):
            raise ValueError(f"{product.code} is not a line of credit")
        if amount < product.terms.minimum_draw:
            raise ValueError(f"a draw must be at least {product.terms.minimum_draw.major}")
        if self.available < amount:
            raise ValueError(f"only {self.available.major} is available on this line")
        return CreditLine(self.limit, self.drawn + amount)

    def repay_principal(self, amount: Money) -> CreditLine:
        """Repaid principal is available to draw again; more than is drawn is not principal."""
        if self.drawn < amount or amount.minor < 0:
            raise ValueError("principal repaid must be between zero and the drawn amount")
        return CreditLine(self.limit, self.drawn - amount)


class _Parser:
    """Reads one product mapping, naming the offending field in every error."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.code = str(data.get("code", "?"))

    def fail(self, field: str, problem: str) -> InvalidProduct:
        return InvalidProduct(self.code, field, problem)

    def get(self, path: str, default: Any = ...) -> Any:
        node: Any = self.data
        for key in path.split("."):
            if not isinstance(node, Mapping) or key not in node:
                if default is not ...:
                    return default
                raise self.fail(path, "is required")
            node = node[key]
        return node

    def text(self, path: str) -> str:
        value = self.get(path)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, "must be a non-empty string")
        return value

    def enum(self, path: str, enum: type[E], value: Any = ...) -> E:
        raw = self.get(path) if value is ... else value
        try:
            return enum(raw)
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            raise self.fail(path, f"{raw!r} is not one of {allowed}") from None

    def decimal(self, path: str, default: Any = ..., *, low: str = "0", high: str = "1") -> Decimal:
        raw = self.get(path, default)
        if isinstance(raw, (float, bool)):
            raise self.fail(path, "must be written as a string such as '0.015', never a float")
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise self.fail(path, f"{raw!r} is not a number") from None
        if not value.is_finite() or not Decimal(low) <= value <= Decimal(high):
            raise self.fail(path, f"must be between {low} and {high}")
        return value

    def money(self, path: str, currency: str, default: Any = ...) -> Money:
        raw = self.get(path, default)
        if isinstance(raw, (float, bool)):
            raise self.fail(path, "must be a major-unit string such as '5000.00', never a float")
        try:
            amount = Money.of(raw, currency)
        except (InvalidOperation, ValueError, TypeError):
            raise self.fail(path, f"{raw!r} is not an amount") from None
        if amount.minor < 0:
            raise self.fail(path, "must not be negative")
        return amount

    def optional_money(self, path: str, currency: str) -> Money | None:
        return None if self.get(path, None) is None else self.money(path, currency)

    def integer(self, path: str, *, low: int, default: Any = ...) -> int:
        raw = self.get(path, default)
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < low:
            raise self.fail(path, f"must be a whole number of at least {low}")
        return raw

    def product(self) -> Product:
        code = self.text("code")
        currency = self.text("currency")
        try:
            Money.zero(currency)
        except UnknownCurrency:
            raise self.fail("currency", f"{currency!r} is not a currency we lend in") from None
        kind = self.enum("kind", ProductKind)
        amount = AmountBounds(self.money("amount.minimum", currency), self.money("amount.maximum", currency))
        if amount.minimum.minor == 0 or amount.maximum < amount.minimum:
            raise self.fail("amount", "minimum must be above zero and not above maximum")
        term = TermBounds(
            self.integer("term.minimum", low=1),
            self.integer("term.maximum", low=1),
            self.enum("term.unit", TermUnit),
        )
        if term.maximum < term.minimum:
            raise self.fail("term", "minimum must not be above maximum")
        frequencies = self.get("frequencies")
        if not isinstance(frequencies, list | tuple) or not frequencies:
            raise self.fail("frequencies", "must list at least one repayment frequency")
        rate = self.decimal("annual_interest_rate", "0", high="10")
        product = Product(
            code=code,
            name=self.text("name"),
            kind=kind,
            currency=currency,
            amount=amount,
            term=term,
            frequencies=frozenset(self.enum("frequencies", Frequency, f) for f in frequencies),
            annual_interest_rate=rate,
            origination_fee=self.origination_fee(currency),
            late_fee=self.late_fee(currency),
            grace_period_days=self.integer("grace_period_days", low=0),
            overpayment=self.enum("overpayment", OverpaymentRule),
            allocation_order=self.allocation_order(),
            terms=self.kind_terms(kind, currency),
        )
        if kind is ProductKind.BNPL and rate != 0:
            raise self.fail("annual_interest_rate", "BNPL is interest-free by definition; price it with fees")
        if isinstance(product.terms, BnplTerms) and product.terms.frequency not in product.frequencies:
            raise self.fail("bnpl.frequency", "must be one of the product's allowed frequencies")
        return product

    def origination_fee(self, currency: str) -> OriginationFee:
        fee = OriginationFee(
            percentage=self.decimal("origination_fee.percentage", "0"),
            flat=self.money("origination_fee.flat", currency, "0"),
            minimum=self.optional_money("origination_fee.minimum", currency),
            maximum=self.optional_money("origination_fee.maximum", currency),
        )
        if fee.minimum is not None and fee.maximum is not None and fee.maximum < fee.minimum:
            raise self.fail("origination_fee", "minimum must not be above maximum")
        return fee

    def late_fee(self, currency: str) -> LateFeeRule:
        return LateFeeRule(
            flat=self.money("late_fee.flat", currency, "0"),
            percentage=self.decimal("late_fee.percentage", "0"),
            cap=self.optional_money("late_fee.cap", currency),
        )

    def allocation_order(self) -> tuple[Component, ...]:
        raw = self.get("allocation_order", [c.value for c in DEFAULT_ALLOCATION_ORDER])
        if not isinstance(raw, list | tuple):
            raise self.fail("allocation_order", "must be a list such as ['fees', 'interest', 'principal']")
        order = tuple(self.enum("allocation_order", Component, c) for c in raw)
        if sorted(order) != sorted(Component):
            raise self.fail("allocation_order", "must name fees, interest and principal exactly once each")
        return order

    def kind_terms(self, kind: ProductKind, currency: str) -> KindTerms:
        match kind:
            case ProductKind.LINE_OF_CREDIT:
                return LineOfCreditTerms(self.money("line_of_credit.minimum_draw", currency))
            case ProductKind.INVOICE_FINANCING:
                rate = self.decimal("invoice_financing.advance_rate")
                if rate == 0:
                    raise self.fail("invoice_financing.advance_rate", "must be above zero")
                return InvoiceFinancingTerms(rate)
            case ProductKind.BNPL:
                return BnplTerms(
                    self.integer("bnpl.instalments", low=2),
                    self.enum("bnpl.frequency", Frequency),
                )
            case ProductKind.WORKING_CAPITAL:
                return WorkingCapitalTerms()


# The demo tenant's catalogue (NGN). Numbers are illustrative market-shaped values, not advice:
# Nigerian SME lenders commonly price working capital at 2-5% a month, charge a 1-3% arrangement
# fee and a late fee per missed instalment.
DEFAULT_PRODUCT_DATA: tuple[dict[str, Any], ...] = (
    {
        "code": "ngn-line-of-credit",
        "name": "Business line of credit",
        "kind": "line_of_credit",
        "currency": "NGN",
        "amount": {"minimum": "50000.00", "maximum": "10000000.00"},
        "term": {"minimum": 1, "maximum": 12, "unit": "months"},
        "frequencies": ["weekly", "fortnightly", "monthly"],
        "annual_interest_rate": "0.36",
        "origination_fee": {"percentage": "0.01", "minimum": "1000.00", "maximum": "50000.00"},
        "late_fee": {"flat": "1000.00", "percentage": "0.02", "cap": "20000.00"},
        "grace_period_days": 3,
        "overpayment": "apply_to_principal",
        "allocation_order": ["fees", "interest", "principal"],
        "line_of_credit": {"minimum_draw": "10000.00"},
    },
    {
        "code": "ngn-invoice-financing",
        "name": "Invoice financing",
        "kind": "invoice_financing",
        "currency": "NGN",
        "amount": {"minimum": "100000.00", "maximum": "25000000.00"},
        "term": {"minimum": 7, "maximum": 120, "unit": "days"},
        "frequencies": ["monthly"],
        "annual_interest_rate": "0.30",
        "origination_fee": {"percentage": "0.015", "flat": "0", "minimum": "2500.00"},
        "late_fee": {"percentage": "0.01", "cap": "100000.00"},
        "grace_period_days": 5,
        "overpayment": "hold_as_credit",
        "allocation_order": ["interest", "fees", "principal"],
        "invoice_financing": {"advance_rate": "0.80"},
    },
    {
        "code": "ngn-bnpl-4",
        "name": "Pay in 4",
        "kind": "bnpl",
        "currency": "NGN",
        "amount": {"minimum": "5000.00", "maximum": "500000.00"},
        "term": {"minimum": 6, "maximum": 6, "unit": "weeks"},
        "frequencies": ["fortnightly"],
        "annual_interest_rate": "0",
        "origination_fee": {"flat": "0"},
        "late_fee": {"flat": "500.00", "cap": "500.00"},
        "grace_period_days": 2,
        "overpayment": "hold_as_credit",
        "bnpl": {"instalments": 4, "frequency": "fortnightly"},
    },
    {
        "code": "ngn-working-capital",
        "name": "Working capital loan",
        "kind": "working_capital",
        "currency": "NGN",
        "amount": {"minimum": "100000.00", "maximum": "50000000.00"},
        "term": {"minimum": 3, "maximum": 24, "unit": "months"},
        "frequencies": ["weekly", "fortnightly", "semi_monthly", "monthly", "quarterly"],
        "annual_interest_rate": "0.42",
        "origination_fee": {
            "percentage": "0.02",
            "flat": "500.00",
            "minimum": "2000.00",
            "maximum": "250000.00",
        },
        "late_fee": {"flat": "2000.00", "percentage": "0.05", "cap": "50000.00"},
        "grace_period_days": 3,
        "overpayment": "apply_to_principal",
        "allocation_order": ["fees", "interest", "principal"],
    },
)

DEFAULT_PRODUCTS: dict[str, Product] = {p.code: p for p in map(Product.from_dict, DEFAULT_PRODUCT_DATA)}
