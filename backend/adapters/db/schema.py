"""Every mapped table, registered on one metadata: what Alembic compares migrations against."""

from __future__ import annotations

from backend.adapters.db import audit, ledger_models, lending_models, origination_models
from backend.adapters.db.models import Base

metadata = Base.metadata
MODEL_MODULES = (audit, ledger_models, lending_models, origination_models)
