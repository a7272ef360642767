"""Meta's WhatsApp Cloud API channel: verify, parse and render, with no I/O.

Meta documents the webhook at developers.facebook.com/documentation/business-messaging/whatsapp/
webhooks (the `messages` field): a GET handshake when the webhook is registered, then POSTs whose
body is signed in `X-Hub-Signature-256` and carries `entry[].changes[].value` with `messages[]`
(what customers send) and `statuses[]` (what became of what we sent). Outbound message objects are
the Graph API's `POST /{version}/{phone_number_id}/messages` bodies without `to` and
`messaging_product`, which the live sender (`backend.adapters.messaging.meta`) adds.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import re
from collections.abc import Mapping, Sequence
from typing import Any

import phonenumbers

from channels.messages import Attachment, BotReply, InboundMessage, InvalidInbound, Outbound, StatusUpdate
from channels.web import ATTACHMENT_TEXT, PAYLOAD

CHANNEL = "whatsapp"
SIGNATURE_PREFIX = "sha256="
MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
# Meta's limits (messages/interactive-reply-buttons-messages and interactive-list-messages):
MAX_TEXT = 4096  # a text message body
MAX_INTERACTIVE_BODY = 1024
MAX_REPLY_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_LIST_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_LIST_BUTTON = 20
MAX_CAPTION = 1024
LIST_BUTTON_LABEL = "See options"
DEFAULT_BODY = "Please choose one:"
ELLIPSIS = "…"
URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
UNSUPPORTED_NOTE = (
    "Sorry, I can't read this kind of message yet. Please type your message, or send a photo or a document."
)


def verify_handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """The `hub.challenge` to echo when Meta registers the webhook with our verify token, else None.

    Meta calls `GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...` and expects the
    challenge back verbatim with 200; anything else is answered 403 by the route. An unset token
    never verifies, so an unconfigured deployment cannot be subscribed by anyone."""
    token, challenge = params.get("hub.verify_token"), params.get("hub.challenge")
    if params.get("hub.mode") != "subscribe" or not verify_token or token is None or challenge is None:
        return None
    if not hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8")):
        return None
    return challenge


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """True when `X-Hub-Signature-256` is `sha256=` + the hex HMAC-SHA256 of the raw body keyed by
    the app secret, as Meta signs every webhook POST.

    The raw bytes matter: re-serialised JSON (key order, escaping of non-ASCII) would not match.
    The comparison is constant-time so the signature cannot be guessed byte by byte."""
    if not header or not app_secret or not header.startswith(SIGNATURE_PREFIX):
        return False
    given = header[len(SIGNATURE_PREFIX) :].strip().lower()
    expected = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("ascii"))


def to_e164(wa_id: str) -> str:
    """`wa_id` is the number in international format without `+` ("2348031234567"); we key
    customers on E.164 so the same person on SMS (Twilio sends "+234...") is the same customer."""
    digits = re.sub(r"\D", "", wa_id)
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return "+" + digits
    if not phonenumbers.is_possible_number(number):
        return "+" + digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _changes(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The `value` of every `messages` change; other webhook fields (template reviews, account
    updates) are not conversations and are ignored."""
    values = []
    for entry in _list(payload.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            if change.get("field", "messages") == "messages" and isinstance(change.get("value"), dict):
                values.append(change["value"])
    return values


def _contacts(value: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Contacts by `wa_id` (and by BSUID `user_id`, for customers whose number Meta withholds)."""
    found: dict[str, dict[str, Any]] = {}
    for contact in _list(value.get("contacts")):
        contact = _dict(contact)
        for key in (contact.get("wa_id"), contact.get("user_id")):
            if isinstance(key, str) and key:
                found[key] = contact
    return found


def _payload_or_text(button_id: str, title: str) -> tuple[str, bool, str | None]:
    """A tapped button whose id is our Rasa payload goes to Rasa as that payload, with its title as
    what the customer saw themselves send; a button we did not make (an id that is not a payload)
    goes as if the customer had typed its title."""
    if button_id and PAYLOAD.match(button_id):
        return button_id, True, title or None
    return (title or button_id), False, None


def _filename(kind: str, media: Mapping[str, Any]) -> str:
    if isinstance(media.get("filename"), str) and media["filename"]:
        return str(media["filename"])[:200]
    mime = str(media.get("mime_type") or "").split(";")[0].strip()
    extension = (mimetypes.guess_extension(mime) or "") if mime else ""
    return f"{kind}-{media.get('id', 'media')}{extension}"


def _message(
    message: Mapping[str, Any], value: Mapping[str, Any], tenant: str | None
) -> InboundMessage | None:
    contacts = _contacts(value)
    wa_id = message.get("from") if isinstance(message.get("from"), str) else None
    contact = contacts.get(wa_id or "") or contacts.get(str(message.get("from_user_id") or "")) or {}
    user_id = message.get("from_user_id") or contact.get("user_id")
    if not wa_id and isinstance(contact.get("wa_id"), str):
        wa_id = contact["wa_id"]
    if not wa_id and not user_id:
        return None
    metadata: dict[str, Any] = {"wa_id": wa_id} if wa_id else {}
    if user_id:
        metadata["user_id"] = str(user_id)
    name = _dict(contact.get("profile")).get("name")
    if name:
        metadata["profile_name"] = str(name)
    phone_number_id = _dict(value.get("metadata")).get("phone_number_id")
    if phone_number_id:
        metadata["phone_number_id"] = str(phone_number_id)
    if message.get("timestamp"):
        metadata["timestamp"] = str(message["timestamp"])
    context = _dict(message.get("context")).get("id")
    if context:
        metadata["in_reply_to"] = str(context)

    kind = str(message.get("type") or "unknown")
    text, is_payload, display, attachments = "", False, None, ()
    if kind == "text":
        text = str(_dict(message.get("text")).get("body") or "").strip()
    elif kind == "interactive":
        interactive = _dict(message.get("interactive"))
        reply = _dict(interactive.get(str(interactive.get("type"))))
        if interactive.get("type") not in ("button_reply", "list_reply") or not reply:
            kind = f"interactive.{interactive.get('type')}"
        else:
            text, is_payload, display = _payload_or_text(
                str(reply.get("id") or ""), str(reply.get("title") or "")
            )
    elif kind == "button":  # a template's quick-reply button: `payload` is what we set on the template
        button = _dict(message.get("button"))
        text, is_payload, display = _payload_or_text(
            str(button.get("payload") or ""), str(button.get("text") or "")
        )
    elif kind in MEDIA_TYPES:
        media = _dict(message.get(kind))
        filename = _filename(kind, media)
        # Meta sends a media id, not a URL: the gateway resolves and downloads it with our token.
        attachments = (
            Attachment(
                content_type=str(media.get("mime_type") or "application/octet-stream").split(";")[0].strip(),
                filename=filename,
                url=None,
            ),
        )
        metadata["media_id"] = str(media.get("id") or "")
        if media.get("sha256"):
            metadata["media_sha256"] = str(media["sha256"])
        caption = str(media.get("caption") or "").strip()
        if caption:
            text = caption
        else:
            text, is_payload, display = ATTACHMENT_TEXT, True, "📎 " + filename
    elif kind == "location":
        location = _dict(message.get("location"))
        metadata["location"] = {
            k: location[k] for k in ("latitude", "longitude", "name", "address", "url") if k in location
        }
        described = ", ".join(str(location[k]) for k in ("name", "address") if location.get(k))
        text = "📍 " + (described or f"{location.get('latitude')}, {location.get('longitude')}")

    if not text:
        # reactions, contacts, orders, system notices, `unsupported`: nothing for the
        # bot to understand; the gateway answers with the note instead of asking Rasa.
        metadata["unsupported"] = kind
        metadata["note"] = UNSUPPORTED_NOTE
    return InboundMessage(
        channel=CHANNEL,
        sender=to_e164(wa_id) if wa_id else str(user_id),
        text=text,
        is_payload=is_payload,
        provider_message_id=str(message.get("id")) if message.get("id") else None,
        tenant=tenant,
        display_text=display,
        metadata=metadata,
        attachments=attachments,
    )


def _status(status: Mapping[str, Any]) -> StatusUpdate | None:
    if not status.get("id") or not status.get("status"):
        return None
    error = _dict(_list(status.get("errors"))[0]) if _list(status.get("errors")) else {}
    recipient = status.get("recipient_id")
    return StatusUpdate(
        provider_message_id=str(status["id"]),
        status=str(status["status"]),
        error_code=str(error["code"]) if error.get("code") is not None else None,
        error_message=str(error.get("title") or error.get("message")) if error else None,
        recipient=to_e164(str(recipient)) if recipient else status.get("recipient_user_id"),
    )


def parse(payload: Mapping[str, Any], tenant: str | None = None) -> list[InboundMessage | StatusUpdate]:
    """Every customer message and delivery status in one webhook POST, in the order Meta sent them.

    Meta batches: one POST may carry several entries, changes, messages and statuses. The customer
    is keyed on `wa_id` in E.164; a customer whose number Meta withholds (WhatsApp usernames, 2026)
    is keyed on their business-scoped user id (BSUID), which is also kept in metadata when both
    are present so the gateway can link them. A body that is not a JSON object raises
    `InvalidInbound`; unknown shapes inside it are skipped, since Meta retries any non-200."""
    if not isinstance(payload, Mapping):
        raise InvalidInbound("a WhatsApp webhook body is a JSON object")
    out: list[InboundMessage | StatusUpdate] = []
    for value in _changes(payload):
        for message in _list(value.get("messages")):
            if (parsed := _message(_dict(message), value, tenant)) is not None:
                out.append(parsed)
        for status in _list(value.get("statuses")):
            if (update := _status(_dict(status))) is not None:
                out.append(update)
    return out


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters: cut at a word boundary when one is close, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= (limit - 1) // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + ELLIPSIS


def _unique_titles(titles: Sequence[str], limit: int) -> list[str]:
    """Meta rejects a message whose button titles repeat; shortened titles can collide."""
    seen: set[str] = set()
    out = []
    for title in titles:
        candidate, n = shorten(title, limit), 2
        while candidate.casefold() in seen:
            suffix = f" {n}"
            candidate, n = shorten(title, limit - len(suffix)) + suffix, n + 1
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, broken at paragraph, line, sentence or word ends."""
    text = text.strip()
    pieces = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "))
            cut = cut + 1 if cut >= limit // 2 else window.rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return pieces


def _text(body: str) -> Outbound:
    return Outbound(
        channel=CHANNEL,
        body={"type": "text", "text": {"body": body, "preview_url": bool(URL.search(body))}},
        text_for_transcript=body,
    )


def _button_id(payload: str, title: str, limit: int) -> str:
    """The payload we want back in the webhook; one too long for Meta's id limit comes back as its
    title instead (the bot reads it as typed text) rather than as a broken, truncated payload."""
    return payload if payload and len(payload) <= limit else title[:limit]


def _interactive(body: str, reply: BotReply) -> tuple[Outbound, list[Outbound]]:
    buttons = list(reply.buttons)
    if len(buttons) <= MAX_REPLY_BUTTONS:
        titles = _unique_titles([b.title for b in buttons], MAX_BUTTON_TITLE)
        interactive: dict[str, Any] = {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": _button_id(b.payload, t, MAX_BUTTON_ID), "title": t}}
                    for b, t in zip(buttons, titles, strict=True)
                ]
            },
        }
        shown, rest = titles, []
    else:
        listed, overflow = buttons[:MAX_LIST_ROWS], buttons[MAX_LIST_ROWS:]
        titles = _unique_titles([b.title for b in listed], MAX_ROW_TITLE)
        rows = []
        for b, t in zip(listed, titles, strict=True):
            row = {"id": _button_id(b.payload, t, MAX_ROW_ID), "title": t}
            if t != " ".join(b.title.split()):
                row["description"] = shorten(b.title, MAX_ROW_DESCRIPTION)
            rows.append(row)
        interactive = {
            "type": "list",
            "body": {"text": body},
            "action": {"button": LIST_BUTTON_LABEL[:MAX_LIST_BUTTON], "sections": [{"rows": rows}]},
        }
        shown = titles
        # Lists stop at 10 rows: the rest are offered as text the customer can type back.
        rest = (
            [_text("\n".join(f"{i}. {b.title}" for i, b in enumerate(overflow, start=MAX_LIST_ROWS + 1)))]
            if overflow
            else []
        )
    transcript = body + "\n" + " | ".join(f"[{t}]" for t in shown)
    return Outbound(
        channel=CHANNEL,
        body={"type": "interactive", "interactive": interactive},
        text_for_transcript=transcript,
    ), rest


def _render_one(reply: BotReply) -> list[Outbound]:
    custom = _dict(reply.custom).get("whatsapp")
    if isinstance(custom, dict) and custom.get("type"):
        return [Outbound(channel=CHANNEL, body=custom, text_for_transcript=reply.text or "")]
    out: list[Outbound] = []
    text = (reply.text or "").strip()
    if reply.image:
        image: dict[str, Any] = {"link": reply.image}
        if text and not reply.buttons and len(text) <= MAX_CAPTION:
            image["caption"], text = text, ""
        out.append(
            Outbound(
                channel=CHANNEL,
                body={"type": "image", "image": image},
                text_for_transcript=image.get("caption") or reply.image,
            )
        )
    if not reply.buttons:
        out.extend(_text(piece) for piece in split_text(text, MAX_TEXT))
        return out
    pieces = split_text(text, MAX_INTERACTIVE_BODY) or [DEFAULT_BODY]
    out.extend(_text(piece) for piece in pieces[:-1])
    interactive, rest = _interactive(pieces[-1], reply)
    return [*out, interactive, *rest]


def render(replies: Sequence[BotReply]) -> list[Outbound]:
    """Graph API message objects for the bot's replies, one or more per reply, in order.

    Buttons follow WhatsApp's shapes: up to 3 become reply buttons (titles at most 20 characters),
    4 to 10 a list message (rows at most 24 characters, the full title in the description), more
    than 10 a list of the first 10 and the rest as a numbered text. A reply may carry a ready Graph
    API object in `custom["whatsapp"]` (a location request, a CTA URL button), sent as it is."""
    return [out for reply in replies for out in _render_one(reply)]


def template(name: str, language: str, variables: Sequence[str]) -> dict[str, Any]:
    """A template message object: the only kind WhatsApp delivers more than 24 hours after the
    customer last wrote (error 131047 otherwise). `variables` fill the body's {{1}}, {{2}}..."""
    body: dict[str, Any] = {"name": name, "language": {"code": language}}
    if variables:
        body["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": str(v)} for v in variables]}
        ]
    return {"type": "template", "template": body}
