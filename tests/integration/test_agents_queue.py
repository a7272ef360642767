"""The handoff queue on real PostgreSQL: assignment, claim races, transfer, SLA, resolve and hand
back, tenant isolation, login lockout and session expiry, each with its audit rows."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.agent_models import Agent
from backend.adapters.db.agent_repository import SqlAgentUnitOfWork
from backend.adapters.db.audit import AuditEntry, verify_chain
from backend.adapters.db.care_models import HandoffRequest
from backend.adapters.db.care_repository import SqlCareUnitOfWork, set_policy
from backend.adapters.db.engine import build_engine
from backend.adapters.db.models import Conversation, Customer
from backend.services.agents import auth
from backend.services.agents import queue as q
from backend.services.agents.errors import (
    Conflict,
    Forbidden,
    LockedOut,
    LoginFailed,
    NotFound,
    SessionInvalid,
)
from backend.services.care.handoff import HandoffReason, RequestHandoff, request_handoff
from tests.integration.conftest import DATABASE_URL
from tests.integration.servicing_factories import a_tenant

pytestmark = pytest.mark.integration

# Wednesday 2 December 2026, 10:00 in Lagos: in support hours.
NOON = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine(migrated) -> Iterator[Engine]:
    engine = build_engine(DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture()
def sessions(engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture()
def tenant(sessions) -> uuid.UUID:
    return a_tenant(sessions)


def uow(sessions) -> SqlAgentUnitOfWork:
    return SqlAgentUnitOfWork(sessions)


def a_conversation(sessions, tenant_id, name: str = "Ngozi Okafor") -> uuid.UUID:
    with sessions.begin() as s:
        customer = Customer(tenant_id=tenant_id, locale="en_NG", currency="NGN", full_name=name)
        s.add(customer)
        s.flush()
        conversation = Conversation(
            tenant_id=tenant_id, customer_id=customer.id, channel="web", channel_identity=uuid.uuid4().hex
        )
        s.add(conversation)
        s.flush()
        return conversation.id


def an_agent(
    sessions, tenant_id, name: str, *, role: str = "agent", online: bool = False
) -> auth.AgentContext:
    cmd = auth.CreateAgent(
        tenant_id, f"{name.lower()}-{uuid.uuid4().hex[:6]}@t.test", name, role, "password-123456"
    )
    agent = auth.create_agent(cmd, uow(sessions), NOON)
    if online:
        with sessions.begin() as s:
            s.execute(update(Agent).where(Agent.id == agent.id).values(online=True))
    return auth.AgentContext(agent, "csrf", uuid.uuid4())


def waiting(sessions, tenant_id, reason=HandoffReason.CUSTOMER_REQUEST, at=NOON) -> uuid.UUID:
    conversation_id = a_conversation(sessions, tenant_id)
    request_handoff(RequestHandoff(tenant_id, conversation_id, reason), SqlCareUnitOfWork(sessions), at)
    return conversation_id


def handoff(sessions, conversation_id) -> HandoffRequest:
    with sessions() as s:
        return s.scalars(
            select(HandoffRequest)
            .where(HandoffRequest.conversation_id == conversation_id)
            .order_by(HandoffRequest.created_at.desc())
        ).first()


def actions(sessions, tenant_id) -> list[str]:
    with sessions() as s:
        return list(
            s.scalars(
                select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.seq)
            )
        )


# -- queue and assignment ----------------------------------------------------------------------------


def test_a_request_gets_sla_due_times_from_support_hours(sessions, tenant) -> None:
    conversation = waiting(sessions, tenant, HandoffReason.DISPUTE)
    row = handoff(sessions, conversation)
    assert row.priority == "high"
    assert row.first_response_due_at == NOON + timedelta(minutes=5)
    assert row.resolution_due_at == NOON + timedelta(hours=4)


def test_the_tenants_policy_sets_the_sla(sessions, tenant) -> None:
    with sessions.begin() as s:
        set_policy(s, tenant, "handoff", "", {"first_response_minutes": {"normal": 2}})
    row = handoff(sessions, waiting(sessions, tenant))
    assert row.first_response_due_at == NOON + timedelta(minutes=2)


def test_round_robin_gives_the_next_request_to_the_least_recently_assigned_online_agent(
    sessions, tenant
) -> None:
    ada = an_agent(sessions, tenant, "Ada", online=True)
    bola = an_agent(sessions, tenant, "Bola", online=True)
    an_agent(sessions, tenant, "Offline")  # never gets anything
    with sessions.begin() as s:  # Ada was assigned recently, Bola long ago
        s.execute(update(Agent).where(Agent.id == ada.agent.id).values(last_assigned_at=NOON))
        s.execute(
            update(Agent).where(Agent.id == bola.agent.id).values(last_assigned_at=NOON - timedelta(hours=1))
        )
    first = waiting(sessions, tenant, at=NOON)
    second = waiting(sessions, tenant, at=NOON + timedelta(seconds=1))
    third = waiting(sessions, tenant, at=NOON + timedelta(seconds=2))
    done = q.assign_waiting(uow(sessions), tenant, NOON + timedelta(minutes=1))
    assert len(done) == 3
    assert handoff(sessions, first).assigned_agent_id == bola.agent.id
    assert handoff(sessions, second).assigned_agent_id == ada.agent.id
    assert handoff(sessions, third).assigned_agent_id == bola.agent.id
    assert handoff(sessions, first).status == "assigned"
    assert actions(sessions, tenant).count("conversation.handoff_assigned") == 3


def test_disputes_and_hardship_are_assigned_before_older_normal_requests(sessions, tenant) -> None:
    normal = waiting(sessions, tenant, at=NOON)
    hardship = waiting(sessions, tenant, HandoffReason.HARDSHIP, at=NOON + timedelta(minutes=5))
    with sessions.begin() as s:
        set_policy(s, tenant, "handoff", "", {"max_open_per_agent": 1})
    agent = an_agent(sessions, tenant, "Solo", online=True)
    q.assign_waiting(uow(sessions), tenant, NOON + timedelta(minutes=6))
    assert handoff(sessions, hardship).assigned_agent_id == agent.agent.id
    assert handoff(sessions, normal).status == "waiting"  # the agent is full


def test_queue_position_and_expected_wait_in_and_out_of_hours(sessions, tenant) -> None:
    first = waiting(sessions, tenant, at=NOON)
    second = waiting(sessions, tenant, at=NOON + timedelta(seconds=1))
    info = q.queue_position(uow(sessions), second, NOON + timedelta(minutes=1))
    assert (info.position, info.in_hours, info.next_open_at) == (2, True, None)
    assert info.expected_wait_seconds == 240  # 2 places x 2 minutes with no history, one agent
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    closed = q.queue_position(uow(sessions), first, saturday)
    assert closed.position == 1 and not closed.in_hours and closed.expected_wait_seconds is None
    assert closed.next_open_at == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # Monday 08:00 Lagos
    assert q.queue_position(uow(sessions), a_conversation(sessions, tenant), NOON).position is None


# -- claim, transfer, reply, resolve, hand back ------------------------------------------------------


def test_two_agents_claiming_at_once_one_wins_the_other_gets_409(sessions, tenant) -> None:
    conversation = waiting(sessions, tenant)
    agents = [an_agent(sessions, tenant, f"A{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run(ctx: auth.AgentContext) -> None:
        barrier.wait()
        try:
            results.append(q.claim(uow(sessions), ctx, conversation, NOON).assigned_agent_id)
        except Conflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if isinstance(r, uuid.UUID)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].status == 409
    assert handoff(sessions, conversation).assigned_agent_id == winners[0]


def test_an_agent_may_take_a_conversation_nobody_asked_about(sessions, tenant) -> None:
    conversation = a_conversation(sessions, tenant)
    ada = an_agent(sessions, tenant, "Ada")
    row = q.claim(uow(sessions), ada, conversation, NOON)
    assert (row.status, row.reason, row.assigned_agent_id) == ("assigned", "agent", ada.agent.id)
    assert q.claim(uow(sessions), ada, conversation, NOON).id == row.id  # idempotent for the holder


def test_transfer_goes_only_to_an_agent_of_the_same_tenant(sessions, tenant) -> None:
    conversation = waiting(sessions, tenant)
    ada, bola = an_agent(sessions, tenant, "Ada"), an_agent(sessions, tenant, "Bola")
    stranger = an_agent(sessions, a_tenant(sessions), "Stranger")
    q.claim(uow(sessions), ada, conversation, NOON)
    with pytest.raises(NotFound):
        q.transfer(uow(sessions), ada, conversation, stranger.agent.id, NOON)
    moved = q.transfer(uow(sessions), ada, conversation, bola.agent.id, NOON)
    assert moved.assigned_agent_id == bola.agent.id
    with pytest.raises(Forbidden):  # Ada no longer holds it and is not a supervisor
        q.resolve(uow(sessions), ada, conversation, "done", NOON)
    assert "conversation.handoff_transferred" in actions(sessions, tenant)


def test_the_first_reply_records_the_first_response_once(sessions, tenant) -> None:
    conversation = waiting(sessions, tenant)
    ada = an_agent(sessions, tenant, "Ada")
    first = q.record_reply(uow(sessions), ada, conversation, NOON + timedelta(minutes=3))
    again = q.record_reply(uow(sessions), ada, conversation, NOON + timedelta(minutes=9))
    assert first.first_response_at == again.first_response_at == NOON + timedelta(minutes=3)
    assert actions(sessions, tenant).count("conversation.handoff_first_response") == 1


def test_resolve_and_hand_back_close_the_request_and_are_audited(sessions, tenant) -> None:
    one, two = waiting(sessions, tenant), waiting(sessions, tenant)
    ada = an_agent(sessions, tenant, "Ada")
    q.claim(uow(sessions), ada, one, NOON)
    q.claim(uow(sessions), ada, two, NOON)
    resolved = q.resolve(uow(sessions), ada, one, "refund explained", NOON + timedelta(minutes=20))
    back = q.hand_back(uow(sessions), ada, two, NOON + timedelta(minutes=21))
    assert (resolved.status, resolved.resolution_note) == ("resolved", "refund explained")
    assert back.status == "resolved" and back.resolved_at == NOON + timedelta(minutes=21)
    with pytest.raises(Conflict):  # nothing active any more
        q.hand_back(uow(sessions), ada, two, NOON)
    assert {"conversation.handoff_resolved", "conversation.handed_back"} <= set(actions(sessions, tenant))
    with sessions() as s:
        assert verify_chain(s, tenant).ok


def test_the_customer_can_cancel_a_waiting_request(sessions, tenant) -> None:
    conversation = waiting(sessions, tenant)
    assert q.cancel(uow(sessions), tenant, conversation, NOON).status == "cancelled"
    assert q.cancel(uow(sessions), tenant, conversation, NOON) is None


def test_another_tenants_conversation_looks_like_none(sessions, tenant) -> None:
    other = waiting(sessions, a_tenant(sessions))
    ada = an_agent(sessions, tenant, "Ada")
    with pytest.raises(NotFound):
        q.claim(uow(sessions), ada, other, NOON)
    assert handoff(sessions, other).status == "waiting"


# -- login and sessions ------------------------------------------------------------------------------


def slug_of(sessions, tenant_id) -> str:
    from backend.adapters.db.models import Tenant

    with sessions() as s:
        return s.get(Tenant, tenant_id).slug


def test_five_failures_lock_the_email_for_fifteen_minutes(sessions, tenant) -> None:
    ada = an_agent(sessions, tenant, "Ada")
    slug = slug_of(sessions, tenant)
    for _ in range(5):
        with pytest.raises(LoginFailed):
            auth.login(slug, ada.agent.email, "wrong-password", uow(sessions), NOON)
    with pytest.raises(LockedOut) as locked:
        auth.login(slug, ada.agent.email, "password-123456", uow(sessions), NOON + timedelta(minutes=14))
    assert 60 <= locked.value.retry_after_seconds <= 61
    issued = auth.login(
        slug, ada.agent.email.upper(), "password-123456", uow(sessions), NOON + timedelta(minutes=16)
    )
    assert issued.agent.id == ada.agent.id
    assert "agent.locked_out" in actions(sessions, tenant)


def test_an_unknown_email_or_tenant_fails_like_a_wrong_password(sessions, tenant) -> None:
    with pytest.raises(LoginFailed):
        auth.login(slug_of(sessions, tenant), "nobody@t.test", "x", uow(sessions), NOON)
    with pytest.raises(LoginFailed):
        auth.login("no-such-tenant", "nobody@t.test", "x", uow(sessions), NOON)


def test_a_session_expires_after_twelve_idle_hours_and_each_use_extends_it(sessions, tenant) -> None:
    ada = an_agent(sessions, tenant, "Ada")
    issued = auth.login(slug_of(sessions, tenant), ada.agent.email, "password-123456", uow(sessions), NOON)
    later = NOON + timedelta(hours=11)
    assert auth.authenticate(issued.token, uow(sessions), later).agent.id == ada.agent.id
    # used at +11 h, so still valid at +22 h, and expired 12 h after that use
    auth.authenticate(issued.token, uow(sessions), NOON + timedelta(hours=22))
    with pytest.raises(SessionInvalid):
        auth.authenticate(issued.token, uow(sessions), NOON + timedelta(hours=34, minutes=1))
    with pytest.raises(SessionInvalid):
        auth.authenticate("forged", uow(sessions), NOON)


def test_an_email_is_unique_per_tenant(sessions, tenant) -> None:
    cmd = auth.CreateAgent(tenant, "same@t.test", "Same", "agent", "password-123456")
    auth.create_agent(cmd, uow(sessions), NOON)
    with pytest.raises(Conflict):
        auth.create_agent(cmd, uow(sessions), NOON)
    auth.create_agent(
        auth.CreateAgent(a_tenant(sessions), "same@t.test", "Same", "agent", "password-123456"),
        uow(sessions),
        NOON,
    )


def test_the_worker_beat_runs_the_assignment_every_thirty_seconds() -> None:
    from backend.worker import agent_tasks
    from backend.worker.app import celery_app

    entry = celery_app.conf.beat_schedule["assign-waiting-handoffs"]
    assert entry["task"] == agent_tasks.assign_waiting_handoffs.name == "agents.assign_waiting"
    assert entry["schedule"] == timedelta(seconds=30)
    assert "backend.worker.agent_tasks" in celery_app.conf.include
