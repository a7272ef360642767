"""The web chat channel: POST a message, get the bot's replies in the same response."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy import select

from backend.adapters.db.models import Conversation, Tenant
from backend.api.deps import ComponentsDep
from backend.api.errors import Problem
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


def gateway(request: Request) -> ConversationGateway:
    return request.app.state.gateway


@router.post("/messages")
def post_message(request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """`{"session_id", "text"}` or `{"session_id", "payload": "/intent{...}"}`; add a `message_id`
    to make a retry safe: the same id returns the first replies and the bot sees it once."""
    try:
        inbound = web.parse(body)
    except InvalidInbound as exc:
        raise Problem(422, "invalid-message", str(exc)) from exc
    try:
        conversation, replies = gateway(request).handle(inbound, current_request_id())
    except UnknownTenant as exc:
        raise Problem(404, "unknown-tenant", f"No tenant called {exc.args[0]!r}.") from exc
    except AssistantUnavailable as exc:
        raise Problem(
            503,
            "assistant-unavailable",
            "The assistant is starting or busy; your message is saved, please send it again shortly.",
            {"Retry-After": "5"},
        ) from exc
    return {"conversation_id": str(conversation.id), **web.render(replies)}


@router.get("/sessions/{session_id}/messages")
def session_history(
    session_id: str,
    c: ComponentsDep,
    tenant: Annotated[str, Query(max_length=64)] = DEFAULT_TENANT,
    after: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The transcript a chat page shows after a reload; the unguessable session id is the secret."""
    with c.sessions() as session:
        conversation_id = session.scalar(
            select(Conversation.id)
            .join(Tenant, Tenant.id == Conversation.tenant_id)
            .where(
                Tenant.slug == tenant,
                Conversation.channel == web.CHANNEL,
                Conversation.channel_identity == session_id,
            )
        )
        messages = store.transcript(session, conversation_id, after) if conversation_id else []
    return {"messages": [{k: m[k] for k in HISTORY_FIELDS} for m in messages]}
