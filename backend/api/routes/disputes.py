"""/v1/disputes: open a dispute, look one up by its reference, list a customer's, move one on."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field

from backend.adapters.db.care_repository import SqlCareUnitOfWork
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant, TenantContext
from backend.api.errors import Problem
from backend.api.paging import CursorQuery, LimitQuery, Page, decode_cursor, encode_cursor
from backend.lending.money import MINOR_UNIT_EXPONENTS, Money
from backend.services.care.disputes import (
    Category,
    ChangeStatus,
    DisputePolicy,
    DisputeStatus,
    OpenDispute,
    change_status,
    disputes_of,
    get_dispute,
    open_dispute,
    sla_text,
)
from backend.services.care.errors import CareError
from backend.services.care.policies import dispute_policy, dispute_policy_json, set_dispute_policy
from backend.services.care.ports import DisputeRecord

router = APIRouter(prefix="/v1/disputes", tags=["disputes"])

_AMOUNT = re.compile(r"^\d{1,15}(\.\d{1,4})?$")


def _problem(exc: CareError) -> Problem:
    return Problem(exc.status, exc.slug, exc.detail)


class DisputeIn(BaseModel):
    customer_id: uuid.UUID
    loan_id: uuid.UUID | None = None
    category: Category
    description: str = Field(min_length=1, max_length=4000)
    amount: str | None = Field(
        default=None,
        pattern=_AMOUNT.pattern,
        description='The disputed amount as a decimal string, "5000.00".',
    )
    currency: str | None = Field(
        default=None, pattern="^[A-Z]{3}$", description="ISO 4217; default the tenant's currency."
    )
    attachment_document_id: uuid.UUID | None = Field(default=None, description="A stored document's id.")

    def money(self, tenant: TenantContext) -> Money | None:
        if self.amount is None:
            return None
        currency = self.currency or tenant.default_currency
        if currency not in MINOR_UNIT_EXPONENTS:
            raise Problem(422, "unsupported-currency", f"{currency} is not a currency we handle.")
        places = -Decimal(self.amount).as_tuple().exponent
        if places > MINOR_UNIT_EXPONENTS[currency]:
            raise Problem(422, "invalid-amount", f"{currency} has {MINOR_UNIT_EXPONENTS[currency]} decimals.")
        money = Money.of(self.amount, currency)
        if money.minor <= 0:
            raise Problem(422, "invalid-amount", "A disputed amount must be positive.")
        return money


class DisputeOut(BaseModel):
    id: uuid.UUID
    reference: str = Field(description='"DSP-" and 6 Crockford base32 characters.')
    status: DisputeStatus
    category: Category
    customer_id: uuid.UUID
    loan_id: uuid.UUID | None
    description: str
    amount: str | None
    amount_minor: int | None
    currency: str | None
    attachment_document_id: uuid.UUID | None
    sla_due_at: datetime
    sla_text: str = Field(description='"We\'ll reply by Tuesday 3 December"')
    resolution_note: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, d: DisputeRecord, policy: DisputePolicy, locale: str | None) -> DisputeOut:
        return cls(
            id=d.id,
            reference=d.reference,
            status=DisputeStatus(d.status),
            category=Category(d.category),
            customer_id=d.customer_id,
            loan_id=d.loan_id,
            description=d.description,
            amount=str(d.amount.major) if d.amount else None,
            amount_minor=d.amount.minor if d.amount else None,
            currency=d.amount.currency if d.amount else None,
            attachment_document_id=d.attachment_document_id,
            sla_due_at=d.sla_due_at,
            sla_text=sla_text(policy, d.sla_due_at, locale),
            resolution_note=d.resolution_note,
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


@router.post("", response_model=DisputeOut, status_code=201)
def create_dispute(
    body: DisputeIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Open a dispute; the answer carries the reference and the reply-by date to tell the customer."""
    cmd = OpenDispute(
        tenant_id=tenant.id,
        customer_id=body.customer_id,
        category=body.category,
        description=body.description,
        loan_id=body.loan_id,
        amount=body.money(tenant),
        attachment_document_id=body.attachment_document_id,
        actor=f"api:{tenant.slug}",
    )

    def run(session: Any) -> dict[str, Any]:
        try:
            record, policy = open_dispute(cmd, SqlCareUnitOfWork.joining(session), datetime.now(UTC))
        except CareError as exc:
            raise _problem(exc) from exc
        return DisputeOut.of(record, policy, tenant.default_locale).model_dump(mode="json")

    return idempotency.once(
        c.sessions, tenant, idempotency_key, {"dispute": body.model_dump(mode="json")}, run
    )


@router.get("", response_model=Page[DisputeOut])
def list_disputes(
    tenant: CurrentTenant,
    c: ComponentsDep,
    customer_id: Annotated[uuid.UUID, Query()],
    cursor: CursorQuery = None,
    limit: LimitQuery = 20,
) -> dict[str, Any]:
    """A customer's disputes, newest first, by cursor."""
    key = decode_cursor(cursor, 2)
    try:
        before = (datetime.fromisoformat(key[0]), uuid.UUID(key[1])) if key else None
    except ValueError as exc:
        raise Problem(400, "invalid-cursor", "The cursor is not one this API issued.") from exc
    records, policy = disputes_of(tenant.id, customer_id, before, limit + 1, SqlCareUnitOfWork(c.sessions))
    page = records[:limit]
    nxt = encode_cursor(page[-1].created_at.isoformat(), page[-1].id) if len(records) > limit else None
    return {"items": [DisputeOut.of(d, policy, tenant.default_locale) for d in page], "next_cursor": nxt}


@router.get("/{reference}", response_model=DisputeOut)
def read_dispute(reference: str, tenant: CurrentTenant, c: ComponentsDep) -> DisputeOut:
    """A dispute by its reference, however the customer typed it ("dsp 7k2m9q" works)."""
    try:
        record, policy = get_dispute(tenant.id, reference, SqlCareUnitOfWork(c.sessions))
    except CareError as exc:
        raise _problem(exc) from exc
    return DisputeOut.of(record, policy, tenant.default_locale)


class DisputeStatusIn(BaseModel):
    status: DisputeStatus
    note: str | None = Field(default=None, max_length=4000, description="Required to resolve or reject.")


@router.post("/{reference}/status", response_model=DisputeOut, tags=["admin"])
def set_dispute_status(
    reference: str,
    body: DisputeStatusIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Move a dispute on: open -> in_review -> resolved | rejected (with the note the customer gets)."""
    cmd = ChangeStatus(tenant.id, reference, body.status, body.note, actor=f"api:{tenant.slug}")

    def run(session: Any) -> dict[str, Any]:
        try:
            record, policy = change_status(cmd, SqlCareUnitOfWork.joining(session), datetime.now(UTC))
        except CareError as exc:
            raise _problem(exc) from exc
        return DisputeOut.of(record, policy, tenant.default_locale).model_dump(mode="json")

    body_key = {"dispute_status": reference.upper(), **body.model_dump(mode="json")}
    return idempotency.once(c.sessions, tenant, idempotency_key, body_key, run)


policy_router = APIRouter(prefix="/v1/dispute-policy", tags=["admin"])


class DisputePolicyIn(BaseModel):
    """Fields left out keep their default (see docs/disputes.md)."""

    sla_business_days: dict[Category, int] | None = Field(
        default=None, examples=[{"payment_not_reflected": 2, "charge": 5}]
    )
    holidays: list[date] | None = Field(default=None, description="Public holidays, YYYY-MM-DD.")
    timezone: str | None = Field(default=None, examples=["Africa/Lagos"])
    reply_by_hour: int | None = Field(default=None, ge=0, le=23)


class DisputePolicyOut(BaseModel):
    sla_business_days: dict[Category, int]
    holidays: list[date]
    timezone: str
    reply_by_hour: int


@policy_router.get("", response_model=DisputePolicyOut)
def get_dispute_policy(tenant: CurrentTenant, c: ComponentsDep) -> dict[str, Any]:
    try:
        return dispute_policy_json(dispute_policy(tenant.id, SqlCareUnitOfWork(c.sessions)))
    except CareError as exc:
        raise _problem(exc) from exc


@policy_router.put("", response_model=DisputePolicyOut)
def put_dispute_policy(body: DisputePolicyIn, tenant: CurrentTenant, c: ComponentsDep) -> dict[str, Any]:
    """Replace the tenant's dispute service levels; validated before it is stored."""
    definition = body.model_dump(mode="json", exclude_none=True)
    try:
        policy = set_dispute_policy(
            tenant.id, definition, SqlCareUnitOfWork(c.sessions), f"api:{tenant.slug}"
        )
    except CareError as exc:
        raise _problem(exc) from exc
    return dispute_policy_json(policy)
