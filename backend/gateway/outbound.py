"""Messages the business sends first (notices, agent replies later): queued, then delivered once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import Conversation, Message, utcnow
from backend.adapters.messaging.sandbox import SandboxMessenger
from backend.gateway.store import OUTBOUND

log = structlog.get_logger(__name__)

QUEUED, SENT = "queued", "sent"


def queue_message(
    sessions: sessionmaker[Session],
    tenant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    text: str,
    author: str,
    request_id: str | None,
    enqueue: Callable[[int], None],
    proactive: bool = False,
) -> int | None:
    """Store the message as queued and hand its id to the worker; None if no such conversation,
    or when a `proactive` message (one the customer did not prompt: reminders, notices) would go
    to a conversation that opted out."""
    with sessions.begin() as session:
        found = session.execute(
            select(Conversation.id, Conversation.opted_out_at).where(
                Conversation.id == conversation_id, Conversation.tenant_id == tenant_id
            )
        ).first()
        if found is None:
            return None
        if proactive and found.opted_out_at is not None:
            log.info("proactive_suppressed", conversation_id=str(conversation_id), reason="opted_out")
            return None
        message = Message(
            conversation_id=conversation_id,
            direction=OUTBOUND,
            author=author,
            text=text,
            status=QUEUED,
            request_id=request_id,
        )
        session.add(message)
        session.flush()
        message_id = message.id
    enqueue(message_id)
    return message_id


def deliver(sessions: sessionmaker[Session], message_id: int, messenger: SandboxMessenger) -> str:
    """Send a queued message once; a redelivered task finds it sent and does nothing."""
    with sessions.begin() as session:
        message = session.scalar(select(Message).where(Message.id == message_id).with_for_update())
        if message is None:
            log.warning("deliver_missing_message", message_id=message_id)
            return "missing"
        if message.status != QUEUED:
            return message.status
        conversation = session.get_one(Conversation, message.conversation_id)
        messenger.send(
            session,
            message.id,
            conversation.channel,
            conversation.channel_identity,
            {"text": message.text, "buttons": message.buttons or []},
        )
        message.status = SENT
        log.info("message_sent", message_id=message_id, provider=messenger.name)
        return SENT


def stale_queued(sessions: sessionmaker[Session], older_than: timedelta) -> list[int]:
    """Queued messages whose task was lost (broker restart): the sweeper sends them again."""
    with sessions() as session:
        return list(
            session.scalars(
                select(Message.id).where(Message.status == QUEUED, Message.created_at < utcnow() - older_than)
            )
        )
