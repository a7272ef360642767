"""Integration tests run against real PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL).

Each session gets a database of its own, created here and dropped at the end, so runs never see
each other's rows."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DB_NAME = os.environ.setdefault("CREDIT_IT_DATABASE", f"credit_it_{uuid.uuid4().hex[:8]}")
DATABASE_URL = make_url(ADMIN_URL).set(database=DB_NAME).render_as_string(hide_password=False)

# The worker module reads its broker from settings when first imported: point it at Redis now.
os.environ.update(
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    DEMO_TENANT_API_KEY="ck_integration_demo_key",
    SERVICE_API_KEY="svc_integration_key",
    RASA_URL="http://127.0.0.1:9",  # nothing listens: Rasa is down in these tests
    LOG_FORMAT="console",
    # a queue of this session's own, so no other stack's worker takes (or leaves) its tasks
    CELERY_QUEUE=f"it-{uuid.uuid4().hex[:8]}",
)


def _admin_engine():
    return create_engine(make_url(ADMIN_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    try:
        yield DATABASE_URL
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str):
    from backend.settings import Settings

    return Settings()


@pytest.fixture(scope="session")
def migrated(settings) -> str:
    from backend.adapters.db.migrate import upgrade_and_seed

    upgrade_and_seed(settings)
    return settings.database_url


@pytest.fixture(scope="session")
def client(settings, migrated):
    from fastapi.testclient import TestClient

    from backend.api.app import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture()
def db(client):
    from backend.adapters.db.engine import build_engine

    engine = build_engine(DATABASE_URL)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


DEMO_AUTH = {"Authorization": "Bearer ck_integration_demo_key"}
