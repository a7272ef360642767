"""Idempotency-Key handling: a retried request returns the first result, never a second effect.

A key is first *claimed* (a committed in-flight record), so a concurrent request with the same key
finds the claim and gets 409 instead of running the operation twice. The operation then runs in
its own transaction, which also stores its response on the claim: either both land or neither
does. A failed operation releases its claim so the client can retry; a claim left by a crashed
process is taken over once it is older than IN_FLIGHT_TIMEOUT.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import IdempotencyRecord, utcnow
from backend.api.deps import TenantContext
from backend.api.errors import Problem

MAX_KEY = 200
IN_FLIGHT = 0  # status_code of a claimed key whose operation has not finished
IN_FLIGHT_TIMEOUT = timedelta(minutes=2)


def fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _find(session: Session, tenant: TenantContext, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.tenant_id == tenant.id, IdempotencyRecord.key == key
        )
    )


def _settle(session: Session, record: IdempotencyRecord, request_fingerprint: str) -> dict[str, Any] | None:
    """The stored response for a replay; None when an abandoned claim was released for takeover."""
    if record.request_fingerprint != request_fingerprint:
        raise Problem(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was already used with a different request body.",
        )
    if record.status_code != IN_FLIGHT:
        return record.response_body
    if utcnow() - _aware(record.created_at) < IN_FLIGHT_TIMEOUT:
        raise Problem(
            409,
            "idempotency-key-in-flight",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            {"Retry-After": "1"},
        )
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.id == record.id, IdempotencyRecord.status_code == IN_FLIGHT
        )
    )
    session.commit()
    return None


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _claim(
    sessions: sessionmaker[Session], tenant: TenantContext, key: str, request_fingerprint: str
) -> tuple[IdempotencyRecord | None, dict[str, Any] | None]:
    """Claim the key, or return the first response stored under it."""
    for _ in range(2):  # a second pass after taking over an abandoned claim
        with sessions() as session:
            claim = IdempotencyRecord(
                tenant_id=tenant.id,
                key=key,
                request_fingerprint=request_fingerprint,
                status_code=IN_FLIGHT,
                response_body={},
            )
            session.add(claim)
            try:
                session.commit()
                return claim, None
            except IntegrityError:
                session.rollback()
            existing = _find(session, tenant, key)
            if existing is None:
                continue  # released between our insert and our read: claim again
            replay = _settle(session, existing, request_fingerprint)
            if replay is not None:
                return None, replay
    raise Problem(409, "idempotency-key-in-flight", "This Idempotency-Key is contended; retry shortly.")


def once(
    sessions: sessionmaker[Session],
    tenant: TenantContext,
    key: str | None,
    body: Any,
    operation: Callable[[Session], dict[str, Any]],
) -> dict[str, Any]:
    """Run `operation(session)` at most once per (tenant, key); the operation must not commit."""
    if key is None:
        with sessions() as session:
            result = operation(session)
            session.commit()
            return result
    if not key or len(key) > MAX_KEY:
        raise Problem(400, "invalid-idempotency-key", f"Idempotency-Key must be 1-{MAX_KEY} characters.")
    claim, replay = _claim(sessions, tenant, key, fingerprint(body))
    if replay is not None:
        return replay
    assert claim is not None
    try:
        with sessions() as session:
            result = operation(session)
            session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == claim.id)
                .values(status_code=200, response_body=result)
            )
            session.commit()
            return result
    except BaseException:
        with sessions.begin() as session:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == claim.id))
        raise
