"""The web chat channel: JSON in, JSON out, answered in the same HTTP exchange."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from channels.messages import Attachment, BotReply, InboundMessage, InvalidInbound

CHANNEL = "web"
MAX_TEXT = 4096
MAX_TITLE = 200
SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
CLIENT_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
# A payload is Rasa's intent syntax: "/intent" optionally followed by JSON entities.
PAYLOAD = re.compile(r"^/[A-Za-z_][A-Za-z0-9_]*(\{.*\})?$", re.DOTALL)
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# What a file without words says to the bot: the intent the domain routes documents by.
ATTACHMENT_TEXT = "/send_attachment"


def _attachments(raw: Any) -> tuple[Attachment, ...]:
    """`[{"filename", "content_type", "content_base64"}]`, at most 3 files of 10 MB each."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_ATTACHMENTS:
        raise InvalidInbound(f"attachments must be a list of at most {MAX_ATTACHMENTS} files")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidInbound("each attachment must be an object")
        content_type, filename, data = (
            item.get("content_type"),
            item.get("filename"),
            item.get("content_base64"),
        )
        if not isinstance(content_type, str) or not isinstance(filename, str) or not isinstance(data, str):
            raise InvalidInbound("an attachment needs content_type, filename and content_base64")
        if len(data) > MAX_ATTACHMENT_BYTES * 4 // 3 + 4:
            raise InvalidInbound("an attachment may be at most 10 MB")
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInbound("content_base64 is not valid base64") from exc
        if not content:
            raise InvalidInbound("an attachment is empty")
        out.append(
            Attachment(content_type=content_type.strip().lower(), filename=filename[:200], content=content)
        )
    return tuple(out)


def parse(body: dict[str, Any]) -> InboundMessage:
    """Validate a web chat request: a session id and exactly one of text or payload."""
    session_id = body.get("session_id")
    if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
        raise InvalidInbound("session_id must be 8-128 letters, digits or _.:-")
    text, payload = body.get("text"), body.get("payload")
    attachments = _attachments(body.get("attachments"))
    if attachments and text is None and payload is None:
        payload = ATTACHMENT_TEXT  # a file on its own
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
        display_text=(title or ("📎 " + ", ".join(a.filename for a in attachments) if attachments else None))
        if is_payload
        else None,
        attachments=attachments,
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
