"""Schema migrations and the demo tenant seed.

`python -m backend.adapters.db.migrate upgrade` brings the database to the newest schema and makes
sure the demo tenant and its API key exist; `downgrade base` removes everything Alembic made.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config

from backend.adapters.db.engine import build_engine, build_session_factory, normalise_url
from backend.adapters.db.seed import seed_demo_tenant
from backend.settings import Settings, get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def upgrade_and_seed(settings: Settings) -> None:
    upgrade(settings.database_url)
    engine = build_engine(settings.database_url)
    try:
        seed_demo_tenant(build_session_factory(engine), settings)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="migrate to head and seed the demo tenant")
    down = sub.add_parser("downgrade", help="migrate down")
    down.add_argument("revision", nargs="?", default="base")
    sub.add_parser("revision", help="autogenerate a revision").add_argument("message")
    args = parser.parse_args()
    settings = get_settings()
    if args.command == "upgrade":
        upgrade_and_seed(settings)
    elif args.command == "downgrade":
        downgrade(settings.database_url, args.revision)
    else:
        command.revision(alembic_config(settings.database_url), message=args.message, autogenerate=True)


if __name__ == "__main__":
    main()
