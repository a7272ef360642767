"""Offers, acceptance and the agreement document.

Accepting renders LOAN_AGREEMENT_V1 with the offer's terms formatted for the customer's locale
and stores the text with its SHA-256: the hash is what the signature evidence points at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_percent

from backend.lending.agreements import LOAN_AGREEMENT_V1, render
from backend.lending.applications import Status, Transition
from backend.lending.dates import Frequency
from backend.lending.money import Money
from backend.lending.quoting import offer_schedule
from backend.lending.schedules import Amortization, Schedule
from backend.services.formatting import format_money, safe_locale
from backend.services.origination.applications import _audit, _get, _save, _step
from backend.services.origination.errors import Conflict, NotFound
from backend.services.origination.ports import AgreementRec, OfferRec, OriginationUnitOfWork

SUPPORT_CONTACT = "support via this chat or the phone number on our website"
DISPUTE_SLA = "15 business days"
_FREQUENCY_WORDS = {
    "weekly": "weekly",
    "fortnightly": "every two weeks",
    "semi_monthly": "twice a month",
    "monthly": "monthly",
    "quarterly": "quarterly",
}


def list_offers(application_id: uuid.UUID, uow: OriginationUnitOfWork) -> list[OfferRec]:
    """Cheapest (total repayable) first, the order the customer compares them in."""
    with uow:
        _get(uow, application_id)
        return sorted(uow.repo.offers(application_id), key=lambda o: (o.total_repayable_minor, o.rank))


def fee_of(offer: OfferRec) -> Money:
    total = Money.zero(offer.currency)
    for fee in offer.fees:
        total = total + Money(int(fee["amount_minor"]), fee["currency"])
    return total


def schedule_for(offer: OfferRec, disbursed_on: datetime) -> Schedule:
    """The schedule the offer would have if paid out on `disbursed_on` (the preview's assumption)."""
    return offer_schedule(
        Money(offer.amount_minor, offer.currency),
        Decimal(offer.annual_rate),
        offer.term_count,
        Frequency(offer.frequency),
        fee_of(offer),
        disbursed_on.date(),
        Amortization(offer.amortization),
        offer.maturity_date,
    )


def get_offer(offer_id: uuid.UUID, uow: OriginationUnitOfWork) -> OfferRec:
    with uow:
        offer = uow.repo.offer(offer_id)
        if offer is None:
            raise NotFound("No such offer.")
        return offer


@dataclass(frozen=True, slots=True)
class Accepted:
    agreement: AgreementRec
    offer: OfferRec


def accept_offer(offer_id: uuid.UUID, uow: OriginationUnitOfWork, now: datetime) -> Accepted:
    with uow:
        offer = uow.repo.offer(offer_id)
        if offer is None:
            raise NotFound("No such offer.")
        if offer.status != "open":
            raise Conflict(f"This offer is {offer.status}.", current_status=offer.status)
        app = _get(uow, offer.application_id, for_update=True)
        read_version = app.version
        app.status = _step(app, Transition.ACCEPT).value
        saved = _save(uow, app, read_version)
        uow.repo.set_offer_status(offer.id, "accepted")
        for other in uow.repo.offers(app.id):
            if other.id != offer.id and other.status == "open":
                uow.repo.set_offer_status(other.id, "expired")
        customer = uow.repo.customer(app.customer_id)
        lender = uow.repo.lender(offer.lender_code)
        assert customer is not None
        agreement_id = uuid.uuid4()
        schedule = schedule_for(offer, now)
        locale = safe_locale(customer.locale)
        fee = fee_of(offer)
        principal = Money(offer.amount_minor, offer.currency)
        rendered = render(
            LOAN_AGREEMENT_V1,
            {
                "lender_name": lender.name if lender else offer.lender_code,
                "borrower_name": customer.full_name or customer.phone_e164 or str(customer.id),
                "reference": str(agreement_id),
                "principal": format_money(principal, locale),
                "fees": format_money(fee, locale),
                "amount_received": format_money(principal - fee, locale),
                "nominal_rate": format_percent(Decimal(offer.annual_rate), "#,##0.00%", locale=locale),
                "apr": format_percent(Decimal(offer.apr) / 100, "#,##0.0%", locale=locale),
                "total_repayable": format_money(Money(offer.total_repayable_minor, offer.currency), locale),
                "term_count": str(offer.term_count),
                "payment": format_money(Money(offer.payment_minor, offer.currency), locale),
                "frequency": _FREQUENCY_WORDS.get(offer.frequency, offer.frequency),
                "first_due_date": format_date(schedule.installments[0].due_date, "long", locale=locale),
                "late_fee_terms": "Late fees are charged as set out in the product terms attached.",
                "support_contact": SUPPORT_CONTACT,
                "dispute_sla": DISPUTE_SLA,
                "signer_contact": customer.phone_e164 or "the borrower's registered contact",
            },
        )
        agreement = AgreementRec(
            id=agreement_id,
            application_id=app.id,
            offer_id=offer.id,
            template_name=rendered.template_name,
            template_version=rendered.template_version,
            text=rendered.text,
            sha256=rendered.sha256,
            created_at=now,
        )
        uow.repo.add_agreement(agreement)
        _audit(uow, saved, "application.accepted", {"offer_id": str(offer.id)})
        uow.audit.append(
            actor="api",
            action="agreement.created",
            subject_type="agreement",
            subject_id=str(agreement.id),
            data={
                "sha256": agreement.sha256,
                "template": f"{rendered.template_name}@{rendered.template_version}",
            },
        )
        uow.commit()
        offer.status = "accepted"
        return Accepted(agreement, offer)


@dataclass(frozen=True, slots=True)
class AgreementView:
    agreement: AgreementRec
    offer: OfferRec
    locale: str


def get_agreement(agreement_id: uuid.UUID, uow: OriginationUnitOfWork) -> AgreementView:
    with uow:
        agreement = uow.repo.agreement(agreement_id)
        if agreement is None:
            raise NotFound("No such agreement.")
        offer = uow.repo.offer(agreement.offer_id)
        app = uow.repo.application(agreement.application_id)
        assert offer is not None and app is not None
        customer = uow.repo.customer(app.customer_id)
        return AgreementView(agreement, offer, customer.locale if customer else "en")


__all__ = ["Accepted", "AgreementView", "Status", "accept_offer", "get_agreement", "list_offers"]
