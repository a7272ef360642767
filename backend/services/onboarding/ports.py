"""Ports of the onboarding use cases. One tenant per unit of work, like origination's; the unit of
work also offers origination's repository, because referral documents feed a redecision."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from backend.services.origination.ports import OriginationUnitOfWork

DOCUMENT_KINDS = (
    "id_document",
    "selfie",
    "registration_document",
    "bank_statement",
    "invoice",
    "dispute_evidence",
    "other",
)
CHECK_STATUSES = ("not_started", "verified", "needs_review", "failed")


@dataclass(slots=True)
class PolicyRec:
    version: str
    text: str
    created_at: datetime | None = None


@dataclass(slots=True)
class ConsentRec:
    id: uuid.UUID
    customer_id: uuid.UUID
    policy_version: str
    channel: str
    accepted: bool
    created_at: datetime


@dataclass(slots=True)
class OnboardingRec:
    """What onboarding knows about one customer beyond the customers row. The identity number is
    never here in clear: a ciphertext to read it back for the provider, a keyed hash to find
    duplicates, and the last four digits to show it masked without decrypting."""

    customer_id: uuid.UUID
    applicant_type: str | None = None
    date_of_birth: date | None = None
    id_type: str | None = None
    id_number_ciphertext: str | None = None
    id_number_hash: str | None = None
    id_number_last4: str | None = None
    kyc_status: str = "not_started"
    kyb_status: str = "not_started"
    business_name: str | None = None
    registration_number: str | None = None
    tin: str | None = None
    business_type: str | None = None
    months_in_business: int | None = None
    registration_document_id: uuid.UUID | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class DocumentRec:
    id: uuid.UUID
    customer_id: uuid.UUID
    kind: str
    content_type: str
    filename: str
    size_bytes: int
    sha256: str
    storage_ref: str
    created_at: datetime


@dataclass(slots=True)
class CheckRec:
    """One KYC or KYB verification, with the provider's own reference for a dispute or an audit."""

    id: uuid.UUID
    customer_id: uuid.UUID
    kind: str  # "kyc" | "kyb"
    status: str
    reasons: list[str]
    provider: str
    provider_reference: str | None
    document_ids: list[str] = field(default_factory=list)
    checked_at: datetime | None = None


@dataclass(slots=True)
class AttachmentRec:
    """A customer's document attached to an application as the answer to a requested document."""

    id: uuid.UUID
    application_id: uuid.UUID
    document_id: uuid.UUID
    kind: str
    created_at: datetime


class OnboardingRepository(Protocol):
    """Every method reads or writes the unit of work's tenant only."""

    def policy(self) -> PolicyRec | None:
        """The tenant's newest privacy notice; None when it uses the default text."""
        ...

    def add_policy(self, rec: PolicyRec) -> None: ...
    def add_consent(self, rec: ConsentRec) -> None: ...
    def latest_consent(self, customer_id: uuid.UUID) -> ConsentRec | None: ...
    def set_consented_at(self, customer_id: uuid.UUID, at: datetime | None) -> None: ...
    def set_full_name(self, customer_id: uuid.UUID, full_name: str) -> None: ...
    def onboarding(self, customer_id: uuid.UUID, *, for_update: bool = False) -> OnboardingRec | None: ...
    def put_onboarding(self, rec: OnboardingRec) -> None: ...
    def customers_with_id_hash(self, id_number_hash: str) -> list[uuid.UUID]: ...
    def add_document(self, rec: DocumentRec) -> None: ...
    def document(self, document_id: uuid.UUID) -> DocumentRec | None: ...
    def documents(
        self, customer_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[DocumentRec]: ...
    def document_kinds(self, customer_id: uuid.UUID) -> set[str]: ...
    def add_check(self, rec: CheckRec) -> None: ...
    def add_attachment(self, rec: AttachmentRec) -> None: ...
    def attachments(self, application_id: uuid.UUID) -> list[AttachmentRec]: ...


class DocumentStore(Protocol):
    """Where document bytes live: the database by default, object storage when configured."""

    def put(self, document_id: uuid.UUID, content: bytes) -> str:
        """Store the bytes; return the reference to read them back with."""
        ...

    def get(self, ref: str) -> bytes | None: ...


class IdentityVault(Protocol):
    """Encrypts identity numbers at rest and hashes them with a secret key for duplicate look-ups
    (a plain hash of an 11-digit number is reversed by trying all 10^11 of them)."""

    def encrypt(self, value: str) -> str: ...
    def decrypt(self, token: str) -> str: ...
    def lookup_hash(self, value: str) -> str: ...


@dataclass(frozen=True, slots=True)
class KycRequest:
    reference: str
    full_name: str
    date_of_birth: date
    id_type: str
    id_number: str
    phone_e164: str | None
    id_document: bytes | None = None
    selfie: bytes | None = None


@dataclass(frozen=True, slots=True)
class KybRequest:
    reference: str
    business_name: str
    registration_number: str
    tin: str | None
    business_type: str | None


@dataclass(frozen=True, slots=True)
class CheckResult:
    status: str  # verified | needs_review | failed
    reasons: tuple[str, ...]
    provider: str
    provider_reference: str | None


class VerificationProvider(Protocol):
    """KYC and KYB provider. Raises ProviderUnavailable when it cannot answer (timeout, 5xx)."""

    name: str

    def verify_person(self, request: KycRequest) -> CheckResult: ...
    def verify_business(self, request: KybRequest) -> CheckResult: ...


class OnboardingUnitOfWork(OriginationUnitOfWork, Protocol):
    onboarding: OnboardingRepository
    store: DocumentStore
