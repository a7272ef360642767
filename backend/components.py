"""The long-lived objects of a backend or worker process, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.engine import build_engine, build_session_factory
from backend.adapters.rasa import RasaClient
from backend.settings import Settings


@dataclass
class Components:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    rasa: RasaClient

    @classmethod
    def build(cls, settings: Settings) -> Components:
        engine = build_engine(settings.database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=build_session_factory(engine),
            rasa=RasaClient(settings.rasa_url, settings.rasa_timeout_seconds),
        )

    def close(self) -> None:
        self.rasa.close()
        self.engine.dispose()
