"""The hash-chained audit log on PostgreSQL."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from backend.adapters.db import audit
from backend.adapters.db.engine import build_engine, build_session_factory
from backend.adapters.db.models import Tenant


@pytest.fixture()
def sessions(migrated):
    engine = build_engine(migrated)
    yield build_session_factory(engine)
    engine.dispose()


@pytest.fixture()
def tenant_id(sessions) -> uuid.UUID:
    """A tenant of its own, so each test's chain starts at the genesis link."""
    with sessions.begin() as session:
        tenant = Tenant(
            slug=f"audit-{uuid.uuid4().hex[:8]}", name="Audit", default_locale="en_NG", default_currency="NGN"
        )
        session.add(tenant)
        session.flush()
        return tenant.id


def append(sessions, tenant_id, n: int) -> None:
    for i in range(n):
        with sessions.begin() as session:
            audit.append(session, tenant_id, actor="test", action="loan.updated", subject_type="loan",
                         subject_id=str(i), data={"step": i, "amount_minor": 1000 * i})  # fmt: skip


def test_a_chain_of_appends_verifies(sessions, tenant_id):
    append(sessions, tenant_id, 5)
    with sessions() as session:
        assert audit.verify_chain(session, tenant_id) == audit.ChainCheck(True, 5)


def test_an_audit_row_cannot_be_changed_or_deleted(sessions, tenant_id):
    append(sessions, tenant_id, 2)
    for statement in (
        "UPDATE audit_log SET action = 'tampered' WHERE tenant_id = :t",
        "DELETE FROM audit_log WHERE tenant_id = :t",
    ):
        with sessions() as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement), {"t": tenant_id})
            session.flush()


def test_tampering_behind_the_triggers_is_found_at_the_first_broken_link(sessions, tenant_id):
    append(sessions, tenant_id, 4)
    with sessions.begin() as session:
        session.execute(
            text("SET LOCAL session_replication_role = replica")
        )  # a superuser bypassing triggers
        session.execute(
            text("UPDATE audit_log SET data = '{\"step\": 99}' WHERE tenant_id = :t AND seq = 3"),
            {"t": tenant_id},
        )
    with sessions() as session:
        check = audit.verify_chain(session, tenant_id)
    assert not check.ok and check.first_broken_seq == 3


def test_concurrent_appends_make_one_unbroken_chain(sessions, tenant_id):
    def one(i: int) -> None:
        with sessions.begin() as session:
            audit.append(session, tenant_id, actor="t", action="a", subject_type="s", subject_id=str(i))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(40)))
    with sessions() as session:
        assert audit.verify_chain(session, tenant_id) == audit.ChainCheck(True, 40)
        seqs = session.scalars(
            select(audit.AuditEntry.seq).where(audit.AuditEntry.tenant_id == tenant_id)
        ).all()
    assert sorted(seqs) == list(range(1, 41))
