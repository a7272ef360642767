"""Onboarding over HTTP on PostgreSQL: consent first, identity a piece at a time, documents, the
sandbox KYC and KYB checks, the status that drives the bot, and referral documents that lead to a
redecision."""

from __future__ import annotations

import base64
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.adapters.db.audit import verify_chain
from tests.integration.conftest import DEMO_AUTH
from tests.integration.test_origination_api import a_customer, a_draft

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def _key() -> dict[str, str]:
    return {**DEMO_AUTH, "Idempotency-Key": uuid.uuid4().hex}


def _bvn() -> str:
    """A fresh BVN ending in 1 (the sandbox verifies it)."""
    return f"22{uuid.uuid4().int % 10**8:08d}1"


def _consent(client, customer_id: str) -> None:
    version = client.get("/v1/consent-policy", headers=DEMO_AUTH).json()["version"]
    response = client.post(
        f"/v1/customers/{customer_id}/consents",
        json={"version": version, "channel": "whatsapp", "accepted": True},
        headers=_key(),
    )
    assert response.status_code == 201, response.text


def _upload(client, customer_id: str, kind: str, content: bytes, content_type: str, **extra: Any):
    body = {
        "kind": kind,
        "content_type": content_type,
        "filename": f"{kind}.bin",
        "content_base64": base64.b64encode(content).decode(),
        **extra,
    }
    return client.post(f"/v1/customers/{customer_id}/documents", json=body, headers=_key())


def _status(client, customer_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/customers/{customer_id}/onboarding", headers=DEMO_AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def a_consented_customer(client, **profile: Any) -> str:
    customer_id = a_customer(client, **profile)
    _consent(client, customer_id)
    return customer_id


def a_bare_customer(client) -> str:
    """No profile, no consent: a customer who just said hello on WhatsApp."""
    phone = f"0803{uuid.uuid4().int % 10_000_000:07d}"
    created = client.post("/v1/customers", json={"phone": phone}, headers=_key())
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_nothing_is_stored_before_consent_and_consent_is_for_the_current_version(client, db) -> None:
    customer_id = a_bare_customer(client)
    status = _status(client, customer_id)
    assert status["consented"] is False and status["next"] == "consent"
    assert status["missing"][:3] == ["consent", "full_name", "date_of_birth"]

    refused = client.put(
        f"/v1/customers/{customer_id}/identity", json={"full_name": "ada obi"}, headers=DEMO_AUTH
    )
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/consent-required")
    upload = _upload(client, customer_id, "selfie", JPEG, "image/jpeg")
    assert upload.status_code == 409 and upload.json()["type"].endswith("/consent-required")
    count = db.execute(text("SELECT count(*) FROM documents WHERE customer_id = :c"), {"c": customer_id})
    assert count.scalar() == 0

    policy = client.get("/v1/consent-policy", headers=DEMO_AUTH).json()
    assert policy["version"] and "withdraw" in policy["text"].lower()
    old = client.post(
        f"/v1/customers/{customer_id}/consents",
        json={"version": "1999-01-01", "channel": "whatsapp", "accepted": True},
        headers=_key(),
    )
    assert old.status_code == 409 and old.json()["type"].endswith("/consent-version-outdated")

    _consent(client, customer_id)
    status = _status(client, customer_id)
    assert status["consented"] is True and status["consent_version"] == policy["version"]
    assert status["next"] == "full_name"


def test_withdrawing_consent_is_a_new_row_and_blocks_collection_again(client, db) -> None:
    customer_id = a_bare_customer(client)
    _consent(client, customer_id)
    version = _status(client, customer_id)["consent_version"]
    withdrawn = client.post(
        f"/v1/customers/{customer_id}/consents",
        json={"version": version, "channel": "sms", "accepted": False},
        headers=_key(),
    )
    assert withdrawn.status_code == 201, withdrawn.text
    rows = db.execute(
        text("SELECT accepted FROM consents WHERE customer_id = :c ORDER BY created_at"), {"c": customer_id}
    ).all()
    assert [r.accepted for r in rows] == [True, False]
    assert _status(client, customer_id)["next"] == "consent"
    refused = client.put(
        f"/v1/customers/{customer_id}/identity", json={"full_name": "Ada Obi"}, headers=DEMO_AUTH
    )
    assert refused.status_code == 409


def test_identity_is_collected_a_piece_at_a_time_validated_encrypted_and_masked(client, db) -> None:
    customer_id = a_bare_customer(client)
    _consent(client, customer_id)
    url = f"/v1/customers/{customer_id}/identity"

    named = client.put(url, json={"full_name": "  ADA   obi-EZE "}, headers=DEMO_AUTH)
    assert named.status_code == 200, named.text
    assert named.json()["profile"]["full_name"] == "Ada Obi-Eze"
    assert named.json()["next"] == "date_of_birth"

    today = date.today()
    minor = date(today.year - 17, 1, 1).isoformat()
    too_young = client.put(url, json={"date_of_birth": minor}, headers=DEMO_AUTH)
    assert too_young.status_code == 422 and too_young.json()["field"] == "date_of_birth"
    assert (
        client.put(url, json={"date_of_birth": "1990-04-03"}, headers=DEMO_AUTH).json()["next"] == "id_number"
    )

    not_a_bvn = client.put(url, json={"id_type": "bvn", "id_number": "12345678901"}, headers=DEMO_AUTH)
    assert not_a_bvn.status_code == 422 and "22" in not_a_bvn.json()["detail"]
    bvn = _bvn()
    saved = client.put(url, json={"id_type": "bvn", "id_number": bvn}, headers=DEMO_AUTH).json()
    assert saved["profile"]["id_number_masked"] == "*******" + bvn[-4:]
    assert saved["profile"]["full_name"] == "Ada Obi-Eze"  # earlier answers are kept
    assert saved["profile"]["date_of_birth"] == "1990-04-03"
    assert saved["next"] == "id_document"
    assert bvn not in str(saved)

    stored = db.execute(
        text("SELECT id_number_ciphertext, id_number_hash FROM customer_onboarding WHERE customer_id = :c"),
        {"c": customer_id},
    ).one()
    assert bvn not in stored.id_number_ciphertext and len(stored.id_number_hash) == 64
    audit_rows = db.execute(
        text("SELECT data FROM audit_log WHERE subject_id = :c"), {"c": customer_id}
    ).all()
    assert all(bvn not in str(r.data) for r in audit_rows)

    other = a_bare_customer(client)
    _consent(client, other)
    duplicate = client.put(
        f"/v1/customers/{other}/identity", json={"id_type": "bvn", "id_number": bvn}, headers=DEMO_AUTH
    )
    assert duplicate.status_code == 409 and duplicate.json()["type"].endswith("/duplicate-identity")


def test_documents_are_checked_stored_listed_and_read_back(client) -> None:
    customer_id = a_bare_customer(client)
    _consent(client, customer_id)
    liar = _upload(client, customer_id, "selfie", PNG, "image/jpeg")
    assert liar.status_code == 422 and liar.json()["field"] == "content_type"
    exe = _upload(client, customer_id, "selfie", b"MZ\x90\x00", "application/x-msdownload")
    assert exe.status_code == 422
    first = _upload(client, customer_id, "id_document", JPEG, "image/jpeg")
    assert first.status_code == 201, first.text
    doc = first.json()
    assert doc["size"] == len(JPEG) and len(doc["sha256"]) == 64 and doc["kind"] == "id_document"
    assert _upload(client, customer_id, "selfie", PNG, "image/png").status_code == 201

    page = client.get(f"/v1/customers/{customer_id}/documents", params={"limit": 1}, headers=DEMO_AUTH).json()
    assert [d["id"] for d in page["items"]] == [doc["id"]] and page["next_cursor"]
    second = client.get(
        f"/v1/customers/{customer_id}/documents", params={"cursor": page["next_cursor"]}, headers=DEMO_AUTH
    ).json()
    assert [d["kind"] for d in second["items"]] == ["selfie"]

    assert client.get(f"/v1/documents/{doc['id']}", headers=DEMO_AUTH).json()["filename"] == "id_document.bin"
    content = client.get(f"/v1/documents/{doc['id']}/content", headers=DEMO_AUTH)
    assert content.status_code == 200 and content.content == JPEG
    assert content.headers["content-type"] == "image/jpeg"
    assert content.headers["content-disposition"].startswith("attachment")
    assert client.get(f"/v1/documents/{uuid.uuid4()}", headers=DEMO_AUTH).status_code == 404
    assert _status(client, customer_id)["next"] == "full_name"  # documents do not replace identity


def _identity(client, customer_id: str, id_number: str) -> None:
    body = {"full_name": "Ada Obi", "date_of_birth": "1990-04-03", "id_type": "bvn", "id_number": id_number}
    response = client.put(f"/v1/customers/{customer_id}/identity", json=body, headers=DEMO_AUTH)
    assert response.status_code == 200, response.text


def test_kyc_check_follows_the_sandbox_rules_and_updates_the_customer(client) -> None:
    customer_id = a_bare_customer(client)
    _consent(client, customer_id)
    id_doc = _upload(client, customer_id, "id_document", JPEG, "image/jpeg").json()["id"]
    selfie = _upload(client, customer_id, "selfie", JPEG, "image/jpeg").json()["id"]
    checks = f"/v1/customers/{customer_id}/kyc-checks"
    early = client.post(checks, json={"id_document_id": id_doc, "selfie_document_id": selfie}, headers=_key())
    assert early.status_code == 409 and early.json()["type"].endswith("/onboarding-incomplete")

    _identity(client, customer_id, f"22{uuid.uuid4().int % 10**8:08d}9")  # ends in 9: needs review
    swapped = client.post(
        checks, json={"id_document_id": selfie, "selfie_document_id": id_doc}, headers=_key()
    )
    assert swapped.status_code == 422
    check = client.post(checks, json={"id_document_id": id_doc, "selfie_document_id": selfie}, headers=_key())
    assert check.status_code == 201, check.text
    body = check.json()
    assert body["status"] == "needs_review" and body["provider"] == "sandbox"
    assert body["reasons"] and body["provider_reference"].startswith("sbx-kyc-")
    status = _status(client, customer_id)
    assert status["kyc_status"] == "needs_review"
    assert status["missing"] == [] and status["next"] is None  # an individual is done

    _identity(client, customer_id, _bvn())  # a corrected number needs a new check
    assert _status(client, customer_id)["kyc_status"] == "not_started"
    again = client.post(checks, json={"id_document_id": id_doc, "selfie_document_id": selfie}, headers=_key())
    assert again.json()["status"] == "verified"
    assert _status(client, customer_id)["kyc_status"] == "verified"


def test_a_business_gives_kyb_details_progressively_and_is_checked(client) -> None:
    customer_id = a_bare_customer(client)
    _consent(client, customer_id)
    url = f"/v1/customers/{customer_id}/business-profile"
    named = client.patch(
        url, json={"business_name": "Ada Stores", "applicant_type": "business"}, headers=DEMO_AUTH
    )
    assert named.status_code == 200, named.text
    assert named.json()["profile"]["applicant_type"] == "business"
    assert "business_name" not in named.json()["missing"]
    assert named.json()["missing"][-5:] == [
        "registration_number",
        "tin",
        "business_type",
        "months_in_business",
        "registration_document",
    ]

    bad_rc = client.patch(url, json={"registration_number": "AB12"}, headers=DEMO_AUTH)
    assert bad_rc.status_code == 422 and bad_rc.json()["field"] == "registration_number"
    bad_tin = client.patch(url, json={"tin": "1234-5678"}, headers=DEMO_AUTH)
    assert bad_tin.status_code == 422 and bad_tin.json()["field"] == "tin"
    saved = client.patch(
        url,
        json={"registration_number": "rc 123456", "tin": "12345678-0001", "business_type": "retail"},
        headers=DEMO_AUTH,
    ).json()
    assert saved["profile"]["registration_number"] == "RC123456"
    assert saved["profile"]["tin"] == "12345678-0001"
    assert saved["underwriting_profile"] is False  # KYB details alone are not what the rules read
    full = {
        "business_name": "Ada Stores",
        "business_type": "retail",
        "months_in_business": 30,
        "monthly_revenue": {"amount_minor": 150_000_000, "currency": "NGN"},
    }
    assert client.put(url, json=full, headers=DEMO_AUTH).status_code == 200
    assert _status(client, customer_id)["underwriting_profile"] is True

    early = client.post(f"/v1/customers/{customer_id}/kyb-checks", headers=_key())
    assert early.status_code == 409 and "registration_document" in early.json()["missing"]
    selfie = _upload(client, customer_id, "selfie", JPEG, "image/jpeg").json()["id"]
    wrong = client.patch(url, json={"registration_document_id": selfie}, headers=DEMO_AUTH)
    assert wrong.status_code == 422
    certificate = _upload(client, customer_id, "registration_document", PDF, "application/pdf").json()["id"]
    client.patch(
        url, json={"months_in_business": 30, "registration_document_id": certificate}, headers=DEMO_AUTH
    )

    check = client.post(f"/v1/customers/{customer_id}/kyb-checks", headers=_key())
    assert check.status_code == 201, check.text
    assert check.json()["status"] == "verified" and check.json()["document_ids"] == [certificate]
    status = _status(client, customer_id)
    assert status["kyb_status"] == "verified"
    assert not any(m in status["missing"] for m in ("business_name", "tin", "registration_document"))


def _statement_csv(months: int, monthly_inflow: int, bounced: int = 0) -> bytes:
    lines = ["Date,Description,Amount"]
    for month in range(1, months + 1):
        lines.append(f"2026-{month:02d}-05,POS settlement,{monthly_inflow}.00")
        lines.append(f"2026-{month:02d}-20,Rent,-50000.00")
    lines += [f"2026-01-{10 + i},Cheque returned unpaid DAUD,-20000.00" for i in range(bounced)]
    return ("\n".join(lines) + "\n").encode()


def test_a_referral_is_answered_with_a_csv_statement_and_redecided(client, db) -> None:
    customer_id = a_consented_customer(client)
    draft = a_draft(client, customer_id, amount_minor=300_000_000)  # NGN 3,000,000: needs a statement
    referred = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key()).json()
    assert referred["decision"]["documents_required"] == ["bank_statement_6m"]
    redecide = f"/v1/applications/{draft['id']}/redecide"
    early = client.post(redecide, headers=_key())
    assert early.status_code == 409 and early.json()["outstanding"] == ["bank_statement_6m"]

    csv_doc = _upload(client, customer_id, "bank_statement", _statement_csv(6, 1_200_000), "text/csv").json()
    selfie = _upload(client, customer_id, "selfie", JPEG, "image/jpeg").json()
    attach = f"/v1/applications/{draft['id']}/documents"
    wrong_kind = client.post(
        attach, json={"document_id": selfie["id"], "kind": "bank_statement_6m"}, headers=_key()
    )
    assert wrong_kind.status_code == 422
    unasked = client.post(attach, json={"document_id": csv_doc["id"], "kind": "invoice"}, headers=_key())
    assert unasked.status_code == 422
    attached = client.post(
        attach, json={"document_id": csv_doc["id"], "kind": "bank_statement_6m"}, headers=_key()
    )
    assert attached.status_code == 201, attached.text
    assert attached.json()["outstanding"] == []

    decided = client.post(redecide, headers=_key())
    assert decided.status_code == 200, decided.text
    result = decided.json()
    assert result["application"]["status"] == "approved"
    assert result["decision"]["outcome"] == "approve" and result["offers"]
    assert result["decision"]["id"] != referred["decision"]["id"]
    inputs = db.execute(
        text("SELECT inputs FROM decisions WHERE id = :d"), {"d": result["decision"]["id"]}
    ).scalar_one()
    statement = inputs["inputs"]["bank_statement"]
    assert statement["months_covered"] == 6 and statement["bounced_payments"] == 0
    assert statement["average_monthly_inflow"] == {"minor": 120_000_000, "currency": "NGN"}
    assert inputs["evidence"]["statement_document_id"] == csv_doc["id"]
    again = client.post(redecide, headers=_key())
    assert again.status_code == 409  # approved: nothing to redecide
    with Session(bind=db) as session:
        tenant_id = session.execute(text("SELECT id FROM tenants WHERE slug = 'demo'")).scalar_one()
        assert verify_chain(session, tenant_id).ok
        actions = (
            session.execute(
                text("SELECT action FROM audit_log WHERE subject_id = :a ORDER BY seq"), {"a": draft["id"]}
            )
            .scalars()
            .all()
        )
    assert actions[-3:] == [
        "application.document_attached",
        "application.resubmitted",
        "application.approved",
    ]


def test_a_pdf_statement_waits_for_a_person_who_redecides_with_what_they_read(client) -> None:
    customer_id = a_consented_customer(client)
    draft = a_draft(client, customer_id, amount_minor=300_000_000)
    client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key())
    pdf = _upload(client, customer_id, "bank_statement", PDF, "application/pdf").json()
    client.post(
        f"/v1/applications/{draft['id']}/documents",
        json={"document_id": pdf["id"], "kind": "bank_statement_6m"},
        headers=_key(),
    )
    redecide = f"/v1/applications/{draft['id']}/redecide"
    waiting = client.post(redecide, headers=_key())
    assert waiting.status_code == 409 and waiting.json()["type"].endswith("/statement-needs-review")
    still = client.get(f"/v1/applications/{draft['id']}", headers=DEMO_AUTH).json()
    assert still["status"] == "referred"

    reviewed = {
        "bank_statement": {
            "average_monthly_inflow": {"amount_minor": 20_000_000, "currency": "NGN"},
            "bounced_payments": 9,
            "months_covered": 6,
        }
    }
    decided = client.post(redecide, json=reviewed, headers=_key())
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["outcome"] == "decline"
    assert [r["code"] for r in decided.json()["decision"]["reasons"]] == ["many_bounced_payments"]


def test_a_young_business_referral_is_cleared_by_its_documents(client, db) -> None:
    customer_id = a_consented_customer(client, months_in_business=4)
    draft = a_draft(client, customer_id)
    referred = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key()).json()
    assert referred["decision"]["documents_required"] == ["bank_statement_3m", "business_registration"]
    statement = _upload(
        client, customer_id, "bank_statement", _statement_csv(3, 1_000_000), "text/csv"
    ).json()
    certificate = _upload(client, customer_id, "registration_document", PDF, "application/pdf").json()
    attach = f"/v1/applications/{draft['id']}/documents"
    first = client.post(
        attach, json={"document_id": statement["id"], "kind": "bank_statement_3m"}, headers=_key()
    )
    assert first.json()["outstanding"] == ["business_registration"]
    client.post(
        attach, json={"document_id": certificate["id"], "kind": "business_registration"}, headers=_key()
    )
    decided = client.post(f"/v1/applications/{draft['id']}/redecide", headers=_key())
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["outcome"] != "refer"
    inputs = db.execute(
        text("SELECT inputs FROM decisions WHERE id = :d"), {"d": decided.json()["decision"]["id"]}
    ).scalar_one()
    assert inputs["cleared_knockouts"] == ["business_young"]


def test_the_gateway_stores_a_chat_attachment_as_the_document_onboarding_asks_for(client) -> None:
    from backend.adapters.db.onboarding_repository import SqlOnboardingUow
    from backend.api.routes._origination import now
    from backend.services.onboarding.documents import store_chat_attachment
    from backend.services.origination.errors import Invalid

    customer_id = a_bare_customer(client)
    _consent(client, customer_id)
    _identity(client, customer_id, _bvn())
    sessions = client.app.state.components.sessions
    with sessions() as session:
        tenant_id = session.execute(text("SELECT id FROM tenants WHERE slug = 'demo'")).scalar_one()

    def uow() -> SqlOnboardingUow:
        return SqlOnboardingUow(tenant_id, sessions)

    customer = uuid.UUID(customer_id)
    first = store_chat_attachment(customer, "image/jpeg", "IMG_001.jpg", JPEG, uow(), now())
    second = store_chat_attachment(customer, "image/jpeg", "../../selfie.jpg", JPEG, uow(), now())
    assert (first.kind, second.kind) == ("id_document", "selfie")
    assert second.filename == "selfie.jpg"
    third = store_chat_attachment(customer, "image/png", "x.png", PNG, uow(), now())
    assert third.kind == "other"
    with pytest.raises(Invalid):
        store_chat_attachment(customer, "image/png", "x.png", JPEG, uow(), now())
    assert _status(client, customer_id)["next"] is None


def test_an_id_referral_is_redecided_on_the_new_kyc_check(client) -> None:
    customer_id = a_consented_customer(client)
    draft = a_draft(client, customer_id)
    referred = client.post(
        f"/v1/applications/{draft['id']}/submit", json={"kyc_result": "needs_review"}, headers=_key()
    ).json()
    assert referred["decision"]["documents_required"] == ["id_document"]
    _identity(client, customer_id, _bvn())
    id_doc = _upload(client, customer_id, "id_document", JPEG, "image/jpeg").json()["id"]
    selfie = _upload(client, customer_id, "selfie", JPEG, "image/jpeg").json()["id"]
    check = client.post(
        f"/v1/customers/{customer_id}/kyc-checks",
        json={"id_document_id": id_doc, "selfie_document_id": selfie},
        headers=_key(),
    )
    assert check.json()["status"] == "verified"
    client.post(
        f"/v1/applications/{draft['id']}/documents",
        json={"document_id": id_doc, "kind": "id_document"},
        headers=_key(),
    )
    decided = client.post(f"/v1/applications/{draft['id']}/redecide", headers=_key()).json()
    assert decided["decision"]["outcome"] == "approve"
    assert decided["application"]["status"] == "approved"


def test_an_upload_retried_with_its_idempotency_key_is_stored_once(client, db) -> None:
    customer_id = a_bare_customer(client)
    _consent(client, customer_id)
    headers = _key()
    body = {
        "kind": "selfie",
        "content_type": "image/jpeg",
        "filename": "me.jpg",
        "content_base64": base64.b64encode(JPEG).decode(),
    }
    url = f"/v1/customers/{customer_id}/documents"
    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    count = db.execute(text("SELECT count(*) FROM documents WHERE customer_id = :c"), {"c": customer_id})
    assert count.scalar() == 1


def test_another_tenant_cannot_read_or_attach_a_customers_documents(client) -> None:
    from backend.adapters.db.models import ApiKey
    from backend.api_keys import display_prefix, hash_api_key, new_api_key
    from tests.integration.servicing_factories import a_tenant

    customer_id = a_bare_customer(client)
    _consent(client, customer_id)
    doc = _upload(client, customer_id, "selfie", JPEG, "image/jpeg").json()
    sessions = client.app.state.components.sessions
    key = new_api_key()
    tenant_id = a_tenant(sessions)
    with sessions.begin() as session:
        session.add(
            ApiKey(
                tenant_id=tenant_id,
                name="other",
                key_hash=hash_api_key(key),
                display_prefix=display_prefix(key),
            )
        )
    other = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/v1/documents/{doc['id']}", headers=other).status_code == 404
    assert client.get(f"/v1/documents/{doc['id']}/content", headers=other).status_code == 404
    assert client.get(f"/v1/customers/{customer_id}/onboarding", headers=other).status_code == 404
    assert client.get(f"/v1/customers/{customer_id}/documents", headers=other).status_code == 404
