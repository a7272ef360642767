"""Use case: quote an indicative borrowing limit and keep the quote on record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.lending.eligibility import (
    BelowMinimumRevenue,
    BusinessType,
    EligibilityInput,
    EligibilityResult,
    Reason,
    UnsupportedCurrency,
    indicative_limit,
)
from backend.lending.money import Money
from backend.services.formatting import format_money
from backend.services.ports import EligibilityRecord, UnitOfWork


@dataclass(frozen=True, slots=True)
class CheckEligibility:
    tenant_id: uuid.UUID
    business_type: BusinessType
    monthly_revenue: Money
    conversation_id: uuid.UUID | None = None
    locale: str | None = None
    tenant_locale: str | None = None


@dataclass(frozen=True, slots=True)
class EligibilityQuote:
    result: EligibilityResult
    locale: str
    reasons: list[str]


def explain(reason: Reason, locale: str) -> str:
    """A reason a customer can read, with what would change the outcome."""
    match reason:
        case BelowMinimumRevenue(minimum=minimum):
            return (
                f"Your average monthly revenue is below {format_money(minimum, locale)}, our current "
                "minimum. Once your business is earning more than that each month, check again."
            )
        case UnsupportedCurrency(currency=currency):
            return (
                f"We don't lend in {currency} yet. Tell me your revenue in naira, shillings, cedis or rand."
            )
    raise AssertionError(reason)


def check_eligibility(cmd: CheckEligibility, uow: UnitOfWork) -> EligibilityQuote:
    with uow:
        conversation_id, customer_locale = cmd.conversation_id, None
        if conversation_id is not None:
            customer_locale = uow.conversations.customer_locale(cmd.tenant_id, conversation_id)
            if customer_locale is None:  # not this tenant's conversation: keep the quote unlinked
                conversation_id = None
        locale = cmd.locale or customer_locale or cmd.tenant_locale or "en"
        result = indicative_limit(EligibilityInput(cmd.business_type, cmd.monthly_revenue))
        uow.eligibility_checks.add(
            EligibilityRecord(
                tenant_id=cmd.tenant_id,
                conversation_id=conversation_id,
                business_type=cmd.business_type.value,
                revenue_minor=cmd.monthly_revenue.minor,
                currency=cmd.monthly_revenue.currency,
                eligible=result.eligible,
                limit_minor=result.limit.minor if result.limit else None,
                rule_version=result.rule_version,
            )
        )
        uow.commit()
    return EligibilityQuote(
        result=result, locale=locale, reasons=[explain(r, locale) for r in result.reasons]
    )
