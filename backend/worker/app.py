"""The Celery application: Redis as broker in production, in-process tasks in the embedded default.

With no REDIS_URL, tasks sent by the backend run eagerly in the sending process and the worker
process still runs beat (periodic sweeps) over a filesystem broker under var/, so `make run` needs
no broker at all."""

from __future__ import annotations

from datetime import timedelta

from celery import Celery, signals
from celery.schedules import crontab

from backend.observability import configure_logging
from backend.settings import VAR_DIR, Settings, get_settings


def make_celery(settings: Settings) -> Celery:
    app = Celery("credit_assistant", include=["backend.worker.tasks", "backend.worker.agent_tasks"])
    if settings.redis_url:
        app.conf.broker_url = settings.redis_url
        app.conf.result_backend = settings.redis_url
    else:
        queue = VAR_DIR / "celery" / "queue"
        for folder in ("processed", "control"):
            (VAR_DIR / "celery" / folder).mkdir(parents=True, exist_ok=True)
        queue.mkdir(parents=True, exist_ok=True)
        app.conf.broker_url = "filesystem://"
        app.conf.broker_transport_options = {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(VAR_DIR / "celery" / "processed"),
            "control_folder": str(VAR_DIR / "celery" / "control"),
        }
        app.conf.task_always_eager = True
        app.conf.task_eager_propagates = True
    app.conf.task_default_queue = settings.celery_queue
    app.conf.update(
        task_acks_late=True,  # a task lost with its worker is redelivered; tasks are idempotent
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        beat_schedule_filename=str(VAR_DIR / "celerybeat-schedule"),
        beat_schedule={
            "resend-stale-outbound": {"task": "outbound.resend_stale", "schedule": timedelta(minutes=1)},
            # Inbound messages stored while Rasa or the worker was down are answered when back.
            "sweep-unanswered-inbound": {"task": "inbound.sweep", "schedule": timedelta(seconds=30)},
            # Shortly after midnight UTC (the business date's clock), once the day's dues exist.
            "servicing-daily": {"task": "servicing.daily", "schedule": crontab(hour=0, minute=15)},
            # Waiting handoff requests to online agents (round-robin), beside the event triggers.
            "assign-waiting-handoffs": {"task": "agents.assign_waiting", "schedule": timedelta(seconds=30)},
        },
        broker_connection_retry_on_startup=True,
    )
    return app


celery_app = make_celery(get_settings())


@signals.setup_logging.connect
def _configure_worker_logging(**_: object) -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format, process="worker")
