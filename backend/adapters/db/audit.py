"""The append-only audit log, hash-chained per tenant.

Each row's hash covers its content and the previous row's hash, so removing or editing any row
breaks every hash after it: `verify_chain` finds the first broken link. Appends take the tenant's
chain head row lock, which serialises them per tenant for exactly as long as the business
transaction that writes them (an audit row commits with the state change it records, or not at
all). On PostgreSQL a trigger also refuses UPDATE and DELETE.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.adapters.db.models import Base, utcnow

GENESIS = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("tenant_id", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The newest link of each tenant's chain: the row appends lock and advance."""

    __tablename__ = "audit_heads"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


# Built once and on the Table: executing it skips the ORM's bulk-insert machinery.
_INSERT_ENTRY = insert(AuditEntry.__table__)
_HEADS = AuditHead.__table__
_LOCK_HEAD = (
    select(_HEADS.c.seq, _HEADS.c.hash).where(_HEADS.c.tenant_id == bindparam("tenant_id")).with_for_update()
)
_ADVANCE_HEAD = update(AuditHead.__table__).where(AuditHead.__table__.c.tenant_id == bindparam("b_tenant_id"))
# PostgreSQL: the new link and the head's advance in one statement (one round trip, not two).
_LINK_AND_ADVANCE = text(
    """
    WITH link AS (
        INSERT INTO audit_log
            (tenant_id, seq, actor, action, subject_type, subject_id, data, created_at, prev_hash, hash)
        VALUES (:tenant_id, :seq, :actor, :action, :subject_type, :subject_id, :data, :created_at,
                :prev_hash, :hash)
    )
    UPDATE audit_heads SET seq = :seq, hash = :hash WHERE tenant_id = :tenant_id
    """
).bindparams(bindparam("data", type_=JSON()))


def link_hash(prev_hash: str, seq: int, tenant_id: uuid.UUID, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the row (sorted keys, no spaces)."""
    canonical = json.dumps(
        {"prev": prev_hash, "seq": seq, "tenant": str(tenant_id), **fields},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fields(
    actor: str, action: str, subject_type: str, subject_id: str, data: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "data": data,
        # UTC, naive: PostgreSQL hands back the session's time zone, SQLite no zone at all.
        "created_at": (at.astimezone(UTC) if at.tzinfo else at)
        .replace(tzinfo=None)
        .isoformat(timespec="microseconds"),
    }


def append(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Add the next link in the caller's transaction (the caller commits).

    Statements, not ORM objects: the row is never read back in the caller's unit of work, and the
    head is read as plain columns under its row lock, so nothing here costs a flush. Nothing reads
    the head as an ORM object either (`verify_chain` reads columns), so no loaded copy can go
    stale when the head advances."""
    head = _locked_head(session, tenant_id)
    if head is None:
        try:
            with session.begin_nested():
                session.execute(insert(AuditHead).values(tenant_id=tenant_id, seq=0, hash=GENESIS))
        except IntegrityError:
            pass  # another transaction started this tenant's chain first: wait for its lock below
        head = _locked_head(session, tenant_id)
        assert head is not None
    prev_seq, prev_hash = head
    at = utcnow()
    payload = data or {}
    seq = prev_seq + 1
    digest = link_hash(
        prev_hash, seq, tenant_id, _fields(actor, action, subject_type, subject_id, payload, at)
    )
    link = {
        "tenant_id": tenant_id,
        "seq": seq,
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "data": payload,
        "created_at": at,
        "prev_hash": prev_hash,
        "hash": digest,
    }
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(_LINK_AND_ADVANCE, link)
        return
    session.connection().execute(_INSERT_ENTRY, link)
    session.connection().execute(_ADVANCE_HEAD, {"b_tenant_id": tenant_id, "seq": seq, "hash": digest})


class SqlAudit:
    """The audit port of every unit of work. Origination's is bound to the request's tenant
    (`SqlAudit(session, tenant_id)`, `append(actor=...)`); servicing's names the tenant per call
    (`append(tenant_id, actor=...)`) because its use cases may serve several tenants' loans in
    one process. One class serves both; a call naming a tenant other than the bound one is a bug
    that would write into another tenant's chain, so it is refused."""

    def __init__(self, session: Session, tenant_id: uuid.UUID | None = None) -> None:
        self._session, self._tenant_id = session, tenant_id

    def append(
        self,
        tenant_id: uuid.UUID | None = None,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        data: dict[str, Any],
    ) -> None:
        tenant = tenant_id or self._tenant_id
        if tenant is None:
            raise ValueError("an audit row needs a tenant")
        if self._tenant_id is not None and tenant != self._tenant_id:
            raise ValueError(f"audit bound to tenant {self._tenant_id}, asked to write for {tenant}")
        append(
            self._session,
            tenant,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            data=data,
        )


def _locked_head(session: Session, tenant_id: uuid.UUID) -> tuple[int, str] | None:
    """The tenant's chain head (seq, hash), its row locked until the caller's transaction ends."""
    row = session.connection().execute(_LOCK_HEAD, {"tenant_id": tenant_id}).first()
    return None if row is None else (row.seq, row.hash)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    ok: bool
    rows: int
    first_broken_seq: int | None = None


def verify_chain(session: Session, tenant_id: uuid.UUID) -> ChainCheck:
    """Recompute every link; report the first row whose hash or predecessor does not match."""
    prev, expected_seq, rows = GENESIS, 1, 0
    for row in session.scalars(
        select(AuditEntry).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.seq)
    ):
        fields = _fields(row.actor, row.action, row.subject_type, row.subject_id, row.data, row.created_at)
        if (
            row.seq != expected_seq
            or row.prev_hash != prev
            or row.hash != link_hash(prev, row.seq, tenant_id, fields)
        ):
            return ChainCheck(False, rows, row.seq if row.seq == expected_seq else expected_seq)
        prev, expected_seq, rows = row.hash, expected_seq + 1, rows + 1
    head = session.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.tenant_id == tenant_id)
    ).first()
    if head is not None and (head.seq != rows or head.hash != prev):
        return ChainCheck(False, rows, rows + 1)  # rows cut from the end of the chain
    return ChainCheck(True, rows)
