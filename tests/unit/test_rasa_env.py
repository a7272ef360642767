"""How the launcher turns our settings into the variables bot/endpoints.yml reads."""

from pathlib import Path

import pytest

from backend.launcher.rasa_env import rasa_env
from backend.settings import REPO_ROOT, Settings

ENDPOINTS_VARIABLES = {
    "ACTIONS_URL",
    "RASA_TRACKER_DIALECT",
    "RASA_TRACKER_HOST",
    "RASA_TRACKER_PORT",
    "RASA_TRACKER_DB",
    "RASA_TRACKER_USER",
    "RASA_TRACKER_PASSWORD",
    "RASA_TRACKER_LOGIN_DB",
    "RASA_LOCK_STORE",
    "RASA_LOCK_STORE_HOST",
    "RASA_LOCK_STORE_PORT",
    "RASA_LOCK_STORE_DB",
}


def settings(database_url: str, tracker_url: str | None = None, redis_url: str | None = None) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        rasa_tracker_database_url=tracker_url,
        redis_url=redis_url,
        actions_url="http://127.0.0.1:5055/webhook",
    )


def test_every_variable_endpoints_yml_reads_is_set_and_a_string():
    env = rasa_env(settings("sqlite:///var/app.db"))
    assert set(env) >= ENDPOINTS_VARIABLES
    assert all(isinstance(value, str) for value in env.values())


def test_embedded_default_keeps_rasa_events_in_a_sqlite_file_of_their_own(tmp_path: Path):
    env = rasa_env(settings(f"sqlite:///{tmp_path / 'app.db'}"), var_dir=tmp_path)
    assert env["RASA_TRACKER_DIALECT"] == "sqlite"
    assert env["RASA_TRACKER_DB"] == str(tmp_path / "rasa_tracker.db")
    assert env["RASA_TRACKER_HOST"] == env["RASA_TRACKER_USER"] == env["RASA_TRACKER_LOGIN_DB"] == ""


def test_sqlite_tracker_port_is_an_integer_because_rasa_refuses_an_empty_port():
    env = rasa_env(settings("sqlite:///var/app.db"))
    assert int(env["RASA_TRACKER_PORT"]) == 0


def test_postgres_tracker_gets_a_sibling_database_that_rasa_creates_itself():
    env = rasa_env(settings("postgresql+psycopg://credit:s3cret@db.internal:6543/credit"))
    assert env["RASA_TRACKER_DIALECT"] == "postgresql"
    assert env["RASA_TRACKER_HOST"] == "db.internal"
    assert env["RASA_TRACKER_PORT"] == "6543"
    assert env["RASA_TRACKER_USER"] == "credit"
    assert env["RASA_TRACKER_PASSWORD"] == "s3cret"
    assert env["RASA_TRACKER_DB"] == "credit_rasa"
    assert env["RASA_TRACKER_LOGIN_DB"] == "postgres"


def test_postgres_without_port_or_password_uses_the_defaults():
    env = rasa_env(settings("postgresql://postgres@127.0.0.1/credit_test"))
    assert env["RASA_TRACKER_PORT"] == "5432"
    assert env["RASA_TRACKER_PASSWORD"] == ""
    assert env["RASA_TRACKER_DB"] == "credit_test_rasa"


def test_percent_encoded_password_reaches_rasa_decoded():
    env = rasa_env(settings("postgresql+psycopg://credit:p%40ss%2Fword@127.0.0.1:5432/credit"))
    assert env["RASA_TRACKER_PASSWORD"] == "p@ss/word"


def test_explicit_tracker_url_wins_and_is_not_created_by_rasa():
    env = rasa_env(
        settings(
            "postgresql+psycopg://app@127.0.0.1:5432/credit",
            tracker_url="postgresql://rasa:pw@tracker.internal:5432/conversations",
        )
    )
    assert env["RASA_TRACKER_HOST"] == "tracker.internal"
    assert env["RASA_TRACKER_USER"] == "rasa"
    assert env["RASA_TRACKER_DB"] == "conversations"
    assert env["RASA_TRACKER_LOGIN_DB"] == ""


def test_explicit_relative_sqlite_tracker_is_anchored_at_the_repository():
    env = rasa_env(settings("sqlite:///var/app.db", tracker_url="sqlite:///var/other_tracker.db"))
    assert env["RASA_TRACKER_DB"] == str(REPO_ROOT / "var" / "other_tracker.db")


def test_unsupported_database_is_refused():
    with pytest.raises(ValueError, match="mysql"):
        rasa_env(settings("mysql://u@h/db"))


def test_without_redis_the_lock_store_is_in_memory():
    env = rasa_env(settings("sqlite:///var/app.db"))
    assert env["RASA_LOCK_STORE"] == "in_memory"
    assert env["RASA_LOCK_STORE_HOST"] == env["RASA_LOCK_STORE_PORT"] == env["RASA_LOCK_STORE_DB"] == ""


def test_with_redis_the_lock_store_uses_the_same_server_and_database():
    env = rasa_env(settings("sqlite:///var/app.db", redis_url="redis://:pw@cache.internal:6380/3"))
    assert env["RASA_LOCK_STORE"] == "redis"
    assert env["RASA_LOCK_STORE_HOST"] == "cache.internal"
    assert env["RASA_LOCK_STORE_PORT"] == "6380"
    assert env["RASA_LOCK_STORE_DB"] == "3"
    assert env["RASA_LOCK_STORE_PASSWORD"] == "pw"


def test_redis_url_without_database_uses_database_zero():
    env = rasa_env(settings("sqlite:///var/app.db", redis_url="redis://127.0.0.1"))
    assert (env["RASA_LOCK_STORE_PORT"], env["RASA_LOCK_STORE_DB"]) == ("6379", "0")


def test_actions_url_follows_the_action_server_the_launcher_started():
    env = rasa_env(settings("sqlite:///var/app.db"), actions_url="http://127.0.0.1:6055/webhook")
    assert env["ACTIONS_URL"] == "http://127.0.0.1:6055/webhook"
