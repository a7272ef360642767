"""KYC and KYB checks through the verification provider.

Read what the check needs in one transaction, call the provider outside any transaction (a slow
provider must not hold row locks), then store the result, the customer's new status and the audit
row together in a second one. A provider that does not answer leaves nothing behind: the check
can simply be asked for again.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.services.onboarding.consent import require_consent
from backend.services.onboarding.errors import IncompleteForCheck
from backend.services.onboarding.identity import load_or_new
from backend.services.onboarding.ports import (
    CheckRec,
    CheckResult,
    IdentityVault,
    KybRequest,
    KycRequest,
    OnboardingUnitOfWork,
    VerificationProvider,
)
from backend.services.onboarding.status import onboarding_status
from backend.services.origination.errors import Invalid

RESULT_STATUSES = ("verified", "needs_review", "failed")


def _own_document(
    uow: OnboardingUnitOfWork, customer_id: uuid.UUID, document_id: uuid.UUID, kind: str
) -> bytes:
    doc = uow.onboarding.document(document_id)
    if doc is None or doc.customer_id != customer_id:
        raise Invalid(f"No such document for this customer: {document_id}.", field=f"{kind}_id")
    if doc.kind != kind:
        raise Invalid(f"Document {document_id} is a {doc.kind}, not a {kind}.", field=f"{kind}_id")
    return uow.store.get(doc.storage_ref) or b""


def run_kyc(
    customer_id: uuid.UUID,
    id_document_id: uuid.UUID,
    selfie_document_id: uuid.UUID,
    uow: OnboardingUnitOfWork,
    provider: VerificationProvider,
    vault: IdentityVault,
    now: datetime,
) -> CheckRec:
    with uow:
        require_consent(uow, customer_id)
        customer = uow.repo.customer(customer_id)
        rec = uow.onboarding.onboarding(customer_id)
        assert customer is not None
        absent = [
            name
            for name, value in (
                ("full_name", customer.full_name),
                ("date_of_birth", rec.date_of_birth if rec else None),
                ("id_number", rec.id_number_ciphertext if rec else None),
            )
            if value is None
        ]
        if absent or rec is None or rec.date_of_birth is None or rec.id_type is None:
            raise IncompleteForCheck(f"Give {', '.join(absent)} before the identity check.", missing=absent)
        id_photo = _own_document(uow, customer_id, id_document_id, "id_document")
        selfie = _own_document(uow, customer_id, selfie_document_id, "selfie")
        request = KycRequest(
            reference=str(uuid.uuid4()),
            full_name=customer.full_name or "",
            date_of_birth=rec.date_of_birth,
            id_type=rec.id_type,
            id_number=vault.decrypt(rec.id_number_ciphertext or ""),
            phone_e164=customer.phone_e164,
            id_document=id_photo,
            selfie=selfie,
        )
    result = provider.verify_person(request)
    return _store(
        uow, customer_id, "kyc", result, [id_document_id, selfie_document_id], request.reference, now
    )


def run_kyb(
    customer_id: uuid.UUID, uow: OnboardingUnitOfWork, provider: VerificationProvider, now: datetime
) -> CheckRec:
    status = onboarding_status(customer_id, uow)
    with uow:
        require_consent(uow, customer_id)
    profile = status.profile
    business_steps = ("business_name", "registration_number", "tin", "business_type", "registration_document")
    absent = [m for m in status.missing if m in business_steps]
    if absent:
        raise IncompleteForCheck(f"Give {', '.join(absent)} before the business check.", missing=absent)
    with uow:
        document_id = profile.registration_document_id
        if document_id is None:
            newest = uow.onboarding.documents(customer_id, None, 200)
            document_id = next((d.id for d in reversed(newest) if d.kind == "registration_document"), None)
    request = KybRequest(
        reference=str(uuid.uuid4()),
        business_name=profile.business_name or "",
        registration_number=profile.registration_number or "",
        tin=profile.tin,
        business_type=profile.business_type,
    )
    result = provider.verify_business(request)
    documents = [document_id] if document_id else []
    return _store(uow, customer_id, "kyb", result, documents, request.reference, now)


def _store(
    uow: OnboardingUnitOfWork,
    customer_id: uuid.UUID,
    kind: str,
    result: CheckResult,
    documents: list[uuid.UUID],
    reference: str,
    now: datetime,
) -> CheckRec:
    if result.status not in RESULT_STATUSES:
        raise ValueError(f"provider returned an unknown status {result.status!r}")
    check = CheckRec(
        id=uuid.UUID(reference),
        customer_id=customer_id,
        kind=kind,
        status=result.status,
        reasons=list(result.reasons),
        provider=result.provider,
        provider_reference=result.provider_reference,
        document_ids=[str(d) for d in documents],
        checked_at=now,
    )
    with uow:
        rec = load_or_new(uow, customer_id)
        if kind == "kyc":
            rec.kyc_status = result.status
        else:
            rec.kyb_status = result.status
        rec.updated_at = now
        uow.onboarding.put_onboarding(rec)
        uow.onboarding.add_check(check)
        uow.audit.append(
            actor="system",
            action=f"{kind}.{result.status}",
            subject_type="customer",
            subject_id=str(customer_id),
            data={
                "check_id": str(check.id),
                "provider": check.provider,
                "provider_reference": check.provider_reference,
            },
        )
        uow.commit()
        return check
