"""Every mapped table, registered on one metadata: what Alembic compares migrations against."""

from __future__ import annotations

from backend.adapters.db import (
    agent_models,
    audit,
    care_models,
    ledger_models,
    lending_models,
    onboarding_models,
    origination_models,
    payment_models,
    servicing_models,
    widget_models,
)
from backend.adapters.db.models import Base

metadata = Base.metadata
MODEL_MODULES = (
    agent_models,
    audit,
    ledger_models,
    lending_models,
    origination_models,
    payment_models,
    onboarding_models,
    care_models,
    servicing_models,
    widget_models,
)
