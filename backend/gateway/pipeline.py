"""Channels whose provider calls a webhook and hears back later (Twilio WhatsApp/SMS, Meta's
WhatsApp Cloud API): store first, acknowledge at once, answer in the worker, in order.

`accept` runs in the webhook: it stores the message (a redelivered provider id is recognised and
stored once) with everything needed to answer it later in `Message.envelope`, and returns. The
worker's `process_conversation` answers every stored, unanswered message of one conversation,
oldest first; each message is handled in a transaction that holds the conversation's row lock,
so a second worker waits, and a customer's second message is never answered before their first,
while other conversations proceed in parallel (the lock is FOR NO KEY UPDATE: a webhook storing a
new message for the conversation is not held up by it). When Rasa is down the message stays stored
(`failed`) and the customer gets one "we'll be right back" message, not one per retry; the task
retries and answers it when Rasa is back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import Conversation, Customer, Message, Tenant, utcnow
from backend.adapters.rasa import RasaClient, RasaUnavailable
from backend.gateway import store, takeover
from backend.gateway.attachments import FetchMedia, store_attachments
from backend.gateway.store import INBOUND, OUTBOUND, ConversationRef
from channels.messages import Attachment, BotReply, Button, InboundMessage

log = structlog.get_logger(__name__)

RECEIVED, ANSWERED, FAILED, QUEUED = "received", "answered", "failed", "queued"
BE_RIGHT_BACK = (
    "Thanks, we've got your message. Our assistant is having a short break; "
    "we'll reply here as soon as it's back."
)
SILENCE_APOLOGY = "Sorry, I'm having trouble right now. Please try again in a moment."
# (channel, provider message id): the provider shows the customer the bot read it and is answering
MarkSeen = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class Accepted:
    conversation: ConversationRef
    message_id: int
    duplicate: bool


def envelope_of(inbound: InboundMessage) -> dict[str, Any]:
    """What the worker needs besides the text: media to fetch, location, profile, metadata."""
    return {
        "is_payload": inbound.is_payload,
        "metadata": inbound.metadata,
        "attachments": [
            {"content_type": a.content_type, "filename": a.filename, "url": a.url}
            for a in inbound.attachments
            if a.url or a.content is None
        ],
    }


def accept(
    sessions: sessionmaker[Session], inbound: InboundMessage, request_id: str | None, tenant_slug: str
) -> Accepted:
    """Store the message once per provider id; never calls Rasa (the webhook must answer fast).

    A known customer's message is one transaction of two statements: find the conversation (with
    its tenant and customer) and insert the message unless its provider id is stored already."""
    with sessions() as session:
        conversation = store.find_or_create_conversation(
            session, inbound.tenant or tenant_slug, inbound.channel, inbound.sender
        )
        message_id = store.insert_inbound_once(
            session,
            conversation.id,
            {
                "author": "customer",
                "text": inbound.display_text if inbound.is_payload and inbound.display_text else inbound.text,
                "payload": inbound.text if inbound.is_payload else None,
                "provider_message_id": inbound.provider_message_id,
                "status": RECEIVED,
                "request_id": request_id,
                "envelope": envelope_of(inbound),
                "created_at": utcnow(),
            },
        )
        session.commit()
        if message_id is not None:
            return Accepted(conversation, message_id, False)
        earlier = store.find_inbound(session, conversation.id, inbound.provider_message_id or "")
        assert earlier is not None  # ON CONFLICT skipped the row: the provider id is stored
        log.info("duplicate_inbound", message_id=earlier.id, channel=inbound.channel)
        return Accepted(conversation, earlier.id, True)


def record_answered(
    session: Session,
    conversation: ConversationRef,
    inbound: InboundMessage,
    request_id: str | None,
    reply: str,
) -> int | None:
    """A message the gateway answers itself (STOP, START, HELP, a reaction): stored as answered with
    its reply queued, in the caller's transaction. Returns the reply's id, or None when this
    provider id was stored before (a redelivery is answered once)."""
    inbound_id = store.insert_inbound_once(
        session,
        conversation.id,
        {
            "author": "customer",
            "text": inbound.text,
            "provider_message_id": inbound.provider_message_id,
            "status": ANSWERED,
            "request_id": request_id,
            "created_at": utcnow(),
        },
    )
    if inbound_id is None:
        return None
    return store.insert_reply(session, conversation.id, inbound_id, reply, request_id, status=QUEUED)


def _inbound_of(message: Message, conversation: Conversation) -> InboundMessage:
    envelope = message.envelope or {}
    is_payload = bool(envelope.get("is_payload")) or message.payload is not None
    return InboundMessage(
        channel=conversation.channel,
        sender=conversation.channel_identity,
        text=message.payload if message.payload is not None else (message.text or ""),
        is_payload=is_payload,
        provider_message_id=message.provider_message_id,
        display_text=message.text,
        metadata=dict(envelope.get("metadata") or {}),
        attachments=tuple(
            Attachment(content_type=a["content_type"], filename=a["filename"], url=a.get("url"))
            for a in envelope.get("attachments") or []
        ),
    )


def process_conversation(
    sessions: sessionmaker[Session],
    rasa: RasaClient,
    conversation_id: uuid.UUID,
    fetch_media: FetchMedia | None = None,
    menu_choice: Callable[[InboundMessage, list[Button]], InboundMessage] | None = None,
    mark_seen: MarkSeen | None = None,
) -> list[int]:
    """Answer the conversation's stored messages in order; the outbound ids to send, in order.

    `mark_seen` tells the customer's app that the bot read the message and is answering (blue
    ticks and "typing..." on WhatsApp); only for messages the bot answers, not those held for a
    person, who has not read them yet.

    Raises `RasaUnavailable` after storing the one "we'll be right back" message, so the task
    retries with backoff; everything answered before the outage stays answered.
    """
    to_send: list[int] = []
    while True:
        with sessions() as session:
            conversation = session.scalar(
                select(Conversation)
                .where(Conversation.id == conversation_id)
                # NO KEY UPDATE: serialises the workers of one conversation without blocking the
                # webhook, whose new message row only takes a KEY SHARE lock on it (its foreign key)
                .with_for_update(key_share=True)
            )
            if conversation is None:
                return to_send
            message = session.scalar(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.direction == INBOUND,
                    Message.status.in_((RECEIVED, FAILED)),
                )
                .order_by(Message.id)
                .limit(1)
            )
            if message is None:
                session.commit()
                return to_send
            ref = _ref(session, conversation)
            inbound = _inbound_of(message, conversation)
            held, notice = takeover.route_if_held(
                session,
                conversation.tenant_id,
                conversation_id,
                message,
                inbound.display_text or inbound.text,
            )
            if held:
                if notice:
                    to_send += _queue(session, conversation_id, message.id, [BotReply(notice)], "system")
                conversation.last_message_at = utcnow()
                session.commit()
                takeover.sync_rasa_pause(rasa, conversation_id, held=message.status == takeover.FOR_AGENT)
                continue
            if takeover.ever_handed_off(session, conversation_id):
                takeover.sync_rasa_pause(rasa, conversation_id, held=False)
            if menu_choice is not None and not inbound.is_payload:
                inbound = menu_choice(inbound, _last_buttons(session, conversation_id, message.id))
            if mark_seen is not None and message.provider_message_id:
                _announce_answer(mark_seen, conversation.channel, message.provider_message_id)
            attachments = store_attachments(sessions, ref, inbound, fetch_media)
            metadata = {
                "request_id": message.request_id,
                "tenant": ref.tenant_slug,
                "locale": ref.locale,
                "currency": ref.currency,
                "channel": conversation.channel,
                "conversation_id": str(conversation.id),
                "customer_id": str(ref.customer_id) if ref.customer_id else None,
                **({"attachments": attachments} if attachments else {}),
                **inbound.metadata,
            }
            try:
                replies = rasa.send(str(conversation.id), inbound.text, metadata)
            except RasaUnavailable:
                if message.status != FAILED:
                    message.status = FAILED
                    apology = _queue(
                        session, conversation_id, message.id, [BotReply(BE_RIGHT_BACK)], "system"
                    )
                    session.commit()
                    to_send += apology
                else:
                    session.rollback()
                raise
            if not replies:
                replies = [BotReply(SILENCE_APOLOGY, (Button("Start again", "/greet"),))]
            to_send += _queue(session, conversation_id, message.id, replies, "bot", message.request_id)
            message.status = ANSWERED
            conversation.last_message_at = utcnow()
            session.commit()
            log.info(
                "turn",
                conversation_id=str(conversation_id),
                channel=conversation.channel,
                replies=len(replies),
            )


def _announce_answer(mark_seen: MarkSeen, channel: str, provider_message_id: str) -> None:
    """A courtesy to the customer: its failure (the provider down, a timeout) never stops or
    delays the answer beyond the sender's short timeout."""
    try:
        mark_seen(channel, provider_message_id)
    except Exception as exc:  # any failure of a read receipt is only logged
        log.warning("mark_seen_failed", channel=channel, error=str(exc))


def _queue(
    session: Session,
    conversation_id: uuid.UUID,
    inbound_id: int,
    replies: list[BotReply],
    author: str,
    request_id: str | None = None,
) -> list[int]:
    rows = [
        Message(
            conversation_id=conversation_id,
            direction=OUTBOUND,
            author=author,
            text=reply.text,
            buttons=[{"title": b.title, "payload": b.payload} for b in reply.buttons] or None,
            in_reply_to_id=inbound_id,
            status=QUEUED,
            request_id=request_id,
            envelope={"image": reply.image} if reply.image else None,
        )
        for reply in replies
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def _ref(session: Session, conversation: Conversation) -> ConversationRef:
    customer = session.get_one(Customer, conversation.customer_id)
    tenant = session.get_one(Tenant, conversation.tenant_id)
    return ConversationRef(
        id=conversation.id,
        tenant_slug=tenant.slug,
        locale=customer.locale,
        currency=customer.currency,
        customer_id=customer.id,
        tenant_id=tenant.id,
    )


def _last_buttons(session: Session, conversation_id: uuid.UUID, before_id: int) -> list[Button]:
    """The buttons of the last message shown to the customer before this one (an SMS menu)."""
    row = session.scalar(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == OUTBOUND,
            Message.id < before_id,
            Message.buttons.is_not(None),
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    return [Button(**b) for b in (row.buttons or [])] if row else []


def unanswered(sessions: sessionmaker[Session], older_than: timedelta) -> list[uuid.UUID]:
    """Conversations holding an inbound message stored more than `older_than` ago and not
    answered: what the sweep hands back to the worker."""
    with sessions() as session:
        return list(
            session.scalars(
                select(Message.conversation_id)
                .where(
                    Message.direction == INBOUND,
                    Message.status.in_((RECEIVED, FAILED)),
                    Message.created_at < utcnow() - older_than,
                )
                .distinct()
            )
        )
