"""POST /v1/disbursements: pay out a signed agreement, creating the loan; and the provider's
report of how the payout ended, POST /v1/disbursements/{id}/status."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.orm import Session

from backend.adapters.db.payment_repository import SqlBankAccounts, agreement_customer
from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork
from backend.adapters.payments.sandbox import SandboxPayouts
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.api.routes.loans import as_problem
from backend.api.routes.payments import notifier, payments_uow
from backend.api.routes.servicing_schemas import DisbursementIn, DisbursementOut, TodayDep
from backend.services.payments.instructions import notify_payout_landed
from backend.services.servicing.disbursement import Disburse, disburse
from backend.services.servicing.errors import PayoutStatusConflict, ServicingError
from backend.services.servicing.payouts import ReportPayoutStatus, settle_payout

router = APIRouter(prefix="/v1/disbursements", tags=["disbursements"])


class DisbursementRequest(DisbursementIn):
    """Either a raw `destination` (as before) or the id of a verified bank account of the borrower
    (`POST /v1/customers/{id}/bank-accounts`), from which the destination is built."""

    destination: dict[str, Any] | None = Field(  # type: ignore[assignment]
        default=None,
        description="Where the money goes, e.g. {'bank_code': '058', 'account_number': '0123456789'}.",
    )
    bank_account_id: uuid.UUID | None = Field(default=None, description="A verified account of the borrower.")

    @model_validator(mode="after")
    def _one_destination(self) -> DisbursementRequest:
        if (self.destination is None) == (self.bank_account_id is None):
            raise ValueError("give exactly one of destination or bank_account_id")
        return self


def _destination(session: Session, tenant_id: uuid.UUID, body: DisbursementRequest) -> dict[str, Any]:
    if body.destination is not None:
        return body.destination
    assert body.bank_account_id is not None
    account = SqlBankAccounts(session).get(tenant_id, body.bank_account_id)
    if account is None or account.customer_id != agreement_customer(session, tenant_id, body.agreement_id):
        raise Problem(404, "bank-account-not-found", "No such bank account for this agreement's borrower.")
    return account.destination()


@router.post("", response_model=DisbursementOut, status_code=201)
def create_disbursement(
    body: DisbursementRequest,
    tenant: CurrentTenant,
    c: ComponentsDep,
    today: TodayDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Disburse once per agreement: a retry (same key, or the same agreement) returns the first."""
    settled: list[Any] = []

    def run(session: Session) -> dict[str, Any]:
        cmd = Disburse(
            tenant.id,
            body.agreement_id,
            _destination(session, tenant.id, body),
            actor=f"api:{tenant.slug}",
        )
        try:
            record = disburse(cmd, SqlServicingUnitOfWork.joining(session), SandboxPayouts(), today)
        except ServicingError as exc:
            raise as_problem(exc) from exc
        settled.append(record)
        return DisbursementOut.of(record, tenant.default_locale).model_dump(mode="json")

    result = idempotency.once(
        c.sessions, tenant, idempotency_key, body.model_dump(mode="json", exclude_none=True), run
    )
    if settled:  # a payout the provider settled at once has landed: tell the borrower
        notify_payout_landed(settled[0], payments_uow(c), notifier(c))
    return result


class PayoutStatusIn(BaseModel):
    """The shape of a provider's transfer webhook, reduced to what we act on."""

    provider_ref: str = Field(min_length=1, max_length=128)
    status: Literal["succeeded", "failed"]
    reason: str | None = Field(default=None, max_length=500, description="The provider's words; logged only.")


class PayoutStatusOut(DisbursementOut):
    replayed: bool


@router.post("/{disbursement_id}/status", response_model=PayoutStatusOut)
def report_payout_status(
    disbursement_id: uuid.UUID, body: PayoutStatusIn, tenant: CurrentTenant, c: ComponentsDep, today: TodayDep
) -> PayoutStatusOut:
    """Apply the payout's final status, as confirmed with the payments adapter: `failed` reverses
    the disbursement, cancels the loan and returns the application to `accepted`; `succeeded` posts
    the provider's charge. Idempotent: a redelivered report of the same status returns 200 with
    `replayed: true`; a contradicting one is 409 `payout-status-conflict`."""
    cmd = ReportPayoutStatus(
        tenant.id, disbursement_id, body.provider_ref, body.status, actor=f"provider:{tenant.slug}"
    )
    try:
        record = settle_payout(cmd, SqlServicingUnitOfWork(c.sessions), SandboxPayouts(), today)
    except PayoutStatusConflict as exc:
        raise Problem(409, "payout-status-conflict", str(exc)) from exc
    except ServicingError as exc:
        raise as_problem(exc) from exc
    notify_payout_landed(record, payments_uow(c), notifier(c))  # once: a replayed report sends nothing
    out = DisbursementOut.of(record, tenant.default_locale)
    return PayoutStatusOut(**out.model_dump(), replayed=record.replayed)
