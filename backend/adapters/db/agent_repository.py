"""SQL implementations of the agent ports, and the console's read queries.

The queue reads and writes `handoff_requests` (owned by care) through its own mapping of the
same table: care creates requests, the queue moves them along."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, overload

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.adapters.db import audit
from backend.adapters.db.agent_models import Agent, AgentSession, CannedResponse
from backend.adapters.db.care_models import CarePolicy, Dispute, HandoffRequest
from backend.adapters.db.lending_models import CreditApplication, Instalment, Loan
from backend.adapters.db.models import Conversation, Customer, Message, Tenant
from backend.adapters.db.onboarding_models import CustomerOnboarding
from backend.adapters.db.uow import SessionUnitOfWork
from backend.services.agents.ports import ACTIVE, AgentRecord, QueueRow, SessionRecord

HANDOFF_POLICY_KIND = "handoff"


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back timestamps without their zone (they were written in UTC)."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _agent(row: Agent) -> AgentRecord:
    return AgentRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        email=row.email,
        name=row.name,
        role=row.role,
        password_hash=row.password_hash,
        online=row.online,
        last_seen_at=aware(row.last_seen_at),
        last_assigned_at=aware(row.last_assigned_at),
        failed_logins=row.failed_logins,
        locked_until=aware(row.locked_until),
        created_at=aware(row.created_at),
    )


def queue_row(row: HandoffRequest) -> QueueRow:
    return QueueRow(
        id=row.id,
        tenant_id=row.tenant_id,
        conversation_id=row.conversation_id,
        reason=row.reason,
        priority=row.priority,
        status=row.status,
        assigned_agent_id=row.assigned_agent_id,
        created_at=aware(row.created_at),
        assigned_at=aware(row.assigned_at),
        first_response_at=aware(row.first_response_at),
        resolved_at=aware(row.resolved_at),
        first_response_due_at=aware(row.first_response_due_at),
        resolution_due_at=aware(row.resolution_due_at),
        resolution_note=row.resolution_note,
        note=row.note,
    )


class SqlAgents:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, agent: AgentRecord) -> bool:
        row = Agent(
            id=agent.id,
            tenant_id=agent.tenant_id,
            email=agent.email,
            name=agent.name,
            role=agent.role,
            password_hash=agent.password_hash,
            online=agent.online,
            failed_logins=0,
            created_at=agent.created_at,
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            return False
        return True

    def get(self, tenant_id: uuid.UUID, agent_id: uuid.UUID) -> AgentRecord | None:
        row = self._session.scalar(select(Agent).where(Agent.id == agent_id, Agent.tenant_id == tenant_id))
        return None if row is None else _agent(row)

    def by_email(self, tenant_slug: str, email: str, *, for_update: bool = False) -> AgentRecord | None:
        query = (
            select(Agent)
            .join(Tenant, Tenant.id == Agent.tenant_id)
            .where(Tenant.slug == tenant_slug, Agent.email == email)
        )
        if for_update:
            query = query.with_for_update(of=Agent)
        row = self._session.scalar(query.execution_options(populate_existing=True))
        return None if row is None else _agent(row)

    def of_tenant(self, tenant_id: uuid.UUID) -> list[AgentRecord]:
        rows = self._session.scalars(select(Agent).where(Agent.tenant_id == tenant_id).order_by(Agent.name))
        return [_agent(r) for r in rows]

    def save_login_state(
        self, agent_id: uuid.UUID, failed_logins: int, locked_until: datetime | None
    ) -> None:
        self._session.execute(
            update(Agent)
            .where(Agent.id == agent_id)
            .values(failed_logins=failed_logins, locked_until=locked_until)
        )

    def set_online(self, agent_id: uuid.UUID, online: bool, now: datetime) -> None:
        self._session.execute(
            update(Agent).where(Agent.id == agent_id).values(online=online, last_seen_at=now)
        )

    def next_for_assignment(self, tenant_id: uuid.UUID, max_open: int) -> AgentRecord | None:
        held = (
            select(func.count())
            .select_from(HandoffRequest)
            .where(HandoffRequest.assigned_agent_id == Agent.id, HandoffRequest.status == "assigned")
            .scalar_subquery()
        )
        row = self._session.scalar(
            select(Agent)
            .where(Agent.tenant_id == tenant_id, Agent.online.is_(True), held < max_open)
            .order_by(Agent.last_assigned_at.asc().nulls_first(), Agent.created_at, Agent.id)
            .limit(1)
            .with_for_update(of=Agent)
            .execution_options(populate_existing=True)
        )
        return None if row is None else _agent(row)

    def mark_assigned(self, agent_id: uuid.UUID, now: datetime) -> None:
        self._session.execute(update(Agent).where(Agent.id == agent_id).values(last_assigned_at=now))


class SqlAgentSessions:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, token_hash: str, agent_id: uuid.UUID, csrf_token: str, expires_at: datetime) -> None:
        self._session.add(
            AgentSession(
                token_hash=token_hash, agent_id=agent_id, csrf_token=csrf_token, expires_at=expires_at
            )
        )
        self._session.flush()

    def get(self, token_hash: str) -> tuple[SessionRecord, AgentRecord] | None:
        found = self._session.execute(
            select(AgentSession, Agent)
            .join(Agent, Agent.id == AgentSession.agent_id)
            .where(AgentSession.token_hash == token_hash)
        ).first()
        if found is None:
            return None
        s, a = found
        return SessionRecord(s.id, s.agent_id, s.csrf_token, aware(s.expires_at)), _agent(a)

    def extend(self, session_id: uuid.UUID, expires_at: datetime) -> None:
        self._session.execute(
            update(AgentSession).where(AgentSession.id == session_id).values(expires_at=expires_at)
        )

    def delete(self, token_hash: str) -> None:
        self._session.execute(delete(AgentSession).where(AgentSession.token_hash == token_hash))


class SqlQueue:
    def __init__(self, session: Session) -> None:
        self._session = session

    def active(
        self, tenant_id: uuid.UUID, conversation_id: uuid.UUID, *, for_update: bool = False
    ) -> QueueRow | None:
        query = (
            select(HandoffRequest)
            .where(
                HandoffRequest.tenant_id == tenant_id,
                HandoffRequest.conversation_id == conversation_id,
                HandoffRequest.status.in_(ACTIVE),
            )
            .order_by(HandoffRequest.created_at.desc())
            .limit(1)
        )
        if for_update:
            query = query.with_for_update()
        row = self._session.scalar(query.execution_options(populate_existing=True))
        return None if row is None else queue_row(row)

    def latest(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> QueueRow | None:
        row = self._session.scalar(
            select(HandoffRequest)
            .where(HandoffRequest.tenant_id == tenant_id, HandoffRequest.conversation_id == conversation_id)
            .order_by(HandoffRequest.created_at.desc(), HandoffRequest.id.desc())
            .limit(1)
        )
        return None if row is None else queue_row(row)

    def add(self, row: QueueRow) -> bool:
        model = HandoffRequest(
            id=row.id,
            tenant_id=row.tenant_id,
            conversation_id=row.conversation_id,
            reason=row.reason,
            note=row.note,
            priority=row.priority,
            status=row.status,
            assigned_agent_id=row.assigned_agent_id,
            created_at=aware(row.created_at),
            updated_at=row.created_at,
            first_response_due_at=aware(row.first_response_due_at),
            resolution_due_at=aware(row.resolution_due_at),
        )
        try:
            with self._session.begin_nested():  # the unique waiting index: one waiting request
                self._session.add(model)
                self._session.flush()
        except IntegrityError:
            return False
        return True

    def save(self, row: QueueRow, now: datetime) -> None:
        self._session.execute(
            update(HandoffRequest)
            .where(HandoffRequest.id == row.id)
            .values(
                status=row.status,
                assigned_agent_id=row.assigned_agent_id,
                assigned_at=aware(row.assigned_at),
                first_response_at=aware(row.first_response_at),
                resolved_at=aware(row.resolved_at),
                resolution_note=row.resolution_note,
                updated_at=now,
            )
        )

    def waiting(self, tenant_id: uuid.UUID, limit: int, *, lock: bool = False) -> list[QueueRow]:
        # "high" < "normal" as text: ascending priority is high first (the queue index's order)
        query = (
            select(HandoffRequest)
            .where(HandoffRequest.tenant_id == tenant_id, HandoffRequest.status == "waiting")
            .order_by(HandoffRequest.priority, HandoffRequest.created_at, HandoffRequest.id)
            .limit(limit)
        )
        if lock:
            query = query.with_for_update(skip_locked=True)
        return [queue_row(r) for r in self._session.scalars(query.execution_options(populate_existing=True))]

    def tenants_with_waiting(self) -> list[uuid.UUID]:
        return list(
            self._session.scalars(
                select(HandoffRequest.tenant_id).where(HandoffRequest.status == "waiting").distinct()
            )
        )

    def conversation_exists(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> bool:
        return bool(
            self._session.scalar(
                select(
                    exists().where(Conversation.id == conversation_id, Conversation.tenant_id == tenant_id)
                )
            )
        )

    def tenant_of(self, conversation_id: uuid.UUID) -> uuid.UUID | None:
        return self._session.scalar(select(Conversation.tenant_id).where(Conversation.id == conversation_id))

    def policy(self, tenant_id: uuid.UUID) -> dict[str, Any] | None:
        return handoff_policy(self._session, tenant_id)

    def recent_waits(self, tenant_id: uuid.UUID, limit: int) -> list[float]:
        rows = self._session.execute(
            select(HandoffRequest.created_at, HandoffRequest.assigned_at)
            .where(HandoffRequest.tenant_id == tenant_id, HandoffRequest.assigned_at.is_not(None))
            .order_by(HandoffRequest.assigned_at.desc())
            .limit(limit)
        ).all()
        return [max(0.0, (aware(r.assigned_at) - aware(r.created_at)).total_seconds()) for r in rows]

    def online_agents(self, tenant_id: uuid.UUID) -> int:
        return int(
            self._session.scalar(
                select(func.count())
                .select_from(Agent)
                .where(Agent.tenant_id == tenant_id, Agent.online.is_(True))
            )
            or 0
        )


def handoff_policy(session: Session, tenant_id: uuid.UUID) -> dict[str, Any] | None:
    """The tenant's handoff policy (care_policies kind "handoff", scope "") or None for defaults."""
    return session.scalar(
        select(CarePolicy.definition).where(
            CarePolicy.tenant_id == tenant_id, CarePolicy.kind == HANDOFF_POLICY_KIND, CarePolicy.scope == ""
        )
    )


class SqlAgentUnitOfWork(SessionUnitOfWork):
    def _bind(self, session: Session) -> None:
        self.agents = SqlAgents(session)
        self.sessions = SqlAgentSessions(session)
        self.queue = SqlQueue(session)
        self.audit = audit.SqlAudit(session)


# -- the console's reads ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsoleRow:
    conversation_id: uuid.UUID
    channel: str
    customer_name: str | None
    handoff: QueueRow | None
    assigned_agent: tuple[uuid.UUID, str] | None
    last_message_preview: str | None
    last_message_at: datetime | None


def _last_message(column: Any) -> Any:
    return (
        select(column)
        .where(Message.conversation_id == Conversation.id)
        .order_by(Message.id.desc())
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )


def console_rows(
    session: Session, tenant_id: uuid.UUID, view: str, agent_id: uuid.UUID, limit: int = 200
) -> list[ConsoleRow]:
    """The live list: `waiting` (the queue), `mine` (assigned to `agent_id`), `all` (the tenant's
    conversations with their latest handoff, if any, most recently active first)."""
    latest = (
        select(
            HandoffRequest.id.label("hid"),
            func.row_number()
            .over(
                partition_by=HandoffRequest.conversation_id,
                order_by=(HandoffRequest.created_at.desc(), HandoffRequest.id.desc()),
            )
            .label("rn"),
        )
        .where(HandoffRequest.tenant_id == tenant_id)
        .subquery()
    )
    query = (
        select(
            Conversation.id,
            Conversation.channel,
            Customer.full_name,
            HandoffRequest,
            Agent.id.label("agent_id"),
            Agent.name.label("agent_name"),
            _last_message(Message.text).label("preview"),
            _last_message(Message.created_at).label("at"),
        )
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(Conversation.tenant_id == tenant_id)
    )
    if view == "all":
        query = (
            query.outerjoin(
                HandoffRequest,
                and_(
                    HandoffRequest.conversation_id == Conversation.id,
                    HandoffRequest.id.in_(select(latest.c.hid).where(latest.c.rn == 1)),
                ),
            )
            .outerjoin(Agent, Agent.id == HandoffRequest.assigned_agent_id)
            .order_by(Conversation.last_message_at.desc())
        )
    else:
        query = query.join(HandoffRequest, HandoffRequest.conversation_id == Conversation.id).outerjoin(
            Agent, Agent.id == HandoffRequest.assigned_agent_id
        )
        if view == "waiting":
            query = query.where(HandoffRequest.status == "waiting")
        else:
            query = query.where(
                HandoffRequest.status == "assigned", HandoffRequest.assigned_agent_id == agent_id
            )
        query = query.order_by(HandoffRequest.priority, HandoffRequest.created_at)
    out = []
    for row in session.execute(query.limit(limit)):
        handoff = row.HandoffRequest
        out.append(
            ConsoleRow(
                conversation_id=row.id,
                channel=row.channel,
                customer_name=row.full_name,
                handoff=None if handoff is None else queue_row(handoff),
                assigned_agent=None if row.agent_id is None else (row.agent_id, row.agent_name),
                last_message_preview=(row.preview or "")[:140] or None,
                last_message_at=aware(row.at),
            )
        )
    return out


def console_row(session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> ConsoleRow | None:
    """One conversation as in the list (its latest handoff), or None outside the tenant."""
    conversation = session.scalar(
        select(Conversation).where(Conversation.id == conversation_id, Conversation.tenant_id == tenant_id)
    )
    if conversation is None:
        return None
    handoff = session.scalar(
        select(HandoffRequest)
        .where(HandoffRequest.conversation_id == conversation_id)
        .order_by(HandoffRequest.created_at.desc(), HandoffRequest.id.desc())
        .limit(1)
    )
    agent = session.get(Agent, handoff.assigned_agent_id) if handoff and handoff.assigned_agent_id else None
    last = session.scalar(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id.desc()).limit(1)
    )
    name = session.scalar(select(Customer.full_name).where(Customer.id == conversation.customer_id))
    return ConsoleRow(
        conversation_id=conversation.id,
        channel=conversation.channel,
        customer_name=name,
        handoff=None if handoff is None else queue_row(handoff),
        assigned_agent=None if agent is None else (agent.id, agent.name),
        last_message_preview=None if last is None else (last.text or "")[:140] or None,
        last_message_at=None if last is None else aware(last.created_at),
    )


@dataclass(frozen=True, slots=True)
class CustomerFile:
    """What the conversation view shows about the customer; identity fields still to be masked."""

    conversation: Conversation
    customer: Customer
    onboarding: CustomerOnboarding | None
    applications: list[CreditApplication]
    loans: list[tuple[Loan, int, date | None]]  # (loan, outstanding minor, next due date)
    disputes: list[Dispute]


def customer_file(session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> CustomerFile | None:
    conversation = session.scalar(
        select(Conversation).where(Conversation.id == conversation_id, Conversation.tenant_id == tenant_id)
    )
    if conversation is None:
        return None
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None
    onboarding = session.scalar(
        select(CustomerOnboarding).where(CustomerOnboarding.customer_id == customer.id)
    )
    applications = list(
        session.scalars(
            select(CreditApplication)
            .where(CreditApplication.tenant_id == tenant_id, CreditApplication.customer_id == customer.id)
            .order_by(CreditApplication.created_at.desc())
            .limit(20)
        )
    )
    loans = []
    for loan in session.scalars(
        select(Loan)
        .where(Loan.tenant_id == tenant_id, Loan.customer_id == customer.id)
        .order_by(Loan.created_at.desc())
        .limit(20)
    ):
        outstanding, next_due = 0, None
        for inst in session.scalars(
            select(Instalment).where(Instalment.loan_id == loan.id).order_by(Instalment.number)
        ):
            due = inst.principal_minor + inst.interest_minor + inst.fees_minor
            paid = inst.paid_principal_minor + inst.paid_interest_minor + inst.paid_fees_minor
            if due > paid:
                outstanding += due - paid
                next_due = next_due or inst.due_date
        loans.append((loan, outstanding, next_due))
    disputes = list(
        session.scalars(
            select(Dispute)
            .where(Dispute.tenant_id == tenant_id, Dispute.customer_id == customer.id)
            .order_by(Dispute.created_at.desc())
            .limit(20)
        )
    )
    return CustomerFile(conversation, customer, onboarding, applications, loans, disputes)


def transcript_after(
    session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID, after: int, limit: int = 500
) -> list[Message] | None:
    if not session.scalar(
        select(exists().where(Conversation.id == conversation_id, Conversation.tenant_id == tenant_id))
    ):
        return None
    return list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.id > after)
            .order_by(Message.id)
            .limit(limit)
        )
    )


def canned_responses(session: Session, tenant_id: uuid.UUID) -> list[CannedResponse]:
    return list(
        session.scalars(
            select(CannedResponse).where(CannedResponse.tenant_id == tenant_id).order_by(CannedResponse.title)
        )
    )


# -- the event stream's poll ---------------------------------------------------------------------


def handoff_changes(
    session: Session, tenant_id: uuid.UUID, since: datetime, limit: int = 500
) -> list[HandoffRequest]:
    """Requests of the tenant changed after `since` (created, assigned, transferred, closed)."""
    return list(
        session.scalars(
            select(HandoffRequest)
            .where(HandoffRequest.tenant_id == tenant_id, HandoffRequest.updated_at > since)
            .order_by(HandoffRequest.updated_at, HandoffRequest.id)
            .limit(limit)
        )
    )


def handoff_messages(
    session: Session,
    tenant_id: uuid.UUID,
    floor: int,
    after: int,
    stored_since: datetime,
    already_sent: Collection[int] = (),
    limit: int = 100,
) -> list[Message]:
    """Messages above id `floor` in the tenant's conversations that have an active handoff: those
    above id `after`, and those stored since `stored_since` but not `already_sent` (one may
    commit after a newer one was sent)."""
    return list(
        session.scalars(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Conversation.tenant_id == tenant_id,
                Message.id > floor,
                or_(
                    Message.id > after,
                    and_(Message.created_at >= stored_since, Message.id.not_in(already_sent)),
                ),
                exists().where(
                    HandoffRequest.conversation_id == Message.conversation_id,
                    HandoffRequest.status.in_(ACTIVE),
                ),
            )
            .order_by(Message.id)
            .limit(limit)
        )
    )


def newest_message_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Message.id))) or 0)
