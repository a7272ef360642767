"""Origination over HTTP on PostgreSQL: customer -> profile -> draft -> decision -> offers ->
acceptance -> agreement -> one-time code -> signature, plus the refusals along the way."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.adapters.db.audit import verify_chain
from tests.integration.conftest import DEMO_AUTH

NGN = "NGN"


def _key() -> dict[str, str]:
    return {**DEMO_AUTH, "Idempotency-Key": uuid.uuid4().hex}


def _phone() -> str:
    return f"0803{uuid.uuid4().int % 10_000_000:07d}"


def a_customer(client, **profile: Any) -> str:
    created = client.post(
        "/v1/customers",
        json={"phone": _phone(), "full_name": "Ada Obi", "consent": True},
        headers=_key(),
    )
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]
    body = {
        "business_name": "Ada Stores",
        "business_type": "retail",
        "months_in_business": 24,
        "monthly_revenue": {"amount_minor": 100_000_000, "currency": NGN},  # NGN 1,000,000
        **profile,
    }
    saved = client.put(f"/v1/customers/{customer_id}/business-profile", json=body, headers=DEMO_AUTH)
    assert saved.status_code == 200, saved.text
    return customer_id


def a_draft(client, customer_id: str, amount_minor: int = 150_000_000, **extra: Any) -> dict[str, Any]:
    body = {
        "customer_id": customer_id,
        "product_code": "ngn-working-capital",
        "requested_amount": {"amount_minor": amount_minor, "currency": NGN},
        "term_count": 6,
        "frequency": "monthly",
        "purpose": "stock for the festive season",
        **extra,
    }
    response = client.post("/v1/applications", json=body, headers=_key())
    assert response.status_code == 201, response.text
    return response.json()


def test_customer_phone_is_normalised_to_e164_and_paged(client) -> None:
    created = client.post(
        "/v1/customers", json={"phone": "0803 123 4567", "full_name": "Bola"}, headers=_key()
    )
    assert created.status_code == 201, created.text
    assert created.json()["phone_e164"] == "+2348031234567"
    assert created.json()["locale"] == "en_NG"
    again = client.get(f"/v1/customers/{created.json()['id']}", headers=DEMO_AUTH)
    assert again.json()["phone_e164"] == "+2348031234567"
    client.post("/v1/customers", json={"phone": _phone()}, headers=_key())
    first = client.get("/v1/customers", params={"limit": 1}, headers=DEMO_AUTH).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = client.get(
        "/v1/customers", params={"limit": 1, "cursor": first["next_cursor"]}, headers=DEMO_AUTH
    ).json()
    assert second["items"][0]["id"] != first["items"][0]["id"]


def test_an_invalid_phone_is_422_with_a_clear_detail(client) -> None:
    response = client.post("/v1/customers", json={"phone": "12345"}, headers=_key())
    assert response.status_code == 422
    assert "phone" in response.json()["detail"]


def test_full_origination_path_ends_with_a_signed_agreement(client, db) -> None:
    customer_id = a_customer(client)
    draft = a_draft(client, customer_id)
    assert draft["status"] == "draft"

    submitted = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key())
    assert submitted.status_code == 200, submitted.text
    result = submitted.json()
    assert result["application"]["status"] == "approved"
    assert result["decision"]["outcome"] == "approve"
    assert result["decision"]["ruleset_id"] == "demo-default"
    assert result["decision"]["grade"] == "C"
    assert result["decision"]["limit_minor"] == 150_000_000

    offers = client.get(f"/v1/applications/{draft['id']}/offers", headers=DEMO_AUTH).json()
    assert 1 <= len(offers) <= 3
    totals = [o["total_repayable_minor"] for o in offers]
    assert totals == sorted(totals)
    best = offers[0]
    assert best["total_repayable_minor"] > best["amount_minor"]
    assert Decimal(best["apr"]) > Decimal(best["annual_rate"]) * 100  # fees raise the APR

    schedule = client.get(f"/v1/offers/{best['id']}/schedule", headers=DEMO_AUTH).json()
    assert len(schedule["instalments"]) == 6
    assert schedule["instalments"][-1]["balance_minor"] == 0
    fees = sum(f["amount_minor"] for f in best["fees"])
    paid = sum(row["payment_minor"] for row in schedule["instalments"])
    assert paid + fees == best["total_repayable_minor"]

    accepted = client.post(f"/v1/offers/{best['id']}/accept", headers=_key())
    assert accepted.status_code == 201, accepted.text
    agreement = accepted.json()
    assert len(agreement["sha256"]) == 64 and "Ada Obi" in agreement["text"]
    assert "₦" in agreement["text"]
    app_now = client.get(f"/v1/applications/{draft['id']}", headers=DEMO_AUTH).json()
    assert app_now["status"] == "accepted"
    statuses = {
        o["id"]: o["status"]
        for o in client.get(f"/v1/applications/{draft['id']}/offers", headers=DEMO_AUTH).json()
    }
    assert statuses.pop(best["id"]) == "accepted"
    assert set(statuses.values()) <= {"expired"}

    fetched = client.get(f"/v1/agreements/{agreement['id']}", headers=DEMO_AUTH).json()
    assert fetched["sha256"] == agreement["sha256"] and fetched["status"] == "pending"

    issued = client.post(f"/v1/agreements/{agreement['id']}/otp", headers=_key())
    assert issued.status_code == 200, issued.text
    code = issued.json()["sandbox_code"]
    assert code and not issued.json()["delivered"]
    wrong = "000000" if code != "000000" else "111111"
    for attempts_left in (2, 1):
        response = client.post(f"/v1/agreements/{agreement['id']}/sign", json={"code": wrong}, headers=_key())
        assert response.status_code == 422, response.text
        assert response.json()["attempts_left"] == attempts_left
    signed = client.post(
        f"/v1/agreements/{agreement['id']}/sign",
        json={"code": code},
        headers={**_key(), "User-Agent": "pytest-signer"},
    )
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["status"] == "signed" and body["signed_at"]
    assert body["evidence"]["sha256"] == agreement["sha256"]
    assert body["evidence"]["challenge_id"] == issued.json()["challenge_id"]
    assert body["evidence"]["user_agent"] == "pytest-signer"
    assert body["signer"].startswith("+234")

    with Session(bind=db) as session:
        tenant_id = session.execute(text("select id from tenants where slug='demo'")).scalar_one()
        check = verify_chain(session, tenant_id)
        assert check.ok, check
        actions = [
            row[0]
            for row in session.execute(
                text("select action from audit_log where subject_id = :a order by seq"),
                {"a": draft["id"]},
            )
        ]
    assert actions == [
        "application.created",
        "application.submitted",
        "application.review_started",
        "application.approved",
        "application.accepted",
    ]


def test_three_wrong_codes_lock_signing(client) -> None:
    customer_id = a_customer(client)
    draft = a_draft(client, customer_id)
    client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key())
    offer = client.get(f"/v1/applications/{draft['id']}/offers", headers=DEMO_AUTH).json()[0]
    agreement = client.post(f"/v1/offers/{offer['id']}/accept", headers=_key()).json()
    code = client.post(f"/v1/agreements/{agreement['id']}/otp", headers=_key()).json()["sandbox_code"]
    wrong = "000000" if code != "000000" else "111111"
    statuses = [
        client.post(f"/v1/agreements/{agreement['id']}/sign", json={"code": wrong}, headers=_key())
        for _ in range(3)
    ]
    assert [s.status_code for s in statuses] == [422, 422, 423]
    assert statuses[-1].json()["unlocks_at"]
    right = client.post(f"/v1/agreements/{agreement['id']}/sign", json={"code": code}, headers=_key())
    assert right.status_code == 423
    reissue = client.post(f"/v1/agreements/{agreement['id']}/otp", headers=_key())
    assert reissue.status_code == 423


def test_a_large_request_without_a_bank_statement_is_referred(client) -> None:
    customer_id = a_customer(client)
    draft = a_draft(client, customer_id, amount_minor=300_000_000)  # NGN 3,000,000
    result = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key()).json()
    assert result["application"]["status"] == "referred"
    assert result["decision"]["outcome"] == "refer"
    assert result["decision"]["documents_required"] == ["bank_statement_6m"]
    assert result["offers"] == []


def test_a_too_young_business_is_declined_with_reasons(client) -> None:
    customer_id = a_customer(client, months_in_business=1)
    draft = a_draft(client, customer_id)
    result = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key()).json()
    assert result["application"]["status"] == "declined"
    reasons = result["decision"]["reasons"]
    assert [r["code"] for r in reasons] == ["business_too_new"]
    assert reasons[0]["hint"]


def test_failed_kyc_from_the_submit_body_declines(client) -> None:
    draft = a_draft(client, a_customer(client))
    result = client.post(
        f"/v1/applications/{draft['id']}/submit", json={"kyc_result": "failed"}, headers=_key()
    ).json()
    assert result["decision"]["outcome"] == "decline"


def test_creating_an_application_replays_with_the_same_idempotency_key(client) -> None:
    customer_id = a_customer(client)
    headers = _key()
    body = {
        "customer_id": customer_id,
        "product_code": "ngn-working-capital",
        "requested_amount": {"amount_minor": 50_000_000, "currency": NGN},
        "term_count": 3,
        "frequency": "monthly",
    }
    first = client.post("/v1/applications", json=body, headers=headers)
    second = client.post("/v1/applications", json=body, headers=headers)
    assert first.status_code == 201 and second.json() == first.json()
    listed = client.get("/v1/applications", params={"customer_id": customer_id}, headers=DEMO_AUTH).json()
    assert [a["id"] for a in listed["items"]] == [first.json()["id"]]
    other = client.post("/v1/applications", json={**body, "term_count": 4}, headers=headers)
    assert other.status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"requested_amount": {"amount_minor": 100, "currency": NGN}}, "requested_amount"),
        ({"term_count": 60}, "term_count"),
        ({"frequency": "daily"}, "frequency"),
        ({"requested_amount": {"amount_minor": 50_000_000, "currency": "KES"}}, "currency"),
    ],
)
def test_product_bounds_are_422(client, change: dict[str, Any], field: str) -> None:
    customer_id = a_customer(client)
    body = {
        "customer_id": customer_id,
        "product_code": "ngn-working-capital",
        "requested_amount": {"amount_minor": 50_000_000, "currency": NGN},
        "term_count": 6,
        "frequency": "monthly",
        **change,
    }
    response = client.post("/v1/applications", json=body, headers=_key())
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_submitting_twice_is_an_illegal_transition(client) -> None:
    draft = a_draft(client, a_customer(client))
    assert client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key()).status_code == 200
    again = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key())
    assert again.status_code == 409
    assert again.json()["current_status"] == "approved"


def test_a_draft_is_edited_with_its_version_and_then_cancelled(client) -> None:
    draft = a_draft(client, a_customer(client))
    patched = client.patch(
        f"/v1/applications/{draft['id']}",
        json={"version": draft["version"], "term_count": 9},
        headers=DEMO_AUTH,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["term_count"] == 9 and patched.json()["version"] == draft["version"] + 1
    stale = client.patch(
        f"/v1/applications/{draft['id']}",
        json={"version": draft["version"], "term_count": 12},
        headers=DEMO_AUTH,
    )
    assert stale.status_code == 409
    cancelled = client.post(f"/v1/applications/{draft['id']}/cancel", headers=_key())
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key()).status_code == 409


def test_another_tenants_key_cannot_see_the_application(client) -> None:
    draft = a_draft(client, a_customer(client))
    response = client.get(f"/v1/applications/{draft['id']}", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    missing = client.get(f"/v1/applications/{uuid.uuid4()}", headers=DEMO_AUTH)
    assert missing.status_code == 404


def test_products_are_versioned_and_validated(client) -> None:
    products = client.get("/v1/products", headers=DEMO_AUTH).json()
    working = next(p for p in products if p["code"] == "ngn-working-capital")
    definition = {**working["definition"], "annual_interest_rate": "0.40"}
    saved = client.post("/v1/products", json=definition, headers=_key())
    assert saved.status_code == 201, saved.text
    assert saved.json()["version"] == working["version"] + 1
    bad = client.post("/v1/products", json={**definition, "annual_interest_rate": 0.4}, headers=_key())
    assert bad.status_code == 422


def test_lenders_are_listed_and_validated(client) -> None:
    lenders = client.get("/v1/lenders", headers=DEMO_AUTH).json()
    assert len(lenders) >= 3
    bad = client.post(
        "/v1/lenders",
        json={"code": "bad-lender", "name": "Bad", "pricing": {"currency": NGN}},
        headers=_key(),
    )
    assert bad.status_code == 422
