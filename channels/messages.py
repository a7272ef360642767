"""Channel-neutral message shapes: what every adapter parses into and renders from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class InvalidInbound(ValueError):
    """A request a channel cannot turn into a message; the webhook answers 4xx with this text."""


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the customer sent: the bytes when the channel carried them (web upload), or a URL
    the gateway fetches with the provider's credentials (Twilio, Meta media)."""

    content_type: str
    filename: str
    content: bytes | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One thing a customer said or tapped, normalised across channels.

    `text` is what Rasa receives: the typed text, or a button's payload (`/intent{...}`)."""

    channel: str
    sender: str
    text: str
    is_payload: bool = False
    provider_message_id: str | None = None
    tenant: str | None = None
    display_text: str | None = None  # a tapped button's title: what the customer saw themselves send
    metadata: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class BotReply:
    """One message of the bot's answer, before a channel renders it."""

    text: str | None
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: dict[str, Any] | None = None

    @classmethod
    def from_rasa(cls, message: dict[str, Any]) -> BotReply:
        """Rasa's REST channel answers with dicts of text, buttons, image and custom."""
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in message.get("buttons") or []
        )
        return cls(
            text=message.get("text"),
            buttons=buttons,
            image=message.get("image"),
            custom=message.get("custom"),
        )


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A provider's delivery report for a message we sent (queued, sent, delivered, read,
    undelivered, failed), keyed on the provider's id for that message."""

    provider_message_id: str
    status: str
    error_code: str | None = None
    error_message: str | None = None
    recipient: str | None = None


@dataclass(frozen=True, slots=True)
class Outbound:
    """One provider request body, rendered for a channel from one or more bot replies.

    `body` is the provider's own shape without the recipient (Twilio form fields, a Graph API
    message object, the web widget's JSON); `text_for_transcript` is what the customer reads."""

    channel: str
    body: dict[str, Any]
    text_for_transcript: str
