"""The handoff queue: round-robin assignment, claim, transfer, first response, resolve, hand back.

Assignment: the waiting requests of a tenant, high priority (disputes, hardship) first then oldest,
go one by one to the online agent assigned least recently who holds fewer than the policy's
`max_open_per_agent` requests. It runs when a request is created, when an agent comes online and
on the worker's 30-second beat; waiting rows are taken with SKIP LOCKED and the chosen agent's row
is locked, so two runs at once never hand one request to two agents.

Claim and transfer lock the conversation's active request (SELECT ... FOR UPDATE): of two agents
claiming at once, the second finds it assigned and gets 409. Every change is audited in the
tenant's hash-chained log in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from backend.services.agents.auth import AgentContext
from backend.services.agents.errors import Conflict, Forbidden, NotFound
from backend.services.agents.ports import AgentUnitOfWork, QueueRow
from backend.services.agents.sla import SlaPolicy

MANAGERS = frozenset({"supervisor", "admin"})
AGENT_REASON = "agent"  # an agent picked the conversation up from the live list
DEFAULT_HANDLE_SECONDS = 120  # expected wait per person ahead until there is history
BATCH = 50


def _audit(uow: AgentUnitOfWork, row: QueueRow, actor: str, action: str, **data: object) -> None:
    uow.audit.append(
        row.tenant_id,
        actor=actor,
        action=action,
        subject_type="conversation",
        subject_id=str(row.conversation_id),
        data={
            "handoff_request_id": str(row.id),
            **{k: str(v) if v is not None else None for k, v in data.items()},
        },
    )


def policy_of(uow: AgentUnitOfWork, tenant_id: uuid.UUID) -> SlaPolicy:
    return SlaPolicy.from_data(uow.queue.policy(tenant_id))


def assign_waiting(
    uow: AgentUnitOfWork, tenant_id: uuid.UUID, now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Give waiting requests to online agents; returns (handoff id, agent id) per assignment.

    Example: two waiting requests and agents A (assigned 10:00) and B (never): the first (oldest
    high) goes to B, the second to A."""
    done: list[tuple[uuid.UUID, uuid.UUID]] = []
    with uow:
        policy = policy_of(uow, tenant_id)
        for i, row in enumerate(uow.queue.waiting(tenant_id, BATCH, lock=True)):
            agent = uow.agents.next_for_assignment(tenant_id, policy.max_open_per_agent)
            if agent is None:
                break
            # a microsecond apart: within one run the agent just served sorts after the others
            at = now + timedelta(microseconds=i)
            assigned = replace(row, status="assigned", assigned_agent_id=agent.id, assigned_at=at)
            uow.queue.save(assigned, at)
            uow.agents.mark_assigned(agent.id, at)
            _audit(uow, assigned, "system:round-robin", "conversation.handoff_assigned", agent_id=agent.id)
            done.append((row.id, agent.id))
        uow.commit()
    return done


def assign_all_tenants(make_uow: Callable[[], AgentUnitOfWork], now: datetime) -> int:
    """The worker beat: assign for every tenant with waiting requests; returns how many."""
    with make_uow() as uow:
        tenants = uow.queue.tenants_with_waiting()
    return sum(len(assign_waiting(make_uow(), tenant, now)) for tenant in tenants)


def _active_or_new(
    uow: AgentUnitOfWork, ctx: AgentContext, conversation_id: uuid.UUID, now: datetime
) -> QueueRow:
    """The conversation's active request, locked; an agent picking up a conversation with none
    opens one (reason "agent") as waiting, so the unique waiting index settles concurrent pick-ups."""
    row = uow.queue.active(ctx.tenant_id, conversation_id, for_update=True)
    if row is not None:
        return row
    if not uow.queue.conversation_exists(ctx.tenant_id, conversation_id):
        raise NotFound(f"conversation {conversation_id} not found", slug="conversation-not-found")
    first_due, resolution_due = policy_of(uow, ctx.tenant_id).due_times("normal", now)
    fresh = QueueRow(
        id=uuid.uuid4(),
        tenant_id=ctx.tenant_id,
        conversation_id=conversation_id,
        reason=AGENT_REASON,
        priority="normal",
        status="waiting",
        assigned_agent_id=None,
        created_at=now,
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
    )
    if uow.queue.add(fresh):
        _audit(
            uow, fresh, ctx.actor, "conversation.handoff_requested", reason=AGENT_REASON, priority="normal"
        )
    row = uow.queue.active(ctx.tenant_id, conversation_id, for_update=True)
    assert row is not None
    return row


def _claim_in(uow: AgentUnitOfWork, ctx: AgentContext, conversation_id: uuid.UUID, now: datetime) -> QueueRow:
    row = _active_or_new(uow, ctx, conversation_id, now)
    if row.status == "assigned":
        if row.assigned_agent_id == ctx.agent.id:
            return row
        raise Conflict("Another agent holds this conversation.", slug="conversation-held")
    taken = replace(row, status="assigned", assigned_agent_id=ctx.agent.id, assigned_at=now)
    uow.queue.save(taken, now)
    uow.agents.mark_assigned(ctx.agent.id, now)
    _audit(uow, taken, ctx.actor, "conversation.handoff_claimed", agent_id=ctx.agent.id)
    return taken


def claim(uow: AgentUnitOfWork, ctx: AgentContext, conversation_id: uuid.UUID, now: datetime) -> QueueRow:
    """Take the conversation: its waiting request becomes the caller's (or a new one is opened).
    Idempotent for the holder. Raises Conflict (409, conversation-held) if another agent holds it,
    NotFound (404) for a conversation outside the caller's tenant."""
    with uow:
        row = _claim_in(uow, ctx, conversation_id, now)
        uow.commit()
        return row


def _held(uow: AgentUnitOfWork, ctx: AgentContext, conversation_id: uuid.UUID) -> QueueRow:
    """The active request, locked, which the caller may act on: its holder's, or any for a
    supervisor or admin. A waiting request may be acted on by anyone of the tenant."""
    row = uow.queue.active(ctx.tenant_id, conversation_id, for_update=True)
    if row is None:
        if not uow.queue.conversation_exists(ctx.tenant_id, conversation_id):
            raise NotFound(f"conversation {conversation_id} not found", slug="conversation-not-found")
        raise Conflict("No agent is handling this conversation.", slug="no-active-handoff")
    if row.status == "assigned" and row.assigned_agent_id != ctx.agent.id and ctx.agent.role not in MANAGERS:
        raise Forbidden("Another agent holds this conversation.", slug="conversation-held")
    return row


def transfer(
    uow: AgentUnitOfWork, ctx: AgentContext, conversation_id: uuid.UUID, to_agent_id: uuid.UUID, now: datetime
) -> QueueRow:
    """Give the conversation to another agent of the same tenant (NotFound, agent-not-found,
    for anyone else: another tenant's agent looks like none)."""
    with uow:
        target = uow.agents.get(ctx.tenant_id, to_agent_id)
        if target is None:
            raise NotFound(f"agent {to_agent_id} not found", slug="agent-not-found")
        row = _held(uow, ctx, conversation_id)
        moved = replace(row, status="assigned", assigned_agent_id=target.id, assigned_at=now)
        uow.queue.save(moved, now)
        uow.agents.mark_assigned(target.id, now)
        _audit(
            uow,
            moved,
            ctx.actor,
            "conversation.handoff_transferred",
            from_agent_id=row.assigned_agent_id,
            to_agent_id=target.id,
        )
        uow.commit()
        return moved


def record_reply(
    uow: AgentUnitOfWork, ctx: AgentContext, conversation_id: uuid.UUID, now: datetime
) -> QueueRow:
    """Before an agent's reply is stored: the caller must hold the conversation (a waiting one is
    claimed by replying); the first reply sets `first_response_at`, audited once."""
    with uow:
        row = _claim_in(uow, ctx, conversation_id, now)
        if row.first_response_at is None:
            row = replace(row, first_response_at=now)
            uow.queue.save(row, now)
            _audit(uow, row, ctx.actor, "conversation.handoff_first_response", agent_id=ctx.agent.id)
        uow.commit()
        return row


def _close(
    uow: AgentUnitOfWork,
    ctx: AgentContext,
    conversation_id: uuid.UUID,
    now: datetime,
    note: str | None,
    action: str,
) -> QueueRow:
    with uow:
        row = _held(uow, ctx, conversation_id)
        closed = replace(row, status="resolved", resolved_at=now, resolution_note=note)
        uow.queue.save(closed, now)
        _audit(uow, closed, ctx.actor, action, note=note)
        uow.commit()
        return closed


def resolve(
    uow: AgentUnitOfWork, ctx: AgentContext, conversation_id: uuid.UUID, note: str | None, now: datetime
) -> QueueRow:
    """Close the handoff with a note; the bot answers the customer's next message."""
    return _close(uow, ctx, conversation_id, now, note, "conversation.handoff_resolved")


def hand_back(uow: AgentUnitOfWork, ctx: AgentContext, conversation_id: uuid.UUID, now: datetime) -> QueueRow:
    """Return the conversation to the bot (the request is closed as resolved, note "handed back")."""
    return _close(uow, ctx, conversation_id, now, "handed back to the bot", "conversation.handed_back")


def cancel(
    uow: AgentUnitOfWork,
    tenant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    now: datetime,
    actor: str = "customer",
) -> QueueRow | None:
    """The customer gives up waiting and returns to the bot: the waiting request is cancelled.
    None if nothing was waiting (an assigned conversation stays with its agent)."""
    with uow:
        row = uow.queue.active(tenant_id, conversation_id, for_update=True)
        if row is None or row.status != "waiting":
            return None
        cancelled = replace(row, status="cancelled", resolved_at=now)
        uow.queue.save(cancelled, now)
        _audit(uow, cancelled, actor, "conversation.handoff_cancelled")
        uow.commit()
        return cancelled


def set_presence(uow: AgentUnitOfWork, ctx: AgentContext, online: bool, now: datetime) -> None:
    with uow:
        uow.agents.set_online(ctx.agent.id, online, now)
        uow.audit.append(
            ctx.tenant_id,
            actor=ctx.actor,
            action="agent.online" if online else "agent.offline",
            subject_type="agent",
            subject_id=str(ctx.agent.id),
            data={},
        )
        uow.commit()


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """What the customer is told: their place, the expected wait, or when support opens."""

    position: int | None
    expected_wait_seconds: int | None
    in_hours: bool
    next_open_at: datetime | None


def queue_position(uow: AgentUnitOfWork, conversation_id: uuid.UUID, now: datetime) -> QueueInfo:
    """Position 1 is next. None position: nothing waiting (assigned, or no request). The expected
    wait is the position times the median of the tenant's last 20 waits (2 minutes with no
    history) divided among the online agents (at least one), rounded up to whole minutes; outside
    support hours it is None and `next_open_at` says when someone will answer.

    Example: queue_position(SqlAgentUnitOfWork(sessions), conversation_id, now) ==
    QueueInfo(position=2, expected_wait_seconds=240, in_hours=True, next_open_at=None)."""
    with uow:
        tenant_id = uow.queue.tenant_of(conversation_id)
        if tenant_id is None:
            return QueueInfo(None, None, True, None)
        policy = policy_of(uow, tenant_id)
        in_hours = policy.hours.is_open(now)
        next_open = policy.hours.next_open_at(now)
        mine = uow.queue.active(tenant_id, conversation_id)
        if mine is None or mine.status != "waiting":
            return QueueInfo(None, None, in_hours, next_open)
        waiting = uow.queue.waiting(tenant_id, 1000)
        position = next((i + 1 for i, r in enumerate(waiting) if r.id == mine.id), len(waiting) + 1)
        if not in_hours:
            return QueueInfo(position, None, False, next_open)
        waits = sorted(uow.queue.recent_waits(tenant_id, 20))
        per_person = waits[len(waits) // 2] if waits else DEFAULT_HANDLE_SECONDS
        agents = max(1, uow.queue.online_agents(tenant_id))
        seconds = position * per_person / agents
        minutes = max(1, int(-(-seconds // 60)))
        return QueueInfo(position, int(timedelta(minutes=minutes).total_seconds()), True, None)
