"""The customer's identity and, for a business, its registration: collected a piece at a time.

The assistant asks one question per turn and a customer may stop half-way and come back days
later, so both writes are partial: a field left out (or null) keeps its value. Every value is
validated by the pure rules in `backend.lending.identity` and `business_ids` before anything is
stored, and only after consent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from backend.lending.business_ids import normalise_registration_number, normalise_tin
from backend.lending.eligibility import BusinessType
from backend.lending.identity import (
    IdType,
    InvalidIdentity,
    normalise_id_number,
    normalise_name,
    parse_date_of_birth,
)
from backend.lending.onboarding import ApplicantType
from backend.services.onboarding.consent import require_consent
from backend.services.onboarding.errors import DuplicateIdentity
from backend.services.onboarding.ports import IdentityVault, OnboardingRec, OnboardingUnitOfWork
from backend.services.origination.errors import Invalid


@dataclass(frozen=True, slots=True)
class IdentityFields:
    """None means 'unchanged'."""

    full_name: str | None = None
    date_of_birth: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    applicant_type: str | None = None


@dataclass(frozen=True, slots=True)
class BusinessFields:
    """None means 'unchanged'."""

    business_name: str | None = None
    registration_number: str | None = None
    tin: str | None = None
    business_type: str | None = None
    months_in_business: int | None = None
    registration_document_id: uuid.UUID | None = None
    applicant_type: str | None = None


def _invalid(exc: InvalidIdentity) -> Invalid:
    return Invalid(exc.problem, field=exc.field)


def _applicant_type(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return ApplicantType(raw).value
    except ValueError:
        raise Invalid("applicant_type is individual or business.", field="applicant_type") from None


def load_or_new(uow: OnboardingUnitOfWork, customer_id: uuid.UUID) -> OnboardingRec:
    return uow.onboarding.onboarding(customer_id, for_update=True) or OnboardingRec(customer_id=customer_id)


def put_identity(
    customer_id: uuid.UUID,
    fields: IdentityFields,
    uow: OnboardingUnitOfWork,
    vault: IdentityVault,
    today: date,
    now: datetime,
) -> OnboardingRec:
    """Store what was given. A changed name, date of birth or number resets KYC to not_started:
    a verification of other data proves nothing about these."""
    try:
        name = normalise_name(fields.full_name) if fields.full_name is not None else None
        born = parse_date_of_birth(fields.date_of_birth, today) if fields.date_of_birth is not None else None
        if (fields.id_type is None) != (fields.id_number is None):
            raise InvalidIdentity("id_type", "Send id_type (bvn or nin) together with id_number.")
        id_type = number = None
        if fields.id_type is not None and fields.id_number is not None:
            try:
                id_type = IdType(fields.id_type)
            except ValueError:
                raise InvalidIdentity("id_type", "id_type is bvn or nin.") from None
            number = normalise_id_number(id_type, fields.id_number)
    except InvalidIdentity as exc:
        raise _invalid(exc) from None
    applicant = _applicant_type(fields.applicant_type)
    with uow:
        require_consent(uow, customer_id)
        rec = load_or_new(uow, customer_id)
        before = uow.repo.customer(customer_id)
        changed: list[str] = []
        if name is not None and (before is None or before.full_name != name):
            uow.onboarding.set_full_name(customer_id, name)
            changed.append("full_name")
        if born is not None and born != rec.date_of_birth:
            rec.date_of_birth = born
            changed.append("date_of_birth")
        if number is not None and id_type is not None:
            digest = vault.lookup_hash(number)
            if digest != rec.id_number_hash or id_type.value != rec.id_type:
                others = [c for c in uow.onboarding.customers_with_id_hash(digest) if c != customer_id]
                if others:
                    raise DuplicateIdentity("This identity number is already registered to another customer.")
                rec.id_type = id_type.value
                rec.id_number_ciphertext = vault.encrypt(number)
                rec.id_number_hash = digest
                rec.id_number_last4 = number[-4:]
                changed.append("id_number")
        if applicant is not None:
            rec.applicant_type = applicant
        if changed and rec.kyc_status != "not_started":
            rec.kyc_status = "not_started"
        rec.updated_at = now
        uow.onboarding.put_onboarding(rec)
        uow.audit.append(
            actor="api",
            action="identity.saved",
            subject_type="customer",
            subject_id=str(customer_id),
            # never the number itself, not even masked: the audit log is read by many
            data={"changed": changed, "applicant_type": rec.applicant_type, "id_type": rec.id_type},
        )
        uow.commit()
        return rec


def put_business(
    customer_id: uuid.UUID, fields: BusinessFields, uow: OnboardingUnitOfWork, now: datetime
) -> OnboardingRec:
    """KYB facts. They are mirrored into the business profile underwriting reads when the customer
    already has one, so the two never disagree; a changed registration resets KYB."""
    try:
        registration = (
            normalise_registration_number(fields.registration_number)
            if fields.registration_number is not None
            else None
        )
        tin = normalise_tin(fields.tin) if fields.tin is not None else None
    except InvalidIdentity as exc:
        raise _invalid(exc) from None
    if fields.business_type is not None:
        try:
            BusinessType(fields.business_type)
        except ValueError:
            allowed = ", ".join(t.value for t in BusinessType)
            raise Invalid(f"business_type must be one of {allowed}.", field="business_type") from None
    if fields.months_in_business is not None and not 0 <= fields.months_in_business <= 1200:
        raise Invalid("months_in_business is between 0 and 1200.", field="months_in_business")
    name = fields.business_name.strip() if fields.business_name is not None else None
    if name is not None and not name:
        raise Invalid("The business name cannot be empty.", field="business_name")
    applicant = _applicant_type(fields.applicant_type)
    with uow:
        require_consent(uow, customer_id)
        rec = load_or_new(uow, customer_id)
        if fields.registration_document_id is not None:
            doc = uow.onboarding.document(fields.registration_document_id)
            if doc is None or doc.customer_id != customer_id:
                raise Invalid("No such document for this customer.", field="registration_document_id")
            if doc.kind != "registration_document":
                raise Invalid(
                    f"That document is a {doc.kind}, not a registration_document.",
                    field="registration_document_id",
                )
        updates = {
            "business_name": name,
            "registration_number": registration,
            "tin": tin,
            "business_type": fields.business_type,
            "months_in_business": fields.months_in_business,
            "registration_document_id": fields.registration_document_id,
        }
        given = {k: v for k, v in updates.items() if v is not None}
        changed = [k for k, v in given.items() if getattr(rec, k) != v]
        rec = replace(rec, **given)
        rec.applicant_type = applicant or rec.applicant_type or ApplicantType.BUSINESS.value
        if {"registration_number", "business_name", "tin"} & set(changed):
            rec.kyb_status = "not_started"
        rec.updated_at = now
        uow.onboarding.put_onboarding(rec)
        profile = uow.repo.profile(customer_id)
        if profile is not None:
            uow.repo.put_profile(
                replace(
                    profile,
                    business_name=rec.business_name or profile.business_name,
                    business_type=rec.business_type or profile.business_type,
                    months_in_business=rec.months_in_business
                    if rec.months_in_business is not None
                    else profile.months_in_business,
                    registration_number=rec.registration_number or profile.registration_number,
                    tax_id=rec.tin or profile.tax_id,
                )
            )
        uow.audit.append(
            actor="api",
            action="business_kyb.saved",
            subject_type="customer",
            subject_id=str(customer_id),
            data={"changed": changed, "registration_number": rec.registration_number},
        )
        uow.commit()
        return rec
