"""Celery tasks. Each is idempotent: a redelivery finds the work done and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars

from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork
from backend.adapters.messaging.sandbox import SandboxMessenger
from backend.components import Components
from backend.gateway import outbound
from backend.services.servicing.daily import run_daily
from backend.settings import get_settings
from backend.worker.app import celery_app

log = structlog.get_logger(__name__)


@cache
def components() -> Components:
    """Built on first use in each worker process (never at import, never shared across a fork)."""
    return Components.build(get_settings())


@celery_app.task(name="outbound.deliver", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_outbound(message_id: int, request_id: str | None = None) -> str:
    clear_contextvars()
    bind_contextvars(request_id=request_id, task="outbound.deliver")
    return outbound.deliver(components().sessions, message_id, SandboxMessenger())


@celery_app.task(name="outbound.resend_stale")
def resend_stale() -> int:
    ids = outbound.stale_queued(components().sessions, older_than=timedelta(minutes=2))
    for message_id in ids:
        deliver_outbound.delay(message_id)
    if ids:
        log.info("resent_stale_outbound", count=len(ids))
    return len(ids)


@celery_app.task(name="servicing.daily")
def servicing_daily(on: str | None = None) -> dict[str, Any]:
    """Beat's daily servicing pass (interest due, credit, late fees) for every active loan, a page
    of loans per transaction (`backend.services.servicing.daily`).
    `on` (YYYY-MM-DD) back-dates a run; by default it is today's UTC business date, the same
    clock the API uses. Safe to run twice: every step is idempotent on its transfer ids."""
    clear_contextvars()
    bind_contextvars(task="servicing.daily")
    day = date.fromisoformat(on) if on else datetime.now(UTC).date()
    sessions = components().sessions
    run = run_daily(day, lambda: SqlServicingUnitOfWork(sessions))
    for loan_id, error in run.failed:
        log.error("servicing_daily_loan_failed", loan_id=str(loan_id), error=error)
    log.info(
        "servicing_daily", on=day.isoformat(), loans=run.loans, pages=run.pages,
        credit_applied=run.credit_applied, late_fees=run.late_fees, failed=len(run.failed),
    )  # fmt: skip
    return {
        "on": day.isoformat(),
        "loans": run.loans,
        "pages": run.pages,
        "credit_applied": run.credit_applied,
        "late_fees": run.late_fees,
        "failed": [str(loan_id) for loan_id, _ in run.failed],
    }
