"""Factories for servicing tests: the rows origination leaves behind when a customer signs
(an accepted application, its decision and offer, a signed agreement), built through the ORM so
servicing can be tested before and apart from the origination endpoints."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.lending_models import Agreement, CreditApplication, Decision, Offer
from backend.adapters.db.models import Customer, Tenant


def a_tenant(sessions: sessionmaker[Session]) -> uuid.UUID:
    """A tenant of its own, so balances and counts see only one test's rows."""
    tenant = Tenant(
        slug=f"svc-{uuid.uuid4().hex[:12]}",
        name="Servicing test",
        default_locale="en_NG",
        default_currency="NGN",
    )
    with sessions.begin() as session:
        session.add(tenant)
    return tenant.id


def demo_tenant_id(sessions: sessionmaker[Session]) -> uuid.UUID:
    with sessions() as session:
        return session.scalars(select(Tenant.id).where(Tenant.slug == "demo")).one()


def a_signed_agreement(
    sessions: sessionmaker[Session],
    tenant_id: uuid.UUID,
    *,
    amount_minor: int = 100_000_00,
    currency: str = "NGN",
    term_count: int = 6,
    frequency: str = "monthly",
    amortization: str = "annuity",
    annual_rate: str = "0.42",
    fee_minor: int = 2_500_00,
    fee_treatment: str | None = None,
    product_code: str = "ngn-working-capital",
    agreement_status: str = "signed",
    application_status: str = "accepted",
    maturity: date | None = None,
) -> uuid.UUID:
    """An accepted application with its offer and agreement; returns the agreement id."""
    fees: list[dict[str, Any]] = []
    if fee_minor:
        fee: dict[str, Any] = {"kind": "origination", "amount_minor": fee_minor, "currency": currency}
        if fee_treatment:
            fee["treatment"] = fee_treatment
        fees.append(fee)
    with sessions.begin() as session:
        customer = Customer(tenant_id=tenant_id, locale="en_NG", currency=currency)
        session.add(customer)
        session.flush()
        application = CreditApplication(
            tenant_id=tenant_id,
            customer_id=customer.id,
            product_code=product_code,
            status=application_status,
            requested_amount_minor=amount_minor,
            currency=currency,
            term_count=term_count,
            frequency=frequency,
        )
        session.add(application)
        session.flush()
        decision = Decision(
            tenant_id=tenant_id,
            application_id=application.id,
            outcome="approved",
            risk_grade="B",
            limit_minor=amount_minor,
            currency=currency,
            reasons=[],
            documents_required=[],
            ruleset_id="test",
            ruleset_version="1",
            inputs={},
        )
        session.add(decision)
        session.flush()
        offer = Offer(
            tenant_id=tenant_id,
            application_id=application.id,
            decision_id=decision.id,
            lender_code="test-lender",
            rank=1,
            amount_minor=amount_minor,
            currency=currency,
            term_count=term_count,
            frequency=frequency,
            amortization=amortization,
            payment_minor=0,
            annual_rate=annual_rate,
            apr="0",
            fees=fees,
            total_repayable_minor=0,
            status="accepted",
            maturity_date=maturity,
        )
        session.add(offer)
        session.flush()
        text = f"Loan agreement for offer {offer.id}"
        agreement = Agreement(
            tenant_id=tenant_id,
            application_id=application.id,
            offer_id=offer.id,
            template_name="test",
            template_version="1",
            text=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            status=agreement_status,
            signed_at=datetime.now(UTC) if agreement_status == "signed" else None,
        )
        session.add(agreement)
        session.flush()
        return agreement.id
