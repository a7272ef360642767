"""SQLAlchemy implementation of the onboarding ports, scoped to one tenant per unit of work."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import Customer
from backend.adapters.db.onboarding_models import (
    ApplicationDocument,
    Consent,
    ConsentPolicy,
    CustomerOnboarding,
    Document,
    DocumentBlob,
    VerificationCheck,
)
from backend.adapters.db.origination_repository import SqlOriginationUow, _after, _rec, _values
from backend.services.onboarding.ports import (
    AttachmentRec,
    CheckRec,
    ConsentRec,
    DocumentRec,
    OnboardingRec,
    PolicyRec,
)


class SqlOnboardingRepository:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self._s = session
        self._t = tenant_id

    def policy(self) -> PolicyRec | None:
        row = self._s.scalar(
            select(ConsentPolicy)
            .where(ConsentPolicy.tenant_id == self._t)
            .order_by(ConsentPolicy.created_at.desc())
            .limit(1)
        )
        return PolicyRec(row.version, row.text, row.created_at) if row else None

    def add_policy(self, rec: PolicyRec) -> None:
        self._s.add(ConsentPolicy(tenant_id=self._t, version=rec.version, text=rec.text))
        self._s.flush()

    def add_consent(self, rec: ConsentRec) -> None:
        self._s.add(Consent(tenant_id=self._t, **_values(rec)))
        self._s.flush()

    def latest_consent(self, customer_id: uuid.UUID) -> ConsentRec | None:
        row = self._s.scalar(
            select(Consent)
            .where(Consent.tenant_id == self._t, Consent.customer_id == customer_id)
            .order_by(Consent.created_at.desc(), Consent.id.desc())
            .limit(1)
        )
        return _rec(row, ConsentRec) if row else None

    def _set_customer(self, customer_id: uuid.UUID, **values: object) -> None:
        self._s.execute(
            update(Customer).where(Customer.id == customer_id, Customer.tenant_id == self._t).values(**values)
        )

    def set_consented_at(self, customer_id: uuid.UUID, at: datetime | None) -> None:
        self._set_customer(customer_id, consented_at=at)

    def set_full_name(self, customer_id: uuid.UUID, full_name: str) -> None:
        self._set_customer(customer_id, full_name=full_name)

    def _onboarding_row(
        self, customer_id: uuid.UUID, *, for_update: bool = False
    ) -> CustomerOnboarding | None:
        stmt = select(CustomerOnboarding).where(
            CustomerOnboarding.tenant_id == self._t, CustomerOnboarding.customer_id == customer_id
        )
        return self._s.scalar(stmt.with_for_update() if for_update else stmt)

    def onboarding(self, customer_id: uuid.UUID, *, for_update: bool = False) -> OnboardingRec | None:
        row = self._onboarding_row(customer_id, for_update=for_update)
        return _rec(row, OnboardingRec) if row else None

    def put_onboarding(self, rec: OnboardingRec) -> None:
        row = self._onboarding_row(rec.customer_id)
        if row is None:
            self._s.add(CustomerOnboarding(tenant_id=self._t, **_values(rec)))
        else:
            for name, value in _values(rec).items():
                setattr(row, name, value)
            row.kyc_status, row.kyb_status = rec.kyc_status, rec.kyb_status
        self._s.flush()

    def customers_with_id_hash(self, id_number_hash: str) -> list[uuid.UUID]:
        return list(
            self._s.scalars(
                select(CustomerOnboarding.customer_id).where(
                    CustomerOnboarding.tenant_id == self._t,
                    CustomerOnboarding.id_number_hash == id_number_hash,
                )
            )
        )

    def add_document(self, rec: DocumentRec) -> None:
        self._s.add(Document(tenant_id=self._t, **_values(rec)))
        self._s.flush()

    def document(self, document_id: uuid.UUID) -> DocumentRec | None:
        row = self._s.scalar(
            select(Document).where(Document.id == document_id, Document.tenant_id == self._t)
        )
        return _rec(row, DocumentRec) if row else None

    def documents(
        self, customer_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[DocumentRec]:
        stmt = select(Document).where(Document.tenant_id == self._t, Document.customer_id == customer_id)
        rows = self._s.scalars(
            _after(stmt, Document, after).order_by(Document.created_at, Document.id).limit(limit)
        )
        return [_rec(r, DocumentRec) for r in rows]

    def document_kinds(self, customer_id: uuid.UUID) -> set[str]:
        return set(
            self._s.scalars(
                select(Document.kind)
                .where(Document.tenant_id == self._t, Document.customer_id == customer_id)
                .distinct()
            )
        )

    def add_check(self, rec: CheckRec) -> None:
        self._s.add(VerificationCheck(tenant_id=self._t, **_values(rec)))
        self._s.flush()

    def add_attachment(self, rec: AttachmentRec) -> None:
        self._s.add(ApplicationDocument(tenant_id=self._t, **_values(rec)))
        self._s.flush()

    def attachments(self, application_id: uuid.UUID) -> list[AttachmentRec]:
        rows = self._s.scalars(
            select(ApplicationDocument)
            .where(
                ApplicationDocument.tenant_id == self._t, ApplicationDocument.application_id == application_id
            )
            .order_by(ApplicationDocument.created_at, ApplicationDocument.id)
        )
        return [_rec(r, AttachmentRec) for r in rows]


class SqlDocumentStore:
    """The embedded default: bytes in `document_blobs`, in the caller's transaction, so a document
    and its bytes are stored together or not at all. References look like `db:<document id>`."""

    PREFIX = "db:"

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self._s, self._t = session, tenant_id

    def put(self, document_id: uuid.UUID, content: bytes) -> str:
        self._s.add(DocumentBlob(document_id=document_id, tenant_id=self._t, content=content))
        self._s.flush()
        return f"{self.PREFIX}{document_id}"

    def get(self, ref: str) -> bytes | None:
        if not ref.startswith(self.PREFIX):
            return None
        try:
            document_id = uuid.UUID(ref.removeprefix(self.PREFIX))
        except ValueError:
            return None
        return self._s.scalar(
            select(DocumentBlob.content).where(
                DocumentBlob.document_id == document_id, DocumentBlob.tenant_id == self._t
            )
        )


class SqlOnboardingUow(SqlOriginationUow):
    """Origination's unit of work plus onboarding's repository and the document store."""

    @classmethod
    def joining(cls, session: Session, tenant_id: uuid.UUID) -> Self:  # type: ignore[override]
        return cls(tenant_id, session=session)

    def _bind(self, session: Session) -> None:
        super()._bind(session)
        self.onboarding = SqlOnboardingRepository(session, self.tenant_id)
        self.store = SqlDocumentStore(session, self.tenant_id)


def onboarding_uow(sessions: sessionmaker[Session], tenant_id: uuid.UUID) -> SqlOnboardingUow:
    return SqlOnboardingUow(tenant_id, sessions)
