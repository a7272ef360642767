"""Requests for a human: recorded on the conversation, waiting for the agent console to take them.

A customer who asks twice ("talk to a human" ... "hello??") must not join the queue twice or move
to its back: while a request is waiting, asking again returns that request. Disputes and hardship
go first because a customer who cannot pay, or thinks we took money wrongly, is the one for whom a
wait costs most (a missed instalment, a late fee) and a complaint regulators look at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from backend.services.care.errors import NotFound
from backend.services.care.ports import CareUnitOfWork, HandoffRecord


class HandoffReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    BOT_FAILURE = "bot_failure"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"


HIGH_PRIORITY = frozenset({HandoffReason.DISPUTE, HandoffReason.HARDSHIP})


def priority_of(reason: HandoffReason) -> str:
    return "high" if reason in HIGH_PRIORITY else "normal"


@dataclass(frozen=True, slots=True)
class RequestHandoff:
    tenant_id: uuid.UUID
    conversation_id: uuid.UUID
    reason: HandoffReason
    note: str | None = None
    actor: str = "api"


def request_handoff(cmd: RequestHandoff, uow: CareUnitOfWork, now: datetime) -> HandoffRecord:
    """The waiting request of the conversation, created if there is none (`replayed` says which)."""
    with uow:
        if not uow.directory.conversation_exists(cmd.tenant_id, cmd.conversation_id):
            raise NotFound(f"conversation {cmd.conversation_id} not found", slug="conversation-not-found")
        if (waiting := uow.handoffs.waiting(cmd.tenant_id, cmd.conversation_id)) is not None:
            return replace(waiting, replayed=True)
        record = uow.handoffs.add(
            HandoffRecord(
                id=uuid.uuid4(),
                tenant_id=cmd.tenant_id,
                conversation_id=cmd.conversation_id,
                reason=cmd.reason.value,
                note=cmd.note,
                priority=priority_of(cmd.reason),
                status="waiting",
                assigned_agent_id=None,
                created_at=now,
            )
        )
        if record.replayed:  # a concurrent request won the race; it is the one waiting
            return record
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action="conversation.handoff_requested",
            subject_type="conversation",
            subject_id=str(cmd.conversation_id),
            data={"handoff_request_id": str(record.id), "reason": record.reason, "priority": record.priority},
        )
        uow.commit()
        return record


def handoffs_of(
    tenant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    uow: CareUnitOfWork,
) -> list[HandoffRecord]:
    with uow:
        if not uow.directory.conversation_exists(tenant_id, conversation_id):
            raise NotFound(f"conversation {conversation_id} not found", slug="conversation-not-found")
        return uow.handoffs.for_conversation(tenant_id, conversation_id, before, limit)
