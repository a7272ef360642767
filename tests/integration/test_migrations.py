import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from backend.adapters.db.engine import normalise_url
from backend.adapters.db.migrate import alembic_config, downgrade, upgrade
from tests.integration.conftest import ADMIN_URL

TABLES = {
    "tenants",
    "api_keys",
    "customers",
    "conversations",
    "messages",
    "outbox",
    "eligibility_checks",
    "idempotency_records",
    "ledger_accounts",
    "ledger_entries",
    "ledger_postings",
    "audit_log",
    "audit_heads",
    "business_profiles",
    "products",
    "lenders",
    "credit_applications",
    "decisions",
    "offers",
    "agreements",
    "loans",
    "instalments",
    "disbursements",
    "payments",
}


@pytest.fixture()
def scratch_db():
    name = "credit_mig_scratch"
    admin = create_engine(make_url(ADMIN_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_go_up_down_and_up_again_on_postgresql(scratch_db):
    upgrade(scratch_db)
    assert tables(scratch_db) >= TABLES
    downgrade(scratch_db, "base")
    assert tables(scratch_db) <= {"alembic_version"}
    upgrade(scratch_db)
    assert tables(scratch_db) >= TABLES


def test_models_and_migrations_agree(scratch_db):
    upgrade(scratch_db)
    command.check(alembic_config(scratch_db))  # raises if autogenerate would find a difference


def test_migrations_leave_rasa_tracker_tables_alone(scratch_db):
    upgrade(scratch_db)
    assert "events" not in tables(scratch_db)


def test_migrations_go_up_and_down_on_sqlite_too(tmp_path):
    """The embedded default (`make run` with no configuration) runs on SQLite."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    assert tables(url) >= TABLES
    command.check(alembic_config(url))
    downgrade(url, "base")
    assert tables(url) <= {"alembic_version"}
