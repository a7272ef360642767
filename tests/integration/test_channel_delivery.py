"""Outbound delivery on real PostgreSQL with a fake provider sender (the one port faked): order,
the WhatsApp 24-hour window (template, else SMS), provider refusals and retries, opt-out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from backend.adapters.messaging.base import OutsideServiceWindow, SendError, SendResult
from backend.gateway import delivery
from backend.gateway.delivery import ChannelRoute
from channels.messages import BotReply, Outbound


@dataclass
class FakeSender:
    name: str = "fake"
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: list[Exception] = field(default_factory=list)

    def send(self, recipient: str, body: dict[str, Any], *, idempotency_key: str) -> SendResult:
        if self.fail:
            raise self.fail.pop(0)
        self.sent.append((recipient, body))
        return SendResult(self.name, f"{self.name}-{len(self.sent)}", "queued")


def render(replies: list[BotReply]) -> list[Outbound]:
    return [Outbound("x", {"Body": r.text}, r.text or "") for r in replies]


@pytest.fixture()
def sessions(settings, migrated):
    from backend.components import Components

    components = Components.build(settings)
    yield components.sessions
    components.close()


def a_conversation(
    db, channel: str, *, last_inbound_hours_ago: float | None, opted_out: bool = False
) -> uuid.UUID:
    tenant = db.execute(text("SELECT id FROM tenants WHERE slug = 'demo'")).scalar()
    customer = uuid.uuid4()
    conversation = uuid.uuid4()
    db.execute(
        text(
            "INSERT INTO customers (id, tenant_id, locale, currency, created_at)"
            " VALUES (:i, :t, 'en_NG', 'NGN', now())"
        ),
        {"i": customer, "t": tenant},
    )
    db.execute(
        text(
            "INSERT INTO conversations (id, tenant_id, customer_id, channel, channel_identity, created_at,"
            " last_message_at, opted_out_at) VALUES (:i, :t, :c, :ch, :p, now(), now(), :o)"
        ),
        {
            "i": conversation,
            "t": tenant,
            "c": customer,
            "ch": channel,
            "p": f"+234803{uuid.uuid4().int % 10**7:07d}",
            "o": None if not opted_out else "2026-01-01T00:00:00+00:00",
        },
    )
    if last_inbound_hours_ago is not None:
        db.execute(
            text(
                "INSERT INTO messages (conversation_id, direction, author, text, status, created_at)"
                " VALUES (:c, 'inbound', 'customer', 'hi', 'answered', now() - :h * interval '1 hour')"
            ),
            {"c": conversation, "h": last_inbound_hours_ago},
        )
    db.commit()
    return conversation


def a_queued(db, conversation: uuid.UUID, body: str, *, proactive: bool = False) -> int:
    reply_to = None
    if not proactive:
        reply_to = db.execute(
            text("SELECT max(id) FROM messages WHERE conversation_id = :c AND direction = 'inbound'"),
            {"c": conversation},
        ).scalar()
    message_id = db.execute(
        text(
            "INSERT INTO messages (conversation_id, direction, author, text, status, in_reply_to_id,"
            " created_at) VALUES (:c, 'outbound', 'bot', :t, 'queued', :r, now()) RETURNING id"
        ),
        {"c": conversation, "t": body, "r": reply_to},
    ).scalar()
    db.commit()
    return message_id


def status_of(db, message_id: int) -> tuple[str, str | None, dict | None]:
    row = db.execute(
        text("SELECT status, provider_message_id, envelope FROM messages WHERE id = :i"), {"i": message_id}
    ).one()
    return row.status, row.provider_message_id, row.envelope


def test_inside_the_window_the_reply_goes_as_it_is_and_in_order(db, sessions):
    sender = FakeSender()
    routes = {"whatsapp": ChannelRoute(render=render, sender=sender, name="fake")}
    conversation = a_conversation(db, "whatsapp", last_inbound_hours_ago=1)
    first, second = a_queued(db, conversation, "one"), a_queued(db, conversation, "two")
    for message_id in delivery.pending(sessions, conversation):
        assert delivery.deliver_message(sessions, message_id, routes) == "sent"
    assert [body["Body"] for _, body in sender.sent] == ["one", "two"]
    assert status_of(db, first)[:2] == ("sent", "fake-1")
    assert delivery.deliver_message(sessions, first, routes) == "sent"  # a redelivered task sends nothing
    assert len(sender.sent) == 2 and status_of(db, second)[1] == "fake-2"


def test_after_24_hours_whatsapp_uses_the_approved_template(db, sessions):
    sender = FakeSender()
    template = lambda text_: Outbound("whatsapp", {"ContentSid": "HX123", "ContentVariables": text_}, text_)  # noqa: E731
    routes = {"whatsapp": ChannelRoute(render=render, sender=sender, template=template, name="fake")}
    conversation = a_conversation(db, "whatsapp", last_inbound_hours_ago=30)
    message_id = a_queued(db, conversation, "Your payment is due tomorrow", proactive=True)
    assert delivery.deliver_message(sessions, message_id, routes) == "sent"
    assert sender.sent[0][1] == {"ContentSid": "HX123", "ContentVariables": "Your payment is due tomorrow"}
    assert status_of(db, message_id)[2]["provider"] == "fake:template"


def test_without_a_template_the_message_falls_back_to_sms_when_the_provider_says_the_window_closed(
    db, sessions
):
    whatsapp_sender = FakeSender(name="wa", fail=[OutsideServiceWindow("63016", code="63016")])
    sms_sender = FakeSender(name="sms")
    sms = ChannelRoute(render=render, sender=sms_sender, name="sms")
    routes = {"whatsapp": ChannelRoute(render=render, sender=whatsapp_sender, fallback=sms, name="wa")}
    conversation = a_conversation(db, "whatsapp", last_inbound_hours_ago=2)
    message_id = a_queued(db, conversation, "hello")
    assert delivery.deliver_message(sessions, message_id, routes) == "sent"
    assert [b["Body"] for _, b in sms_sender.sent] == ["hello"] and whatsapp_sender.sent == []
    assert status_of(db, message_id)[2]["provider"] == "sms:sms"


def test_a_transient_failure_is_retried_and_a_refusal_is_recorded(db, sessions):
    sender = FakeSender(
        fail=[SendError("busy", code="20429", retryable=True), SendError("bad number", code="21211")]
    )
    routes = {"sms": ChannelRoute(render=render, sender=sender, name="fake")}
    conversation = a_conversation(db, "sms", last_inbound_hours_ago=1)
    message_id = a_queued(db, conversation, "hello")
    with pytest.raises(SendError):
        delivery.deliver_message(sessions, message_id, routes)
    assert status_of(db, message_id)[0] == "queued"  # still there for the retry
    assert delivery.deliver_message(sessions, message_id, routes) == "failed"
    assert status_of(db, message_id)[2]["error"]["code"] == "21211"


def test_an_opted_out_number_gets_no_proactive_message(db, sessions):
    sender = FakeSender()
    routes = {"sms": ChannelRoute(render=render, sender=sender, name="fake")}
    conversation = a_conversation(db, "sms", last_inbound_hours_ago=None, opted_out=True)
    message_id = a_queued(db, conversation, "Reminder: payment due", proactive=True)
    assert delivery.deliver_message(sessions, message_id, routes) == "suppressed"
    assert sender.sent == []


def test_without_credentials_the_rendered_parts_land_in_the_outbox(db, sessions):
    routes = {"sms": ChannelRoute(render=render, sender=None)}
    conversation = a_conversation(db, "sms", last_inbound_hours_ago=timedelta(hours=1).total_seconds() / 3600)
    message_id = a_queued(db, conversation, "hello")
    assert delivery.deliver_message(sessions, message_id, routes) == "sent"
    body = db.execute(text("SELECT body FROM outbox WHERE message_id = :m"), {"m": message_id}).scalar()
    assert body == {"parts": [{"Body": "hello"}]}
