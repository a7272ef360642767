"""Customers and their business profiles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import phonenumbers

from backend.lending.business_ids import normalise_registration_number, normalise_tin
from backend.lending.eligibility import BusinessType
from backend.lending.identity import InvalidIdentity
from backend.lending.money import MINOR_UNIT_EXPONENTS
from backend.services.origination.errors import Conflict, Invalid, NotFound
from backend.services.origination.ports import CustomerRec, DuplicatePhone, OriginationUnitOfWork, ProfileRec


def region_of(locale: str) -> str | None:
    """The country part of a locale ("en_NG" -> "NG"): where a number without +country is dialled."""
    parts = locale.replace("-", "_").split("_")
    return parts[1].upper() if len(parts) > 1 and len(parts[1]) == 2 else None


def normalise_phone(raw: str, locale: str) -> str:
    """E.164, so one customer has one identity across WhatsApp, SMS and the API.
    A local number ("0803 123 4567") is read in the tenant's country."""
    try:
        number = phonenumbers.parse(raw, region_of(locale))
    except phonenumbers.NumberParseException as exc:
        raise Invalid(f"{raw!r} is not a phone number: {exc}", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid(
            f"{raw!r} is not a valid phone number; use the international form, e.g. +2348031234567.",
            field="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True, slots=True)
class CreateCustomer:
    phone: str
    full_name: str | None
    locale: str | None
    currency: str | None
    consent: bool
    tenant_locale: str
    tenant_currency: str


def create_customer(cmd: CreateCustomer, uow: OriginationUnitOfWork, now: datetime) -> CustomerRec:
    locale = cmd.locale or cmd.tenant_locale
    currency = cmd.currency or cmd.tenant_currency
    if currency not in MINOR_UNIT_EXPONENTS:
        raise Invalid(f"{currency} is not a currency we handle.", field="currency")
    phone = normalise_phone(cmd.phone, cmd.tenant_locale)
    with uow:
        if uow.repo.customer_by_phone(phone) is not None:
            raise Conflict(f"A customer with phone {phone} already exists.", phone_e164=phone)
        rec = CustomerRec(
            id=uuid.uuid4(),
            phone_e164=phone,
            full_name=cmd.full_name,
            locale=locale,
            currency=currency,
            consented_at=now if cmd.consent else None,
            created_at=now,
        )
        try:
            uow.repo.add_customer(rec)
        except DuplicatePhone:
            # A concurrent registration won between our check and our insert: same answer.
            raise Conflict(f"A customer with phone {phone} already exists.", phone_e164=phone) from None
        uow.audit.append(
            actor="api",
            action="customer.created",
            subject_type="customer",
            subject_id=str(rec.id),
            data={"consent": cmd.consent},
        )
        uow.commit()
        return rec


def get_customer(customer_id: uuid.UUID, uow: OriginationUnitOfWork) -> CustomerRec:
    with uow:
        rec = uow.repo.customer(customer_id)
        if rec is None:
            raise NotFound("No such customer.")
        return rec


def put_profile(rec: ProfileRec, uow: OriginationUnitOfWork) -> ProfileRec:
    """Create or replace the business profile underwriting reads."""
    try:
        BusinessType(rec.business_type)
    except ValueError:
        allowed = ", ".join(t.value for t in BusinessType)
        raise Invalid(f"business_type must be one of {allowed}.", field="business_type") from None
    if rec.months_in_business < 0 or rec.monthly_revenue_minor < 0:
        raise Invalid("months_in_business and monthly_revenue cannot be negative.")
    # KYB looks these up in the CAC and FIRS registers, which know one spelling of each.
    try:
        if rec.registration_number:
            rec.registration_number = normalise_registration_number(rec.registration_number)
        if rec.tax_id:
            rec.tax_id = normalise_tin(rec.tax_id)
    except InvalidIdentity as exc:
        raise Invalid(exc.problem, field="tax_id" if exc.field == "tin" else exc.field) from None
    with uow:
        customer = uow.repo.customer(rec.customer_id)
        if customer is None:
            raise NotFound("No such customer.")
        uow.repo.put_profile(rec)
        uow.audit.append(
            actor="api",
            action="business_profile.saved",
            subject_type="customer",
            subject_id=str(rec.customer_id),
            data={
                "business_type": rec.business_type,
                "months_in_business": rec.months_in_business,
                "monthly_revenue_minor": rec.monthly_revenue_minor,
                "currency": rec.currency,
            },
        )
        uow.commit()
        return rec


def get_profile(customer_id: uuid.UUID, uow: OriginationUnitOfWork) -> ProfileRec:
    with uow:
        rec = uow.repo.profile(customer_id)
        if rec is None:
            raise NotFound("This customer has no business profile yet.")
        return rec


def list_customers(
    uow: OriginationUnitOfWork, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[CustomerRec]:
    """Oldest first, keyed on (created_at, id) so a page boundary is stable."""
    with uow:
        return uow.repo.customers(after, limit)
