"""SQLAlchemy unit of work: one session, one transaction, committed only when asked."""

from __future__ import annotations

import uuid
from typing import Self

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import Conversation, Customer, EligibilityCheck
from backend.services.ports import EligibilityRecord


class SqlEligibilityChecks:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: EligibilityRecord) -> None:
        self._session.add(
            EligibilityCheck(
                tenant_id=record.tenant_id,
                conversation_id=record.conversation_id,
                business_type=record.business_type,
                revenue_minor=record.revenue_minor,
                currency=record.currency,
                eligible=record.eligible,
                limit_minor=record.limit_minor,
                rule_version=record.rule_version,
            )
        )


class SqlConversations:
    def __init__(self, session: Session) -> None:
        self._session = session

    def customer_locale(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> str | None:
        return self._session.scalar(
            select(Customer.locale)
            .join(Conversation, Conversation.customer_id == Customer.id)
            .where(Conversation.id == conversation_id, Conversation.tenant_id == tenant_id)
        )


class SessionUnitOfWork:
    """Owns a session and its transaction; or, made with `joining`, takes part in an outer one
    (an idempotent request commits the operation and its idempotency record together).

    Subclasses attach their repositories to the session in `_bind`."""

    def __init__(
        self, sessions: sessionmaker[Session] | None = None, *, session: Session | None = None
    ) -> None:
        self._sessions = sessions
        self._outer = session

    @classmethod
    def joining(cls, session: Session) -> Self:
        return cls(session=session)

    def _bind(self, session: Session) -> None:
        """Create the repositories this unit of work offers."""

    def __enter__(self) -> Self:
        if self._outer is not None:
            self.session = self._outer
        else:
            assert self._sessions is not None
            self.session = self._sessions()
        self._bind(self.session)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._outer is None:
            self.session.rollback()
            self.session.close()

    def commit(self) -> None:
        if self._outer is None:
            self.session.commit()
        else:
            self.session.flush()


class SqlUnitOfWork(SessionUnitOfWork):
    """The eligibility quote's unit of work."""

    def _bind(self, session: Session) -> None:
        self.eligibility_checks = SqlEligibilityChecks(session)
        self.conversations = SqlConversations(session)
