"""/v1 documents: a customer's uploads (ID photos, selfies, certificates, statements), their bytes,
and the documents a referred application asked for, with the redecision they feed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.api.paging import CursorQuery, LimitQuery, Page
from backend.api.routes._origination import next_cursor, now, parse_cursor
from backend.api.routes.applications import (
    ApplicationOut,
    BankStatementIn,
    DecisionOut,
    OfferOut,
    SubmittedOut,
)
from backend.api.routes.onboarding import onboarding_problems, onboarding_uow_for, onboarding_uow_in
from backend.lending.underwriting import BankStatementFeatures
from backend.services.onboarding import documents as svc
from backend.services.onboarding import referrals
from backend.services.onboarding.documents import MAX_BYTES
from backend.services.onboarding.ports import DocumentRec

customer_documents = APIRouter(prefix="/v1/customers/{customer_id}/documents", tags=["documents"])
documents_router = APIRouter(prefix="/v1/documents", tags=["documents"])
application_documents = APIRouter(prefix="/v1/applications/{application_id}", tags=["applications"])

_MAX_BASE64 = (MAX_BYTES + 2) // 3 * 4


class DocumentIn(BaseModel):
    kind: str = Field(
        description="id_document, selfie, registration_document, bank_statement, invoice, "
        "dispute_evidence or other"
    )
    content_type: str = Field(description="image/jpeg, image/png, image/webp, application/pdf or text/csv")
    filename: str = Field(min_length=1, max_length=300)
    content_base64: str = Field(
        min_length=1, max_length=_MAX_BASE64 + 4, description="At most 10 MB decoded."
    )


class DocumentOut(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    kind: str
    content_type: str
    filename: str
    size: int
    sha256: str
    created_at: datetime

    @classmethod
    def of(cls, rec: DocumentRec) -> DocumentOut:
        return cls(
            id=rec.id,
            customer_id=rec.customer_id,
            kind=rec.kind,
            content_type=rec.content_type,
            filename=rec.filename,
            size=rec.size_bytes,
            sha256=rec.sha256,
            created_at=rec.created_at,
        )


class AttachIn(BaseModel):
    document_id: uuid.UUID
    kind: str = Field(description="A name from the decision's documents_required, e.g. bank_statement_6m.")


class AttachedOut(BaseModel):
    application_id: uuid.UUID
    document_id: uuid.UUID
    kind: str
    attached_at: datetime
    outstanding: list[str] = Field(description="Requested documents still to attach; empty: redecide.")


class RedecideIn(BaseModel):
    bank_statement: BankStatementIn | None = Field(
        default=None,
        description="A reviewer's reading of a PDF statement; omitted: the attached CSV statement is parsed.",
    )


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Problem(422, "invalid", "content_base64 is not valid base64.", field="content_base64") from None


@customer_documents.post("", status_code=201, response_model=DocumentOut)
def upload_document(
    customer_id: uuid.UUID,
    body: DocumentIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Store a document after consent; the bytes must match the declared content type."""
    content = _decode(body.content_base64)
    doc = svc.NewDocument(customer_id, body.kind, body.content_type, body.filename, content)

    def run(session: Session) -> dict[str, Any]:
        with onboarding_problems():
            rec = svc.store_document(doc, onboarding_uow_in(session, tenant), now())
        return DocumentOut.of(rec).model_dump(mode="json")

    # The fingerprint covers the bytes' digest, not a 13 MB body.
    request = {
        "customer_id": str(customer_id),
        **body.model_dump(exclude={"content_base64"}),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    return idempotency.once(c.sessions, tenant, idempotency_key, request, run)


@customer_documents.get("", response_model=Page[DocumentOut])
def list_documents(
    customer_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[DocumentOut]:
    """Oldest first."""
    with onboarding_problems():
        rows = svc.list_documents(
            customer_id, onboarding_uow_for(c.sessions, tenant), parse_cursor(cursor), limit
        )
    return Page(items=[DocumentOut.of(r) for r in rows], next_cursor=next_cursor(list(rows), limit))


@documents_router.get("/{document_id}", response_model=DocumentOut)
def get_document(document_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> DocumentOut:
    with onboarding_problems():
        return DocumentOut.of(svc.get_document(document_id, onboarding_uow_for(c.sessions, tenant)))


@documents_router.get("/{document_id}/content", response_class=Response)
def get_document_content(document_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> Response:
    """The bytes, as a download (never rendered inline: an uploaded file is untrusted)."""
    with onboarding_problems():
        rec, content = svc.get_content(document_id, onboarding_uow_for(c.sessions, tenant))
    return Response(
        content,
        media_type=rec.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{rec.filename}"',
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{rec.sha256}"',
        },
    )


@application_documents.post("/documents", status_code=201, response_model=AttachedOut)
def attach_document(
    application_id: uuid.UUID,
    body: AttachIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Attach one of the customer's documents as a document the referral asked for."""

    def run(session: Session) -> dict[str, Any]:
        with onboarding_problems():
            done = referrals.attach_document(
                application_id, body.document_id, body.kind, onboarding_uow_in(session, tenant), now()
            )
        return AttachedOut(
            application_id=application_id,
            document_id=done.attachment.document_id,
            kind=done.attachment.kind,
            attached_at=done.attachment.created_at,
            outstanding=done.outstanding,
        ).model_dump(mode="json")

    request = {"application_id": str(application_id), **body.model_dump(mode="json")}
    return idempotency.once(c.sessions, tenant, idempotency_key, request, run)


@application_documents.post("/redecide", response_model=SubmittedOut)
def redecide(
    application_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    body: RedecideIn | None = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Decide a referred application again with its attached documents; stores a new decision."""
    body = body or RedecideIn()
    statement = body.bank_statement
    reviewed = (
        None
        if statement is None
        else BankStatementFeatures(
            statement.average_monthly_inflow.to_money(), statement.bounced_payments, statement.months_covered
        )
    )

    def run(session: Session) -> dict[str, Any]:
        with onboarding_problems():
            done = referrals.redecide(application_id, onboarding_uow_in(session, tenant), now(), reviewed)
        return SubmittedOut(
            application=ApplicationOut.of(done.application),
            decision=DecisionOut.of(done.decision),
            offers=[OfferOut.of(o) for o in done.offers],
        ).model_dump(mode="json")

    request = {"redecide": str(application_id), **body.model_dump(mode="json")}
    return idempotency.once(c.sessions, tenant, idempotency_key, request, run)
