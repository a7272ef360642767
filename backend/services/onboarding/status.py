"""The onboarding status the assistant is driven by: what is known, what is missing, what next."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from backend.lending.identity import mask
from backend.lending.onboarding import ApplicantType, OnboardingFacts, missing
from backend.services.onboarding.consent import consent_state
from backend.services.onboarding.ports import OnboardingRec, OnboardingUnitOfWork
from backend.services.origination.errors import NotFound
from backend.services.origination.ports import ProfileRec


@dataclass(frozen=True, slots=True)
class Profile:
    full_name: str | None
    date_of_birth: date | None
    id_type: str | None
    id_number_masked: str | None
    phone_e164: str | None
    applicant_type: str
    business_name: str | None
    registration_number: str | None
    tin: str | None
    business_type: str | None
    months_in_business: int | None
    registration_document_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class OnboardingStatus:
    customer_id: uuid.UUID
    consented: bool
    consent_version: str | None
    missing: list[str]
    kyc_status: str
    kyb_status: str
    profile: Profile
    document_kinds: frozenset[str] = field(default_factory=frozenset)
    # The underwriting profile (with the monthly revenue the rule set reads) exists.
    underwriting_profile: bool = False

    @property
    def next(self) -> str | None:
        return self.missing[0] if self.missing else None


def masked_number(rec: OnboardingRec | None) -> str | None:
    if rec is None or rec.id_number_last4 is None:
        return None
    return mask("0" * 7 + rec.id_number_last4)  # both BVN and NIN are 11 digits


def applicant_type_of(rec: OnboardingRec | None, profile: ProfileRec | None) -> ApplicantType:
    """Stated explicitly (PUT identity or business details) wins; otherwise a customer with a
    business profile applies as a business, anyone else as an individual."""
    if rec is not None and rec.applicant_type:
        return ApplicantType(rec.applicant_type)
    return ApplicantType.BUSINESS if profile is not None else ApplicantType.INDIVIDUAL


def onboarding_status(customer_id: uuid.UUID, uow: OnboardingUnitOfWork) -> OnboardingStatus:
    """Readable before consent (it is how the bot learns consent is what comes first)."""
    with uow:
        customer = uow.repo.customer(customer_id)
        if customer is None:
            raise NotFound("No such customer.")
        consented, version = consent_state(uow, customer_id)
        rec = uow.onboarding.onboarding(customer_id)
        business = uow.repo.profile(customer_id)
        kinds = frozenset(uow.onboarding.document_kinds(customer_id))
    applicant = applicant_type_of(rec, business)
    profile = Profile(
        full_name=customer.full_name,
        date_of_birth=rec.date_of_birth if rec else None,
        id_type=rec.id_type if rec else None,
        id_number_masked=masked_number(rec),
        phone_e164=customer.phone_e164,
        applicant_type=applicant.value,
        business_name=(rec.business_name if rec else None) or (business.business_name if business else None),
        registration_number=(rec.registration_number if rec else None)
        or (business.registration_number if business else None),
        tin=(rec.tin if rec else None) or (business.tax_id if business else None),
        business_type=(rec.business_type if rec else None) or (business.business_type if business else None),
        months_in_business=rec.months_in_business
        if rec and rec.months_in_business is not None
        else (business.months_in_business if business else None),
        registration_document_id=rec.registration_document_id if rec else None,
    )
    known = {
        name
        for name, value in (
            ("full_name", profile.full_name),
            ("date_of_birth", profile.date_of_birth),
            ("id_number", profile.id_number_masked),
            ("business_name", profile.business_name),
            ("registration_number", profile.registration_number),
            ("tin", profile.tin),
            ("business_type", profile.business_type),
            ("months_in_business", profile.months_in_business),
            ("registration_document", profile.registration_document_id),
        )
        if value is not None
    }
    known |= {k for k in ("id_document", "selfie") if k in kinds}
    if "registration_document" in kinds:
        known.add("registration_document")
    facts = OnboardingFacts(consented=consented, applicant_type=applicant, known=frozenset(known))
    return OnboardingStatus(
        customer_id=customer_id,
        consented=consented,
        consent_version=version,
        missing=missing(facts),
        kyc_status=rec.kyc_status if rec else "not_started",
        kyb_status=rec.kyb_status if rec else "not_started",
        profile=profile,
        document_kinds=kinds,
        underwriting_profile=business is not None,
    )
