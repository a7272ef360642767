"""The ports use cases are written against; adapters implement them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol, Self


@dataclass(frozen=True, slots=True)
class EligibilityRecord:
    tenant_id: uuid.UUID
    conversation_id: uuid.UUID | None
    business_type: str
    revenue_minor: int
    currency: str
    eligible: bool
    limit_minor: int | None
    rule_version: str


class EligibilityChecks(Protocol):
    def add(self, record: EligibilityRecord) -> None: ...


class Conversations(Protocol):
    def customer_locale(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> str | None:
        """The locale of the customer behind a conversation of this tenant, if it exists."""
        ...


class UnitOfWork(Protocol):
    eligibility_checks: EligibilityChecks
    conversations: Conversations

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
