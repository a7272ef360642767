"""Provider webhooks: Twilio (WhatsApp and SMS) and Meta's WhatsApp Cloud API.

Each request's signature is checked first (Twilio's `X-Twilio-Signature` against the public URL,
Meta's `X-Hub-Signature-256` over the raw body); a missing or wrong one is a 403, logged, and
nothing else happens. A good request is stored (deduplicated on the provider's message id) and
acknowledged at once; the worker answers it (`inbound.process`). Opt-out keywords (STOP, START,
HELP) are answered here without the bot, as carriers require.

In sandbox mode with no provider credentials, the signatures are still checked, with the
documented sandbox secrets (`docs/channels.md`), so the whole path is exercised locally.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Annotated, Any

import anyio
import structlog
from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy import update

from backend.adapters.db.models import Conversation, utcnow
from backend.api.deps import ComponentsDep
from backend.api.errors import Problem
from backend.components import Components
from backend.gateway import delivery, pipeline
from backend.gateway.router import DEFAULT_TENANT
from backend.gateway.store import UnknownTenant
from backend.observability import current_request_id
from channels import twilio, whatsapp_cloud
from channels.messages import InboundMessage, InvalidInbound, StatusUpdate

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/channels", tags=["channels"])

SANDBOX_TWILIO_AUTH_TOKEN = "sandbox-twilio-auth-token"
SANDBOX_META_APP_SECRET = "sandbox-meta-app-secret"
SANDBOX_META_VERIFY_TOKEN = "sandbox-meta-verify-token"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STOPPED = (
    "You're unsubscribed: we won't send you reminders or offers here. Reply START to turn messages "
    "back on. You can still message us any time."
)
STARTED = "Welcome back: messages are on again. Reply STOP to unsubscribe, HELP for help."
HELP = (
    "Credit assistant: apply, check your loan or get help here. Reply STOP to unsubscribe. "
    "Type 'agent' for a person."
)


# Storing a webhook is short and half of it is waiting on the database: a few threads per process
# keep the database busy, while dozens of them (a burst) would spend the GIL handing it over. The
# rest of a burst waits its turn on the event loop, which costs nothing.
WEBHOOK_THREADS = 4
_webhook_threads: anyio.CapacityLimiter | None = None


async def run_in_webhook_thread(func: Any, *args: Any) -> Any:
    global _webhook_threads
    if _webhook_threads is None:  # created in the running event loop, once per process
        _webhook_threads = anyio.CapacityLimiter(WEBHOOK_THREADS)
    return await anyio.to_thread.run_sync(func, *args, limiter=_webhook_threads)


def _secret(c: Components, configured: str | None, sandbox: str) -> str:
    if configured:
        return configured
    if c.settings.sandbox_mode:
        return sandbox
    raise Problem(503, "channel-not-configured", "This channel's provider credentials are not set.")


def _after_status(outcome: bool | int) -> None:
    """A message re-queued for the template or SMS (the WhatsApp window had closed) goes again."""
    if outcome is not True and outcome is not False:
        from backend.worker.tasks import deliver_outbound

        deliver_outbound.delay(outcome, current_request_id())


def _enqueue(conversation_id: str, request_id: str | None) -> None:
    from backend.worker.tasks import process_inbound

    process_inbound.delay(conversation_id, request_id)


def _accept(c: Components, inbound: InboundMessage, tenant: str) -> None:
    """Store, then hand to the worker; opt-out keywords are answered here (no bot involved)."""
    request_id = current_request_id()
    if inbound.metadata.get("unsupported"):
        note = str(inbound.metadata.get("note") or "Sorry, I can only read text, photos and documents.")
        _answer_directly(c, replace(inbound, text=f"[{inbound.metadata['unsupported']}]"), tenant, note)
        return
    try:
        word = twilio.keyword(inbound.text) if inbound.channel in ("sms", "whatsapp") else None
        if word is None and inbound.channel == "whatsapp_cloud":
            word = twilio.keyword(inbound.text)  # the same words mean the same on Meta's WhatsApp
        if word == "start" and not _opted_out(c, inbound, tenant):
            word = None  # "yes" / "start" from someone subscribed is an answer for the bot
        if word is not None and not inbound.is_payload:
            _keyword(c, inbound, word, tenant, request_id)
            return
        accepted = pipeline.accept(c.sessions, inbound, request_id, tenant)
    except UnknownTenant as exc:
        raise Problem(404, "unknown-tenant", f"No tenant called {exc.args[0]!r}.") from exc
    if not accepted.duplicate:
        _enqueue(str(accepted.conversation.id), request_id)


def _opted_out(c: Components, inbound: InboundMessage, tenant: str) -> bool:
    from sqlalchemy import select

    from backend.adapters.db.models import Tenant

    with c.sessions() as session:
        return (
            session.scalar(
                select(Conversation.opted_out_at)
                .join(Tenant, Tenant.id == Conversation.tenant_id)
                .where(
                    Tenant.slug == (inbound.tenant or tenant),
                    Conversation.channel == inbound.channel,
                    Conversation.channel_identity == inbound.sender,
                )
            )
            is not None
        )


def _answer_directly(c: Components, inbound: InboundMessage, tenant: str, reply: str) -> None:
    """A message the bot cannot read (a reaction, a contact card): the channel's polite note."""
    _answer_here(c, inbound, tenant, reply, current_request_id())


def _keyword(c: Components, inbound: InboundMessage, word: str, tenant: str, request_id: str | None) -> None:
    reply = {"stop": STOPPED, "start": STARTED, "help": HELP}[word]
    conversation_id = _answer_here(c, inbound, tenant, reply, request_id, opt_out=word)
    log.info("channel_keyword", keyword=word, channel=inbound.channel, conversation_id=str(conversation_id))


def _answer_here(
    c: Components,
    inbound: InboundMessage,
    tenant: str,
    reply: str,
    request_id: str | None,
    opt_out: str | None = None,
) -> uuid.UUID:
    """Store the message answered and its reply queued, with STOP's or START's change of the
    conversation's opt-out, in one transaction; then hand the reply to the worker. A redelivered
    message changes nothing and is not answered again."""
    from backend.gateway import store
    from backend.worker.tasks import deliver_outbound

    with c.sessions() as session:
        conversation = store.find_or_create_conversation(
            session, inbound.tenant or tenant, inbound.channel, inbound.sender
        )
        reply_id = pipeline.record_answered(session, conversation, inbound, request_id, reply)
        if reply_id is not None and opt_out in ("stop", "start"):
            change = update(Conversation).where(Conversation.id == conversation.id)
            if opt_out == "stop":
                change = change.where(Conversation.opted_out_at.is_(None)).values(opted_out_at=utcnow())
            else:
                change = change.values(opted_out_at=None)
            session.execute(change)
        session.commit()
    if reply_id is not None:
        deliver_outbound.delay(reply_id, request_id)
    return conversation.id


# --- Twilio --------------------------------------------------------------------------------------


async def _twilio_params(request: Request, c: Components, signature: str | None) -> dict[str, str]:
    form = await request.form()
    params = {k: str(v) for k, v in form.multi_items()}
    url = c.settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    token = _secret(c, getattr(c.settings, "twilio_auth_token", None), SANDBOX_TWILIO_AUTH_TOKEN)
    if not twilio.verify(url, params, signature, token):
        log.warning("webhook_signature_rejected", provider="twilio", path=request.url.path)
        raise Problem(403, "invalid-signature", "The X-Twilio-Signature header is missing or wrong.")
    return params


@router.post("/twilio/inbound", response_class=Response)
async def twilio_inbound(
    request: Request,
    c: ComponentsDep,
    x_twilio_signature: Annotated[str | None, Header()] = None,
    tenant: Annotated[str, Query(max_length=64)] = DEFAULT_TENANT,
) -> Response:
    """A WhatsApp or SMS message from Twilio; answered at once with empty TwiML."""
    params = await _twilio_params(request, c, x_twilio_signature)
    try:
        inbound = twilio.parse_inbound(params, tenant)
    except InvalidInbound as exc:
        log.warning("webhook_malformed", provider="twilio", error=str(exc))
        raise Problem(400, "invalid-message", str(exc)) from exc
    await run_in_webhook_thread(_accept, c, inbound, tenant)
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.post("/twilio/status", status_code=204, response_class=Response)
async def twilio_status(
    request: Request, c: ComponentsDep, x_twilio_signature: Annotated[str | None, Header()] = None
) -> Response:
    """Delivery reports (queued, sent, delivered, read, undelivered, failed with ErrorCode)."""
    params = await _twilio_params(request, c, x_twilio_signature)
    try:
        update_ = twilio.parse_status(params)
    except InvalidInbound as exc:
        raise Problem(400, "invalid-status", str(exc)) from exc
    _after_status(await run_in_webhook_thread(delivery.apply_status, c.sessions, update_))
    return Response(status_code=204)


# --- Meta WhatsApp Cloud API -----------------------------------------------------------------------


@router.get("/whatsapp/webhook", response_class=Response)
def whatsapp_verify(request: Request, c: ComponentsDep) -> Response:
    """Meta's subscription handshake: echo hub.challenge when hub.verify_token is ours."""
    token = _secret(c, getattr(c.settings, "meta_verify_token", None), SANDBOX_META_VERIFY_TOKEN)
    challenge = whatsapp_cloud.verify_handshake(dict(request.query_params), token)
    if challenge is None:
        log.warning("webhook_handshake_rejected", provider="meta")
        raise Problem(403, "invalid-verify-token", "hub.verify_token does not match.")
    return Response(challenge, media_type="text/plain")


@router.post("/whatsapp/webhook")
async def whatsapp_webhook(
    request: Request,
    c: ComponentsDep,
    x_hub_signature_256: Annotated[str | None, Header()] = None,
    tenant: Annotated[str, Query(max_length=64)] = DEFAULT_TENANT,
) -> dict[str, Any]:
    """Messages and statuses from the Cloud API; 200 at once (Meta retries anything else)."""
    raw = await request.body()
    secret = _secret(c, getattr(c.settings, "meta_app_secret", None), SANDBOX_META_APP_SECRET)
    if not whatsapp_cloud.verify_signature(raw, x_hub_signature_256, secret):
        log.warning("webhook_signature_rejected", provider="meta")
        raise Problem(403, "invalid-signature", "The X-Hub-Signature-256 header is missing or wrong.")
    try:
        payload = json.loads(raw)
        items = whatsapp_cloud.parse(payload, tenant)
    except (ValueError, InvalidInbound, KeyError, TypeError) as exc:
        log.warning("webhook_malformed", provider="meta", error=str(exc))
        raise Problem(400, "invalid-message", "The body is not a WhatsApp webhook payload.") from exc
    messages = statuses = 0
    for item in items:
        if isinstance(item, StatusUpdate):
            _after_status(await run_in_webhook_thread(delivery.apply_status, c.sessions, item))
            statuses += 1
            continue
        inbound = replace(item, channel="whatsapp_cloud")
        media_id = inbound.metadata.get("media_id")
        if media_id and inbound.attachments:
            inbound = replace(
                inbound,
                attachments=tuple(
                    replace(a, url=a.url or f"meta-media:{media_id}") for a in inbound.attachments
                ),
            )
        await run_in_webhook_thread(_accept, c, inbound, tenant)
        messages += 1
    return {"messages": messages, "statuses": statuses}
