"""Tables origination adds beside the lifecycle tables: the tenant's underwriting rule sets.

A rule set is stored as the YAML text the credit lead wrote, one row per version, because a
decision names the version it was made under and `replay` needs exactly that text years later.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.adapters.db.models import Base, utcnow


class RuleSetRow(Base):
    __tablename__ = "rulesets"
    __table_args__ = (UniqueConstraint("tenant_id", "ruleset_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    ruleset_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
