"""The FastAPI application factory: `uvicorn backend.api.app:create_app --factory`."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from backend.api.errors import install_error_handlers
from backend.api.middleware import RequestIdMiddleware
from backend.api.routes import (
    agreement_documents,
    assist,
    bank_accounts,
    calculators,
    channel_webhooks,
    chat_page,
    conversations,
    eligibility,
    health,
    payments,
    web_channel,
)
from backend.api.routes import agreements as origination_agreements
from backend.api.routes import applications as origination_applications
from backend.api.routes import catalog as origination_catalog
from backend.api.routes import customers as origination_customers
from backend.api.routes import documents as onboarding_documents
from backend.api.routes import onboarding as onboarding_routes
from backend.api.routes.agent_console_api import router as agent_console_api_router
from backend.api.routes.agent_pages import router as agent_pages_router
from backend.api.routes.agents import router as agents_router
from backend.api.routes.credit_lines import router as credit_lines_router
from backend.api.routes.credit_refunds import router as credit_refunds_router
from backend.api.routes.disbursements import router as disbursements_router
from backend.api.routes.disputes import policy_router as dispute_policy_router
from backend.api.routes.disputes import router as disputes_router
from backend.api.routes.handoff import router as handoff_router
from backend.api.routes.hardship import policy_router as hardship_policy_router
from backend.api.routes.hardship import router as hardship_router
from backend.api.routes.ledger import router as ledger_router
from backend.api.routes.loans import router as loans_router
from backend.api.routes.widget import router as widget_router
from backend.api.web_push import OutboundWatch, listen_url
from backend.components import Components
from backend.gateway.router import ConversationGateway
from backend.observability import configure_logging
from backend.services.assist.answers import answer
from backend.services.assist.knowledge import KNOWLEDGE_ROOT
from backend.settings import Settings, get_settings

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"


def warm_up(components: Components) -> None:
    """Pay the first request's costs before taking traffic: the worker's task module (the webhooks
    enqueue into it), a database connection, with a broker the producer's connection, and the
    knowledge bases' search indexes. Without this the first webhooks after a start wait most of a
    second, long enough for a provider to redeliver them."""
    from backend.worker.app import celery_app
    from backend.worker.tasks import process_inbound  # noqa: F401 - imported for its cost

    with contextlib.suppress(Exception), components.engine.connect() as conn:  # /readyz reports it
        conn.exec_driver_sql("SELECT 1")
    if not celery_app.conf.task_always_eager:
        with contextlib.suppress(Exception), celery_app.producer_or_acquire():
            pass
    # The knowledge bases' indexes (built on first use, about 40 ms each, and far longer under
    # load): a request that builds one holds the GIL that the webhooks' threads need.
    folders = KNOWLEDGE_ROOT.iterdir() if KNOWLEDGE_ROOT.is_dir() else iter(())
    tenants = sorted(p.name for p in folders if p.is_dir())
    for tenant in tenants:
        with contextlib.suppress(Exception):
            answer("How do I repay?", tenant)
    # What start-up built (routes, mappers, compiled statements) lives as long as the process:
    # moved out of the collector's sight, a full collection no longer walks it in the middle of
    # a request.
    gc.collect()
    gc.freeze()
    # A request thread coming back from the database waits for the GIL while another request's
    # thread computes; Python's default lets that one run on for 5 ms, once per statement. The
    # webhooks' acknowledgement is a handful of short statements, so hand over sooner.
    sys.setswitchinterval(0.001)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format, process="backend")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        components = Components.build(settings)
        warm_up(components)
        app.state.components = components
        # every web chat event stream of this process is fed by one poll of the database
        app.state.web_push = OutboundWatch(
            components.sessions, web_channel.POLL_SECONDS, listen_url(settings.database_url)
        )
        app.state.gateway = ConversationGateway(
            components.sessions, components.rasa, settings.rasa_timeout_seconds
        )
        try:
            yield
        finally:
            components.close()

    app = FastAPI(
        title="Credit assistant API",
        version="0.1.0",
        description="Chat-first credit: eligibility, conversations and channel webhooks.",
        lifespan=lifespan,
    )
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    # Provider webhooks first: routes are matched in order, and these are the ones a provider
    # times out on (Twilio and Meta redeliver a slow acknowledgement).
    for router in (
        channel_webhooks.router,
        health.router,
        eligibility.router,
        calculators.router,
        conversations.router,
        web_channel.router,
        chat_page.router,
        origination_customers.router,
        origination_applications.router,
        origination_agreements.offers_router,
        origination_agreements.agreements_router,
        origination_catalog.products_router,
        origination_catalog.lenders_router,
        loans_router,
        disbursements_router,
        credit_refunds_router,
        credit_lines_router,
        ledger_router,
        agreement_documents.router,
        bank_accounts.router,
        bank_accounts.banks_router,
        payments.preview_router,
        payments.loans_router,
        payments.instructions_router,
        payments.webhooks_router,
        onboarding_routes.policy_router,
        onboarding_routes.router,
        onboarding_documents.customer_documents,
        onboarding_documents.documents_router,
        onboarding_documents.application_documents,
        hardship_router,
        hardship_policy_router,
        disputes_router,
        dispute_policy_router,
        handoff_router,
        widget_router,
        agent_pages_router,
        assist.router,
        agents_router,
        agent_console_api_router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
