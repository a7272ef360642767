"""The notifications port over the conversation gateway: a proactive message goes to the
customer's most recent conversation (the channel they last used), stored as an outbound bot
message and delivered by the worker like any other (`backend.gateway.outbound.queue_message`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import Conversation
from backend.gateway.outbound import queue_message

log = structlog.get_logger(__name__)


class ConversationNotifier:
    def __init__(
        self, sessions: sessionmaker[Session], enqueue: Callable[[int], None], request_id: str | None = None
    ) -> None:
        self._sessions = sessions
        self._enqueue = enqueue
        self._request_id = request_id

    def latest_conversation(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> uuid.UUID | None:
        with self._sessions() as session:
            return session.scalar(
                select(Conversation.id)
                .where(Conversation.tenant_id == tenant_id, Conversation.customer_id == customer_id)
                .order_by(Conversation.last_message_at.desc(), Conversation.created_at.desc())
                .limit(1)
            )

    def notify(self, tenant_id: uuid.UUID, customer_id: uuid.UUID, text: str) -> bool:
        conversation_id = self.latest_conversation(tenant_id, customer_id)
        if conversation_id is None:
            log.info("notification_without_conversation", customer_id=str(customer_id))
            return False
        # Proactive: a customer who said "stop" on that conversation gets no notices there.
        message_id = queue_message(
            self._sessions,
            tenant_id,
            conversation_id,
            text,
            "bot",
            self._request_id,
            self._enqueue,
            proactive=True,
        )
        return message_id is not None
