"""POST /v1/loans/{id}/credit-refunds: pay a closed loan's held credit back to the borrower."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork
from backend.adapters.payments.sandbox import SandboxPayouts
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.api.routes.loans import as_problem
from backend.api.routes.servicing_schemas import TodayDep
from backend.api.schemas import MoneyOut
from backend.services.servicing.credit import RefundCredit, refund_credit
from backend.services.servicing.errors import NotRefundable, ServicingError

router = APIRouter(prefix="/v1/loans", tags=["loans"])


class CreditRefundIn(BaseModel):
    destination: dict[str, Any] = Field(
        description="Where the refund goes, e.g. {'bank_code': '058', 'account_number': '0123456789'}."
    )


class CreditRefundOut(BaseModel):
    loan_id: uuid.UUID
    amount: MoneyOut
    provider: str
    provider_ref: str
    status: str
    ledger_transfer_id: str
    replayed: bool


@router.post("/{loan_id}/credit-refunds", response_model=CreditRefundOut, status_code=201)
def create_credit_refund(
    loan_id: uuid.UUID,
    body: CreditRefundIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    today: TodayDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Refund a closed loan's remaining credit, once: a retry (same key, or a new key for the same
    loan) returns the first refund; 409 `not-refundable` if the loan is open or holds no credit."""
    cmd = RefundCredit(tenant.id, loan_id, body.destination, actor=f"api:{tenant.slug}")

    def run(session: Session) -> dict[str, Any]:
        try:
            refund = refund_credit(cmd, SqlServicingUnitOfWork.joining(session), SandboxPayouts(), today)
        except NotRefundable as exc:
            raise Problem(409, "not-refundable", str(exc)) from exc
        except ServicingError as exc:
            raise as_problem(exc) from exc
        return CreditRefundOut(
            loan_id=refund.loan_id,
            amount=MoneyOut.of(refund.amount, tenant.default_locale),
            provider=refund.provider,
            provider_ref=refund.provider_ref,
            status=refund.status,
            ledger_transfer_id=refund.transfer_id,
            replayed=refund.replayed,
        ).model_dump(mode="json")

    body_key = {"loan_id": str(loan_id), **body.model_dump(mode="json")}
    return idempotency.once(c.sessions, tenant, idempotency_key, body_key, run)
