"""The web chat channel: POST a message, get the bot's replies in the same response; the session's
history; a Server-Sent Events stream of messages nobody asked for; the widget's public config.

Browsers guard these endpoints with the tenant's allowed origins (see `backend.api.routes.widget`):
a request whose `Origin` header is present, is not this server's own origin and is not allowed for
the tenant gets 403 and no session; an allowed origin gets `Access-Control-Allow-Origin: <origin>`
with `Vary: Origin` (the Fetch standard's CORS protocol; a per-tenant list is data, so Starlette's
static CORSMiddleware cannot express it). Requests without `Origin` (server to server, or a
same-origin GET, for which browsers omit the header) keep working.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import Conversation, Message, Tenant
from backend.api.deps import ComponentsDep
from backend.api.errors import Problem
from backend.api.routes.widget import load_settings, normalise_origin, origin_allowed, public_config
from backend.api.web_push import OutboundWatch, Subscription
from backend.gateway import store
from backend.gateway.router import DEFAULT_TENANT, AssistantUnavailable, ConversationGateway
from backend.gateway.store import UnknownTenant
from backend.observability import current_request_id
from channels import web
from channels.messages import InvalidInbound

router = APIRouter(prefix="/channels/web", tags=["channels"])
# in_reply_to tells the page a reply it already showed from a message nobody asked for (a code,
# a receipt, an agent's answer), which it shows when it polls
HISTORY_FIELDS = ("id", "direction", "author", "text", "buttons", "in_reply_to")
TenantQuery = Annotated[str, Query(max_length=64)]

# The event stream: fed by the process's one poll of the database every POLL_SECONDS for all of
# its streams (backend/api/web_push.py; one short session per poll, never held across a sleep),
# an SSE comment every HEARTBEAT_SECONDS so proxies keep the connection, and a close after
# STREAM_SECONDS: EventSource reconnects by itself with Last-Event-ID (HTML Living
# Standard, "Server-sent events", 9.2.4), so a long-lived page never pins one worker forever.
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 300.0
RETRY_MS = 2000
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Last-Event-ID",
    "Access-Control-Max-Age": "600",
}


def gateway(request: Request) -> ConversationGateway:
    return request.app.state.gateway


# -- origins -------------------------------------------------------------------------------------


def _own_origins(request: Request, public_base_url: str | None) -> set[str]:
    """This server's origins: as the browser reached it (Host) and as configured behind a proxy."""
    own = set()
    for base in (str(request.base_url), public_base_url or ""):
        parts = urlsplit(base)
        if parts.scheme and parts.netloc:
            try:
                own.add(normalise_origin(f"{parts.scheme}://{parts.netloc}"))
            except ValueError:
                continue
    return own


def cors_headers(request: Request, c: Any, tenant: str) -> dict[str, str]:
    """The CORS headers for this request, `{}` when it carries no Origin or is same-origin.

    Raises Problem(403, "origin-not-allowed") for any other origin the tenant has not allowed
    (an unknown tenant included, so a stranger cannot probe for tenant names).
    Example: cors_headers(request, c, "demo") == {"Access-Control-Allow-Origin":
    "https://shop.example", "Vary": "Origin"} for a page on https://shop.example.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return {}
    if origin in _own_origins(request, getattr(c.settings, "public_base_url", None)):
        return {}
    with c.sessions() as session:
        values = load_settings(session, tenant)
    if values is None or not origin_allowed(origin, values.allowed_origins, sandbox=c.settings.sandbox_mode):
        raise Problem(
            403,
            "origin-not-allowed",
            "This site is not allowed to use this tenant's chat.",
            {"Vary": "Origin"},
        )
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _with_cors(exc: Problem, headers: dict[str, str]) -> Problem:
    """An error an allowed page can read (without the CORS headers the browser hides it)."""
    exc.headers = {**(exc.headers or {}), **headers}
    return exc


def _preflight(request: Request, c: Any, tenant: str) -> Response:
    """CORS preflight (OPTIONS): 204 with the allowed methods and headers for an allowed origin."""
    headers = cors_headers(request, c, tenant)
    return Response(status_code=204, headers={**headers, **PREFLIGHT_HEADERS})


# -- messages ------------------------------------------------------------------------------------


@router.options("/messages", include_in_schema=False)
def messages_preflight(request: Request, c: ComponentsDep, tenant: TenantQuery = DEFAULT_TENANT) -> Response:
    return _preflight(request, c, tenant)


@router.post("/messages")
def post_message(
    request: Request,
    response: Response,
    c: ComponentsDep,
    body: Annotated[dict[str, Any], Body()],
    tenant: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """`{"session_id", "text"}` or `{"session_id", "payload": "/intent{...}"}`; add a `message_id`
    to make a retry safe: the same id returns the first replies and the bot sees it once. A page on
    another origin names its tenant in the query too (`?tenant=`), which its CORS preflight sees."""
    named = body.get("tenant") if isinstance(body.get("tenant"), str) else None
    if tenant is not None and named is not None and tenant != named:
        raise Problem(422, "invalid-message", "tenant in the query and in the body differ")
    slug = named or tenant or DEFAULT_TENANT
    headers = cors_headers(request, c, slug)
    response.headers.update(headers)
    try:
        inbound = web.parse({**body, "tenant": slug} if (tenant and not named) else body)
    except InvalidInbound as exc:
        raise _with_cors(Problem(422, "invalid-message", str(exc)), headers) from exc
    try:
        conversation, replies = gateway(request).handle(inbound, current_request_id())
    except UnknownTenant as exc:
        raise _with_cors(
            Problem(404, "unknown-tenant", f"No tenant called {exc.args[0]!r}."), headers
        ) from exc
    except AssistantUnavailable as exc:
        raise _with_cors(
            Problem(
                503,
                "assistant-unavailable",
                "The assistant is starting or busy; your message is saved, please send it again shortly.",
                {"Retry-After": "5"},
            ),
            headers,
        ) from exc
    return {"conversation_id": str(conversation.id), **web.render(replies)}


# -- history -------------------------------------------------------------------------------------


def _conversation_id(session: Session, tenant: str, session_id: str) -> Any:
    return session.scalar(
        select(Conversation.id)
        .join(Tenant, Tenant.id == Conversation.tenant_id)
        .where(
            Tenant.slug == tenant,
            Conversation.channel == web.CHANNEL,
            Conversation.channel_identity == session_id,
        )
    )


@router.options("/sessions/{session_id}/messages", include_in_schema=False)
def history_preflight(
    session_id: str, request: Request, c: ComponentsDep, tenant: TenantQuery = DEFAULT_TENANT
) -> Response:
    return _preflight(request, c, tenant)


@router.get("/sessions/{session_id}/messages")
def session_history(
    session_id: str,
    request: Request,
    response: Response,
    c: ComponentsDep,
    tenant: TenantQuery = DEFAULT_TENANT,
    after: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The transcript a chat page shows after a reload; the unguessable session id is the secret."""
    response.headers.update(cors_headers(request, c, tenant))
    with c.sessions() as session:
        conversation_id = _conversation_id(session, tenant, session_id)
        messages = store.transcript(session, conversation_id, after) if conversation_id else []
    return {"messages": [{k: m[k] for k in HISTORY_FIELDS} for m in messages]}


# -- live push -----------------------------------------------------------------------------------


def stream_start(
    sessions: sessionmaker[Session], tenant: str, session_id: str, cursor: int | None
) -> tuple[Any, int | None]:
    """The session's conversation id (None until its first message) and the cursor to stream from:
    a None cursor means "from now", the conversation's newest message id (0 before any)."""
    with sessions() as session:
        conversation_id = _conversation_id(session, tenant, session_id)
        if conversation_id is None or cursor is not None:
            return conversation_id, cursor
        newest = session.scalar(
            select(func.max(Message.id)).where(Message.conversation_id == conversation_id)
        )
        return conversation_id, int(newest or 0)


def sse_event(message: dict[str, Any]) -> str:
    """One SSE event: `id:` is the message id, so a reconnect sends it back as Last-Event-ID."""
    return f"id: {message['id']}\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"


async def _event_stream(
    request: Request,
    sessions: sessionmaker[Session],
    watch: OutboundWatch,
    tenant: str,
    session_id: str,
    cursor: int | None,
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    started = time.monotonic()
    next_beat = started + HEARTBEAT_SECONDS
    subscription: Subscription | None = None
    try:
        while time.monotonic() - started < STREAM_SECONDS:
            if await request.is_disconnected():
                return
            if subscription is None:  # until the session's first message makes its conversation
                conversation_id, cursor = await anyio.to_thread.run_sync(
                    stream_start, sessions, tenant, session_id, cursor
                )
                if conversation_id is not None:
                    subscription = watch.subscribe(conversation_id, cursor or 0)
            if subscription is None:
                await anyio.sleep(POLL_SECONDS)
            else:
                # the process's one poller fills the queue (backend/api/web_push.py); the wait is
                # cancelled after POLL_SECONDS, the yield stays outside the cancel scope
                first: dict[str, Any] | None = None
                with anyio.move_on_after(POLL_SECONDS):
                    first = await subscription.queue.get()
                if first is not None:
                    yield sse_event(first)
                while not subscription.queue.empty():
                    yield sse_event(subscription.queue.get_nowait())
            if time.monotonic() >= next_beat:
                yield ": heartbeat\n\n"
                next_beat = time.monotonic() + HEARTBEAT_SECONDS
    finally:
        if subscription is not None:
            watch.unsubscribe(subscription)


@router.options("/sessions/{session_id}/events", include_in_schema=False)
def events_preflight(
    session_id: str, request: Request, c: ComponentsDep, tenant: TenantQuery = DEFAULT_TENANT
) -> Response:
    return _preflight(request, c, tenant)


@router.get("/sessions/{session_id}/events", response_class=StreamingResponse)
async def session_events(
    session_id: str,
    request: Request,
    c: ComponentsDep,
    tenant: TenantQuery = DEFAULT_TENANT,
    after: Annotated[int | None, Query(ge=0, description="Start after this message id.")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Server-Sent Events: agent replies, signing codes, receipts and payout notices of this
    session as they are stored. Start with `?after=<newest id on screen>`; a reconnect's
    Last-Event-ID wins over it. Without either the stream starts from now."""
    if not web.SESSION_ID.match(session_id):
        raise Problem(422, "invalid-session", "session_id must be 8-128 letters, digits or _.:-")
    headers = await anyio.to_thread.run_sync(cors_headers, request, c, tenant)
    cursor = after
    if last_event_id and last_event_id.strip().isdigit():
        cursor = int(last_event_id.strip())
    return StreamingResponse(
        _event_stream(request, c.sessions, request.app.state.web_push, tenant, session_id, cursor),
        media_type="text/event-stream",
        headers={**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# -- the widget's public configuration ------------------------------------------------------------


@router.options("/widget-config", include_in_schema=False)
def config_preflight(request: Request, c: ComponentsDep, tenant: TenantQuery = DEFAULT_TENANT) -> Response:
    return _preflight(request, c, tenant)


@router.get("/widget-config")
def widget_config(request: Request, c: ComponentsDep, tenant: TenantQuery = DEFAULT_TENANT) -> JSONResponse:
    """Theme, name, avatar, greeting, lang and dir for the embedded widget; 403 for a page whose
    origin the tenant has not allowed. Revalidated on every load so a settings change shows at once."""
    headers = cors_headers(request, c, tenant)
    with c.sessions() as session:
        values = load_settings(session, tenant)
    if values is None:
        raise _with_cors(Problem(404, "unknown-tenant", f"No tenant called {tenant!r}."), headers)
    return JSONResponse(public_config(tenant, values), headers={**headers, "Cache-Control": "no-cache"})
