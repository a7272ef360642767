"""/v1/offers/{id}/... and /v1/agreements: schedule preview, acceptance, the document, signing."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.api import agreement_links, idempotency
from backend.api.deps import ComponentsDep, CurrentTenant, TenantContext
from backend.api.errors import Problem
from backend.api.routes._origination import now, problems, uow_for, uow_in
from backend.api.routes.applications import OfferOut
from backend.components import Components
from backend.services import otp
from backend.services.origination import agreements as svc
from backend.services.origination import signing

offers_router = APIRouter(prefix="/v1/offers", tags=["offers"])
agreements_router = APIRouter(prefix="/v1/agreements", tags=["agreements"])


class InstalmentOut(BaseModel):
    number: int
    due_date: date
    payment_minor: int
    principal_minor: int
    interest_minor: int
    balance_minor: int


class ScheduleOut(BaseModel):
    offer_id: uuid.UUID
    currency: str
    assumed_disbursement_date: date = Field(description="Preview assumes payout today.")
    payment_minor: int
    total_interest_minor: int
    instalments: list[InstalmentOut]


class AgreementOut(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    offer: OfferOut
    status: str
    template_name: str
    template_version: str
    sha256: str
    text: str
    signed_at: datetime | None
    signer: str | None
    channel: str | None
    evidence: dict[str, Any] | None
    document_url: str | None = Field(
        default=None, description="A link the customer can open to read the full agreement (no API key)."
    )


class OtpOut(BaseModel):
    challenge_id: str
    expires_at: datetime
    delivered: bool = Field(description="True when sent to the customer's conversation.")
    sandbox_code: str | None = Field(
        description="Sandbox only, and only when the customer has no conversation to send it to."
    )


class SignIn(BaseModel):
    code: str = Field(min_length=4, max_length=12)
    signer: str | None = Field(default=None, max_length=128, description="Defaults to the customer's phone.")
    channel: str = Field(default="api", max_length=16)


@offers_router.get("/{offer_id}/schedule", response_model=ScheduleOut)
def preview_schedule(offer_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> ScheduleOut:
    """The schedule before acceptance, built by the same engine as the offer's figures."""
    with problems():
        offer = svc.get_offer(offer_id, uow_for(c.sessions, tenant))
    at = now()
    schedule = svc.schedule_for(offer, at)
    return ScheduleOut(
        offer_id=offer.id,
        currency=offer.currency,
        assumed_disbursement_date=at.date(),
        payment_minor=schedule.payment.minor,
        total_interest_minor=schedule.total_interest.minor,
        instalments=[
            InstalmentOut(
                number=row.number,
                due_date=row.due_date,
                payment_minor=row.payment.minor,
                principal_minor=row.principal.minor,
                interest_minor=row.interest.minor,
                balance_minor=row.balance.minor,
            )
            for row in schedule.installments
        ],
    )


def _agreement_out(view: svc.AgreementView, c: Components, tenant: TenantContext) -> AgreementOut:
    a = view.agreement
    return AgreementOut(
        document_url=agreement_links.url(
            c.settings.public_base_url, c.settings.signing_secret, tenant.slug, a.id
        ),
        id=a.id,
        application_id=a.application_id,
        offer=OfferOut.of(view.offer),
        status=a.status,
        template_name=a.template_name,
        template_version=a.template_version,
        sha256=a.sha256,
        text=a.text,
        signed_at=a.signed_at,
        signer=a.signer,
        channel=a.channel,
        evidence=a.evidence,
    )


@offers_router.post("/{offer_id}/accept", status_code=201, response_model=AgreementOut)
def accept_offer(
    offer_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Accept: the application moves to accepted, sibling offers expire, the agreement is rendered."""

    def run(session: Session) -> dict[str, Any]:
        with problems():
            done = svc.accept_offer(offer_id, uow_in(session, tenant), now())
        return _agreement_out(svc.AgreementView(done.agreement, done.offer, ""), c, tenant).model_dump(
            mode="json"
        )

    return idempotency.once(c.sessions, tenant, idempotency_key, {"accept": str(offer_id)}, run)


@agreements_router.get("/{agreement_id}", response_model=AgreementOut)
def get_agreement(agreement_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> AgreementOut:
    with problems():
        return _agreement_out(svc.get_agreement(agreement_id, uow_for(c.sessions, tenant)), c, tenant)


@agreements_router.post("/{agreement_id}/otp", response_model=OtpOut)
def issue_code(
    agreement_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Issue a signing code; a new code replaces the previous one (unless signing is locked)."""
    secret = c.settings.signing_secret.encode()

    def run(session: Session) -> dict[str, Any]:
        with problems():
            issued = signing.issue_code(
                agreement_id, uow_in(session, tenant), secret, now(), sandbox=c.settings.sandbox_mode
            )
        return OtpOut(
            challenge_id=issued.challenge_id,
            expires_at=issued.expires_at,
            delivered=issued.delivered,
            sandbox_code=issued.sandbox_code,
        ).model_dump(mode="json")

    return idempotency.once(c.sessions, tenant, idempotency_key, {"otp": str(agreement_id)}, run)


@agreements_router.post("/{agreement_id}/sign", response_model=AgreementOut)
def sign_agreement(
    agreement_id: uuid.UUID,
    body: SignIn,
    request: Request,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
    user_agent: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Sign with the code. A wrong code is 422 with attempts_left; the third locks signing (423).

    The attempt is committed even when the code is wrong (the lockout depends on it), so the
    rejection is raised after the transaction, from the stored result."""
    secret = c.settings.signing_secret.encode()
    ip = request.client.host if request.client else None

    def run(session: Session) -> dict[str, Any]:
        uow = uow_in(session, tenant)
        with problems():
            agreement = svc.get_agreement(agreement_id, uow)
            customer_id = None
            if body.signer is None:
                app = uow.repo.application(agreement.agreement.application_id)
                customer = uow.repo.customer(app.customer_id) if app else None
                customer_id = customer.phone_e164 if customer else None
            attempt = signing.SignAttempt(
                code=body.code,
                signer=body.signer or customer_id or "customer",
                channel=body.channel,
                ip=ip,
                user_agent=user_agent,
            )
            result = signing.sign(agreement_id, attempt, uow, secret, now())
        if result.outcome is not otp.Outcome.ACCEPTED:
            return {
                "_rejected": result.outcome.value,
                "attempts_left": result.attempts_left,
                "unlocks_at": result.unlocks_at.isoformat() if result.unlocks_at else None,
            }
        return _agreement_out(svc.get_agreement(agreement_id, uow), c, tenant).model_dump(mode="json")

    out = idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)
    rejected = out.get("_rejected")
    if rejected == otp.Outcome.LOCKED:
        raise Problem(
            423, "signing-locked", "Too many wrong codes; signing is locked.", unlocks_at=out["unlocks_at"]
        )
    if rejected == otp.Outcome.WRONG:
        raise Problem(422, "wrong-code", "That code is not right.", attempts_left=out["attempts_left"])
    if rejected is not None:
        raise Problem(
            422, f"code-{rejected.replace('_', '-')}", f"The code is {rejected}; ask for a new one."
        )
    return out
