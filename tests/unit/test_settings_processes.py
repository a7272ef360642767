"""How many backend processes the launcher starts, and how far below it the bot runs."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from backend.settings import Settings

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/app"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_embedded_sqlite_default_runs_one_backend_process() -> None:
    assert settings(database_url="sqlite:///var/app.db", redis_url=None).backend_processes == 1
    # SQLite has one writer, even with a broker configured
    assert settings(database_url="sqlite:///var/app.db", redis_url="redis://r:6379/0").backend_processes == 1


def test_postgresql_and_redis_run_a_backend_process_per_core_up_to_four() -> None:
    expected = max(1, min(4, os.cpu_count() or 1))
    assert settings(database_url=PG, redis_url="redis://r:6379/0").backend_processes == expected


def test_an_explicit_count_wins_and_nonsense_is_refused() -> None:
    assert settings(database_url=PG, redis_url="redis://r:6379/0", backend_workers=3).backend_processes == 3
    with pytest.raises(ValidationError):
        settings(backend_workers=0)
    with pytest.raises(ValidationError):
        settings(background_niceness=25)
