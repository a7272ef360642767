"""Lines of credit: open one from a signed agreement, read it, draw against it, close it.

Each draw is a loan (served by `/v1/loans/{id}`: schedule, repayments, payoff), so this module
only adds what a line has that a loan does not: its limit and what is left of it."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork
from backend.adapters.payments.sandbox import SandboxPayouts
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.routes.loans import as_problem
from backend.api.routes.servicing_schemas import DisbursementOut, TodayDep
from backend.api.schemas import MoneyIn, MoneyOut
from backend.services.servicing.credit_lines import (
    Draw,
    LineView,
    OpenLine,
    close_line,
    draw,
    line_view,
    open_line,
)
from backend.services.servicing.errors import ServicingError

router = APIRouter(prefix="/v1/credit-lines", tags=["credit-lines"])


class CreditLineIn(BaseModel):
    agreement_id: uuid.UUID


class DrawIn(BaseModel):
    amount: MoneyIn
    destination: dict[str, Any] = Field(
        description="Where the money goes, e.g. {'bank_code': '058', 'account_number': '0123456789'}."
    )


class CreditLineOut(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    agreement_id: uuid.UUID
    customer_id: uuid.UUID
    product_code: str
    status: str
    limit: MoneyOut
    drawn: MoneyOut = Field(description="Unpaid principal of the line's draws.")
    available: MoneyOut
    annual_rate: Decimal
    term_count: int = Field(description="Instalments of each draw.")
    frequency: str
    closed_on: date | None

    @classmethod
    def of(cls, view: LineView, locale: str | None) -> CreditLineOut:
        line = view.line
        return cls(
            id=line.id,
            application_id=line.application_id,
            agreement_id=line.agreement_id,
            customer_id=line.customer_id,
            product_code=line.product_code,
            status=line.status,
            limit=MoneyOut.of(line.limit, locale),
            drawn=MoneyOut.of(view.drawn, locale),
            available=MoneyOut.of(view.available, locale),
            annual_rate=line.annual_rate,
            term_count=line.term_count,
            frequency=line.frequency.value,
            closed_on=line.closed_on,
        )


def _view(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID, locale: str | None) -> dict[str, Any]:
    view = line_view(tenant_id, line_id, SqlServicingUnitOfWork.joining(session))
    return CreditLineOut.of(view, locale).model_dump(mode="json")


def draw_id_for(tenant_id: uuid.UUID, line_id: uuid.UUID, idempotency_key: str | None) -> uuid.UUID:
    """The draw's loan id: fixed by the Idempotency-Key, so a retry after a failed transaction
    re-asks the provider under the same payout key instead of paying twice; random without one."""
    if idempotency_key is None:
        return uuid.uuid4()
    return uuid.uuid5(line_id, f"{tenant_id}:{idempotency_key}")


@router.post("", response_model=CreditLineOut, status_code=201)
def create_credit_line(
    body: CreditLineIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Open the line a signed line-of-credit agreement grants (once per application)."""
    cmd = OpenLine(tenant.id, body.agreement_id, actor=f"api:{tenant.slug}")

    def run(session: Session) -> dict[str, Any]:
        try:
            line = open_line(cmd, SqlServicingUnitOfWork.joining(session))
            return _view(session, tenant.id, line.id, tenant.default_locale)
        except ServicingError as exc:
            raise as_problem(exc) from exc

    return idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)


@router.get("/{line_id}", response_model=CreditLineOut)
def get_credit_line(line_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> dict[str, Any]:
    with c.sessions() as session:
        try:
            return _view(session, tenant.id, line_id, tenant.default_locale)
        except ServicingError as exc:
            raise as_problem(exc) from exc


@router.post("/{line_id}/draws", response_model=DisbursementOut, status_code=201)
def create_draw(
    line_id: uuid.UUID,
    body: DrawIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    today: TodayDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Draw on the line: a new loan, paid out like any disbursement. Beyond what is available (or
    below the product's minimum draw) -> 422 `draw-refused`; a closed line -> 409 `line-not-open`."""
    cmd = Draw(
        tenant.id,
        line_id,
        body.amount.to_money(),
        body.destination,
        draw_id_for(tenant.id, line_id, idempotency_key),
        actor=f"api:{tenant.slug}",
    )

    def run(session: Session) -> dict[str, Any]:
        try:
            record = draw(cmd, SqlServicingUnitOfWork.joining(session), SandboxPayouts(), today)
        except ServicingError as exc:
            raise as_problem(exc) from exc
        return DisbursementOut.of(record, tenant.default_locale).model_dump(mode="json")

    return idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)


@router.post("/{line_id}/close", response_model=CreditLineOut)
def close_credit_line(
    line_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    today: TodayDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Close a line with nothing drawn (409 `line-drawn` otherwise); closes its application."""

    def run(session: Session) -> dict[str, Any]:
        try:
            close_line(
                tenant.id, line_id, SqlServicingUnitOfWork.joining(session), today, f"api:{tenant.slug}"
            )
            return _view(session, tenant.id, line_id, tenant.default_locale)
        except ServicingError as exc:
            raise as_problem(exc) from exc

    return idempotency.once(c.sessions, tenant, idempotency_key, {"line_id": str(line_id)}, run)
