"""SQLAlchemy 2 mapping of what the backend stores.

Rasa's tracker events live in a database of their own (see backend/launcher/rasa_env.py), so
Alembic manages exactly the tables below and never Rasa's `events`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
        datetime: DateTime(timezone=True),
    }


class Tenant(Base):
    """A business that offers credit through us (its own products, agents, widget and API keys)."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_locale: Mapped[str] = mapped_column(String(16))
    default_currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """Only a SHA-256 of the key is stored: keys are 256-bit random, so a slow hash adds nothing,
    and a leaked table reveals no usable key."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Customer(Base):
    """A phone is one identity per tenant: the unique constraint (not only the service's check)
    is what makes two concurrent registrations of one number end in one customer and one 409."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "phone_e164"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    phone_e164: Mapped[str | None] = mapped_column(String(20), default=None)
    full_name: Mapped[str | None] = mapped_column(String(200), default=None)
    # When the customer agreed to credit checks and e-signature: no decision is made without it.
    consented_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    """One customer's thread on one channel identity (a web session, a WhatsApp number...)."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("tenant_id", "channel", "channel_identity"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    channel_identity: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the customer opts out ("stop sending me messages", SMS STOP): no proactive message
    # (reminder, notice, offer) goes to this channel identity until they opt in again.
    opted_out_at: Mapped[datetime | None] = mapped_column(default=None)


class Message(Base):
    """Every inbound and outbound message, in order, on its conversation.

    `provider_message_id` is unique per conversation so a redelivered inbound message is stored
    once; outbound replies point at the inbound message they answer so a retry returns them."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "provider_message_id"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        # Delivery reports name only the provider's id (migration 0019).
        Index("ix_messages_provider_message_id", "provider_message_id"),
    )

    # An integer key gives the transcript its order (timestamps can tie within a turn).
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))
    author: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    payload: Mapped[str | None] = mapped_column(Text, default=None)
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)
    provider_message_id: Mapped[str | None] = mapped_column(String(128), default=None)
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the channel sent beyond the text, for the worker that processes the message later:
    # media to fetch, location, the customer's profile name; or, outbound, the provider's parts.
    envelope: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class OutboxEntry(Base):
    """What the sandbox messaging provider 'sent': the record a live provider would hold."""

    __tablename__ = "outbox"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(128))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EligibilityCheck(Base):
    """Each indicative limit we quoted, with the rule version and inputs that produced it, so a
    quote a customer screenshots can be explained and replayed."""

    __tablename__ = "eligibility_checks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), default=None
    )
    business_type: Mapped[str] = mapped_column(String(32))
    revenue_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    eligible: Mapped[bool] = mapped_column(Boolean)
    limit_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    rule_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """The first response to a request with an Idempotency-Key, returned again on a retry."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
