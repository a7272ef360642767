"""Disputes and handoff requests over HTTP on real PostgreSQL, with their audit rows."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.audit import AuditEntry
from backend.adapters.db.care_models import HandoffRequest
from backend.adapters.db.care_repository import SqlCareUnitOfWork, set_policy
from backend.adapters.db.engine import build_engine
from backend.adapters.db.lending_models import Loan
from backend.adapters.db.models import Conversation, Customer
from backend.services.care.disputes import Category, DisputePolicy, OpenDispute, open_dispute
from backend.services.care.handoff import HandoffReason, RequestHandoff, request_handoff
from tests.integration.conftest import DATABASE_URL, DEMO_AUTH
from tests.integration.servicing_factories import a_tenant, demo_tenant_id
from tests.integration.test_care_hardship import a_loan_on

pytestmark = pytest.mark.integration
REFERENCE = re.compile(r"DSP-[0-9A-HJKMNP-TV-Z]{6}")


@pytest.fixture(scope="module")
def engine(migrated) -> Iterator[Engine]:
    engine = build_engine(DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture()
def sessions(engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def a_customer(sessions, tenant_id) -> uuid.UUID:
    with sessions.begin() as s:
        customer = Customer(tenant_id=tenant_id, locale="en_NG", currency="NGN")
        s.add(customer)
        s.flush()
        return customer.id


def a_conversation(sessions, tenant_id) -> uuid.UUID:
    customer_id = a_customer(sessions, tenant_id)
    with sessions.begin() as s:
        conversation = Conversation(
            tenant_id=tenant_id, customer_id=customer_id, channel="web", channel_identity=uuid.uuid4().hex
        )
        s.add(conversation)
        s.flush()
        return conversation.id


def audit_actions(sessions, tenant_id, subject_id: str) -> list[str]:
    with sessions() as s:
        return list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.tenant_id == tenant_id, AuditEntry.subject_id == subject_id)
                .order_by(AuditEntry.seq)
            )
        )


def post(client, url: str, body: dict, key: str | None = None):
    return client.post(url, json=body, headers=DEMO_AUTH | {"Idempotency-Key": key or uuid.uuid4().hex})


def test_open_a_dispute_look_it_up_list_and_resolve_it(client, sessions):
    demo = demo_tenant_id(sessions)
    customer_id = a_customer(sessions, demo)
    body = {
        "customer_id": str(customer_id),
        "category": "payment_not_reflected",
        "description": "I paid 20k on Monday and the app still says I owe it",
        "amount": "20000.00",
        "attachment_document_id": str(uuid.uuid4()),
    }
    key = uuid.uuid4().hex
    before = datetime.now(UTC)
    made = post(client, "/v1/disputes", body, key)
    assert made.status_code == 201, made.text
    dispute = made.json()
    assert REFERENCE.fullmatch(dispute["reference"]) and dispute["status"] == "open"
    assert (dispute["amount"], dispute["amount_minor"], dispute["currency"]) == ("20000.00", 2_000_000, "NGN")
    expected = DisputePolicy().due_at(Category.PAYMENT_NOT_REFLECTED, before)
    assert datetime.fromisoformat(dispute["sla_due_at"]) == expected
    assert dispute["sla_text"].startswith("We'll reply by ")
    assert post(client, "/v1/disputes", body, key).json() == dispute

    typed = dispute["reference"].lower().replace("-", " ")
    found = client.get(f"/v1/disputes/{typed}", headers=DEMO_AUTH)
    assert found.status_code == 200 and found.json()["id"] == dispute["id"]
    missing = client.get("/v1/disputes/DSP-000000", headers=DEMO_AUTH)
    assert missing.status_code == 404 and missing.json()["type"].endswith("/dispute-not-found")

    newer = post(client, "/v1/disputes", body | {"category": "charge", "amount": None}).json()
    page = client.get("/v1/disputes", params={"customer_id": str(customer_id), "limit": 1}, headers=DEMO_AUTH)
    assert [d["id"] for d in page.json()["items"]] == [newer["id"]]
    rest = client.get(
        "/v1/disputes",
        params={"customer_id": str(customer_id), "limit": 1, "cursor": page.json()["next_cursor"]},
        headers=DEMO_AUTH,
    ).json()
    assert [d["id"] for d in rest["items"]] == [dispute["id"]] and rest["next_cursor"] is None

    status_url = f"/v1/disputes/{dispute['reference']}/status"
    skipped = post(client, status_url, {"status": "resolved", "note": "refunded"})
    assert skipped.status_code == 409 and skipped.json()["type"].endswith("/invalid-dispute-transition")
    assert post(client, status_url, {"status": "in_review"}).json()["status"] == "in_review"
    no_note = post(client, status_url, {"status": "resolved"})
    assert no_note.status_code == 422 and no_note.json()["type"].endswith("/resolution-note-required")
    resolved = post(client, status_url, {"status": "resolved", "note": "Your payment was applied on 2 Dec."})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolution_note"] == "Your payment was applied on 2 Dec."
    final = post(client, status_url, {"status": "rejected", "note": "no"})
    assert final.status_code == 409
    assert audit_actions(sessions, demo, dispute["id"]) == [
        "dispute.opened",
        "dispute.status_changed",
        "dispute.status_changed",
    ]


def test_a_dispute_names_a_known_customer_and_their_own_loan(client, sessions):
    demo = demo_tenant_id(sessions)
    unknown = post(
        client, "/v1/disputes", {"customer_id": str(uuid.uuid4()), "category": "other", "description": "x"}
    )
    assert unknown.status_code == 404 and unknown.json()["type"].endswith("/customer-not-found")
    loan_id = a_loan_on(sessions, demo, datetime.now(UTC).date())
    stranger = a_customer(sessions, demo)
    body = {"customer_id": str(stranger), "loan_id": str(loan_id), "category": "charge", "description": "x"}
    refused = post(client, "/v1/disputes", body)
    assert refused.status_code == 422 and refused.json()["type"].endswith("/loan-not-customers")
    with sessions() as s:
        owner = s.scalar(select(Loan.customer_id).where(Loan.id == loan_id))
    made = post(client, "/v1/disputes", body | {"customer_id": str(owner)})
    assert made.status_code == 201 and made.json()["loan_id"] == str(loan_id)
    bad_amount = post(client, "/v1/disputes", body | {"customer_id": str(owner), "amount": "10.001"})
    assert bad_amount.status_code == 422


def test_a_tenants_service_levels_are_its_data(sessions):
    tenant_id = a_tenant(sessions)
    with sessions.begin() as s:
        set_policy(s, tenant_id, "disputes", "", {"sla_business_days": {"other": 1}, "timezone": "UTC"})
    customer_id = a_customer(sessions, tenant_id)
    friday = datetime(2026, 11, 27, 10, tzinfo=UTC)
    record, _ = open_dispute(
        OpenDispute(tenant_id, customer_id, Category.OTHER, "?"), SqlCareUnitOfWork(sessions), friday
    )
    assert record.sla_due_at == datetime(2026, 11, 30, 17, tzinfo=UTC)


def test_asking_for_a_human_twice_keeps_one_place_in_the_queue(client, sessions):
    demo = demo_tenant_id(sessions)
    conversation_id = a_conversation(sessions, demo)
    url = f"/v1/conversations/{conversation_id}/handoff-requests"
    first = post(client, url, {"reason": "customer_request", "note": "wants to talk about fees"})
    assert first.status_code == 201, first.text
    waiting = first.json()
    assert (waiting["status"], waiting["priority"], waiting["replayed"]) == ("waiting", "normal", False)
    assert waiting["assigned_agent_id"] is None
    again = post(client, url, {"reason": "dispute"})
    assert again.json()["id"] == waiting["id"] and again.json()["replayed"] is True
    listed = client.get(url, headers=DEMO_AUTH).json()
    assert [h["id"] for h in listed["items"]] == [waiting["id"]]

    with sessions.begin() as s:
        s.execute(
            update(HandoffRequest)
            .where(HandoffRequest.id == uuid.UUID(waiting["id"]))
            .values(status="resolved")
        )
    later = post(client, url, {"reason": "hardship"}).json()
    assert later["id"] != waiting["id"] and later["priority"] == "high" and not later["replayed"]
    listed = client.get(url, headers=DEMO_AUTH).json()["items"]
    assert [h["id"] for h in listed] == [later["id"], waiting["id"]]
    assert audit_actions(sessions, demo, str(conversation_id)) == ["conversation.handoff_requested"] * 2

    missing = post(client, f"/v1/conversations/{uuid.uuid4()}/handoff-requests", {"reason": "bot_failure"})
    assert missing.status_code == 404 and missing.json()["type"].endswith("/conversation-not-found")


def test_concurrent_requests_for_a_human_make_one_waiting_request(sessions):
    tenant_id = a_tenant(sessions)
    conversation_id = a_conversation(sessions, tenant_id)
    ids: list[uuid.UUID] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        cmd = RequestHandoff(tenant_id, conversation_id, HandoffReason.BOT_FAILURE)
        ids.append(request_handoff(cmd, SqlCareUnitOfWork(sessions), datetime.now(UTC)).id)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 8 and len(set(ids)) == 1
    with sessions() as s:
        count = s.scalar(
            select(func.count())
            .select_from(HandoffRequest)
            .where(HandoffRequest.conversation_id == conversation_id)
        )
    assert count == 1


def test_an_admin_sets_the_dispute_service_levels_as_data(client, sessions):
    demo = demo_tenant_id(sessions)
    bad = client.put("/v1/dispute-policy", json={"timezone": "Mars/Olympus"}, headers=DEMO_AUTH)
    assert bad.status_code == 422 and bad.json()["type"].endswith("/invalid-policy")
    made = client.put("/v1/dispute-policy", json={"sla_business_days": {"other": 3}}, headers=DEMO_AUTH)
    assert made.status_code == 200, made.text
    read = client.get("/v1/dispute-policy", headers=DEMO_AUTH).json()
    assert read["sla_business_days"] == {
        "payment_not_reflected": 2,
        "charge": 5,
        "wrong_amount": 5,
        "other": 3,
    }
    assert read["timezone"] == "Africa/Lagos"
    assert "care.policy_set" in audit_actions(sessions, demo, "disputes:")
