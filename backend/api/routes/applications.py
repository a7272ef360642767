"""/v1/applications: drafts, real-time submission (decision + offers), cancellation, offers list."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.adapters.db.lending_models import CreditApplication
from backend.adapters.db.onboarding_repository import SqlOnboardingRepository
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.api.paging import CursorQuery, LimitQuery, Page
from backend.api.routes._origination import next_cursor, now, parse_cursor, problems, uow_for, uow_in
from backend.api.schemas import MinorUnits, MoneyIn
from backend.lending.underwriting import BankStatementFeatures, KycResult
from backend.services.origination import agreements as offers_svc
from backend.services.origination import applications as svc
from backend.services.origination.ports import ApplicationRec, DecisionRec, OfferRec

router = APIRouter(prefix="/v1/applications", tags=["applications"])


class InvoiceIn(BaseModel):
    number: str = Field(max_length=64)
    debtor: str = Field(max_length=200)
    amount_minor: MinorUnits = Field(gt=0)
    due_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")


class DraftIn(BaseModel):
    customer_id: uuid.UUID
    product_code: str = Field(max_length=64)
    requested_amount: MoneyIn
    term_count: int | None = Field(default=None, ge=1, le=1000)
    frequency: str | None = Field(default=None, max_length=16)
    purpose: str | None = Field(default=None, max_length=500)
    invoice: InvoiceIn | None = None


class DraftPatch(BaseModel):
    version: int = Field(description="The version you read: a stale one gets 409.")
    product_code: str | None = Field(default=None, max_length=64)
    requested_amount: MoneyIn | None = None
    term_count: int | None = Field(default=None, ge=1, le=1000)
    frequency: str | None = Field(default=None, max_length=16)
    purpose: str | None = Field(default=None, max_length=500)
    invoice: InvoiceIn | None = None


class ApplicationOut(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    product_code: str
    status: str
    requested_amount_minor: int | None
    currency: str
    term_count: int | None
    frequency: str | None
    purpose: str | None
    invoice: dict[str, Any] | None
    version: int
    created_at: datetime | None
    submitted_at: datetime | None

    @classmethod
    def of(cls, rec: ApplicationRec) -> ApplicationOut:
        return cls.model_validate(rec, from_attributes=True)


class BankStatementIn(BaseModel):
    average_monthly_inflow: MoneyIn
    bounced_payments: int = Field(ge=0)
    months_covered: int = Field(ge=0)


class SubmitIn(BaseModel):
    kyc_result: KycResult | None = Field(
        default=None,
        description="Until the KYC provider is integrated the caller states the result; in sandbox "
        "mode it defaults to 'verified', otherwise it is required.",
    )
    bank_statement: BankStatementIn | None = None
    existing_debt_service: MoneyIn | None = None


class ReasonOut(BaseModel):
    code: str
    text: str
    hint: str


class DecisionOut(BaseModel):
    id: uuid.UUID
    outcome: str
    grade: str | None
    limit_minor: int | None
    currency: str
    reasons: list[ReasonOut]
    documents_required: list[str]
    ruleset_id: str
    ruleset_version: str
    product_code: str | None = Field(
        default=None, description="The product the decision was made under (null before migration 0010)."
    )
    product_version: int | None = None

    @classmethod
    def of(cls, rec: DecisionRec) -> DecisionOut:
        return cls(
            id=rec.id,
            outcome=rec.outcome,
            grade=rec.risk_grade,
            limit_minor=rec.limit_minor,
            currency=rec.currency,
            reasons=[ReasonOut(**r) for r in rec.inputs.get("reasons", [])],
            documents_required=rec.documents_required,
            ruleset_id=rec.ruleset_id,
            ruleset_version=rec.ruleset_version,
            product_code=rec.product_code,
            product_version=rec.product_version,
        )


class FeeOut(BaseModel):
    name: str
    amount_minor: int
    currency: str
    treatment: str = Field(default="deducted", description="Deducted from the payout, not financed.")


class OfferOut(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    lender_code: str
    rank: int
    amount_minor: int
    currency: str
    term_count: int
    frequency: str
    amortization: str
    payment_minor: int
    annual_rate: str = Field(description="Nominal yearly rate as a fraction, e.g. '0.38'.")
    apr: str = Field(description="APR in percent, fees included, e.g. '47.3'.")
    fees: list[FeeOut]
    total_repayable_minor: int
    status: str
    maturity_date: date | None = Field(
        default=None, description="The single repayment's fixed due date (invoice financing)."
    )

    @classmethod
    def of(cls, rec: OfferRec) -> OfferOut:
        return cls.model_validate(rec, from_attributes=True)


class SubmittedOut(BaseModel):
    application: ApplicationOut
    decision: DecisionOut
    offers: list[OfferOut]


def _fields(body: DraftIn | DraftPatch) -> svc.DraftFields:
    return svc.DraftFields(
        product_code=body.product_code,
        requested_amount=body.requested_amount.to_money() if body.requested_amount else None,
        term_count=body.term_count,
        frequency=body.frequency,
        purpose=body.purpose,
        invoice=body.invoice.model_dump() if body.invoice else None,
    )


@router.post("", status_code=201, response_model=ApplicationOut)
def create_application(
    body: DraftIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Start a draft; the product's amount, term and frequency bounds are checked at once."""
    fields = _fields(body)

    def run(session: Session) -> dict[str, Any]:
        with problems():
            rec = svc.create_draft(body.customer_id, fields, uow_in(session, tenant), now())
        return ApplicationOut.of(rec).model_dump(mode="json")

    return idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)


@router.get("", response_model=Page[ApplicationOut])
def list_applications(
    tenant: CurrentTenant,
    c: ComponentsDep,
    customer_id: Annotated[uuid.UUID | None, Query()] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[ApplicationOut]:
    rows = svc.list_applications(uow_for(c.sessions, tenant), customer_id, parse_cursor(cursor), limit)
    return Page(items=[ApplicationOut.of(r) for r in rows], next_cursor=next_cursor(list(rows), limit))


@router.get("/{application_id}", response_model=ApplicationOut)
def get_application(application_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> ApplicationOut:
    with problems():
        return ApplicationOut.of(svc.get_application(application_id, uow_for(c.sessions, tenant)))


@router.patch("/{application_id}", response_model=ApplicationOut)
def update_application(
    application_id: uuid.UUID, body: DraftPatch, tenant: CurrentTenant, c: ComponentsDep
) -> ApplicationOut:
    """Edit a draft; `version` must be the one read (optimistic lock), else 409."""
    with problems():
        rec = svc.update_draft(application_id, body.version, _fields(body), uow_for(c.sessions, tenant))
    return ApplicationOut.of(rec)


def _stored_kyc(application_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> KycResult | None:
    """The outcome of the customer's latest KYC check (onboarding), when there is one: the
    decision must use what was verified, not what the caller claims."""
    with c.sessions() as session:
        customer_id = session.scalar(
            select(CreditApplication.customer_id).where(
                CreditApplication.id == application_id, CreditApplication.tenant_id == tenant.id
            )
        )
        if customer_id is None:
            return None
        onboarding = SqlOnboardingRepository(session, tenant.id).onboarding(customer_id)
    if onboarding is None or onboarding.kyc_status in (None, "not_started"):
        return None
    return KycResult(onboarding.kyc_status)


@router.post("/{application_id}/submit", response_model=SubmittedOut)
def submit_application(
    application_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    body: SubmitIn | None = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Decide now with the tenant's rule set; on approval store up to three offers."""
    body = body or SubmitIn()
    kyc = body.kyc_result or _stored_kyc(application_id, tenant, c)
    if kyc is None:
        if not c.settings.sandbox_mode:
            raise Problem(
                422, "kyc-required", "The customer has no KYC check yet: run one, or state kyc_result."
            )
        kyc = KycResult.VERIFIED  # sandbox API clients that skip onboarding
    bank = body.bank_statement
    inputs = svc.SubmitInputs(
        kyc=kyc,
        bank_statement=None
        if bank is None
        else BankStatementFeatures(
            bank.average_monthly_inflow.to_money(), bank.bounced_payments, bank.months_covered
        ),
        existing_debt_service=body.existing_debt_service.to_money() if body.existing_debt_service else None,
    )

    def run(session: Session) -> dict[str, Any]:
        with problems():
            done = svc.submit(application_id, inputs, uow_in(session, tenant), now())
        return SubmittedOut(
            application=ApplicationOut.of(done.application),
            decision=DecisionOut.of(done.decision),
            offers=[OfferOut.of(o) for o in done.offers],
        ).model_dump(mode="json")

    request = {"application_id": str(application_id), **body.model_dump(mode="json")}
    return idempotency.once(c.sessions, tenant, idempotency_key, request, run)


@router.post("/{application_id}/cancel", response_model=ApplicationOut)
def cancel_application(
    application_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    def run(session: Session) -> dict[str, Any]:
        with problems():
            return ApplicationOut.of(svc.cancel(application_id, uow_in(session, tenant))).model_dump(
                mode="json"
            )

    return idempotency.once(c.sessions, tenant, idempotency_key, {"cancel": str(application_id)}, run)


@router.get("/{application_id}/decision", response_model=DecisionOut)
def get_decision(application_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> DecisionOut:
    with problems():
        rec = svc.latest_decision(application_id, uow_for(c.sessions, tenant))
    if rec is None:
        raise Problem(404, "not-found", "This application has not been decided yet.")
    return DecisionOut.of(rec)


@router.get("/{application_id}/offers", response_model=list[OfferOut])
def list_offers(application_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> list[OfferOut]:
    """Cheapest total repayable first."""
    with problems():
        return [OfferOut.of(o) for o in offers_svc.list_offers(application_id, uow_for(c.sessions, tenant))]
