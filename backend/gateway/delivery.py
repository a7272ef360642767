"""Sending stored outbound messages through each channel's provider, and their delivery reports.

One bot reply is rendered for its channel by the channel's adapter (`channels/`): a WhatsApp
message with a numbered menu, SMS segments, a Graph API interactive message...; each rendered
part goes out through the channel's live sender when its credentials are configured, else into
the sandbox outbox (what `make run` and the tests use). Messages of one conversation are sent in
the order they were stored.

WhatsApp only carries free-form messages within 24 hours of the customer's last message. Outside
that window (known from the stored conversation, or reported by the provider: Twilio 63016, Meta
131047) the message goes as the tenant's approved template when one is configured, else as SMS
to the same number when SMS is configured, else it is marked failed with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import Conversation, Message, OutboxEntry, utcnow
from backend.adapters.messaging.base import OutsideServiceWindow, Sender, SendError
from backend.gateway.store import INBOUND, OUTBOUND
from channels.messages import BotReply, Button, Outbound, StatusUpdate

log = structlog.get_logger(__name__)

QUEUED, SENT, FAILED, SUPPRESSED = "queued", "sent", "failed", "suppressed"
SERVICE_WINDOW = timedelta(hours=24)
WHATSAPP_CHANNELS = frozenset({"whatsapp", "whatsapp_cloud"})
# Delivery reports only move a message forward; a late "sent" never undoes "delivered".
STATUS_RANK = {"queued": 0, "accepted": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}
TERMINAL = frozenset({"failed", "undelivered"})

Render = Callable[[Sequence[BotReply]], list[Outbound]]


@dataclass
class ChannelRoute:
    """How one channel's messages leave: its renderer, and its live sender (None: sandbox)."""

    render: Render
    sender: Sender | None = None
    template: Callable[[str], Outbound] | None = None  # the approved template, for outside the window
    fallback: ChannelRoute | None = None  # SMS to the same number, when WhatsApp cannot carry it
    name: str = "sandbox"
    extra: dict[str, str] = field(default_factory=dict)


def _reply_of(message: Message) -> BotReply:
    image = (message.envelope or {}).get("image")
    return BotReply(text=message.text, buttons=tuple(Button(**b) for b in message.buttons or ()), image=image)


def _window_open(session: Session, conversation_id: uuid.UUID) -> bool:
    last = session.scalar(
        select(func.max(Message.created_at)).where(
            Message.conversation_id == conversation_id, Message.direction == INBOUND
        )
    )
    if last is None:
        return False
    if last.tzinfo is None:  # SQLite drops the zone; stored values are UTC
        last = last.replace(tzinfo=utcnow().tzinfo)
    return utcnow() - last < SERVICE_WINDOW


def _proactive(message: Message) -> bool:
    """A message the customer did not prompt: a notice, a reminder, a business message."""
    return message.in_reply_to_id is None and message.author in ("bot", "system", "business")


def deliver_message(
    sessions: sessionmaker[Session], message_id: int, routes: Mapping[str, ChannelRoute]
) -> str:
    """Send one queued message once; a redelivered task finds it sent and does nothing.

    Raises `SendError` with `retryable=True` for a transient provider failure (the task retries)."""
    with sessions.begin() as session:
        message = session.scalar(select(Message).where(Message.id == message_id).with_for_update())
        if message is None:
            log.warning("deliver_missing_message", message_id=message_id)
            return "missing"
        if message.status != QUEUED:
            return message.status
        conversation = session.get_one(Conversation, message.conversation_id)
        if _proactive(message) and conversation.opted_out_at is not None:
            message.status = SUPPRESSED
            log.info("proactive_suppressed", message_id=message_id, reason="opted_out")
            return SUPPRESSED
        route = routes.get(conversation.channel)
        reply = _reply_of(message)
        if route is None or route.sender is None:
            parts = route.render([reply]) if route else []
            _outbox(session, message, conversation, parts)
            message.status = SENT
            log.info("message_sent", message_id=message_id, provider="sandbox", channel=conversation.channel)
            return SENT
        recipient = conversation.channel_identity
        parts = route.render([reply])
        try:
            if conversation.channel in WHATSAPP_CHANNELS and (
                (message.envelope or {}).get("window_closed") or not _window_open(session, conversation.id)
            ):
                raise OutsideServiceWindow("outside the 24-hour window", code="window")
            ids = _send_all(route, recipient, parts, message.id)
            provider = route.name
        except OutsideServiceWindow as exc:
            ids, provider = _outside_window(route, recipient, reply, parts, message.id, exc)
        except SendError as exc:
            if exc.retryable:
                raise
            message.status = FAILED
            message.envelope = {**(message.envelope or {}), "error": {"code": exc.code, "message": str(exc)}}
            log.warning("message_failed", message_id=message_id, code=exc.code, error=str(exc))
            return FAILED
        if not ids:
            message.status = FAILED
            message.envelope = {
                **(message.envelope or {}),
                "error": {"code": "window", "message": "no template"},
            }
            return FAILED
        message.provider_message_id = ids[0]
        message.envelope = {**(message.envelope or {}), "provider": provider, "parts": ids}
        message.status = SENT
        log.info("message_sent", message_id=message_id, provider=provider, parts=len(ids))
        return SENT


def _send_all(route: ChannelRoute, recipient: str, parts: list[Outbound], message_id: int) -> list[str]:
    assert route.sender is not None
    return [
        route.sender.send(recipient, part.body, idempotency_key=f"msg-{message_id}-{i}").provider_message_id
        for i, part in enumerate(parts)
    ]


def _outside_window(
    route: ChannelRoute,
    recipient: str,
    reply: BotReply,
    parts: list[Outbound],
    message_id: int,
    reason: SendError,
) -> tuple[list[str], str]:
    """The approved template (its variable carries the text), else SMS, else nothing."""
    log.info("whatsapp_window_closed", message_id=message_id, reason=str(reason))
    if route.template is not None and route.sender is not None:
        body = route.template(reply.text or "")
        sent = route.sender.send(recipient, body.body, idempotency_key=f"msg-{message_id}-template")
        return [sent.provider_message_id], f"{route.name}:template"
    if route.fallback is not None and route.fallback.sender is not None:
        sms_parts = route.fallback.render([reply])
        return _send_all(route.fallback, recipient, sms_parts, message_id), f"{route.fallback.name}:sms"
    return [], route.name


def _outbox(session: Session, message: Message, conversation: Conversation, parts: list[Outbound]) -> None:
    existing = session.scalar(select(OutboxEntry).where(OutboxEntry.message_id == message.id))
    if existing is None:
        body = (
            {"parts": [p.body for p in parts]}
            if parts
            else {"text": message.text, "buttons": message.buttons or []}
        )
        session.add(
            OutboxEntry(
                message_id=message.id,
                channel=conversation.channel,
                recipient=conversation.channel_identity,
                body=body,
            )
        )
        session.flush()


def pending(sessions: sessionmaker[Session], conversation_id: uuid.UUID) -> list[int]:
    """The conversation's queued outbound messages, oldest first."""
    with sessions() as session:
        return list(
            session.scalars(
                select(Message.id)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.direction == OUTBOUND,
                    Message.status == QUEUED,
                )
                .order_by(Message.id)
            )
        )


WINDOW_CODES = frozenset({"63016", "131047"})


def apply_status(sessions: sessionmaker[Session], update: StatusUpdate) -> bool | int:
    """Record a provider's delivery report on the message it is about; False when unknown.

    A WhatsApp message the provider failed because the 24-hour window had closed (it often says
    so only in the report) is queued again, marked to go as the template or by SMS: the message
    id is returned so the caller hands it to the worker."""
    with sessions.begin() as session:
        message = session.scalar(
            select(Message)
            .where(
                Message.direction == OUTBOUND,
                Message.provider_message_id == update.provider_message_id,
            )
            .with_for_update()
        )
        if message is None:
            log.info("status_for_unknown_message", provider_message_id=update.provider_message_id)
            return False
        status = update.status.lower()
        current = message.status
        if current in TERMINAL:
            return True
        if status in TERMINAL or STATUS_RANK.get(status, -1) > STATUS_RANK.get(current, -1):
            message.status = status
        if update.error_code:
            message.envelope = {
                **(message.envelope or {}),
                "error": {"code": update.error_code, "message": update.error_message},
            }
        log.info("delivery_status", message_id=message.id, status=status, error_code=update.error_code)
        if (
            status in TERMINAL
            and update.error_code in WINDOW_CODES
            and not (message.envelope or {}).get("window_closed")
        ):
            message.envelope = {**(message.envelope or {}), "window_closed": True}
            message.status = QUEUED
            return message.id
        return True
