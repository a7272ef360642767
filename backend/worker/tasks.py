"""Celery tasks. Each is idempotent: a redelivery finds the work done and changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars

from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork
from backend.adapters.messaging.base import SendError
from backend.adapters.rasa import RasaUnavailable
from backend.components import Components
from backend.gateway import channels, delivery, outbound, pipeline
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
    """A message the business or the backend sends first (a notice, an agent's reply), through
    the conversation's channel (sandbox outbox unless the provider is configured)."""
    clear_contextvars()
    bind_contextvars(request_id=request_id, task="outbound.deliver")
    return delivery.deliver_message(components().sessions, message_id, channel_routes())


@cache
def channel_routes() -> Any:
    return channels.routes(components().settings)


@cache
def seen_marker() -> Any:
    return channels.seen_marker(components().settings)


# Nobody reads its return value: with a result backend configured, storing it would also cost the
# webhook a result-channel subscription per message it enqueues (ignore_result skips both).
@celery_app.task(name="inbound.process", bind=True, max_retries=None, ignore_result=True)
def process_inbound(self: Any, conversation_id: str, request_id: str | None = None) -> int:
    """Answer a conversation's stored messages in order, then send the replies in order.

    Rasa down: the one "we'll be right back" message goes out and the task retries with backoff
    (in the embedded default, where tasks run in the web process, the beat sweep retries
    instead). A transient provider failure retries the sending only: what was sent stays sent."""
    clear_contextvars()
    bind_contextvars(request_id=request_id, task="inbound.process", conversation_id=conversation_id)
    c = components()
    conversation = uuid.UUID(conversation_id)
    try:
        answered = pipeline.process_conversation(
            c.sessions,
            c.rasa,
            conversation,
            fetch_media=channels.fetcher(c.settings),
            menu_choice=channels.menu_choice,
            mark_seen=seen_marker(),
        )
    except RasaUnavailable as exc:
        _send_pending(self, conversation)
        if self.request.is_eager:
            log.warning("inbound_deferred", conversation_id=conversation_id, error=str(exc))
            return 0
        raise self.retry(exc=exc, countdown=min(300, 5 * 2 ** min(self.request.retries, 6))) from exc
    _send_pending(self, conversation)
    return len(answered)


def _send_pending(task: Any, conversation: uuid.UUID) -> None:
    c = components()
    for message_id in delivery.pending(c.sessions, conversation):
        try:
            delivery.deliver_message(c.sessions, message_id, channel_routes())
        except SendError as exc:
            if task.request.is_eager:
                log.warning("send_deferred", message_id=message_id, error=str(exc))
                return
            raise task.retry(exc=exc, countdown=min(120, 2 * 2 ** min(task.request.retries, 6))) from exc


@celery_app.task(name="inbound.sweep")
def sweep_inbound() -> int:
    """Conversations with a message stored but not answered for 20 s (Rasa or the worker was
    down, a task was lost): process them again."""
    conversations = pipeline.unanswered(components().sessions, older_than=timedelta(seconds=20))
    for conversation_id in conversations:
        process_inbound.delay(str(conversation_id))
    return len(conversations)


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
