"""While a person holds a conversation the bot is silent for it on every channel (web, Twilio,
Meta): messages are stored for the agent and never reach Rasa (which is down in these tests, so
any attempt would fail loudly). The customer is told their place in the queue once, may cancel,
and is then back with the bot."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from test_channel_webhooks import an_sms, meta_payload, meta_post, twilio_post

from backend.adapters.rasa import RasaClient
from backend.gateway import pipeline
from backend.services.agents.sla import SupportHours
from tests.integration.conftest import DEMO_AUTH

WEB = "/channels/web/messages"


def hand_off(client, conversation_id: str, reason: str = "customer_request") -> None:
    response = client.post(
        f"/v1/conversations/{conversation_id}/handoff-requests",
        json={"reason": reason},
        headers={**DEMO_AUTH, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code in (200, 201), response.text


def statuses(db, conversation_id) -> list[tuple[str, str, str]]:
    return [
        (r.direction, r.author, r.status)
        for r in db.execute(
            text("SELECT direction, author, status FROM messages WHERE conversation_id = :c ORDER BY id"),
            {"c": conversation_id},
        )
    ]


def web_conversation(client, db, session_id: str) -> str:
    client.post(WEB, json={"session_id": session_id, "text": "hello"})  # Rasa is down: 503, stored
    return str(
        db.execute(
            text("SELECT id FROM conversations WHERE channel_identity = :s"), {"s": session_id}
        ).scalar()
    )


def test_web_messages_go_to_the_agent_with_one_queue_notice_and_cancel_returns_to_the_bot(client, db):
    session_id = f"web-{uuid.uuid4().hex}"
    conversation = web_conversation(client, db, session_id)
    hand_off(client, conversation)
    first = client.post(WEB, json={"session_id": session_id, "text": "are you there?"})
    assert first.status_code == 200
    [notice] = first.json()["messages"]
    if SupportHours().is_open(datetime.now(UTC)):  # the demo tenant's default hours
        assert re.search(r"number \d+ in the queue", notice["text"]), notice
    else:
        assert "offline right now" in notice["text"] and "back on" in notice["text"], notice
    assert "cancel" in notice["text"]
    second = client.post(WEB, json={"session_id": session_id, "text": "hello??"})
    assert second.status_code == 200 and second.json()["messages"] == []  # no notice on every message
    assert statuses(db, conversation)[-2:] == [
        ("outbound", "system", "delivered"),
        ("inbound", "customer", "for_agent"),
    ]
    back = client.post(WEB, json={"session_id": session_id, "text": "cancel"})
    assert "back with the assistant" in back.json()["messages"][0]["text"]
    handoff = db.execute(
        text("SELECT status FROM handoff_requests WHERE conversation_id = :c"), {"c": conversation}
    ).scalar()
    assert handoff == "cancelled"
    assert client.post(WEB, json={"session_id": session_id, "text": "hi"}).status_code == 503  # the bot again


def test_twilio_messages_are_kept_for_the_agent_and_never_reach_the_bot(client, settings, db):
    phone = "+2348030000101"
    first = an_sms("hi", phone=phone)
    twilio_post(client, settings, "/channels/twilio/inbound", first)
    conversation = db.execute(
        text("SELECT conversation_id FROM messages WHERE provider_message_id = :s"),
        {"s": first["MessageSid"]},
    ).scalar()
    db.execute(
        text("UPDATE messages SET status = 'answered' WHERE conversation_id = :c"), {"c": conversation}
    )
    db.commit()
    hand_off(client, str(conversation), "dispute")
    held = an_sms("I was charged twice", phone=phone)
    twilio_post(client, settings, "/channels/twilio/inbound", held)
    from backend.components import Components

    components = Components.build(settings)
    try:  # the worker's task: Rasa is down, and must not be needed
        pipeline.process_conversation(components.sessions, RasaClient("http://127.0.0.1:9"), conversation)
    finally:
        components.close()
    status = db.execute(
        text("SELECT status FROM messages WHERE provider_message_id = :s"), {"s": held["MessageSid"]}
    ).scalar()
    assert status == "for_agent"
    notice = db.execute(
        text(
            "SELECT author, text FROM messages WHERE conversation_id = :c AND direction = 'outbound'"
            " ORDER BY id DESC"
        ),
        {"c": conversation},
    ).first()
    assert notice.author == "system" and ("in the queue" in notice.text or "offline right now" in notice.text)


def test_meta_messages_are_kept_for_the_agent_too(client, settings, db):
    wa = "2348030000102"
    raw = meta_payload(f"wamid.{uuid.uuid4().hex}", "hi", wa_id=wa)
    meta_post(client, raw)
    conversation = db.execute(
        text("SELECT id FROM conversations WHERE channel_identity = :p AND channel = 'whatsapp_cloud'"),
        {"p": f"+{wa}"},
    ).scalar()
    db.execute(
        text("UPDATE messages SET status = 'answered' WHERE conversation_id = :c"), {"c": conversation}
    )
    db.commit()
    hand_off(client, str(conversation))
    wamid = f"wamid.{uuid.uuid4().hex}"
    meta_post(client, meta_payload(wamid, "hello agent", wa_id=wa))
    from backend.components import Components

    components = Components.build(settings)
    marked: list[tuple[str, str]] = []  # what WhatsApp would show as read (Meta's side, recorded)
    try:
        pipeline.process_conversation(
            components.sessions,
            RasaClient("http://127.0.0.1:9"),
            conversation,
            mark_seen=lambda channel, message_id: marked.append((channel, message_id)),
        )
    finally:
        components.close()
    status = db.execute(
        text("SELECT status FROM messages WHERE provider_message_id = :w"), {"w": wamid}
    ).scalar()
    assert status == "for_agent"
    assert marked == []  # no blue ticks or typing: no person has read it yet
