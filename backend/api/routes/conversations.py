"""/v1/conversations: a tenant's transcripts, and messages it sends to its customers."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from backend.adapters.db.models import Conversation
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.gateway import outbound, store
from backend.observability import current_request_id

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])


class TranscriptMessage(BaseModel):
    id: int
    direction: str
    author: str
    text: str | None
    payload: str | None
    buttons: list[dict[str, str]]
    status: str
    in_reply_to: int | None
    request_id: str | None
    created_at: str


class TranscriptOut(BaseModel):
    conversation_id: uuid.UUID
    channel: str
    messages: list[TranscriptMessage]
    next_after: int | None


@router.get("/{conversation_id}/messages", response_model=TranscriptOut)
def list_messages(
    conversation_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    after: Annotated[int, Query(ge=0, description="Return messages after this id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """Every inbound and outbound message of the conversation, oldest first, paged by id."""
    with c.sessions() as session:
        conversation = session.scalar(
            select(Conversation).where(
                Conversation.id == conversation_id, Conversation.tenant_id == tenant.id
            )
        )
        if conversation is None:
            raise Problem(404, "conversation-not-found", "No such conversation for this tenant.")
        messages = store.transcript(session, conversation_id, after, limit)
    return {
        "conversation_id": conversation_id,
        "channel": conversation.channel,
        "messages": messages,
        "next_after": messages[-1]["id"] if len(messages) == limit else None,
    }


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=4096)


class QueuedOut(BaseModel):
    message_id: int
    status: str


@router.post("/{conversation_id}/messages", response_model=QueuedOut, status_code=202)
def send_message(
    conversation_id: uuid.UUID, body: MessageIn, tenant: CurrentTenant, c: ComponentsDep
) -> dict[str, Any]:
    """Send a message to the customer on the conversation's channel, through the worker."""
    from backend.worker.tasks import deliver_outbound

    request_id = current_request_id()
    message_id = outbound.queue_message(
        c.sessions,
        tenant.id,
        conversation_id,
        body.text,
        author="business",
        request_id=request_id,
        enqueue=lambda mid: deliver_outbound.delay(mid, request_id),
    )
    if message_id is None:
        raise Problem(404, "conversation-not-found", "No such conversation for this tenant.")
    return {"message_id": message_id, "status": outbound.QUEUED}


class OptOutIn(BaseModel):
    customer_id: uuid.UUID | None = Field(default=None, description="Ignored; the conversation decides.")


class OptOutOut(BaseModel):
    conversation_id: uuid.UUID
    opted_out: bool
    opted_out_at: str | None


def _set_opt_out(c: Any, tenant: Any, conversation_id: uuid.UUID, out: bool) -> dict[str, Any]:
    from backend.adapters.db.models import utcnow

    with c.sessions.begin() as session:
        conversation = session.scalar(
            select(Conversation).where(
                Conversation.id == conversation_id, Conversation.tenant_id == tenant.id
            )
        )
        if conversation is None:
            raise Problem(404, "conversation-not-found", "No such conversation for this tenant.")
        if out and conversation.opted_out_at is None:
            conversation.opted_out_at = utcnow()
        elif not out:
            conversation.opted_out_at = None
        at = conversation.opted_out_at
    return {
        "conversation_id": conversation_id,
        "opted_out": at is not None,
        "opted_out_at": at.isoformat() if at else None,
    }


@router.post("/{conversation_id}/opt-out", response_model=OptOutOut)
def opt_out(
    conversation_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep, body: OptOutIn | None = None
) -> dict[str, Any]:
    """No more proactive messages on this conversation's channel identity (idempotent: the first
    opt-out time is kept). Replies to the customer's own messages still go out."""
    return _set_opt_out(c, tenant, conversation_id, True)


@router.post("/{conversation_id}/opt-in", response_model=OptOutOut)
def opt_in(conversation_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep) -> dict[str, Any]:
    """Proactive messages allowed again (the customer said START)."""
    return _set_opt_out(c, tenant, conversation_id, False)
