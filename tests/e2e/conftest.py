"""The whole stack, once per test session: backend, worker, actions and Rasa with a trained model,
on real PostgreSQL (application and tracker databases of their own) and Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.launcher.stack import Stack, free_port

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
API_KEY = "ck_e2e_demo_key"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "e2e"


def _admin():
    return create_engine(make_url(ADMIN_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def e2e_database() -> Iterator[str]:
    name = f"credit_e2e_{uuid.uuid4().hex[:8]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_rasa" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def stack(e2e_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    overrides = {
        "DATABASE_URL": e2e_database,
        "REDIS_URL": REDIS_URL,
        "DEMO_TENANT_API_KEY": API_KEY,
        "SERVICE_API_KEY": f"svc_{uuid.uuid4().hex}",
        "LOG_FORMAT": "json",
        # a queue of its own: another test session or stack on the same Redis never takes our tasks
        "CELERY_QUEUE": f"e2e-{uuid.uuid4().hex[:8]}",
    }
    with Stack(
        overrides,
        var_dir=tmp_path_factory.mktemp("e2e-var"),
        port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        log_dir=ARTIFACTS / "logs",
        env_file=None,
    ) as running:
        running.wait_ready(timeout=900)
        yield running


@pytest.fixture(scope="session")
def backend(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.backend_url, timeout=60, trust_env=False) as client:
        yield client


@pytest.fixture()
def db(e2e_database: str) -> Iterator:
    from backend.adapters.db.engine import build_engine

    engine = build_engine(e2e_database)
    with engine.connect() as conn:
        yield conn
    engine.dispose()
