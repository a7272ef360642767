"""Credit refunds: pay a closed loan's held credit back to the borrower, and apply the refund
payout's outcome when the provider reports it.

- `POST /v1/loans/{loan_id}/credit-refunds` starts a refund (a payout, `pending`).
- `POST /v1/credit-refunds/{refund_id}/status` is the provider's status webhook: `succeeded` makes
  the refund `paid`, `failed` puts the credit back on the loan (refundable again).
- `GET /v1/credit-refunds/{refund_id}` reads one.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork, credit_refund_of
from backend.adapters.payments.sandbox import SandboxPayouts
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.api.routes.loans import as_problem
from backend.api.routes.servicing_schemas import TodayDep
from backend.api.schemas import MoneyOut
from backend.services.servicing.errors import NotRefundable, PayoutStatusConflict, ServicingError
from backend.services.servicing.ports import CreditRefundRecord
from backend.services.servicing.refunds import RefundCredit, ReportRefundStatus, refund_credit, settle_refund

router = APIRouter(tags=["loans"])


class CreditRefundIn(BaseModel):
    destination: dict[str, Any] = Field(
        description="Where the refund goes, e.g. {'bank_code': '058', 'account_number': '0123456789'}."
    )


class CreditRefundOut(BaseModel):
    id: uuid.UUID
    loan_id: uuid.UUID
    attempt: int = Field(description="0 for the first refund; a failed payout's retry is the next.")
    amount: MoneyOut
    provider_fee: MoneyOut
    provider: str
    provider_ref: str
    status: Literal["pending", "paid", "failed"]
    reason: str
    settled_on: date | None
    ledger_transfer_id: str
    replayed: bool

    @classmethod
    def of(cls, refund: CreditRefundRecord, locale: str | None) -> CreditRefundOut:
        return cls(
            id=refund.id,
            loan_id=refund.loan_id,
            attempt=refund.attempt,
            amount=MoneyOut.of(refund.amount, locale),
            provider_fee=MoneyOut.of(refund.provider_fee, locale),
            provider=refund.provider,
            provider_ref=refund.provider_ref,
            status=refund.status,  # type: ignore[arg-type]
            reason=refund.reason,
            settled_on=refund.settled_on,
            ledger_transfer_id=refund.transfer_id,
            replayed=refund.replayed,
        )


class RefundStatusIn(BaseModel):
    """The shape of a provider's transfer webhook, reduced to what we act on."""

    provider_ref: str = Field(min_length=1, max_length=128)
    status: Literal["succeeded", "failed"]
    reason: str | None = Field(default=None, max_length=500, description="The provider's words; logged only.")


@router.post("/v1/loans/{loan_id}/credit-refunds", response_model=CreditRefundOut, status_code=201)
def create_credit_refund(
    loan_id: uuid.UUID,
    body: CreditRefundIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    today: TodayDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Refund a closed loan's remaining credit. While the newest refund is pending or paid, a
    retry (same key, or a new key for the same loan) returns it with `replayed: true`; after a
    failed one, this starts the next attempt. 409 `not-refundable` if the loan is open or holds
    no credit."""
    cmd = RefundCredit(tenant.id, loan_id, body.destination, actor=f"api:{tenant.slug}")

    def run(session: Session) -> dict[str, Any]:
        try:
            refund = refund_credit(cmd, SqlServicingUnitOfWork.joining(session), SandboxPayouts(), today)
        except NotRefundable as exc:
            raise Problem(409, "not-refundable", str(exc)) from exc
        except ServicingError as exc:
            raise as_problem(exc) from exc
        return CreditRefundOut.of(refund, tenant.default_locale).model_dump(mode="json")

    body_key = {"loan_id": str(loan_id), **body.model_dump(mode="json")}
    return idempotency.once(c.sessions, tenant, idempotency_key, body_key, run)


@router.get("/v1/credit-refunds/{refund_id}", response_model=CreditRefundOut)
def get_credit_refund(refund_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> CreditRefundOut:
    with c.sessions() as session:
        refund = credit_refund_of(session, tenant.id, refund_id)
    if refund is None:
        raise Problem(404, "not-found", f"Credit refund {refund_id} not found.")
    return CreditRefundOut.of(refund, tenant.default_locale)


@router.post("/v1/credit-refunds/{refund_id}/status", response_model=CreditRefundOut)
def report_refund_status(
    refund_id: uuid.UUID, body: RefundStatusIn, tenant: CurrentTenant, c: ComponentsDep, today: TodayDep
) -> CreditRefundOut:
    """Apply the refund payout's final status, as confirmed with the payments adapter: `failed`
    reverses the refund entry and puts the credit back on the loan; `succeeded` marks it `paid`
    and posts the provider's charge. A redelivered report of the same status returns 200 with
    `replayed: true`; a contradicting one is 409 `payout-status-conflict`."""
    cmd = ReportRefundStatus(
        tenant.id, refund_id, body.provider_ref, body.status, actor=f"provider:{tenant.slug}"
    )
    try:
        refund = settle_refund(cmd, SqlServicingUnitOfWork(c.sessions), SandboxPayouts(), today)
    except PayoutStatusConflict as exc:
        raise Problem(409, "payout-status-conflict", str(exc)) from exc
    except ServicingError as exc:
        raise as_problem(exc) from exc
    return CreditRefundOut.of(refund, tenant.default_locale)
