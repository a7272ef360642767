"""POST /v1/disbursements: pay out a signed agreement, creating the loan."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from sqlalchemy.orm import Session

from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork
from backend.adapters.payments.sandbox import SandboxPayouts
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.routes.loans import as_problem
from backend.api.routes.servicing_schemas import DisbursementIn, DisbursementOut, TodayDep
from backend.services.servicing.disbursement import Disburse, disburse
from backend.services.servicing.errors import ServicingError

router = APIRouter(prefix="/v1/disbursements", tags=["disbursements"])


@router.post("", response_model=DisbursementOut, status_code=201)
def create_disbursement(
    body: DisbursementIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    today: TodayDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Disburse once per agreement: a retry (same key, or the same agreement) returns the first."""
    cmd = Disburse(tenant.id, body.agreement_id, body.destination, actor=f"api:{tenant.slug}")

    def run(session: Session) -> dict[str, Any]:
        try:
            record = disburse(cmd, SqlServicingUnitOfWork.joining(session), SandboxPayouts(), today)
        except ServicingError as exc:
            raise as_problem(exc) from exc
        return DisbursementOut.of(record, tenant.default_locale).model_dump(mode="json")

    return idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)
