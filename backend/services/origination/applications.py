"""Applications: draft, edit, submit (decided in real time), cancel.

Submission runs submit -> start_review -> approve | refer | decline in one transaction, with
the tenant's stored rule set: the customer chatting waits for an answer, and a decision that was
computed but not stored (or stored without its audit row) must be impossible.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from backend.lending.applications import IllegalTransition, Status, Transition, next_status
from backend.lending.dates import Frequency
from backend.lending.eligibility import BusinessType
from backend.lending.kind_offers import bnpl_offer, invoice_decision
from backend.lending.lender_config import InvalidLender, lender_from_config
from backend.lending.money import CurrencyMismatch, Money
from backend.lending.offers import Lender, Offer, make_offers
from backend.lending.products import Product, ProductKind
from backend.lending.quoting import DEFAULT_AMORTIZATION, quote_fn
from backend.lending.schedules import Amortization
from backend.lending.underwriting import (
    BankStatementFeatures,
    Decision,
    KycResult,
    Outcome,
    UnderwritingInput,
    decide,
)
from backend.lending.underwriting_config import RuleSet, parse_ruleset
from backend.services.origination.errors import Conflict, Invalid, NotFound
from backend.services.origination.ports import (
    ApplicationRec,
    DecisionRec,
    OfferRec,
    OriginationUnitOfWork,
    ProductRec,
    StaleVersion,
)

_OUTCOME_TRANSITION = {
    Outcome.APPROVE: Transition.APPROVE,
    Outcome.REFER: Transition.REFER,
    Outcome.DECLINE: Transition.DECLINE,
}


@dataclass(frozen=True, slots=True)
class DraftFields:
    """What a borrower chooses; None on an update means 'unchanged'."""

    product_code: str | None = None
    requested_amount: Money | None = None
    term_count: int | None = None
    frequency: str | None = None
    purpose: str | None = None
    invoice: dict[str, Any] | None = None


def load_product_rec(uow: OriginationUnitOfWork, code: str) -> ProductRec:
    """The active version's row: a decision records its version, since products are re-versioned."""
    rec = uow.repo.product(code)
    if rec is None or not rec.active:
        raise Invalid(f"There is no product {code!r}.", field="product_code")
    return rec


def load_product(uow: OriginationUnitOfWork, code: str) -> Product:
    return Product.from_dict(load_product_rec(uow, code).definition)


def check_bounds(app: ApplicationRec, product: Product) -> None:
    """The product's limits, checked on every edit so a draft can never hold terms no offer can meet."""
    if app.currency != product.currency:
        raise Invalid(f"{product.code} lends in {product.currency}, not {app.currency}.", field="currency")
    if app.requested_amount_minor is not None:
        amount = Money(app.requested_amount_minor, app.currency)
        if not product.amount.allows(amount):
            raise Invalid(
                f"The amount must be between {product.amount.minimum.major} and "
                f"{product.amount.maximum.major} {product.currency}.",
                field="requested_amount",
                minimum_minor=product.amount.minimum.minor,
                maximum_minor=product.amount.maximum.minor,
            )
    if app.term_count is not None and not product.term.allows(app.term_count):
        raise Invalid(
            f"The term must be between {product.term.minimum} and {product.term.maximum} "
            f"{product.term.unit.value}.",
            field="term_count",
        )
    if app.frequency is not None and app.frequency not in {f.value for f in product.frequencies}:
        allowed = ", ".join(sorted(f.value for f in product.frequencies))
        raise Invalid(f"{product.code} is repaid {allowed}; not {app.frequency}.", field="frequency")
    if product.kind is ProductKind.INVOICE_FINANCING and app.invoice is not None:
        _check_invoice(app.invoice)


def _check_invoice(invoice: dict[str, Any]) -> None:
    for key in ("number", "debtor", "amount_minor", "due_date"):
        if key not in invoice:
            raise Invalid(f"The invoice needs {key}.", field=f"invoice.{key}")


def create_draft(
    customer_id: uuid.UUID, fields: DraftFields, uow: OriginationUnitOfWork, now: datetime
) -> ApplicationRec:
    if fields.product_code is None or fields.requested_amount is None:
        raise Invalid("A draft needs a product_code and a requested_amount.")
    with uow:
        if uow.repo.customer(customer_id) is None:
            raise Invalid("No such customer.", field="customer_id")
        product = load_product(uow, fields.product_code)
        app = ApplicationRec(
            id=uuid.uuid4(),
            customer_id=customer_id,
            product_code=product.code,
            status=Status.DRAFT.value,
            requested_amount_minor=fields.requested_amount.minor,
            currency=fields.requested_amount.currency,
            term_count=fields.term_count,
            frequency=fields.frequency,
            purpose=fields.purpose,
            invoice=fields.invoice,
            created_at=now,
        )
        check_bounds(app, product)
        uow.repo.add_application(app)
        _audit(uow, app, "application.created", {"product_code": app.product_code})
        uow.commit()
        return app


def update_draft(
    application_id: uuid.UUID, expected_version: int, fields: DraftFields, uow: OriginationUnitOfWork
) -> ApplicationRec:
    with uow:
        app = _get(uow, application_id, for_update=True)
        if app.status != Status.DRAFT.value:
            raise Conflict(f"Only a draft can be edited; this application is {app.status}.")
        if app.version != expected_version:
            raise Conflict("The application changed since you read it.", current_version=app.version)
        changes = {
            "product_code": fields.product_code,
            "requested_amount_minor": fields.requested_amount.minor if fields.requested_amount else None,
            "currency": fields.requested_amount.currency if fields.requested_amount else None,
            "term_count": fields.term_count,
            "frequency": fields.frequency,
            "purpose": fields.purpose,
            "invoice": fields.invoice,
        }
        updated = replace(app, **{k: v for k, v in changes.items() if v is not None})
        check_bounds(updated, load_product(uow, updated.product_code))
        saved = _save(uow, updated, expected_version)
        _audit(uow, saved, "application.updated", {k: v for k, v in changes.items() if v is not None})
        uow.commit()
        return saved


@dataclass(frozen=True, slots=True)
class SubmitInputs:
    """Evidence gathered outside the application. `kyc` comes from the caller until the KYC
    provider is integrated (sandbox: the API defaults it to verified)."""

    kyc: KycResult
    bank_statement: BankStatementFeatures | None = None
    existing_debt_service: Money | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    application: ApplicationRec
    decision: DecisionRec
    record: dict[str, Any]
    offers: list[OfferRec]


def submit(
    application_id: uuid.UUID, inputs: SubmitInputs, uow: OriginationUnitOfWork, now: datetime
) -> Submitted:
    with uow:
        app = _get(uow, application_id, for_update=True)
        read_version = app.version
        status = _step(app, Transition.SUBMIT)
        if app.requested_amount_minor is None or app.term_count is None or app.frequency is None:
            raise Invalid("Set requested_amount, term_count and frequency before submitting.")
        product_rec = load_product_rec(uow, app.product_code)
        product = Product.from_dict(product_rec.definition)
        check_bounds(app, product)
        if product.kind is ProductKind.INVOICE_FINANCING:
            if app.invoice is None:
                raise Invalid("Invoice financing needs the invoice.", field="invoice")
            if invoice_due_date(app.invoice) <= now.date():
                raise Invalid("The invoice must fall due after today.", field="invoice.due_date")
        request, ruleset = underwriting_request(uow, app, product, inputs)
        try:
            decision = decide(request, ruleset)
        except CurrencyMismatch as exc:
            raise Invalid(f"Underwriting lends in {ruleset.currency}: {exc}") from None

        app.submitted_at = now
        app.status = status.value
        _audit(uow, app, "application.submitted", {})
        app.status = _step(app, Transition.START_REVIEW).value
        _audit(uow, app, "application.review_started", {})
        done = store_decision(uow, app, read_version, decision, product_rec, now)
        uow.commit()
        return done


def underwriting_request(
    uow: OriginationUnitOfWork, app: ApplicationRec, product: Product, inputs: SubmitInputs
) -> tuple[UnderwritingInput, RuleSet]:
    """The rule set's input from the application, the customer's business profile and the evidence."""
    assert app.requested_amount_minor is not None
    profile = uow.repo.profile(app.customer_id)
    if profile is None:
        raise Invalid("Add the customer's business profile before submitting.", field="customer_id")
    text = uow.repo.ruleset_text()
    if text is None:
        raise Conflict("This tenant has no underwriting rule set configured.")
    request = UnderwritingInput(
        requested_amount=Money(app.requested_amount_minor, app.currency),
        product_kind=product.kind.value,
        business_type=BusinessType(profile.business_type),
        months_in_business=profile.months_in_business,
        monthly_revenue=Money(profile.monthly_revenue_minor, profile.currency),
        kyc=inputs.kyc,
        bank_statement=inputs.bank_statement,
        existing_debt_service=inputs.existing_debt_service,
    )
    return request, parse_ruleset(text)


def store_decision(
    uow: OriginationUnitOfWork,
    app: ApplicationRec,
    read_version: int,
    decision: Decision,
    product_rec: ProductRec,
    now: datetime,
    extra_record: dict[str, Any] | None = None,
) -> Submitted:
    """Move an application under review to the decision's outcome and store the decision, its
    audit row and (on approval) the offers, in the caller's transaction."""
    app.status = _step(app, _OUTCOME_TRANSITION[decision.outcome]).value
    saved = _save(uow, app, read_version)

    record = {**decision.to_record(), **(extra_record or {})}
    decision_rec = DecisionRec(
        id=uuid.uuid4(),
        application_id=app.id,
        outcome=decision.outcome.value,
        risk_grade=decision.grade,
        limit_minor=decision.limit.minor if decision.limit else None,
        currency=app.currency,
        reasons=[r.text for r in decision.reasons],
        documents_required=list(decision.documents),
        ruleset_id=decision.ruleset_id,
        ruleset_version=str(decision.ruleset_version),
        inputs=record,
        created_at=now,
        product_code=product_rec.code,
        product_version=product_rec.version,
    )
    uow.repo.add_decision(decision_rec)
    _audit(
        uow,
        saved,
        f"application.{saved.status}",
        {
            "decision_id": str(decision_rec.id),
            "grade": decision.grade,
            "limit_minor": decision_rec.limit_minor,
            "reasons": [r.code for r in decision.reasons],
            "ruleset": record["ruleset"],
            **({"cleared": record["cleared_knockouts"]} if "cleared_knockouts" in record else {}),
        },
    )
    offers = _store_offers(uow, saved, decision, decision_rec, now)
    return Submitted(saved, decision_rec, record, offers)


def _store_offers(
    uow: OriginationUnitOfWork, app: ApplicationRec, decision: Decision, rec: DecisionRec, now: datetime
) -> list[OfferRec]:
    if decision.outcome is not Outcome.APPROVE:
        return []
    lenders = []
    for lender in uow.repo.lenders():
        try:
            lenders.append(lender_from_config(lender.code, lender.name, lender.pricing))
        except InvalidLender:
            continue  # a misconfigured lender makes no offer; the admin API refuses new ones
    offers, amortization, maturity = _priced(app, load_product(uow, app.product_code), decision, lenders, now)
    stored = [
        _offer_rec(app, rec, rank, offer, now, amortization, maturity)
        for rank, offer in enumerate(offers, start=1)
    ]
    for offer_rec in stored:
        uow.repo.add_offer(offer_rec)
        uow.audit.append(
            actor="system",
            action="offer.created",
            subject_type="offer",
            subject_id=str(offer_rec.id),
            data={"application_id": str(app.id), "lender": offer_rec.lender_code, "rank": offer_rec.rank},
        )
    return stored


def _priced(
    app: ApplicationRec, product: Product, decision: Decision, lenders: list[Lender], now: datetime
) -> tuple[list[Offer], Amortization, date | None]:
    """Offers in the shape of the product's kind, with the amortization (and, for a single payment,
    the maturity) that disbursement will rebuild the same schedule from."""
    assert app.term_count is not None and app.frequency is not None and app.requested_amount_minor is not None
    today = now.date()
    if product.kind is ProductKind.BNPL:
        price = Money(app.requested_amount_minor, app.currency)
        offer = bnpl_offer(decision, product, price, quote_fn(today, Amortization.PAY_IN_N))
        return ([offer] if offer else []), Amortization.PAY_IN_N, None
    if product.kind is ProductKind.INVOICE_FINANCING:
        assert app.invoice is not None
        maturity = invoice_due_date(app.invoice)
        invoice_amount = Money(int(app.invoice["amount_minor"]), app.currency)
        offers = make_offers(
            invoice_decision(decision, product, invoice_amount),
            lenders,
            1,
            Frequency(app.frequency),
            quote_fn(today, Amortization.BULLET, maturity),
            match_terms=False,
        )
        return offers, Amortization.BULLET, maturity
    offers = make_offers(decision, lenders, app.term_count, Frequency(app.frequency), quote_fn(today))
    return offers, DEFAULT_AMORTIZATION, None


def invoice_due_date(invoice: dict[str, Any]) -> date:
    try:
        return date.fromisoformat(str(invoice["due_date"]))
    except ValueError:
        raise Invalid("The invoice due_date must be a date (YYYY-MM-DD).", field="invoice.due_date") from None


def _offer_rec(
    app: ApplicationRec,
    decision: DecisionRec,
    rank: int,
    offer: Offer,
    now: datetime,
    amortization: Amortization = DEFAULT_AMORTIZATION,
    maturity: date | None = None,
) -> OfferRec:
    return OfferRec(
        id=uuid.uuid4(),
        application_id=app.id,
        decision_id=decision.id,
        lender_code=offer.lender_id,
        rank=rank,
        amount_minor=offer.amount.minor,
        currency=offer.amount.currency,
        term_count=offer.term_count,
        frequency=offer.frequency.value,
        amortization=amortization.value,
        maturity_date=maturity,
        payment_minor=offer.periodic_payment.minor,
        annual_rate=str(offer.nominal_rate),
        apr=str(offer.apr),
        fees=[
            {
                "name": f.name,
                "amount_minor": f.amount.minor,
                "currency": f.amount.currency,
                "treatment": "deducted",  # taken from the payout, not financed
            }
            for f in offer.fees
        ],
        total_repayable_minor=offer.total_repayable.minor,
        created_at=now,
    )


def cancel(application_id: uuid.UUID, uow: OriginationUnitOfWork) -> ApplicationRec:
    with uow:
        app = _get(uow, application_id, for_update=True)
        read_version = app.version
        app.status = _step(app, Transition.CANCEL).value
        saved = _save(uow, app, read_version)
        for offer in uow.repo.offers(app.id):
            if offer.status == "open":
                uow.repo.set_offer_status(offer.id, "expired")
        _audit(uow, saved, "application.cancelled", {})
        uow.commit()
        return saved


def get_application(application_id: uuid.UUID, uow: OriginationUnitOfWork) -> ApplicationRec:
    with uow:
        return _get(uow, application_id)


def _get(
    uow: OriginationUnitOfWork, application_id: uuid.UUID, *, for_update: bool = False
) -> ApplicationRec:
    app = uow.repo.application(application_id, for_update=for_update)
    if app is None:
        raise NotFound("No such application.")
    return app


def _step(app: ApplicationRec, transition: Transition) -> Status:
    try:
        return next_status(Status(app.status), transition)
    except IllegalTransition as exc:
        raise Conflict(
            f"Cannot {transition.value} an application that is {app.status}.", current_status=app.status
        ) from exc


def _save(uow: OriginationUnitOfWork, app: ApplicationRec, expected_version: int) -> ApplicationRec:
    try:
        return uow.repo.save_application(app, expected_version)
    except StaleVersion:
        raise Conflict("The application changed since it was read; read it again.") from None


def _audit(uow: OriginationUnitOfWork, app: ApplicationRec, action: str, data: dict[str, Any]) -> None:
    uow.audit.append(
        actor="api",
        action=action,
        subject_type="application",
        subject_id=str(app.id),
        data={"status": app.status, **data},
    )


def list_applications(
    uow: OriginationUnitOfWork,
    customer_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ApplicationRec]:
    with uow:
        return uow.repo.applications(customer_id, after, limit)


def latest_decision(application_id: uuid.UUID, uow: OriginationUnitOfWork) -> DecisionRec | None:
    with uow:
        _get(uow, application_id)
        return uow.repo.latest_decision(application_id)
