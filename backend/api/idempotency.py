"""Idempotency-Key handling: a retried request returns the first result, never a second effect.

The record is written in the same transaction as the operation's own writes, so either both land
or neither does; a concurrent duplicate loses the unique-constraint race and reads the winner's."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import IdempotencyRecord
from backend.api.deps import TenantContext
from backend.api.errors import Problem

MAX_KEY = 200


def fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _replay(record: IdempotencyRecord, request_fingerprint: str) -> dict[str, Any]:
    if record.request_fingerprint != request_fingerprint:
        raise Problem(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was already used with a different request body.",
        )
    return record.response_body


def once(
    sessions: sessionmaker[Session],
    tenant: TenantContext,
    key: str | None,
    body: Any,
    operation: Callable[[Session], dict[str, Any]],
) -> dict[str, Any]:
    """Run `operation(session)` once per (tenant, key); the operation must not commit."""
    if key is not None and (not key or len(key) > MAX_KEY):
        raise Problem(400, "invalid-idempotency-key", f"Idempotency-Key must be 1-{MAX_KEY} characters.")
    request_fingerprint = fingerprint(body)
    with sessions() as session:
        if key is not None:
            existing = session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.tenant_id == tenant.id, IdempotencyRecord.key == key
                )
            )
            if existing is not None:
                return _replay(existing, request_fingerprint)
        result = operation(session)
        if key is not None:
            session.add(
                IdempotencyRecord(
                    tenant_id=tenant.id,
                    key=key,
                    request_fingerprint=request_fingerprint,
                    status_code=200,
                    response_body=result,
                )
            )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            winner = session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.tenant_id == tenant.id, IdempotencyRecord.key == key
                )
            )
            if winner is None:
                raise
            return _replay(winner, request_fingerprint)
    return result
