"""Twilio Programmable Messaging (WhatsApp and SMS): verify, parse and render, with no I/O.

Twilio posts form-encoded webhooks (https://www.twilio.com/docs/messaging/guides/webhook-request):
an incoming message to the number's message URL, delivery reports to the `StatusCallback` of
each message we sent (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status).
WhatsApp addresses carry a `whatsapp:` prefix; SMS addresses are plain E.164. Every request is
signed in `X-Twilio-Signature` (https://www.twilio.com/docs/usage/webhooks/webhooks-security).

Outbound bodies are the Messages API's form fields (`Body`, `MediaUrl`), without `To` and `From`,
which the live sender (`backend.adapters.messaging.twilio`) adds.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import phonenumbers
from twilio.request_validator import RequestValidator

from channels import sms
from channels.messages import Attachment, BotReply, InboundMessage, InvalidInbound, Outbound, StatusUpdate
from channels.sms import keyword, menu_choice
from channels.web import ATTACHMENT_TEXT, PAYLOAD

__all__ = [
    "InvalidInbound",
    "keyword",
    "menu_choice",
    "parse_inbound",
    "parse_status",
    "render",
    "verify",
]

Channel = Literal["whatsapp", "sms"]
WHATSAPP_PREFIX = "whatsapp:"
# Twilio refuses a Body over 1,600 characters (error 21617), on WhatsApp as on SMS.
MAX_BODY = 1600
# MMS carries up to 10 media; a WhatsApp message one (Twilio: NumMedia, MediaUrl0..9).
MAX_MEDIA = 10
STATUSES = frozenset(
    {
        "accepted",
        "scheduled",
        "queued",
        "sending",
        "sent",
        "delivered",
        "read",
        "undelivered",
        "failed",
        "canceled",
        "receiving",
        "received",
        "partially_delivered",
    }
)
UNSUPPORTED_NOTE = (
    "Sorry, I can't read this kind of message yet. Please type your message, or send a photo or a document."
)


def verify(url: str, params: Mapping[str, str], signature: str | None, auth_token: str) -> bool:
    """True when `X-Twilio-Signature` is Twilio's HMAC-SHA1 of `url` + the sorted form fields,
    keyed by the auth token (twilio's own `RequestValidator`, which Twilio asks us to use because
    it adds parameters without notice).

    `url` is the address Twilio called as Twilio saw it: PUBLIC_BASE_URL + path (+ query), not the
    URL behind a proxy. `params` may be a multi-dict (Starlette's FormData): repeated fields are
    signed value by value. A missing signature or an unset token never verifies."""
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def _address(value: str) -> tuple[bool, str]:
    """(is WhatsApp, the number in E.164) for a Twilio address such as "whatsapp:+2348031234567".

    Numbers are keyed on E.164 so one person on WhatsApp and SMS is one customer. Short codes and
    alphanumeric senders are not phone numbers and are kept as they came."""
    value = value.strip()
    is_whatsapp = value.lower().startswith(WHATSAPP_PREFIX)
    raw = value[len(WHATSAPP_PREFIX) :].strip() if is_whatsapp else value
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return is_whatsapp, raw
    if not phonenumbers.is_possible_number(number):
        return is_whatsapp, raw
    return is_whatsapp, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _media(params: Mapping[str, str], message_sid: str) -> tuple[Attachment, ...]:
    """`MediaUrlN`/`MediaContentTypeN` for N < NumMedia. Twilio sends no file name, so one is made
    from the message sid and the type. The URL needs our credentials and redirects to the file:
    the gateway downloads it (`TwilioSender.fetch_media`)."""
    raw = str(params.get("NumMedia") or "0").strip()
    count = min(int(raw), MAX_MEDIA) if raw.isdigit() else 0
    out = []
    for n in range(count):
        url = str(params.get(f"MediaUrl{n}") or "").strip()
        if not url:
            continue
        content_type = str(params.get(f"MediaContentType{n}") or "application/octet-stream")
        content_type = content_type.split(";")[0].strip().lower()
        extension = mimetypes.guess_extension(content_type) or ""
        out.append(Attachment(content_type=content_type, filename=f"{message_sid}-{n}{extension}", url=url))
    return tuple(out)


def _location(params: Mapping[str, str]) -> dict[str, str] | None:
    """A WhatsApp location pin: `Latitude`/`Longitude`, with `Address` and `Label` for a place."""
    if not params.get("Latitude") or not params.get("Longitude"):
        return None
    keys = {"Latitude": "latitude", "Longitude": "longitude", "Address": "address", "Label": "label"}
    return {ours: str(params[theirs]) for theirs, ours in keys.items() if params.get(theirs)}


def parse_inbound(params: Mapping[str, str], tenant: str | None = None) -> InboundMessage:
    """An incoming Twilio message as an InboundMessage.

    - channel "whatsapp" when `From` (or `To`) has the `whatsapp:` prefix, else "sms";
      `sender` is the customer's E.164 number, `provider_message_id` the `MessageSid`.
    - A tapped quick-reply button (`ButtonPayload`, `ButtonText`) whose payload is ours (Rasa's
      `/intent{...}`) goes to Rasa as that payload, shown as the button's text.
    - Media (`NumMedia`, `MediaUrlN`, `MediaContentTypeN`) become attachments to fetch; media
      without words go to Rasa as `/send_attachment`, like a web upload.
    - A location pin goes in `metadata["location"]` and as "📍 <label, address>" text.
    - `ProfileName` and `WaId` go in `metadata` (`profile_name`, `wa_id`).
    Nothing to understand (an empty body, a sticker-less reaction): empty text, and
    `metadata["unsupported"]`/`["note"]` for the gateway to answer without asking Rasa.

    Raises InvalidInbound when `From` or `MessageSid` is missing."""
    sender_raw = str(params.get("From") or "").strip()
    message_sid = str(params.get("MessageSid") or params.get("SmsMessageSid") or "").strip()
    if not sender_raw or not message_sid:
        raise InvalidInbound("a Twilio message needs From and MessageSid")
    from_whatsapp, sender = _address(sender_raw)
    to_whatsapp = str(params.get("To") or "").strip().lower().startswith(WHATSAPP_PREFIX)
    channel: Channel = "whatsapp" if from_whatsapp or to_whatsapp else "sms"

    metadata: dict[str, Any] = {}
    for theirs, ours in (("ProfileName", "profile_name"), ("WaId", "wa_id"), ("To", "to")):
        if params.get(theirs):
            metadata[ours] = str(params[theirs])
    if params.get("OriginalRepliedMessageSid"):
        metadata["in_reply_to"] = str(params["OriginalRepliedMessageSid"])

    body = str(params.get("Body") or "").strip()
    text, is_payload, display = body, False, None
    button_payload = str(params.get("ButtonPayload") or "").strip()
    button_text = str(params.get("ButtonText") or "").strip()
    if button_payload and PAYLOAD.match(button_payload):
        text, is_payload, display = button_payload, True, button_text or body or None
    elif button_payload or button_text:
        text = button_text or body or button_payload  # a button we did not make: as if typed

    attachments = _media(params, message_sid)
    location = _location(params)
    if location is not None:
        metadata["location"] = location
        if not text:
            described = ", ".join(location[k] for k in ("label", "address") if location.get(k))
            text = "📍 " + (described or f"{location['latitude']}, {location['longitude']}")
    if attachments and not text:
        text, is_payload = ATTACHMENT_TEXT, True
        display = "📎 " + ", ".join(a.filename for a in attachments)
    if not text:
        metadata["unsupported"] = str(params.get("MessageType") or "empty")
        metadata["note"] = UNSUPPORTED_NOTE
    return InboundMessage(
        channel=channel,
        sender=sender,
        text=text,
        is_payload=is_payload,
        provider_message_id=message_sid,
        tenant=tenant,
        display_text=display,
        metadata=metadata,
        attachments=attachments,
    )


def parse_status(params: Mapping[str, str]) -> StatusUpdate:
    """A delivery report: `MessageSid`, `MessageStatus` (queued, sent, delivered, read,
    undelivered, failed...), and `ErrorCode`/`ErrorMessage` when it failed.

    An `ErrorCode` of 63016 on a WhatsApp message means it was refused outside the 24-hour
    window after it was accepted: the worker sends the approved template or falls back to SMS.
    Raises InvalidInbound when the sid or status is missing or the status is not one of Twilio's."""
    sid = str(params.get("MessageSid") or params.get("SmsSid") or "").strip()
    status = str(params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    if not sid or not status:
        raise InvalidInbound("a Twilio status callback needs MessageSid and MessageStatus")
    if status not in STATUSES:
        raise InvalidInbound(f"unknown Twilio message status {status!r}")
    error_code = str(params.get("ErrorCode") or "").strip() or None
    error_message = str(params.get("ErrorMessage") or "").strip() or None
    recipient = _address(str(params["To"]))[1] if params.get("To") else None
    return StatusUpdate(
        provider_message_id=sid,
        status=status,
        error_code=error_code,
        error_message=error_message,
        recipient=recipient,
    )


def _text_with_menu(reply: BotReply) -> str:
    parts = [(reply.text or "").strip()]
    if reply.buttons:
        parts.append(sms.menu(reply.buttons))
    return "\n\n".join(p for p in parts if p)


def _whatsapp(reply: BotReply) -> list[Outbound]:
    """One message per reply: the text (and the numbered menu: Twilio's free-form WhatsApp
    messages have no buttons unless they are a Content API template), an image as `MediaUrl`
    with the text as its caption. Longer than Twilio's 1,600 characters: split at sentences."""
    text = _text_with_menu(reply)
    pieces = sms.split_text(text, lambda part: len(part) <= MAX_BODY) if text else []
    out = [Outbound(channel="whatsapp", body={"Body": p}, text_for_transcript=p) for p in pieces]
    if reply.image:
        if out:
            out[-1] = Outbound(
                channel="whatsapp",
                body={**out[-1].body, "MediaUrl": [reply.image]},
                text_for_transcript=out[-1].text_for_transcript,
            )
        else:
            out.append(
                Outbound(
                    channel="whatsapp", body={"MediaUrl": [reply.image]}, text_for_transcript=reply.image
                )
            )
    return out


def _sms(replies: Sequence[BotReply], max_segments: int) -> list[Outbound]:
    """The whole turn as one text (replies in paragraphs, each menu after its reply's text, an
    image as its link: MMS reaches only the US and Canada), in GSM-7 look-alike punctuation, then
    split at sentence ends into bodies of at most `max_segments` SMS each. Fewer, fuller messages:
    separate SMS may arrive out of order, and every one is billed."""
    paragraphs = []
    for reply in replies:
        text = _text_with_menu(reply)
        if reply.image:
            text = f"{text}\n{reply.image}" if text else reply.image
        if text:
            paragraphs.append(text)
    whole = sms.to_gsm("\n\n".join(paragraphs))
    return [
        Outbound(channel="sms", body={"Body": part}, text_for_transcript=part)
        for part in sms.split(whole, max_segments=max_segments)
    ]


def render(replies: Sequence[BotReply], channel: Channel, *, max_segments: int = 1) -> list[Outbound]:
    """Twilio Messages API bodies (`Body`, `MediaUrl`; no `To`/`From`) for one turn's replies.

    WhatsApp: one or more messages per reply, buttons as a numbered menu ("Reply 1 for ...").
    SMS: the turn's text with menus, split on sentence boundaries into bodies that each fit
    `max_segments` SMS (1: 160 GSM-7 / 70 UCS-2 characters). A reply may carry a ready Twilio body
    in `custom["twilio"]` (a Content API template with real buttons: `ContentSid`,
    `ContentVariables`), sent as it is on either channel."""
    out: list[Outbound] = []
    pending: list[BotReply] = []

    def flush() -> None:
        if pending:
            out.extend(_sms(pending, max_segments))
            pending.clear()

    for reply in replies:
        ready = (reply.custom or {}).get("twilio")
        if isinstance(ready, dict) and ready:
            flush()
            out.append(Outbound(channel=channel, body=dict(ready), text_for_transcript=reply.text or ""))
        elif channel == "whatsapp":
            out.extend(_whatsapp(reply))
        else:
            pending.append(reply)
    flush()
    return out
