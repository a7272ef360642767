"""The web chat channel: JSON in, JSON out, answered in the same HTTP exchange."""

from __future__ import annotations

import re
from typing import Any

from channels.messages import BotReply, InboundMessage, InvalidInbound

CHANNEL = "web"
MAX_TEXT = 4096
MAX_TITLE = 200
SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
CLIENT_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
# A payload is Rasa's intent syntax: "/intent" optionally followed by JSON entities.
PAYLOAD = re.compile(r"^/[A-Za-z_][A-Za-z0-9_]*(\{.*\})?$", re.DOTALL)


def parse(body: dict[str, Any]) -> InboundMessage:
    """Validate a web chat request: a session id and exactly one of text or payload."""
    session_id = body.get("session_id")
    if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
        raise InvalidInbound("session_id must be 8-128 letters, digits or _.:-")
    text, payload = body.get("text"), body.get("payload")
    if (text is None) == (payload is None):
        raise InvalidInbound("send exactly one of text or payload")
    message_id = body.get("message_id")
    if message_id is not None and (
        not isinstance(message_id, str) or not CLIENT_MESSAGE_ID.match(message_id)
    ):
        raise InvalidInbound("message_id must be 1-128 letters, digits or _.:-")
    tenant = body.get("tenant")
    if tenant is not None and not isinstance(tenant, str):
        raise InvalidInbound("tenant must be a string")
    title = body.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > MAX_TITLE):
        raise InvalidInbound(f"title must be a string of at most {MAX_TITLE} characters")
    if payload is not None:
        if not isinstance(payload, str) or not PAYLOAD.match(payload) or len(payload) > MAX_TEXT:
            raise InvalidInbound('payload must look like "/intent" or "/intent{...}"')
        content, is_payload = payload, True
    else:
        if not isinstance(text, str) or not text.strip():
            raise InvalidInbound("text must be a non-empty string")
        if len(text) > MAX_TEXT:
            raise InvalidInbound(f"text is longer than {MAX_TEXT} characters")
        content, is_payload = text.strip(), False
    return InboundMessage(
        channel=CHANNEL,
        sender=session_id,
        text=content,
        is_payload=is_payload,
        provider_message_id=message_id,
        tenant=tenant,
        display_text=title if is_payload else None,
    )


def render(replies: list[BotReply]) -> dict[str, Any]:
    """The web widget's reply shape: text and buttons per message."""
    return {
        "messages": [
            {
                "text": reply.text,
                "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons],
                **({"image": reply.image} if reply.image else {}),
            }
            for reply in replies
        ]
    }
