"""/v1/assist/answers and /v1/conversations/{id}/summary over HTTP on real PostgreSQL, offline."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.care_models import Dispute, HandoffRequest
from backend.adapters.db.engine import build_engine
from backend.adapters.db.models import Conversation, Customer, Message, Tenant
from tests.integration.conftest import DATABASE_URL, DEMO_AUTH
from tests.integration.servicing_factories import a_tenant, demo_tenant_id

pytestmark = pytest.mark.integration
SERVICE = {"Authorization": "Bearer svc_integration_key"}


@pytest.fixture(scope="module")
def sessions(migrated) -> Iterator[sessionmaker[Session]]:
    engine: Engine = build_engine(DATABASE_URL)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def a_handed_off_conversation(sessions: sessionmaker[Session], tenant_id: uuid.UUID) -> uuid.UUID:
    lines = [
        ("customer", "hello"),
        ("bot", "Hi! I'm the credit assistant. What would you like to do?"),
        ("customer", "I paid 20000 from 0123456789 but it is not showing. My BVN is 22212345678"),
        ("bot", "Sorry, I'm not sure I understood. Did you mean:"),
        ("customer", "agent"),
    ]
    with sessions.begin() as s:
        customer = Customer(
            tenant_id=tenant_id, locale="en_NG", currency="NGN", full_name="Ada Obi", phone_e164=None
        )
        s.add(customer)
        s.flush()
        conversation = Conversation(
            tenant_id=tenant_id, customer_id=customer.id, channel="web", channel_identity=uuid.uuid4().hex
        )
        s.add(conversation)
        s.flush()
        for author, text in lines:
            s.add(
                Message(
                    conversation_id=conversation.id,
                    direction="inbound" if author == "customer" else "outbound",
                    author=author,
                    text=text,
                    status="answered",
                )
            )
        now = datetime.now(UTC)
        s.add(
            Dispute(
                tenant_id=tenant_id,
                reference=f"DSP-{uuid.uuid4().hex[:6].upper()}",
                customer_id=customer.id,
                category="payment_not_reflected",
                description="Paid 20000, not showing",
                status="open",
                sla_due_at=now + timedelta(days=2),
            )
        )
        s.add(
            HandoffRequest(
                tenant_id=tenant_id,
                conversation_id=conversation.id,
                reason="customer_request",
                priority="normal",
                status="waiting",
            )
        )
        return conversation.id


def test_a_covered_question_is_answered_with_its_source(client) -> None:
    response = client.post(
        "/v1/assist/answers", json={"question": "wetin be the late fee"}, headers=DEMO_AUTH
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["confident"] is True
    assert body["sources"][0] == {"title": "Late fees", "source": "fees.md"}
    assert body["answer"].startswith("From our fees page: ")


def test_an_uncovered_question_is_not_sure(client) -> None:
    response = client.post(
        "/v1/assist/answers", json={"question": "who won the football match"}, headers=DEMO_AUTH
    )
    assert response.json() == {"answer": response.json()["answer"], "sources": [], "confident": False}
    assert "not sure" in response.json()["answer"]


def test_the_action_server_asks_with_its_service_key_for_a_conversation(client, sessions) -> None:
    conversation_id = a_handed_off_conversation(sessions, demo_tenant_id(sessions))
    response = client.post(
        "/v1/assist/answers",
        json={"question": "hw do i pay early", "conversation_id": str(conversation_id)},
        headers={**SERVICE, "X-Tenant": "demo"},
    )
    assert response.status_code == 200 and response.json()["confident"] is True
    elsewhere = client.post(
        "/v1/assist/answers",
        json={"question": "hw do i pay early", "conversation_id": str(uuid.uuid4())},
        headers=DEMO_AUTH,
    )
    assert elsewhere.status_code == 404


def test_answers_need_an_api_key(client) -> None:
    assert client.post("/v1/assist/answers", json={"question": "what is apr"}).status_code == 401


def test_the_summary_briefs_the_agent_without_identity_numbers(client, sessions) -> None:
    conversation_id = a_handed_off_conversation(sessions, demo_tenant_id(sessions))
    response = client.get(f"/v1/conversations/{conversation_id}/summary", headers=DEMO_AUTH)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["generated_by"] == "extractive"
    assert summary["wants"].startswith("I paid 20000 from [ACCOUNT] but it is not showing")
    assert "asked for a person" in summary["wants"]
    assert "Full name: Ada Obi" in summary["known"]
    assert any(item.startswith("Dispute DSP-") and item.endswith(": open") for item in summary["open_items"])
    assert any(line.startswith("Did not understand") for line in summary["tried"])
    assert "22212345678" not in response.text and "0123456789" not in response.text


def test_another_tenant_cannot_read_the_summary(client, sessions) -> None:
    conversation_id = a_handed_off_conversation(sessions, demo_tenant_id(sessions))
    other = a_tenant(sessions)
    with sessions() as s:
        slug = s.scalar(select(Tenant.slug).where(Tenant.id == other))
    response = client.get(
        f"/v1/conversations/{conversation_id}/summary", headers={**SERVICE, "X-Tenant": slug}
    )
    assert response.status_code == 404
