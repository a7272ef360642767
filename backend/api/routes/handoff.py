"""/v1/conversations/{conversation_id}/handoff-requests: a customer asks for a human.

Kept apart from `conversations.py` (transcripts and outbound messages); the agent console that
serves these requests lives in `agents.py` and `agent_console_api.py`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from backend.adapters.db.agent_repository import SqlAgentUnitOfWork
from backend.adapters.db.care_repository import SqlCareUnitOfWork
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.api.paging import CursorQuery, LimitQuery, Page, decode_cursor, encode_cursor
from backend.services.agents.queue import assign_waiting
from backend.services.care.errors import CareError
from backend.services.care.handoff import HandoffReason, RequestHandoff, handoffs_of, request_handoff
from backend.services.care.ports import HandoffRecord

router = APIRouter(prefix="/v1/conversations/{conversation_id}/handoff-requests", tags=["handoff"])


def _problem(exc: CareError) -> Problem:
    return Problem(exc.status, exc.slug, exc.detail)


class HandoffIn(BaseModel):
    reason: HandoffReason
    note: str | None = Field(default=None, max_length=2000)


class HandoffOut(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    reason: str = Field(
        description="customer_request, bot_failure, dispute, hardship; or agent (an agent took the "
        "conversation from the console without a request)."
    )
    note: str | None
    priority: str = Field(description="high (dispute, hardship) or normal.")
    status: str = Field(description="waiting, assigned, resolved or cancelled.")
    assigned_agent_id: uuid.UUID | None
    created_at: datetime
    replayed: bool = Field(default=False, description="True: a request was already waiting; this is it.")

    @classmethod
    def of(cls, h: HandoffRecord) -> HandoffOut:
        return cls(
            id=h.id,
            conversation_id=h.conversation_id,
            reason=h.reason,
            note=h.note,
            priority=h.priority,
            status=h.status,
            assigned_agent_id=h.assigned_agent_id,
            created_at=h.created_at,
            replayed=h.replayed,
        )


@router.post("", response_model=HandoffOut, status_code=201)
def create_handoff_request(
    conversation_id: uuid.UUID,
    body: HandoffIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Record that the customer is waiting for a human; while one request waits, asking again
    returns it (`replayed: true`) instead of queueing twice."""
    cmd = RequestHandoff(tenant.id, conversation_id, body.reason, body.note, actor=f"api:{tenant.slug}")

    def run(session: Any) -> dict[str, Any]:
        try:
            record = request_handoff(cmd, SqlCareUnitOfWork.joining(session), datetime.now(UTC))
        except CareError as exc:
            raise _problem(exc) from exc
        return HandoffOut.of(record).model_dump(mode="json")

    body_key = {"conversation_id": str(conversation_id), **body.model_dump(mode="json")}
    out = idempotency.once(c.sessions, tenant, idempotency_key, body_key, run)
    # Round-robin at once among the tenant's online agents (the worker's beat catches the rest);
    # the response keeps the state at creation, as an idempotent replay must.
    assign_waiting(SqlAgentUnitOfWork(c.sessions), tenant.id, datetime.now(UTC))
    return out


@router.get("", response_model=Page[HandoffOut])
def list_handoff_requests(
    conversation_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 20,
) -> dict[str, Any]:
    """The conversation's requests, newest first, by cursor."""
    key = decode_cursor(cursor, 2)
    try:
        before = (datetime.fromisoformat(key[0]), uuid.UUID(key[1])) if key else None
    except ValueError as exc:
        raise Problem(400, "invalid-cursor", "The cursor is not one this API issued.") from exc
    try:
        records = handoffs_of(tenant.id, conversation_id, before, limit + 1, SqlCareUnitOfWork(c.sessions))
    except CareError as exc:
        raise _problem(exc) from exc
    page = records[:limit]
    nxt = encode_cursor(page[-1].created_at.isoformat(), page[-1].id) if len(records) > limit else None
    return {"items": [HandoffOut.of(h) for h in page], "next_cursor": nxt}
