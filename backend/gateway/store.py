"""Conversation and message persistence for the gateway."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.adapters.db.models import Conversation, Customer, Message, Tenant, utcnow
from channels.messages import BotReply

INBOUND, OUTBOUND = "inbound", "outbound"
# Channels whose identity is the customer's phone number in E.164: the same number on WhatsApp
# (Twilio or Meta) and SMS is the same customer, so an application started on one continues on
# the other.
PHONE_CHANNELS = frozenset({"whatsapp", "whatsapp_cloud", "sms"})


@dataclass(frozen=True, slots=True)
class ConversationRef:
    id: uuid.UUID
    tenant_slug: str
    locale: str
    currency: str
    customer_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None


class UnknownTenant(LookupError):
    pass


# The webhook's hot path: a known customer's conversation, found by the tenant's slug and the
# channel identity in one statement (the tenant, the conversation and the customer's locale).
_KNOWN_CONVERSATION = (
    select(
        Conversation.id,
        Conversation.customer_id,
        Conversation.tenant_id,
        Customer.locale,
        Customer.currency,
    )
    .join(Tenant, Tenant.id == Conversation.tenant_id)
    .join(Customer, Customer.id == Conversation.customer_id)
    .where(
        Tenant.slug == bindparam("slug"),
        Conversation.channel == bindparam("channel"),
        Conversation.channel_identity == bindparam("identity"),
    )
)


_TENANT_DEFAULTS = select(Tenant.id, Tenant.default_locale, Tenant.default_currency).where(
    Tenant.slug == bindparam("slug")
)
_CUSTOMERS, _CONVERSATIONS = Customer.__table__, Conversation.__table__


def find_or_create_conversation(session: Session, slug: str, channel: str, identity: str) -> ConversationRef:
    """The conversation of this channel identity, created with its customer on the first message.

    Every message but a customer's first costs one statement. The first one creates the customer
    (or finds the one who owns this phone number on another channel: one customer across
    WhatsApp and SMS) and the conversation in a savepoint; a concurrent first message of the same
    identity loses the race on the unique key, rolls back only its savepoint and reads the
    winner's rows."""
    # On the session's connection: Core statements, without the ORM's per-statement machinery.
    conn = session.connection()
    params = {"slug": slug, "channel": channel, "identity": identity}
    row = conn.execute(_KNOWN_CONVERSATION, params).first()
    if row is None:
        tenant = conn.execute(_TENANT_DEFAULTS, {"slug": slug}).first()
        if tenant is None:
            raise UnknownTenant(slug)
        try:
            with session.begin_nested():
                # the savepoint is emitted when the nested transaction first asks for the connection
                _create_conversation(session.connection(), tenant, channel, identity)
        except IntegrityError:
            pass
        row = conn.execute(_KNOWN_CONVERSATION, params).one()
    return ConversationRef(
        id=row.id,
        tenant_slug=slug,
        locale=row.locale,
        currency=row.currency,
        customer_id=row.customer_id,
        tenant_id=row.tenant_id,
    )


def _create_conversation(conn: Connection, tenant: Row[Any], channel: str, identity: str) -> None:
    phone = identity if channel in PHONE_CHANNELS else None
    customer_id = None
    if phone is not None:
        customer_id = conn.execute(
            select(_CUSTOMERS.c.id).where(
                _CUSTOMERS.c.tenant_id == tenant.id, _CUSTOMERS.c.phone_e164 == phone
            )
        ).scalar()
    if customer_id is None:
        customer_id = conn.execute(
            insert(_CUSTOMERS).returning(_CUSTOMERS.c.id),
            {
                "tenant_id": tenant.id,
                "locale": tenant.default_locale,
                "currency": tenant.default_currency,
                "phone_e164": phone,
            },
        ).scalar_one()
    conn.execute(
        insert(_CONVERSATIONS),
        {
            "tenant_id": tenant.id,
            "customer_id": customer_id,
            "channel": channel,
            "channel_identity": identity,
        },
    )


_MESSAGES = Message.__table__
_INSERT_DIALECTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_inbound_once(session: Session, conversation_id: uuid.UUID, values: dict[str, Any]) -> int | None:
    """Store an inbound message unless its provider id is already stored for this conversation.
    The unique key decides (INSERT ... ON CONFLICT DO NOTHING, on PostgreSQL and SQLite alike), so
    concurrent deliveries of one message store it once, and a redelivery costs no error, no
    rollback and no extra round trip. Returns the new row's id, or None for a duplicate."""
    statement = (
        _INSERT_DIALECTS[session.get_bind().dialect.name](_MESSAGES)
        .on_conflict_do_nothing(index_elements=["conversation_id", "provider_message_id"])
        .returning(_MESSAGES.c.id)
    )
    row = {"conversation_id": conversation_id, "direction": INBOUND, **values}
    return session.connection().execute(statement, row).scalar()


def insert_reply(
    session: Session,
    conversation_id: uuid.UUID,
    in_reply_to_id: int,
    text: str,
    request_id: str | None,
    *,
    status: str,
    author: str = "system",
) -> int:
    """A reply of the gateway's own (not the bot's) to a stored inbound message; returns its id."""
    row = {
        "conversation_id": conversation_id,
        "direction": OUTBOUND,
        "author": author,
        "text": text,
        "in_reply_to_id": in_reply_to_id,
        "status": status,
        "request_id": request_id,
        "created_at": utcnow(),
    }
    return session.connection().execute(insert(_MESSAGES).returning(_MESSAGES.c.id), row).scalar_one()


def find_inbound(session: Session, conversation_id: uuid.UUID, provider_message_id: str) -> Message | None:
    return session.scalar(
        select(Message).where(
            Message.conversation_id == conversation_id,
            Message.provider_message_id == provider_message_id,
            Message.direction == INBOUND,
        )
    )


def replies_to(session: Session, message_id: int) -> list[BotReply]:
    rows = session.scalars(select(Message).where(Message.in_reply_to_id == message_id).order_by(Message.id))
    return [as_reply(row) for row in rows]


def as_reply(row: Message) -> BotReply:
    from channels.messages import Button

    return BotReply(text=row.text, buttons=tuple(Button(**b) for b in row.buttons or ()))


def store_replies(
    session: Session,
    conversation_id: uuid.UUID,
    inbound_id: int,
    replies: list[BotReply],
    request_id: str | None,
    author: str = "bot",
) -> None:
    for reply in replies:
        session.add(
            Message(
                conversation_id=conversation_id,
                direction=OUTBOUND,
                author=author,
                text=reply.text,
                buttons=[{"title": b.title, "payload": b.payload} for b in reply.buttons] or None,
                in_reply_to_id=inbound_id,
                status="delivered",
                request_id=request_id,
            )
        )
    session.execute(update(Message).where(Message.id == inbound_id).values(status="answered"))
    session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(last_message_at=utcnow())
    )


def transcript(
    session: Session, conversation_id: uuid.UUID, after: int = 0, limit: int = 200
) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.id > after)
        .order_by(Message.id)
        .limit(limit)
    )
    return [
        {
            "id": row.id,
            "direction": row.direction,
            "author": row.author,
            "text": row.text,
            "payload": row.payload,
            "buttons": row.buttons or [],
            "status": row.status,
            "in_reply_to": row.in_reply_to_id,
            "request_id": row.request_id,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]
