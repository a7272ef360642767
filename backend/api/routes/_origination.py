"""Shared plumbing of the origination routers: the tenant's unit of work, the clock, the mapping
of use-case refusals to problem+json, and cursor helpers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from backend.adapters.db.origination_repository import SqlOriginationUow
from backend.api.deps import TenantContext
from backend.api.errors import Problem
from backend.api.paging import decode_cursor, encode_cursor
from backend.services.origination.errors import Conflict, Invalid, NotFound, OriginationError, SigningLocked


def now() -> datetime:
    return datetime.now(UTC)


def uow_in(session: Session, tenant: TenantContext) -> SqlOriginationUow:
    """Joins the idempotency transaction, so the effect and its stored response commit together."""
    return SqlOriginationUow.joining(session, tenant.id)


def uow_for(sessions: object, tenant: TenantContext) -> SqlOriginationUow:
    return SqlOriginationUow(tenant.id, sessions)  # type: ignore[arg-type]


_STATUS = {NotFound: (404, "not-found"), Invalid: (422, "invalid"), Conflict: (409, "conflict")}


@contextmanager
def problems() -> Iterator[None]:
    try:
        yield
    except SigningLocked as exc:
        raise Problem(423, "signing-locked", exc.detail, **exc.extra) from exc
    except OriginationError as exc:
        status, slug = _STATUS.get(type(exc), (400, "bad-request"))
        raise Problem(status, slug, exc.detail, **exc.extra) from exc


def parse_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    key = decode_cursor(cursor, 2)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(key[0]), uuid.UUID(key[1])
    except ValueError as exc:
        raise Problem(400, "invalid-cursor", "The cursor is not one this API issued.") from exc


def next_cursor(rows: list[object], limit: int) -> str | None:
    if len(rows) < limit:
        return None
    last = rows[-1]
    return encode_cursor(last.created_at.isoformat(), last.id)  # type: ignore[attr-defined]
