"""/agent/api/*: what the agent console reads and does, for the signed-in agent's tenant only.

Every route depends on `current_agent` (session, and CSRF on non-GET). Conversations of another
tenant answer 404 like missing ones. Identity numbers are masked (last four digits) unless the
agent's role is admin; phone numbers and channel identities are always masked.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db import agent_repository as repo
from backend.adapters.db.agent_repository import ConsoleRow
from backend.adapters.db.models import Tenant
from backend.adapters.kyc.factory import vault_for
from backend.api.deps import ComponentsDep, TenantContext
from backend.api.errors import Problem
from backend.api.routes import assist
from backend.api.routes.agents import CurrentAgent, assign_now, now, problem, uow
from backend.api.sent_window import LOOKBACK, SentWindow
from backend.components import Components
from backend.gateway import outbound
from backend.lending.identity import mask as mask_id_number
from backend.lending.money import Money
from backend.observability import current_request_id
from backend.services.agents import auth
from backend.services.agents import queue as agent_queue
from backend.services.agents.errors import AgentError
from backend.services.agents.ports import QueueRow
from backend.services.agents.sla import sla_state
from backend.services.formatting import format_money

router = APIRouter(prefix="/agent/api", tags=["agent console"])

POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 300.0
RETRY_MS = 2000
AUTHORS = frozenset({"customer", "bot", "agent", "system", "business"})


# -- masking ---------------------------------------------------------------------------------------


def mask_phone(phone: str | None) -> str | None:
    """+2348012345678 -> +234*******678: the country and the last three digits, enough to tell
    two numbers apart on a call, not enough to dial."""
    if not phone:
        return None
    digits = phone.lstrip("+")
    head = digits[:3]
    return f"+{head}{'*' * max(len(digits) - 6, 0)}{digits[-3:]}"


def mask_identity(channel: str, identity: str) -> str:
    if identity.startswith("+") or identity.isdigit():
        return mask_phone(identity if identity.startswith("+") else f"+{identity}") or ""
    return identity[:4] + "…" if len(identity) > 4 else "…"


# -- the list item -----------------------------------------------------------------------------------


def _status(handoff: QueueRow | None) -> str:
    if handoff is None or handoff.status not in ("waiting", "assigned", "resolved"):
        return "bot"
    return handoff.status


def _iso(value: datetime | None) -> str | None:
    return None if value is None else repo.aware(value).astimezone(UTC).isoformat()


def _waiting_seconds(handoff: QueueRow | None, at: datetime) -> int:
    if handoff is None or handoff.status not in ("waiting", "assigned"):
        return 0
    until = handoff.first_response_at or at
    return max(0, int((until - handoff.created_at).total_seconds()))


def handoff_view(handoff: QueueRow | None, at: datetime) -> dict[str, Any]:
    if handoff is None:
        sla = {
            "first_response_due_at": None,
            "resolution_due_at": None,
            "first_response_breached": False,
            "resolution_breached": False,
        }
        return {"handoff_id": None, "priority": "normal", "reason": None, "sla": sla}
    state = sla_state(
        handoff.first_response_due_at,
        handoff.resolution_due_at,
        handoff.first_response_at,
        handoff.resolved_at,
        at,
    )
    return {
        "handoff_id": str(handoff.id),
        "priority": handoff.priority,
        "reason": handoff.reason,
        "sla": {
            "first_response_due_at": _iso(state.first_response_due_at),
            "resolution_due_at": _iso(state.resolution_due_at),
            "first_response_breached": state.first_response_breached,
            "resolution_breached": state.resolution_breached,
        },
    }


def item(row: ConsoleRow, at: datetime) -> dict[str, Any]:
    return {
        "conversation_id": str(row.conversation_id),
        **handoff_view(row.handoff, at),
        "customer_name": row.customer_name,
        "channel": row.channel,
        "status": _status(row.handoff),
        "waiting_seconds": _waiting_seconds(row.handoff, at),
        "assigned_agent": None
        if row.assigned_agent is None or _status(row.handoff) != "assigned"
        else {"id": str(row.assigned_agent[0]), "name": row.assigned_agent[1]},
        "last_message_preview": row.last_message_preview,
        "last_message_at": _iso(row.last_message_at),
    }


def _order(row: ConsoleRow) -> tuple[int, datetime]:
    """High priority first, then oldest (a conversation without a handoff by its last message)."""
    high = (
        row.handoff is not None
        and row.handoff.priority == "high"
        and _status(row.handoff) in ("waiting", "assigned")
    )
    since = (
        row.handoff.created_at if row.handoff else (row.last_message_at or datetime.max.replace(tzinfo=UTC))
    )
    return (0 if high else 1, since)


# -- me, presence, agents, canned responses ---------------------------------------------------------


@router.get("/me")
def me(agent: CurrentAgent, c: ComponentsDep) -> dict[str, Any]:
    fresh = auth.agent_of(agent.tenant_id, agent.agent.id, uow(c))
    with c.sessions() as session:
        tenant = session.get(Tenant, agent.tenant_id)
        slug = tenant.slug if tenant else None
    return {
        "id": str(fresh.id),
        "name": fresh.name,
        "email": fresh.email,
        "role": fresh.role,
        "tenant": slug,
        "online": fresh.online,
    }


class PresenceIn(BaseModel):
    online: bool


@router.post("/presence")
def presence(body: PresenceIn, agent: CurrentAgent, c: ComponentsDep) -> dict[str, Any]:
    """Going online takes waiting requests at once (round-robin)."""
    agent_queue.set_presence(uow(c), agent, body.online, now())
    if body.online:
        assign_now(c, agent.tenant_id)
    return {"online": body.online}


@router.get("/agents")
def tenant_agents(agent: CurrentAgent, c: ComponentsDep) -> dict[str, Any]:
    return {
        "items": [
            {"id": str(a.id), "name": a.name, "role": a.role, "online": a.online}
            for a in auth.agents_of(agent.tenant_id, uow(c))
        ]
    }


@router.get("/canned-responses")
def canned(agent: CurrentAgent, c: ComponentsDep) -> list[dict[str, Any]]:
    with c.sessions() as session:
        rows = repo.canned_responses(session, agent.tenant_id)
        return [{"id": str(r.id), "title": r.title, "text": r.text} for r in rows]


# -- conversations -----------------------------------------------------------------------------------


@router.get("/conversations")
def conversations(
    agent: CurrentAgent, c: ComponentsDep, view: Literal["waiting", "mine", "all"] = "waiting"
) -> dict[str, Any]:
    at = now()
    with c.sessions() as session:
        rows = repo.console_rows(session, agent.tenant_id, view, agent.agent.id)
    return {"items": [item(r, at) for r in sorted(rows, key=_order)]}


def _one(c: Components, agent: auth.AgentContext, conversation_id: uuid.UUID) -> dict[str, Any]:
    with c.sessions() as session:
        row = repo.console_row(session, agent.tenant_id, conversation_id)
    if row is None:
        raise Problem(404, "conversation-not-found", "No such conversation for this tenant.")
    return item(row, now())


def _id_number(c: Components, ciphertext: str | None, last4: str | None, role: str) -> str | None:
    if role == "admin" and ciphertext:
        try:
            return vault_for(c.settings).decrypt(ciphertext)
        except ValueError:
            pass
    return None if not last4 else mask_id_number("*" * 7 + last4)


@router.get("/conversations/{conversation_id}")
def conversation(conversation_id: uuid.UUID, agent: CurrentAgent, c: ComponentsDep) -> dict[str, Any]:
    """The conversation, the customer's file (identity number in full for admins only), and the handoff."""
    with c.sessions() as session:
        found = repo.customer_file(session, agent.tenant_id, conversation_id)
        if found is None:
            raise Problem(404, "conversation-not-found", "No such conversation for this tenant.")
        conv, customer, onboarding = found.conversation, found.customer, found.onboarding
        body = {
            "conversation": {
                "id": str(conv.id),
                "channel": conv.channel,
                "identity_masked": mask_identity(conv.channel, conv.channel_identity),
                "opted_out": conv.opted_out_at is not None,
            },
            "customer": {
                "id": str(customer.id),
                "full_name": customer.full_name,
                "phone_masked": mask_phone(customer.phone_e164),
                "id_number_masked": _id_number(
                    c,
                    onboarding.id_number_ciphertext if onboarding else None,
                    onboarding.id_number_last4 if onboarding else None,
                    agent.agent.role,
                ),
                "kyc_status": onboarding.kyc_status if onboarding else "not_started",
                "business_name": onboarding.business_name if onboarding else None,
            },
            "applications": [
                {
                    "id": str(a.id),
                    "product_code": a.product_code,
                    "status": a.status,
                    "requested_amount_formatted": None
                    if a.requested_amount_minor is None
                    else format_money(Money(a.requested_amount_minor, a.currency), customer.locale),
                    "created_at": _iso(a.created_at),
                }
                for a in found.applications
            ],
            "loans": [
                {
                    "id": str(loan.id),
                    "status": loan.status,
                    "balance_formatted": format_money(Money(outstanding, loan.currency), customer.locale),
                    "next_due_date": None if next_due is None else next_due.isoformat(),
                }
                for loan, outstanding, next_due in found.loans
            ],
            "disputes": [
                {"reference": d.reference, "status": d.status, "category": d.category} for d in found.disputes
            ],
        }
    body["handoff"] = _one(c, agent, conversation_id)
    return body


@router.get("/conversations/{conversation_id}/messages")
def messages(
    conversation_id: uuid.UUID,
    agent: CurrentAgent,
    c: ComponentsDep,
    after: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    with c.sessions() as session:
        rows = repo.transcript_after(session, agent.tenant_id, conversation_id, after)
        if rows is None:
            raise Problem(404, "conversation-not-found", "No such conversation for this tenant.")
        return {"messages": [message_view(m) for m in rows]}


def message_view(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "direction": m.direction,
        "author": m.author if m.author in AUTHORS else "system",
        "text": m.text,
        "buttons": m.buttons or [],
        "created_at": _iso(m.created_at),
        "status": m.status,
    }


@router.get("/conversations/{conversation_id}/summary")
def summary(conversation_id: uuid.UUID, agent: CurrentAgent, c: ComponentsDep) -> dict[str, Any]:
    """The assistance service's briefing (extractive offline, or a configured model's)."""
    tenant = TenantContext(agent.tenant_id, "", "", "")
    result = assist.conversation_summary(conversation_id, tenant, c)
    generated_by = result.get("generated_by", "extractive")
    return {**result, "generated_by": "extractive" if generated_by == "extractive" else "model"}


def _act(fn: Any, *args: Any) -> QueueRow:
    try:
        return fn(*args)
    except AgentError as exc:
        raise problem(exc) from exc


@router.post("/conversations/{conversation_id}/take")
def take(conversation_id: uuid.UUID, agent: CurrentAgent, c: ComponentsDep) -> dict[str, Any]:
    """Claim: 409 `conversation-held` when another agent holds it."""
    _act(agent_queue.claim, uow(c), agent, conversation_id, now())
    return _one(c, agent, conversation_id)


class TransferIn(BaseModel):
    agent_id: uuid.UUID


@router.post("/conversations/{conversation_id}/transfer")
def transfer(
    conversation_id: uuid.UUID, body: TransferIn, agent: CurrentAgent, c: ComponentsDep
) -> dict[str, Any]:
    """To another agent of the tenant (404 `agent-not-found` for anyone else)."""
    _act(agent_queue.transfer, uow(c), agent, conversation_id, body.agent_id, now())
    return _one(c, agent, conversation_id)


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=4096)


@router.post("/conversations/{conversation_id}/messages", status_code=202)
def reply(conversation_id: uuid.UUID, body: ReplyIn, agent: CurrentAgent, c: ComponentsDep) -> dict[str, Any]:
    """The agent's reply: stored with author `agent` and sent by the worker through the customer's
    channel; the first one records the first response time. Replying to a waiting conversation
    takes it."""
    from backend.worker.tasks import deliver_outbound

    _act(agent_queue.record_reply, uow(c), agent, conversation_id, now())
    request_id = current_request_id()
    message_id = outbound.queue_message(
        c.sessions,
        agent.tenant_id,
        conversation_id,
        body.text,
        author="agent",
        request_id=request_id,
        enqueue=lambda mid: deliver_outbound.delay(mid, request_id),
    )
    if message_id is None:
        raise Problem(404, "conversation-not-found", "No such conversation for this tenant.")
    return {"message_id": message_id, "status": outbound.QUEUED}


class ResolveIn(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


@router.post("/conversations/{conversation_id}/resolve")
def resolve(
    conversation_id: uuid.UUID, agent: CurrentAgent, c: ComponentsDep, body: ResolveIn | None = None
) -> dict[str, Any]:
    _act(agent_queue.resolve, uow(c), agent, conversation_id, body.note if body else None, now())
    return _one(c, agent, conversation_id)


@router.post("/conversations/{conversation_id}/hand-back")
def hand_back(conversation_id: uuid.UUID, agent: CurrentAgent, c: ComponentsDep) -> dict[str, Any]:
    """Return the conversation to the bot: it answers the customer's next message."""
    _act(agent_queue.hand_back, uow(c), agent, conversation_id, now())
    return _one(c, agent, conversation_id)


# -- live events -------------------------------------------------------------------------------------


@dataclass
class ConsoleCursor:
    """Where one agent's event stream is: message ids at or below `floor` and handoff changes at or
    before `since_floor` are from before it started; `message_id` and `since` are the newest sent.
    Each poll also looks back LOOKBACK behind them for a late commit; the SentWindows keep each
    event single."""

    message_id: int
    since: datetime
    floor: int = field(init=False)
    since_floor: datetime = field(init=False)
    changes_sent: SentWindow = field(default_factory=SentWindow)  # (handoff id, updated_at)
    messages_sent: SentWindow = field(default_factory=SentWindow)  # message ids

    def __post_init__(self) -> None:
        self.floor, self.since_floor = self.message_id, self.since

    @property
    def event_id(self) -> str:
        """`<message id>_<microseconds since epoch>`: what a reconnect sends back as Last-Event-ID."""
        return f"{self.message_id}_{int(self.since.timestamp() * 1_000_000)}"


def _cursor(last_event_id: str | None, sessions: sessionmaker[Session]) -> ConsoleCursor:
    """The cursor in Last-Event-ID, or "from now"."""
    if last_event_id:
        left, _, right = last_event_id.strip().partition("_")
        if left.isdigit() and right.isdigit():
            return ConsoleCursor(int(left), datetime.fromtimestamp(int(right) / 1_000_000, UTC))
    with sessions() as session:
        return ConsoleCursor(repo.newest_message_id(session), now())


def poll_events(sessions: sessionmaker[Session], tenant_id: uuid.UUID, cursor: ConsoleCursor) -> list[str]:
    """One tick: the SSE frames of handoff changes and handoff conversations' new messages; the
    cursor advances. One short session, closed before the caller sleeps."""
    frames: list[str] = []
    lookback = now() - LOOKBACK
    with sessions() as session:
        changed_after = max(cursor.since_floor, min(cursor.since, lookback))
        for h in repo.handoff_changes(session, tenant_id, changed_after):
            updated = repo.aware(h.updated_at)
            if not cursor.changes_sent.first_time((h.id, updated)):
                continue
            cursor.since = max(cursor.since, updated)
            data = {
                "conversation_id": str(h.conversation_id),
                "status": h.status,
                "priority": h.priority,
                "assigned_agent_id": None if h.assigned_agent_id is None else str(h.assigned_agent_id),
            }
            frames.append(f"id: {cursor.event_id}\nevent: conversation\ndata: {json.dumps(data)}\n\n")
        recent = [int(k) for k in cursor.messages_sent]
        for m in repo.handoff_messages(session, tenant_id, cursor.floor, cursor.message_id, lookback, recent):
            if not cursor.messages_sent.first_time(m.id):
                continue
            cursor.message_id = max(cursor.message_id, m.id)
            data = {"conversation_id": str(m.conversation_id), "message": message_view(m)}
            frames.append(
                f"id: {cursor.event_id}\nevent: message\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            )
    cursor.changes_sent.forget_old()
    cursor.messages_sent.forget_old()
    return frames


async def _stream(
    request: Request, sessions: sessionmaker[Session], tenant_id: uuid.UUID, cursor: ConsoleCursor
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    started = time.monotonic()
    next_beat = started + HEARTBEAT_SECONDS
    while time.monotonic() - started < STREAM_SECONDS:
        if await request.is_disconnected():
            return
        for frame in await anyio.to_thread.run_sync(poll_events, sessions, tenant_id, cursor):
            yield frame
        if time.monotonic() >= next_beat:
            yield ": heartbeat\n\n"
            next_beat = time.monotonic() + HEARTBEAT_SECONDS
        await anyio.sleep(POLL_SECONDS)


@router.get("/events", response_class=StreamingResponse)
async def events(
    request: Request,
    agent: CurrentAgent,
    c: ComponentsDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Server-Sent Events of the agent's tenant: `conversation` (a handoff created, assigned,
    transferred, resolved, handed back) and `message` (a new message in a handed-off
    conversation); a heartbeat comment every 15 s; closed after 5 minutes (EventSource
    reconnects with Last-Event-ID and misses nothing)."""
    cursor = await anyio.to_thread.run_sync(_cursor, last_event_id, c.sessions)
    return StreamingResponse(
        _stream(request, c.sessions, agent.tenant_id, cursor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
