"""Underwriting: knock-out rules, then a points scorecard, then a limit; every step replayable.

Order matters and is the product decision: knock-outs (failed KYC, too young a business, a large
request with no bank statement) come first because no score can outweigh them and the customer
deserves to hear the real reason, not "your score was low". Only a clean application is scored;
the score's grade band sets how many months of revenue we lend against.

A decision carries the rule set's id, version and content digest and a copy of the inputs, so an
auditor, a complaint handler or a regulator can `replay` it and get the same answer years later.
Nothing here reads a clock, a file or a database: the caller loads the rule set and stores the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from backend.lending.eligibility import BusinessType
from backend.lending.money import CurrencyMismatch, Money
from backend.lending.underwriting_config import GradeBand, Outcome, RuleSet

__all__ = [
    "BankStatementFeatures",
    "Decision",
    "KycResult",
    "Outcome",
    "Reason",
    "ReplayMismatch",
    "UnderwritingInput",
    "decide",
    "replay",
]


class KycResult(StrEnum):
    VERIFIED = "verified"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class BankStatementFeatures:
    """What the statement parser extracted; the statement itself never reaches this module."""

    average_monthly_inflow: Money
    bounced_payments: int
    months_covered: int

    def __post_init__(self) -> None:
        if self.bounced_payments < 0 or self.months_covered < 0:
            raise ValueError("bank statement counts cannot be negative")


@dataclass(frozen=True, slots=True)
class UnderwritingInput:
    requested_amount: Money
    product_kind: str
    business_type: BusinessType
    months_in_business: int
    monthly_revenue: Money
    kyc: KycResult
    bank_statement: BankStatementFeatures | None = None
    existing_debt_service: Money | None = None  # monthly repayments on other loans

    def __post_init__(self) -> None:
        if self.requested_amount.minor <= 0:
            raise ValueError("requested amount must be positive")
        if self.months_in_business < 0 or self.monthly_revenue.minor < 0:
            raise ValueError("months in business and revenue cannot be negative")

    def amounts(self) -> list[Money]:
        extra = [self.bank_statement.average_monthly_inflow] if self.bank_statement else []
        debt = [self.existing_debt_service] if self.existing_debt_service else []
        return [self.requested_amount, self.monthly_revenue, *extra, *debt]


@dataclass(frozen=True, slots=True)
class Reason:
    """`text` is what the customer reads; `hint` is what would change the outcome for them."""

    code: str
    text: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    documents: tuple[str, ...]
    grade: str | None
    points: int | None
    score_lines: tuple[tuple[str, int], ...]
    limit: Money | None
    ruleset_id: str
    ruleset_version: int
    ruleset_digest: str
    inputs: UnderwritingInput = field(repr=False)

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe record to store with the application; `replay` takes it back."""
        return {
            "outcome": self.outcome.value,
            "reasons": [{"code": r.code, "text": r.text, "hint": r.hint} for r in self.reasons],
            "documents": list(self.documents),
            "grade": self.grade,
            "points": self.points,
            "score_lines": [[name, pts] for name, pts in self.score_lines],
            "limit": _money_out(self.limit),
            "ruleset": {
                "id": self.ruleset_id,
                "version": self.ruleset_version,
                "digest": self.ruleset_digest,
            },
            "inputs": _inputs_out(self.inputs),
        }


class ReplayMismatch(ValueError):
    """The record was decided under another rule set (or an edited one with the same version)."""


def decide(request: UnderwritingInput, ruleset: RuleSet) -> Decision:
    """Knock-outs, then the scorecard, then the limit. Raises CurrencyMismatch for an input in a
    currency the rule set does not lend in: thresholds in naira mean nothing in shillings."""
    for amount in request.amounts():
        if amount.currency != ruleset.currency:
            raise CurrencyMismatch(ruleset.currency, amount.currency)

    def done(outcome: Outcome, reasons: list[Reason], **extra: Any) -> Decision:
        return Decision(
            outcome=outcome,
            reasons=tuple(reasons),
            documents=extra.pop("documents", ()),
            grade=extra.pop("grade", None),
            points=extra.pop("points", None),
            score_lines=extra.pop("score_lines", ()),
            limit=extra.pop("limit", None),
            ruleset_id=ruleset.id,
            ruleset_version=ruleset.version,
            ruleset_digest=ruleset.digest,
            inputs=request,
        )

    product = ruleset.products.get(request.product_kind)
    if product is None:
        return done(Outcome.DECLINE, [_PRODUCT_UNAVAILABLE])
    facts = facts_of(request)
    fired = [k for k in ruleset.knockouts if k.rule.matches(facts)]
    declines = [Reason(k.id, k.reason, k.hint) for k in fired if k.outcome is Outcome.DECLINE]
    if declines:
        return done(Outcome.DECLINE, declines)
    refers = [k for k in fired if k.outcome is Outcome.REFER]
    if refers:
        documents = tuple(dict.fromkeys(doc for k in refers for doc in k.documents))
        return done(Outcome.REFER, [Reason(k.id, k.reason, k.hint) for k in refers], documents=documents)

    lines = tuple(
        (c.id, next((b.points for b in c.bins if b.rule.matches(facts)), c.default))
        for c in ruleset.characteristics
    )
    points = ruleset.base_points + sum(p for _, p in lines)
    band = ruleset.band_for(points)
    scored: dict[str, Any] = {"grade": band.grade, "points": points, "score_lines": lines}
    if not band.approve:
        return done(Outcome.DECLINE, [Reason(f"grade_{band.grade}", band.reason, band.hint)], **scored)
    limit, reasons = _limit(request, band, product.max_amount, ruleset.rounding_step)
    if limit < product.min_amount:
        return done(Outcome.DECLINE, [_below_minimum(product.min_amount)], **scored)
    return done(Outcome.APPROVE, reasons, limit=limit, **scored)


def _limit(
    request: UnderwritingInput, band: GradeBand, product_max: Money, step: Money
) -> tuple[Money, list[Reason]]:
    """Months of revenue by grade, rounded down to the quoting step, then capped.

    Revenue is the lower of declared and bank-evidenced inflow: a statement can only lower what
    we lend on an optimistic declaration, never raise it above what the customer told us. The
    request caps the limit exactly (someone who asks for 1,234,567 and qualifies gets 1,234,567,
    not a rounded-down figure), and so does the product maximum.
    """
    revenue = request.monthly_revenue
    if request.bank_statement is not None:
        revenue = min(revenue, request.bank_statement.average_monthly_inflow, key=lambda m: m.minor)
    by_revenue = revenue.times(band.revenue_multiple).round_down_to(step)
    limit = min(by_revenue, product_max, request.requested_amount, key=lambda m: m.minor)
    reasons: list[Reason] = []
    if limit.minor < request.requested_amount.minor:
        if limit == by_revenue:
            reasons.append(
                Reason(
                    "limited_by_revenue",
                    f"We can lend up to {_fmt(limit)}, less than you asked for, so that repayments "
                    "fit comfortably within your monthly revenue.",
                    "Sharing a bank statement that shows steady income, or applying again when "
                    "your revenue grows, could raise this amount.",
                )
            )
        else:
            reasons.append(
                Reason(
                    "limited_by_product",
                    f"{_fmt(limit)} is the most this product lends.",
                    "Ask us about other products if you need more.",
                )
            )
    return limit, reasons


def replay(record: Mapping[str, Any], ruleset: RuleSet) -> Decision:
    """Decide again from a stored record. Refuses a rule set whose id, version or content differ,
    because a replay under other rules proves nothing about the original decision."""
    stored = record["ruleset"]
    current = {"id": ruleset.id, "version": ruleset.version, "digest": ruleset.digest}
    if dict(stored) != current:
        raise ReplayMismatch(f"record was decided under {dict(stored)}, not {current}")
    return decide(inputs_from_record(record["inputs"]), ruleset)


def facts_of(request: UnderwritingInput) -> dict[str, Any]:
    """The names rules may use (see underwriting_config.SYMBOL_TYPES), amounts in major units."""
    revenue = request.monthly_revenue.major
    debt = request.existing_debt_service.major if request.existing_debt_service else Decimal(0)
    bank = request.bank_statement
    inflow = bank.average_monthly_inflow.major if bank else None
    return {
        "requested_amount": request.requested_amount.major,
        "product_kind": request.product_kind,
        "business_type": request.business_type.value,
        "months_in_business": request.months_in_business,
        "monthly_revenue": revenue,
        "kyc": request.kyc.value,
        "has_bank_statement": bank is not None,
        "bank_average_monthly_inflow": inflow,
        "bank_bounced_payments": bank.bounced_payments if bank else None,
        "bank_months_covered": bank.months_covered if bank else None,
        "existing_debt_service": debt,
        "debt_service_ratio": debt / revenue if revenue else None,
        "inflow_to_revenue_ratio": inflow / revenue if inflow is not None and revenue else None,
    }


_PRODUCT_UNAVAILABLE = Reason(
    "product_unavailable",
    "We do not offer this kind of credit yet.",
    "Choose one of the products we show you and apply again.",
)


def _below_minimum(minimum: Money) -> Reason:
    return Reason(
        "below_product_minimum",
        f"Based on your revenue we could lend less than {_fmt(minimum)}, "
        "the smallest amount this product lends.",
        "Applying again when your monthly revenue is higher could change this.",
    )


def _fmt(amount: Money) -> str:
    return f"{amount.currency} {amount.major:,}"


def _money_out(amount: Money | None) -> dict[str, Any] | None:
    return None if amount is None else {"minor": amount.minor, "currency": amount.currency}


def _money_in(data: Mapping[str, Any] | None) -> Money | None:
    return None if data is None else Money(int(data["minor"]), str(data["currency"]))


def _inputs_out(request: UnderwritingInput) -> dict[str, Any]:
    bank = request.bank_statement
    return {
        "requested_amount": _money_out(request.requested_amount),
        "product_kind": request.product_kind,
        "business_type": request.business_type.value,
        "months_in_business": request.months_in_business,
        "monthly_revenue": _money_out(request.monthly_revenue),
        "kyc": request.kyc.value,
        "bank_statement": None
        if bank is None
        else {
            "average_monthly_inflow": _money_out(bank.average_monthly_inflow),
            "bounced_payments": bank.bounced_payments,
            "months_covered": bank.months_covered,
        },
        "existing_debt_service": _money_out(request.existing_debt_service),
    }


def inputs_from_record(data: Mapping[str, Any]) -> UnderwritingInput:
    bank = data.get("bank_statement")
    requested, revenue = _money_in(data["requested_amount"]), _money_in(data["monthly_revenue"])
    if requested is None or revenue is None:
        raise ValueError("a decision record needs the requested amount and the monthly revenue")
    return UnderwritingInput(
        requested_amount=requested,
        product_kind=data["product_kind"],
        business_type=BusinessType(data["business_type"]),
        months_in_business=int(data["months_in_business"]),
        monthly_revenue=revenue,
        kyc=KycResult(data["kyc"]),
        bank_statement=None
        if bank is None
        else BankStatementFeatures(
            average_monthly_inflow=_money_in(bank["average_monthly_inflow"])
            or Money.zero(requested.currency),
            bounced_payments=int(bank["bounced_payments"]),
            months_covered=int(bank["months_covered"]),
        ),
        existing_debt_service=_money_in(data.get("existing_debt_service")),
    )
