"""The sandbox messaging provider: 'sends' by writing to the outbox table.

It is the default so that `make run` and the tests exercise the whole outbound path with no
provider account; the outbox row is what a live provider's message resource would hold."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.adapters.db.models import OutboxEntry


class SandboxMessenger:
    name = "sandbox"

    def send(
        self, session: Session, message_id: int, channel: str, recipient: str, body: dict[str, Any]
    ) -> str:
        """Idempotent on the message id: a second send of the same message records nothing new."""
        existing = session.scalar(select(OutboxEntry).where(OutboxEntry.message_id == message_id))
        if existing is None:
            existing = OutboxEntry(message_id=message_id, channel=channel, recipient=recipient, body=body)
            session.add(existing)
            session.flush()
        return str(existing.id)
