"""The indicative borrowing limit we quote in chat before a full application.

The rule is deliberately simple and explainable: a small business can usually service a working
capital line of a few months of revenue, so the limit is a multiple of declared average monthly
revenue, depending on how stable the sector's cash flow is. It is indicative only: underwriting
(with KYC, bank statements and a scorecard) decides the real limit later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from backend.lending.money import Money

RULE_VERSION = "indicative-limit/2026-11-1"


class BusinessType(StrEnum):
    RETAIL = "retail"
    WHOLESALE = "wholesale"
    SERVICES = "services"
    MANUFACTURING = "manufacturing"
    AGRICULTURE = "agriculture"
    TRANSPORT = "transport"
    OTHER = "other"


# Months of revenue we are prepared to lend against. Retail and wholesale turn stock quickly and
# have daily takings; manufacturing holds assets; services and transport are lumpier; agriculture
# is seasonal, so a harvest cycle is not counted as steady monthly revenue.
REVENUE_MULTIPLES: dict[BusinessType, Decimal] = {
    BusinessType.RETAIL: Decimal("3"),
    BusinessType.WHOLESALE: Decimal("3"),
    BusinessType.MANUFACTURING: Decimal("3"),
    BusinessType.SERVICES: Decimal("2.5"),
    BusinessType.TRANSPORT: Decimal("2"),
    BusinessType.AGRICULTURE: Decimal("1.5"),
    BusinessType.OTHER: Decimal("2"),
}


@dataclass(frozen=True, slots=True)
class CurrencyPolicy:
    """Where a currency's limits start and stop, and the step they are quoted in."""

    minimum_revenue: Money
    maximum_limit: Money
    rounding_step: Money


# Below the minimum revenue a loan's repayments would crowd out the business's own costs; the cap
# is the largest line a lender funds without a credit committee.
CURRENCY_POLICIES: dict[str, CurrencyPolicy] = {
    "NGN": CurrencyPolicy(Money.of(100_000, "NGN"), Money.of(50_000_000, "NGN"), Money.of(10_000, "NGN")),
    "KES": CurrencyPolicy(Money.of(10_000, "KES"), Money.of(5_000_000, "KES"), Money.of(1_000, "KES")),
    "GHS": CurrencyPolicy(Money.of(1_000, "GHS"), Money.of(500_000, "GHS"), Money.of(100, "GHS")),
    "ZAR": CurrencyPolicy(Money.of(5_000, "ZAR"), Money.of(2_000_000, "ZAR"), Money.of(500, "ZAR")),
    "USD": CurrencyPolicy(Money.of(500, "USD"), Money.of(100_000, "USD"), Money.of(50, "USD")),
}


@dataclass(frozen=True, slots=True)
class EligibilityInput:
    business_type: BusinessType
    monthly_revenue: Money


@dataclass(frozen=True, slots=True)
class BelowMinimumRevenue:
    """The customer declared less than the currency's minimum monthly revenue."""

    minimum: Money


@dataclass(frozen=True, slots=True)
class UnsupportedCurrency:
    """We do not lend in this currency yet."""

    currency: str


Reason = BelowMinimumRevenue | UnsupportedCurrency


@dataclass(frozen=True, slots=True)
class EligibilityResult:
    eligible: bool
    limit: Money | None
    reasons: list[Reason] = field(default_factory=list)
    capped: bool = False
    rule_version: str = RULE_VERSION


def indicative_limit(request: EligibilityInput) -> EligibilityResult:
    """Revenue x the sector's multiple, rounded down to the quoting step and capped."""
    revenue = request.monthly_revenue
    policy = CURRENCY_POLICIES.get(revenue.currency)
    if policy is None:
        return EligibilityResult(False, None, [UnsupportedCurrency(revenue.currency)])
    if revenue < policy.minimum_revenue:
        return EligibilityResult(False, None, [BelowMinimumRevenue(policy.minimum_revenue)])
    raw = revenue.times(REVENUE_MULTIPLES[request.business_type]).round_down_to(policy.rounding_step)
    if policy.maximum_limit < raw:
        return EligibilityResult(True, policy.maximum_limit, capped=True)
    return EligibilityResult(True, raw)
