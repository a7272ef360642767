"""/v1 onboarding: the privacy notice and consent, identity, KYB details, KYC/KYB checks, and the
onboarding status the chat assistant is driven by (see docs/onboarding.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.adapters.db.onboarding_repository import SqlOnboardingUow
from backend.adapters.kyc.factory import provider_for, vault_for
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant, TenantContext
from backend.api.errors import Problem
from backend.api.routes._origination import now, problems
from backend.lending.eligibility import BusinessType
from backend.services.onboarding import checks, consent, identity
from backend.services.onboarding.errors import (
    ConsentRequired,
    DocumentsMissing,
    DuplicateIdentity,
    IncompleteForCheck,
    OutdatedConsentVersion,
    ProviderUnavailable,
    StatementNeedsReview,
)
from backend.services.onboarding.ports import CheckRec, ConsentRec, PolicyRec
from backend.services.onboarding.status import OnboardingStatus, onboarding_status
from backend.services.origination.errors import OriginationError

SLUGS: dict[type[OriginationError], tuple[int, str]] = {
    ConsentRequired: (409, "consent-required"),
    OutdatedConsentVersion: (409, "consent-version-outdated"),
    DuplicateIdentity: (409, "duplicate-identity"),
    IncompleteForCheck: (409, "onboarding-incomplete"),
    DocumentsMissing: (409, "documents-missing"),
    StatementNeedsReview: (409, "statement-needs-review"),
    ProviderUnavailable: (503, "verification-unavailable"),
}


@contextmanager
def onboarding_problems() -> Iterator[None]:
    try:
        with problems():
            yield
    except Problem as exc:
        cause = exc.__cause__
        mapped = SLUGS.get(type(cause)) if isinstance(cause, OriginationError) else None
        if mapped is None:
            raise
        headers = {"Retry-After": "30"} if mapped[0] == 503 else None
        raise Problem(mapped[0], mapped[1], exc.detail, headers, **exc.extra) from cause


def onboarding_uow_in(session: Session, tenant: TenantContext) -> SqlOnboardingUow:
    return SqlOnboardingUow.joining(session, tenant.id)


def onboarding_uow_for(sessions: object, tenant: TenantContext) -> SqlOnboardingUow:
    return SqlOnboardingUow(tenant.id, sessions)  # type: ignore[arg-type]


# --- schemas -------------------------------------------------------------------------------------


class PolicyOut(BaseModel):
    version: str
    text: str = Field(
        description="Markdown, in plain words: what we collect, why, who sees it, how long, how to withdraw."
    )


class PolicyIn(BaseModel):
    version: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=20_000)


class ConsentIn(BaseModel):
    version: str = Field(min_length=1, max_length=64, description="The version of the notice shown.")
    channel: str = Field(description="whatsapp, sms, web, api or agent")
    accepted: bool = Field(description="false withdraws consent (a new row; history is kept).")


class ConsentOut(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    version: str
    channel: str
    accepted: bool
    recorded_at: datetime

    @classmethod
    def of(cls, rec: ConsentRec) -> ConsentOut:
        return cls(
            id=rec.id,
            customer_id=rec.customer_id,
            version=rec.policy_version,
            channel=rec.channel,
            accepted=rec.accepted,
            recorded_at=rec.created_at,
        )


class IdentityIn(BaseModel):
    """Every field optional: omitted or null keeps what is stored (the bot sends one at a time)."""

    full_name: str | None = Field(default=None, max_length=200)
    date_of_birth: str | None = Field(default=None, description="YYYY-MM-DD; 18 or older today.")
    id_type: Literal["bvn", "nin"] | None = None
    id_number: str | None = Field(default=None, max_length=32, description="11 digits; a BVN starts with 22.")
    applicant_type: Literal["individual", "business"] | None = None


class BusinessIn(BaseModel):
    """KYB details, partial like IdentityIn. Mirrored into the full business profile when one exists."""

    business_name: str | None = Field(default=None, max_length=200)
    registration_number: str | None = Field(default=None, max_length=32, description="RC/BN/IT + digits.")
    tin: str | None = Field(default=None, max_length=32, description="12345678-0001 or 10 digits.")
    business_type: BusinessType | None = None
    months_in_business: int | None = Field(default=None, ge=0, le=1200)
    registration_document_id: uuid.UUID | None = None
    applicant_type: Literal["individual", "business"] | None = None


class ProfileView(BaseModel):
    full_name: str | None
    date_of_birth: date | None
    id_type: str | None
    id_number_masked: str | None = Field(description="e.g. *******6789; the number is never returned.")
    phone_e164: str | None
    applicant_type: str
    business_name: str | None
    registration_number: str | None
    tin: str | None
    business_type: str | None
    months_in_business: int | None
    registration_document_id: uuid.UUID | None


class OnboardingOut(BaseModel):
    customer_id: uuid.UUID
    consented: bool = Field(description="Accepted the CURRENT version of the notice.")
    consent_version: str | None = Field(description="Version of the acceptance in force, if any.")
    current_policy_version: str
    missing: list[str]
    next: str | None
    kyc_status: str
    kyb_status: str
    profile: ProfileView
    underwriting_profile: bool = Field(
        default=False, description="The business profile the rules read (with monthly revenue) exists."
    )

    @classmethod
    def of(cls, status: OnboardingStatus, policy_version: str) -> OnboardingOut:
        p = status.profile
        return cls(
            customer_id=status.customer_id,
            consented=status.consented,
            consent_version=status.consent_version,
            current_policy_version=policy_version,
            missing=status.missing,
            next=status.next,
            kyc_status=status.kyc_status,
            kyb_status=status.kyb_status,
            underwriting_profile=status.underwriting_profile,
            profile=ProfileView(
                full_name=p.full_name,
                date_of_birth=p.date_of_birth,
                id_type=p.id_type,
                id_number_masked=p.id_number_masked,
                phone_e164=p.phone_e164,
                applicant_type=p.applicant_type,
                business_name=p.business_name,
                registration_number=p.registration_number,
                tin=p.tin,
                business_type=p.business_type,
                months_in_business=p.months_in_business,
                registration_document_id=p.registration_document_id,
            ),
        )


class KycCheckIn(BaseModel):
    id_document_id: uuid.UUID
    selfie_document_id: uuid.UUID


class CheckOut(BaseModel):
    id: uuid.UUID
    kind: str
    status: Literal["verified", "needs_review", "failed"]
    reasons: list[str] = Field(description="Plain-language sentences the bot can show as they are.")
    provider: str
    provider_reference: str | None
    document_ids: list[uuid.UUID]
    checked_at: datetime

    @classmethod
    def of(cls, rec: CheckRec) -> CheckOut:
        assert rec.checked_at is not None
        return cls(
            id=rec.id,
            kind=rec.kind,
            status=rec.status,  # type: ignore[arg-type]
            reasons=rec.reasons,
            provider=rec.provider,
            provider_reference=rec.provider_reference,
            document_ids=[uuid.UUID(d) for d in rec.document_ids],
            checked_at=rec.checked_at,
        )


# --- routes --------------------------------------------------------------------------------------

policy_router = APIRouter(tags=["onboarding"])
router = APIRouter(prefix="/v1/customers/{customer_id}", tags=["onboarding"])


def _status(customer_id: uuid.UUID, uow: SqlOnboardingUow) -> OnboardingOut:
    status = onboarding_status(customer_id, uow)
    with uow:
        version = consent.current_policy(uow).version
    return OnboardingOut.of(status, version)


@policy_router.get("/v1/consent-policy", response_model=PolicyOut)
def get_consent_policy(tenant: CurrentTenant, c: ComponentsDep) -> PolicyOut:
    """The privacy notice to show before consent: the tenant's newest, else the default text."""
    uow = onboarding_uow_for(c.sessions, tenant)
    with uow:
        policy = consent.current_policy(uow)
    return PolicyOut(version=policy.version, text=policy.text)


@policy_router.post("/v1/consent-policies", status_code=201, response_model=PolicyOut)
def publish_consent_policy(
    body: PolicyIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Publish the tenant's own notice; customers are asked to consent again to a new version."""

    def run(session: Session) -> dict[str, Any]:
        with onboarding_problems():
            rec = consent.publish_policy(
                PolicyRec(body.version, body.text), onboarding_uow_in(session, tenant)
            )
        return PolicyOut(version=rec.version, text=rec.text).model_dump(mode="json")

    return idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)


@router.post("/consents", status_code=201, response_model=ConsentOut)
def record_consent(
    customer_id: uuid.UUID,
    body: ConsentIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Accept (the current version only) or withdraw consent; every answer is a new history row."""

    def run(session: Session) -> dict[str, Any]:
        with onboarding_problems():
            rec = consent.record_consent(
                customer_id,
                body.version,
                body.channel,
                body.accepted,
                onboarding_uow_in(session, tenant),
                now(),
            )
        return ConsentOut.of(rec).model_dump(mode="json")

    request = {"customer_id": str(customer_id), **body.model_dump(mode="json")}
    return idempotency.once(c.sessions, tenant, idempotency_key, request, run)


@router.get("/onboarding", response_model=OnboardingOut)
def get_onboarding(customer_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> OnboardingOut:
    """What is known and what to ask next; readable before consent."""
    with onboarding_problems():
        return _status(customer_id, onboarding_uow_for(c.sessions, tenant))


@router.put("/identity", response_model=OnboardingOut)
def put_identity(
    customer_id: uuid.UUID, body: IdentityIn, tenant: CurrentTenant, c: ComponentsDep
) -> OnboardingOut:
    """Save any of name, date of birth, BVN/NIN and applicant type; answers the new onboarding status."""
    fields = identity.IdentityFields(**body.model_dump())
    with onboarding_problems():
        vault = vault_for(c.settings)
        at = now()
        identity.put_identity(
            customer_id, fields, onboarding_uow_for(c.sessions, tenant), vault, at.date(), at
        )
        return _status(customer_id, onboarding_uow_for(c.sessions, tenant))


@router.patch("/business-profile", response_model=OnboardingOut)
def patch_business(
    customer_id: uuid.UUID, body: BusinessIn, tenant: CurrentTenant, c: ComponentsDep
) -> OnboardingOut:
    """Save any KYB detail (partial); PUT on the same path replaces the whole underwriting profile."""
    data = body.model_dump()
    data["business_type"] = body.business_type.value if body.business_type else None
    with onboarding_problems():
        identity.put_business(
            customer_id, identity.BusinessFields(**data), onboarding_uow_for(c.sessions, tenant), now()
        )
        return _status(customer_id, onboarding_uow_for(c.sessions, tenant))


@router.post("/kyc-checks", status_code=201, response_model=CheckOut)
def create_kyc_check(
    customer_id: uuid.UUID,
    body: KycCheckIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Verify the stored identity with the ID photo and selfie; updates the customer's kyc_status."""

    def run(session: Session) -> dict[str, Any]:
        with onboarding_problems():
            rec = checks.run_kyc(
                customer_id,
                body.id_document_id,
                body.selfie_document_id,
                onboarding_uow_in(session, tenant),
                provider_for(c.settings),
                vault_for(c.settings),
                now(),
            )
        return CheckOut.of(rec).model_dump(mode="json")

    request = {"customer_id": str(customer_id), **body.model_dump(mode="json")}
    return idempotency.once(c.sessions, tenant, idempotency_key, request, run)


@router.post("/kyb-checks", status_code=201, response_model=CheckOut)
def create_kyb_check(
    customer_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Verify the business's registration; updates the customer's kyb_status."""

    def run(session: Session) -> dict[str, Any]:
        with onboarding_problems():
            rec = checks.run_kyb(
                customer_id, onboarding_uow_in(session, tenant), provider_for(c.settings), now()
            )
        return CheckOut.of(rec).model_dump(mode="json")

    return idempotency.once(c.sessions, tenant, idempotency_key, {"kyb": str(customer_id)}, run)
