"""A referred application: attach the documents the decision asked for, then decide again.

The referral named its documents (`documents_required`); each is answered by one of the
customer's stored documents of the matching kind. Redeciding runs the same rule set on the new
evidence: a CSV bank statement is parsed into the features the rules read; a PDF statement cannot
be read by the parser, so it is refused with `statement-needs-review` and waits for a person, who
redecides with the figures they read (`bank_statement` in the request). Refer rules that the new
evidence cannot change are cleared by the documents themselves (see `backend.lending.referrals`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.lending.applications import Status, Transition
from backend.lending.bank_statements import UnreadableStatement, features_from_csv
from backend.lending.money import CurrencyMismatch
from backend.lending.products import Product
from backend.lending.referrals import cleared_knockouts, decide_with_cleared, document_kind_for
from backend.lending.underwriting import BankStatementFeatures, KycResult, inputs_from_record
from backend.services.onboarding.errors import DocumentsMissing, StatementNeedsReview
from backend.services.onboarding.ports import AttachmentRec, DocumentRec, OnboardingUnitOfWork
from backend.services.origination.applications import (
    SubmitInputs,
    Submitted,
    _audit,
    _get,
    _step,
    load_product_rec,
    store_decision,
    underwriting_request,
)
from backend.services.origination.errors import Conflict, Invalid


@dataclass(frozen=True, slots=True)
class Attached:
    attachment: AttachmentRec
    outstanding: list[str]


def _required(uow: OnboardingUnitOfWork, application_id: uuid.UUID) -> list[str]:
    decision = uow.repo.latest_decision(application_id)
    return list(decision.documents_required) if decision else []


def _outstanding(required: list[str], attachments: list[AttachmentRec]) -> list[str]:
    have = {a.kind for a in attachments}
    return [r for r in required if r not in have]


def attach_document(
    application_id: uuid.UUID, document_id: uuid.UUID, kind: str, uow: OnboardingUnitOfWork, now: datetime
) -> Attached:
    """`kind` is the requested document's name from `documents_required` ("bank_statement_6m");
    the document must be the customer's own and of the kind that answers it (a bank_statement)."""
    with uow:
        app = _get(uow, application_id, for_update=True)
        if app.status != Status.REFERRED.value:
            raise Conflict(
                f"Documents are attached to a referred application; this one is {app.status}.",
                current_status=app.status,
            )
        required = _required(uow, application_id)
        if kind not in required:
            raise Invalid(
                f"kind must be one of the requested documents: {', '.join(required)}.", field="kind"
            )
        doc = uow.onboarding.document(document_id)
        if doc is None or doc.customer_id != app.customer_id:
            raise Invalid("No such document for this application's customer.", field="document_id")
        wanted = document_kind_for(kind)
        if doc.kind != wanted:
            raise Invalid(
                f"{kind} is answered by a {wanted} document, not a {doc.kind}.", field="document_id"
            )
        rec = AttachmentRec(
            id=uuid.uuid4(), application_id=application_id, document_id=document_id, kind=kind, created_at=now
        )
        uow.onboarding.add_attachment(rec)
        _audit(uow, app, "application.document_attached", {"document_id": str(document_id), "kind": kind})
        outstanding = _outstanding(required, uow.onboarding.attachments(application_id))
        uow.commit()
        return Attached(rec, outstanding)


def _statement(
    uow: OnboardingUnitOfWork, attachments: list[AttachmentRec], currency: str
) -> tuple[BankStatementFeatures | None, DocumentRec | None]:
    """The newest attached bank statement, parsed."""
    statements = [a for a in attachments if document_kind_for(a.kind) == "bank_statement"]
    if not statements:
        return None, None
    newest = max(statements, key=lambda a: a.created_at)
    doc = uow.onboarding.document(newest.document_id)
    assert doc is not None
    if doc.content_type != "text/csv":
        raise StatementNeedsReview(
            "This bank statement is a PDF, which a person reads before we decide again; "
            "the customer can send the CSV export from their bank app to decide at once.",
            document_id=str(doc.id),
        )
    content = uow.store.get(doc.storage_ref) or b""
    try:
        return features_from_csv(content.decode("utf-8"), currency), doc
    except (UnreadableStatement, UnicodeDecodeError) as exc:
        raise Invalid(f"We could not read the bank statement: {exc}", field="document_id") from None


def redecide(
    application_id: uuid.UUID,
    uow: OnboardingUnitOfWork,
    now: datetime,
    reviewed_statement: BankStatementFeatures | None = None,
) -> Submitted:
    """Decide a referred application again. Evidence: the customer's current KYC status (or the
    one the referral was decided with, if no check has run since), the attached statement (or a
    reviewer's reading of a PDF one, `reviewed_statement`), and the rest of the first decision's
    inputs."""
    with uow:
        app = _get(uow, application_id, for_update=True)
        read_version = app.version
        status = _step(app, Transition.RESUBMIT)
        previous = uow.repo.latest_decision(application_id)
        required = list(previous.documents_required) if previous else []
        attachments = uow.onboarding.attachments(application_id)
        outstanding = _outstanding(required, attachments)
        if outstanding:
            raise DocumentsMissing(
                f"Attach {', '.join(outstanding)} before deciding again.", outstanding=outstanding
            )
        before = (
            inputs_from_record(previous.inputs["inputs"])
            if previous and "inputs" in previous.inputs
            else None
        )
        onboarding = uow.onboarding.onboarding(app.customer_id)
        kyc = (
            KycResult(onboarding.kyc_status)
            if onboarding is not None and onboarding.kyc_status != "not_started"
            else (before.kyc if before else KycResult.NEEDS_REVIEW)
        )
        statement, statement_doc = reviewed_statement, None
        if statement is None:
            statement, statement_doc = _statement(uow, attachments, app.currency)
        if statement is None and before is not None:
            statement = before.bank_statement
        inputs = SubmitInputs(
            kyc=kyc,
            bank_statement=statement,
            existing_debt_service=before.existing_debt_service if before else None,
        )
        product_rec = load_product_rec(uow, app.product_code)
        request, ruleset = underwriting_request(uow, app, Product.from_dict(product_rec.definition), inputs)
        cleared = cleared_knockouts(ruleset, {a.kind for a in attachments})
        try:
            decision = decide_with_cleared(request, ruleset, cleared)
        except CurrencyMismatch as exc:
            raise Invalid(f"Underwriting lends in {ruleset.currency}: {exc}") from None
        app.status = status.value
        evidence: dict[str, Any] = {
            "documents": [str(a.document_id) for a in attachments],
            "statement_document_id": str(statement_doc.id) if statement_doc else None,
            "statement_reviewed_by_person": reviewed_statement is not None,
        }
        _audit(uow, app, "application.resubmitted", evidence)
        done = store_decision(
            uow,
            app,
            read_version,
            decision,
            product_rec,
            now,
            {"cleared_knockouts": list(cleared), "evidence": evidence},
        )
        uow.commit()
        return done
