"""Ports of the agent services; the SQL adapter (`backend.adapters.db.agent_repository`) implements them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self

ROLES = ("agent", "supervisor", "admin")
ACTIVE = ("waiting", "assigned")


@dataclass(frozen=True, slots=True)
class AgentRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    name: str
    role: str
    password_hash: str
    online: bool = False
    last_seen_at: datetime | None = None
    last_assigned_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: uuid.UUID
    agent_id: uuid.UUID
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A handoff request as the queue sees it, with its SLA times."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    conversation_id: uuid.UUID
    reason: str
    priority: str
    status: str
    assigned_agent_id: uuid.UUID | None
    created_at: datetime
    assigned_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    first_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    resolution_note: str | None = None
    note: str | None = None


class Agents(Protocol):
    def add(self, agent: AgentRecord) -> bool:
        """False when the tenant already has an agent with this email."""
        ...

    def get(self, tenant_id: uuid.UUID, agent_id: uuid.UUID) -> AgentRecord | None: ...
    def by_email(self, tenant_slug: str, email: str, *, for_update: bool = False) -> AgentRecord | None: ...
    def of_tenant(self, tenant_id: uuid.UUID) -> list[AgentRecord]: ...
    def save_login_state(
        self, agent_id: uuid.UUID, failed_logins: int, locked_until: datetime | None
    ) -> None: ...
    def set_online(self, agent_id: uuid.UUID, online: bool, now: datetime) -> None: ...
    def next_for_assignment(self, tenant_id: uuid.UUID, max_open: int) -> AgentRecord | None:
        """The online agent with fewer than `max_open` assigned requests, least recently assigned
        first (never assigned counts as longest ago), its row locked."""
        ...

    def mark_assigned(self, agent_id: uuid.UUID, now: datetime) -> None: ...


class AgentSessions(Protocol):
    def add(self, token_hash: str, agent_id: uuid.UUID, csrf_token: str, expires_at: datetime) -> None: ...
    def get(self, token_hash: str) -> tuple[SessionRecord, AgentRecord] | None: ...
    def extend(self, session_id: uuid.UUID, expires_at: datetime) -> None: ...
    def delete(self, token_hash: str) -> None: ...


class Queue(Protocol):
    def active(
        self, tenant_id: uuid.UUID, conversation_id: uuid.UUID, *, for_update: bool = False
    ) -> QueueRow | None:
        """The conversation's waiting or assigned request."""
        ...

    def latest(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> QueueRow | None: ...
    def add(self, row: QueueRow) -> bool:
        """False when the conversation already has a waiting request (a concurrent one won)."""
        ...

    def save(self, row: QueueRow, now: datetime) -> None: ...
    def waiting(self, tenant_id: uuid.UUID, limit: int, *, lock: bool = False) -> list[QueueRow]:
        """Waiting requests in queue order: high priority first, then oldest; `lock` skips rows
        another transaction holds (SELECT ... FOR UPDATE SKIP LOCKED)."""
        ...

    def tenants_with_waiting(self) -> list[uuid.UUID]: ...
    def conversation_exists(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> bool: ...
    def tenant_of(self, conversation_id: uuid.UUID) -> uuid.UUID | None: ...
    def policy(self, tenant_id: uuid.UUID) -> dict[str, Any] | None:
        """The tenant's handoff policy (SLA minutes, support hours) as stored, or None."""
        ...

    def recent_waits(self, tenant_id: uuid.UUID, limit: int) -> list[float]:
        """Seconds from creation to assignment of the tenant's latest assigned requests."""
        ...

    def online_agents(self, tenant_id: uuid.UUID) -> int: ...


class Audit(Protocol):
    def append(
        self,
        tenant_id: uuid.UUID,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        data: dict[str, Any],
    ) -> None: ...


class AgentUnitOfWork(Protocol):
    agents: Agents
    sessions: AgentSessions
    queue: Queue
    audit: Audit

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
