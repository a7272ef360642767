"""POST /v1/eligibility: an indicative limit from business type and monthly revenue."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.adapters.db.uow import SqlUnitOfWork
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.schemas import MoneyIn, MoneyOut
from backend.lending.eligibility import BusinessType
from backend.services.eligibility import CheckEligibility, check_eligibility

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])


class EligibilityIn(BaseModel):
    business_type: BusinessType
    monthly_revenue: MoneyIn
    conversation_id: str | None = Field(default=None, max_length=128)
    locale: str | None = Field(default=None, max_length=16)


class EligibilityOut(BaseModel):
    eligible: bool
    limit: MoneyOut | None
    capped: bool = Field(description="True when the limit is the product maximum, not revenue-based.")
    reasons: list[str] = Field(description="Plain-language reasons, for the customer.")
    rule_version: str


def _conversation_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@router.post("", response_model=EligibilityOut)
def create_eligibility_check(
    body: EligibilityIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Quote an indicative limit; a replay with the same Idempotency-Key returns the first quote."""
    command = CheckEligibility(
        tenant_id=tenant.id,
        business_type=body.business_type,
        monthly_revenue=body.monthly_revenue.to_money(),
        conversation_id=_conversation_uuid(body.conversation_id),
        locale=body.locale,
        tenant_locale=tenant.default_locale,
    )

    def run(session: Session) -> dict[str, Any]:
        quote = check_eligibility(command, SqlUnitOfWork.joining(session))
        limit = quote.result.limit
        return EligibilityOut(
            eligible=quote.result.eligible,
            limit=MoneyOut.of(limit, quote.locale) if limit else None,
            capped=quote.result.capped,
            reasons=quote.reasons,
            rule_version=quote.result.rule_version,
        ).model_dump()

    return idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)
