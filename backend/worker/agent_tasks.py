"""The handoff queue's beat: waiting requests go to online agents even when nothing else happens
(an agent's conversation was resolved, freeing room under `max_open_per_agent`)."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.adapters.db.agent_repository import SqlAgentUnitOfWork
from backend.services.agents.queue import assign_all_tenants
from backend.worker.app import celery_app
from backend.worker.tasks import components


@celery_app.task(name="agents.assign_waiting")
def assign_waiting_handoffs() -> int:
    """Round-robin for every tenant with waiting requests; returns how many were assigned."""
    sessions = components().sessions
    return assign_all_tenants(lambda: SqlAgentUnitOfWork(sessions), datetime.now(UTC))
