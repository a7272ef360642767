"""Loans: list, detail, schedule, balance, payoff quote, repayments and the loan's ledger."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from sqlalchemy.orm import Session

from backend.adapters.db.ledger_repository import SqlLedger
from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork, list_loans, loan_state, to_state
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant, TenantContext
from backend.api.errors import Problem
from backend.api.paging import CursorQuery, LimitQuery, Page, decode_cursor, encode_cursor
from backend.api.routes.servicing_schemas import (
    BalanceOut,
    EntryOut,
    LedgerOut,
    LoanOut,
    PayoffQuoteOut,
    PostingOut,
    RepaymentIn,
    RepaymentOut,
    ScheduleOut,
    TodayDep,
    schedule_of,
)
from backend.api.schemas import MoneyOut
from backend.services.servicing.balances import balance_of
from backend.services.servicing.errors import (
    DrawRefused,
    InvalidRepayment,
    LineDrawn,
    LineNotOpen,
    LoanNotActive,
    NotDisbursable,
    NotFound,
    ProviderRefConflict,
    ServicingError,
)
from backend.services.servicing.ports import LoanState
from backend.services.servicing.repayments import RecordRepayment, payoff_quote, record_repayment

router = APIRouter(prefix="/v1/loans", tags=["loans"])

_STATUS: dict[type[ServicingError], tuple[int, str]] = {
    NotFound: (404, "not-found"),
    NotDisbursable: (409, "not-disbursable"),
    LoanNotActive: (409, "loan-not-active"),
    ProviderRefConflict: (409, "provider-ref-conflict"),
    InvalidRepayment: (422, "invalid-repayment"),
    DrawRefused: (422, "draw-refused"),
    LineNotOpen: (409, "line-not-open"),
    LineDrawn: (409, "line-drawn"),
}


def as_problem(exc: ServicingError) -> Problem:
    status, slug = _STATUS.get(type(exc), (422, "servicing-refused"))
    return Problem(status, slug, str(exc))


def _loan(c: ComponentsDep, tenant: TenantContext, loan_id: uuid.UUID) -> LoanState:
    with c.sessions() as session:
        loan = loan_state(session, tenant.id, loan_id)
    if loan is None:
        raise Problem(404, "not-found", f"Loan {loan_id} not found.")
    return loan


@router.get("", response_model=Page[LoanOut])
def get_loans(
    tenant: CurrentTenant,
    c: ComponentsDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    credit_line_id: Annotated[uuid.UUID | None, Query()] = None,
    customer_id: Annotated[uuid.UUID | None, Query()] = None,
) -> dict[str, Any]:
    """The tenant's loans, oldest first, by cursor; `credit_line_id` lists one line's draws
    (another tenant's line simply matches nothing, like an unknown id)."""
    key = decode_cursor(cursor, 2)
    try:
        after = (datetime.fromisoformat(key[0]), uuid.UUID(key[1])) if key else None
    except ValueError as exc:
        raise Problem(400, "invalid-cursor", "The cursor is not one this API issued.") from exc
    with c.sessions() as session:
        rows = list_loans(session, tenant.id, after, limit + 1, credit_line_id, customer_id)
        items = [LoanOut.of(to_state(r, []), tenant.default_locale) for r in rows[:limit]]
        nxt = (
            encode_cursor(rows[limit - 1].created_at.isoformat(), rows[limit - 1].id)
            if len(rows) > limit
            else None
        )
    return {"items": items, "next_cursor": nxt}


@router.get("/{loan_id}", response_model=LoanOut)
def get_loan(loan_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> LoanOut:
    return LoanOut.of(_loan(c, tenant, loan_id), tenant.default_locale)


@router.get("/{loan_id}/schedule", response_model=ScheduleOut)
def get_schedule(loan_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep, today: TodayDep) -> ScheduleOut:
    return schedule_of(_loan(c, tenant, loan_id), today, tenant.default_locale)


@router.get("/{loan_id}/balance", response_model=BalanceOut)
def get_balance(loan_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep, today: TodayDep) -> BalanceOut:
    """Outstanding principal, interest and fees, what is overdue and what falls due next."""
    loan = _loan(c, tenant, loan_id)
    return BalanceOut.of(loan, balance_of(loan, today), tenant.default_locale)


@router.get("/{loan_id}/payoff-quote", response_model=PayoffQuoteOut)
def get_payoff_quote(
    loan_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    today: TodayDep,
    on: Annotated[date | None, Query(description="Payoff date, YYYY-MM-DD; default today.")] = None,
) -> PayoffQuoteOut:
    """The amount that closes the loan if received on `on`; paying exactly this closes it."""
    day = on or today
    try:
        quote = payoff_quote(tenant.id, loan_id, day, SqlServicingUnitOfWork(c.sessions))
    except ServicingError as exc:
        raise as_problem(exc) from exc
    loc = tenant.default_locale
    return PayoffQuoteOut(
        loan_id=loan_id,
        on=day,
        principal=MoneyOut.of(quote.principal, loc),
        interest=MoneyOut.of(quote.interest, loc),
        fees=MoneyOut.of(quote.fees, loc),
        total=MoneyOut.of(quote.total, loc),
        waived_interest=MoneyOut.of(quote.waived_interest, loc),
        waived_fees=MoneyOut.of(quote.waived_fees, loc),
    )


@router.post("/{loan_id}/repayments", response_model=RepaymentOut, status_code=201)
def create_repayment(
    loan_id: uuid.UUID,
    body: RepaymentIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Record a repayment. A replay with the same Idempotency-Key returns the first response; a
    redelivery with the same provider_ref returns the payment already recorded and posts nothing."""
    cmd = RecordRepayment(
        tenant_id=tenant.id,
        loan_id=loan_id,
        amount=body.amount.to_money(),
        received_on=body.received_on,
        provider_ref=body.provider_ref,
        actor=f"api:{tenant.slug}",
    )

    def run(session: Session) -> dict[str, Any]:
        try:
            payment = record_repayment(cmd, SqlServicingUnitOfWork.joining(session))
        except ServicingError as exc:
            raise as_problem(exc) from exc
        loan = loan_state(session, tenant.id, loan_id)
        status = loan.status if loan else None
        return RepaymentOut.of(payment, tenant.default_locale, status).model_dump(mode="json")

    body_key = {"loan_id": str(loan_id), **body.model_dump(mode="json")}
    return idempotency.once(c.sessions, tenant, idempotency_key, body_key, run)


@router.get("/{loan_id}/ledger", response_model=LedgerOut)
def get_loan_ledger(loan_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> LedgerOut:
    """Every journal entry touching the loan's accounts, with its postings, oldest first."""
    _loan(c, tenant, loan_id)
    loc = tenant.default_locale
    with c.sessions() as session:
        posted = SqlLedger(session).entries_for_loan(tenant.id, loan_id)
    return LedgerOut(
        loan_id=loan_id,
        entries=[
            EntryOut(
                id=p.id,
                transfer_id=p.entry.transfer_id,
                kind=p.entry.kind.value,
                effective_date=p.entry.effective_date,
                memo=p.entry.memo,
                reverses=p.entry.reverses,
                postings=[
                    PostingOut(account=x.account.kind.value, amount=MoneyOut.of(x.amount, loc))
                    for x in p.entry.postings
                ],
            )
            for p in posted
        ],
    )
