"""Documents a customer sends: ID photos, selfies, registration certificates, bank statements.

Checked before storing: the kind we know, a content type we can open, at most 10 MB, and bytes
that really are what the content type says (a "photo" that is an executable is refused), because
a chat attachment is untrusted input. The SHA-256 identifies the exact bytes a decision saw.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.services.onboarding.consent import require_consent
from backend.services.onboarding.ports import DOCUMENT_KINDS, DocumentRec, OnboardingUnitOfWork
from backend.services.onboarding.status import onboarding_status
from backend.services.origination.errors import Invalid, NotFound

# Fits a phone camera photo or a year of statements, and keeps one upload's base64 body (~13.4 MB)
# within what the API and the database take in one request.
MAX_BYTES = 10 * 1024 * 1024
ALLOWED_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf", "text/csv")


def sniff_matches(content_type: str, content: bytes) -> bool:
    """The file's first bytes (its 'magic number') match the declared type."""
    if content_type == "image/jpeg":
        return content.startswith(b"\xff\xd8\xff")
    if content_type == "image/png":
        return content.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/webp":
        return content[:4] == b"RIFF" and content[8:12] == b"WEBP"
    if content_type == "application/pdf":
        return content.startswith(b"%PDF-")
    if content_type == "text/csv":
        if b"\x00" in content:
            return False
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    return False


def _clean_filename(filename: str) -> str:
    """The last path segment only, printable, at most 200 characters: the name is shown to agents
    and used in a download header, never as a path."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"\r\n').strip()
    return (name or "document")[:200]


@dataclass(frozen=True, slots=True)
class NewDocument:
    customer_id: uuid.UUID
    kind: str
    content_type: str
    filename: str
    content: bytes


def validate(doc: NewDocument) -> None:
    if doc.kind not in DOCUMENT_KINDS:
        raise Invalid(f"kind must be one of {', '.join(DOCUMENT_KINDS)}.", field="kind")
    content_type = doc.content_type.split(";")[0].strip().lower()
    if content_type not in ALLOWED_TYPES:
        raise Invalid(f"content_type must be one of {', '.join(ALLOWED_TYPES)}.", field="content_type")
    if not doc.content:
        raise Invalid("The document is empty.", field="content_base64")
    if len(doc.content) > MAX_BYTES:
        raise Invalid("A document can be at most 10 MB.", field="content_base64", max_bytes=MAX_BYTES)
    if not sniff_matches(content_type, doc.content):
        raise Invalid(f"The file is not a {content_type} file.", field="content_type")


def store_document(doc: NewDocument, uow: OnboardingUnitOfWork, now: datetime) -> DocumentRec:
    validate(doc)
    with uow:
        require_consent(uow, doc.customer_id)
        document_id = uuid.uuid4()
        rec = DocumentRec(
            id=document_id,
            customer_id=doc.customer_id,
            kind=doc.kind,
            content_type=doc.content_type.split(";")[0].strip().lower(),
            filename=_clean_filename(doc.filename),
            size_bytes=len(doc.content),
            sha256=hashlib.sha256(doc.content).hexdigest(),
            storage_ref=uow.store.put(document_id, doc.content),
            created_at=now,
        )
        uow.onboarding.add_document(rec)
        uow.audit.append(
            actor="api",
            action="document.stored",
            subject_type="customer",
            subject_id=str(doc.customer_id),
            data={"document_id": str(rec.id), "kind": rec.kind, "sha256": rec.sha256, "size": rec.size_bytes},
        )
        uow.commit()
        return rec


_ATTACHMENT_STEPS = ("id_document", "selfie", "registration_document")


def store_chat_attachment(
    customer_id: uuid.UUID,
    content_type: str,
    filename: str,
    content: bytes,
    uow: OnboardingUnitOfWork,
    now: datetime,
    kind: str | None = None,
) -> DocumentRec:
    """For the conversation gateway, in-process: a file a customer sent in chat. Without a `kind`
    it is the document onboarding asks for next (the bot just asked for it), else `other`."""
    if kind is None:
        status = onboarding_status(customer_id, uow)
        wanted = [m for m in status.missing if m in _ATTACHMENT_STEPS]
        kind = wanted[0] if wanted else "other"
    return store_document(NewDocument(customer_id, kind, content_type, filename, content), uow, now)


def get_document(document_id: uuid.UUID, uow: OnboardingUnitOfWork) -> DocumentRec:
    with uow:
        rec = uow.onboarding.document(document_id)
        if rec is None:
            raise NotFound("No such document.")
        return rec


def get_content(document_id: uuid.UUID, uow: OnboardingUnitOfWork) -> tuple[DocumentRec, bytes]:
    with uow:
        rec = uow.onboarding.document(document_id)
        content = uow.store.get(rec.storage_ref) if rec is not None else None
        if rec is None or content is None:
            raise NotFound("No such document.")
        return rec, content


def list_documents(
    customer_id: uuid.UUID,
    uow: OnboardingUnitOfWork,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[DocumentRec]:
    with uow:
        if uow.repo.customer(customer_id) is None:
            raise NotFound("No such customer.")
        return uow.onboarding.documents(customer_id, after, limit)
