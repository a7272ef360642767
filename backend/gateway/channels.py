"""Which renderer and sender each channel uses, from the settings.

Sandbox by default: with no provider credentials a channel still renders exactly what it would
send, and the parts land in the outbox table. With credentials (TWILIO_*, META_*), the live
sender speaks the provider's API. Media a customer sent is fetched with the same credentials.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial

import httpx

from backend.gateway.delivery import ChannelRoute
from backend.settings import Settings
from channels import twilio as twilio_channel
from channels import whatsapp_cloud
from channels.messages import Attachment, BotReply, Button, InboundMessage, Outbound

MAX_MEDIA_BYTES = 10 * 1024 * 1024
META_MEDIA = "meta-media:"


def routes(settings: Settings, transport: httpx.BaseTransport | None = None) -> Mapping[str, ChannelRoute]:
    sms = ChannelRoute(render=partial(_twilio_render, channel="sms"), name="sandbox")
    whatsapp = ChannelRoute(render=partial(_twilio_render, channel="whatsapp"), name="sandbox")
    cloud = ChannelRoute(render=whatsapp_cloud.render, name="sandbox")
    sender = twilio_sender(settings, transport)
    if sender is not None:
        sms.sender, sms.name = sender.for_channel("sms"), "twilio"
        whatsapp.sender, whatsapp.name = sender.for_channel("whatsapp"), "twilio"
        whatsapp.fallback = (
            sms if settings.twilio_from_number or settings.twilio_messaging_service_sid else None
        )
        if settings.twilio_whatsapp_template_sid:
            whatsapp.template = partial(_twilio_template, settings.twilio_whatsapp_template_sid)
    meta = meta_sender(settings, transport)
    if meta is not None:
        cloud.sender, cloud.name = meta, "meta"
        if settings.meta_reengagement_template:
            cloud.template = partial(
                _meta_template, settings.meta_reengagement_template, settings.meta_template_language or "en"
            )
        cloud.fallback = sms if sms.sender is not None else None
    return {"sms": sms, "whatsapp": whatsapp, "whatsapp_cloud": cloud}


def _twilio_render(replies: Sequence[BotReply], channel: str) -> list[Outbound]:
    return twilio_channel.render(replies, channel)  # type: ignore[arg-type]


def _twilio_template(content_sid: str, text: str) -> Outbound:
    import json

    return Outbound(
        "whatsapp", {"ContentSid": content_sid, "ContentVariables": json.dumps({"1": text})}, text
    )


def _meta_template(name: str, language: str, text: str) -> Outbound:
    return Outbound("whatsapp_cloud", whatsapp_cloud.template(name, language, [text]), text)


def twilio_sender(settings: Settings, transport: httpx.BaseTransport | None = None):  # noqa: ANN201
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return None
    from backend.adapters.messaging.twilio import TwilioSender

    return TwilioSender(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        from_number=settings.twilio_from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        whatsapp_from=settings.twilio_whatsapp_from,
        transport=transport,
    )


def meta_sender(settings: Settings, transport: httpx.BaseTransport | None = None):  # noqa: ANN201
    if not (settings.meta_access_token and settings.meta_phone_number_id):
        return None
    from backend.adapters.messaging.meta import MetaSender

    return MetaSender(
        settings.meta_phone_number_id,
        settings.meta_access_token,
        api_version=settings.meta_api_version or "v21.0",
        transport=transport,
    )


def seen_marker(settings: Settings, transport: httpx.BaseTransport | None = None):  # noqa: ANN201
    """`mark_seen(channel, provider message id)`: on WhatsApp (Meta's Cloud API or Twilio), blue
    ticks and "typing..." while the bot prepares its answer. None when no live WhatsApp sender is
    configured (the sandbox); SMS has neither, and the web widget shows its own typing dots."""
    meta = meta_sender(settings, transport)
    twilio = twilio_sender(settings, transport)
    if meta is None and twilio is None:
        return None

    def mark_seen(channel: str, provider_message_id: str) -> None:
        if channel == "whatsapp_cloud" and meta is not None:
            meta.mark_read(provider_message_id, typing=True)
        elif channel == "whatsapp" and twilio is not None:
            twilio.show_typing(provider_message_id)

    return mark_seen


def fetcher(settings: Settings, transport: httpx.BaseTransport | None = None):  # noqa: ANN201
    """`fetch(channel, attachment) -> (bytes, content type)` with the provider's credentials;
    in the sandbox a plain GET of the URL (tests serve media from a local server)."""
    twilio = twilio_sender(settings, transport)
    meta = meta_sender(settings, transport)

    def fetch(channel: str, attachment: Attachment) -> tuple[bytes, str]:
        url = attachment.url or ""
        if url.startswith(META_MEDIA):
            if meta is None:
                raise LookupError("Meta media cannot be fetched without META_ACCESS_TOKEN")
            return meta.fetch_media(url.removeprefix(META_MEDIA))
        if twilio is not None and channel in ("sms", "whatsapp"):
            return twilio.fetch_media(url)
        with httpx.Client(transport=transport, follow_redirects=True, timeout=20.0) as client:
            response = client.get(url)
            response.raise_for_status()
            if len(response.content) > MAX_MEDIA_BYTES:
                raise ValueError("media larger than 10 MB")
            return response.content, response.headers.get("content-type", attachment.content_type).split(";")[
                0
            ]

    return fetch


def menu_choice(inbound: InboundMessage, last_buttons: list[Button]) -> InboundMessage:
    """On Twilio channels (menus are numbered text there), "2" is the second button of the menu
    the customer was last shown: it reaches the bot as that button's payload."""
    if inbound.channel not in ("sms", "whatsapp") or not last_buttons:
        return inbound
    button = twilio_channel.menu_choice(inbound.text, last_buttons)
    if button is None:
        return inbound
    return replace(inbound, text=button.payload, is_payload=True, display_text=inbound.text)
