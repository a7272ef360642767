"""/v1/customers: onboard a customer and keep the business profile underwriting reads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.paging import CursorQuery, LimitQuery, Page
from backend.api.routes._origination import next_cursor, now, parse_cursor, problems, uow_for, uow_in
from backend.api.schemas import MoneyIn, MoneyOut
from backend.lending.eligibility import BusinessType
from backend.lending.money import Money
from backend.services.origination import customers as svc
from backend.services.origination.ports import CustomerRec, ProfileRec

router = APIRouter(prefix="/v1/customers", tags=["customers"])


class CustomerIn(BaseModel):
    phone: str = Field(min_length=3, max_length=32, description="Any format; stored as E.164.")
    full_name: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=16)
    currency: str | None = Field(default=None, pattern="^[A-Z]{3}$")
    consent: bool = Field(default=False, description="Agreed to credit checks and e-signature.")


class CustomerOut(BaseModel):
    id: uuid.UUID
    phone_e164: str | None
    full_name: str | None
    locale: str
    currency: str
    consented_at: datetime | None
    created_at: datetime | None

    @classmethod
    def of(cls, rec: CustomerRec) -> CustomerOut:
        return cls.model_validate(rec, from_attributes=True)


class ProfileIn(BaseModel):
    business_name: str = Field(min_length=1, max_length=200)
    business_type: BusinessType
    months_in_business: int = Field(ge=0, le=1200)
    monthly_revenue: MoneyIn
    registration_number: str | None = Field(default=None, max_length=32)
    tax_id: str | None = Field(default=None, max_length=32)


class ProfileOut(BaseModel):
    customer_id: uuid.UUID
    business_name: str
    business_type: str
    months_in_business: int
    monthly_revenue: MoneyOut
    registration_number: str | None
    tax_id: str | None

    @classmethod
    def of(cls, rec: ProfileRec, locale: str | None) -> ProfileOut:
        return cls(
            customer_id=rec.customer_id,
            business_name=rec.business_name,
            business_type=rec.business_type,
            months_in_business=rec.months_in_business,
            monthly_revenue=MoneyOut.of(Money(rec.monthly_revenue_minor, rec.currency), locale),
            registration_number=rec.registration_number,
            tax_id=rec.tax_id,
        )


@router.post("", status_code=201, response_model=CustomerOut)
def create_customer(
    body: CustomerIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Register a customer; the phone is normalised to E.164 in the tenant's country."""
    cmd = svc.CreateCustomer(
        phone=body.phone,
        full_name=body.full_name,
        locale=body.locale,
        currency=body.currency,
        consent=body.consent,
        tenant_locale=tenant.default_locale,
        tenant_currency=tenant.default_currency,
    )

    def run(session: Session) -> dict[str, Any]:
        with problems():
            return CustomerOut.of(svc.create_customer(cmd, uow_in(session, tenant), now())).model_dump(
                mode="json"
            )

    return idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)


@router.get("", response_model=Page[CustomerOut])
def list_customers(
    tenant: CurrentTenant, c: ComponentsDep, cursor: CursorQuery = None, limit: LimitQuery = 50
) -> Page[CustomerOut]:
    rows = svc.list_customers(uow_for(c.sessions, tenant), parse_cursor(cursor), limit)
    return Page(items=[CustomerOut.of(r) for r in rows], next_cursor=next_cursor(list(rows), limit))


@router.get("/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> CustomerOut:
    with problems():
        return CustomerOut.of(svc.get_customer(customer_id, uow_for(c.sessions, tenant)))


@router.put("/{customer_id}/business-profile", response_model=ProfileOut)
def put_business_profile(
    customer_id: uuid.UUID, body: ProfileIn, tenant: CurrentTenant, c: ComponentsDep
) -> ProfileOut:
    """Create or replace the profile (PUT is idempotent by itself: no Idempotency-Key needed)."""
    revenue = body.monthly_revenue.to_money()
    rec = ProfileRec(
        customer_id=customer_id,
        business_name=body.business_name,
        business_type=body.business_type.value,
        months_in_business=body.months_in_business,
        monthly_revenue_minor=revenue.minor,
        currency=revenue.currency,
        registration_number=body.registration_number,
        tax_id=body.tax_id,
    )
    with problems():
        saved = svc.put_profile(rec, uow_for(c.sessions, tenant))
    return ProfileOut.of(saved, tenant.default_locale)


@router.get("/{customer_id}/business-profile", response_model=ProfileOut)
def get_business_profile(customer_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> ProfileOut:
    with problems():
        rec = svc.get_profile(customer_id, uow_for(c.sessions, tenant))
    return ProfileOut.of(rec, tenant.default_locale)
