"""Celery tasks. Each is idempotent: a redelivery finds the work done and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars

from backend.adapters.messaging.sandbox import SandboxMessenger
from backend.components import Components
from backend.gateway import outbound
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
