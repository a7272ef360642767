"""`python -m backend.launcher run|train|model-path|rasa-env|createdb` (what the Makefile calls)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from sqlalchemy.engine import make_url

from backend.launcher.model import TrainingFailed, ensure_model, model_path
from backend.launcher.paths import REPO_ROOT
from backend.launcher.progress import Progress
from backend.launcher.stack import ProcessDied, Stack, StackError

RASA_READY_TIMEOUT_SECONDS = 600.0


class Shutdown(Exception):
    """Raised in the main thread by SIGINT/SIGTERM so every `finally` runs."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Shutdown(signal.Signals(signum).name)


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def banner(stack: Stack) -> str:
    url = stack.backend_url
    database = make_url(stack.settings.database_url).render_as_string(hide_password=True)
    redis = "configured" if stack.settings.redis_url else "none (tasks run in-process)"
    lines = [
        f"Chat with the assistant:  {url}/chat",
        f"API docs:                 {url}/docs",
        f"Demo tenant API key:      {stack.keys['DEMO_TENANT_API_KEY']}",
        f"Database:                 {database}",
        f"Redis:                    {redis}",
        f"Logs:                     {stack.log_dir}/",
        "Ctrl-C to stop.",
    ]
    width = max(map(len, lines)) + 4
    return "\n".join(["", "+" + "-" * width + "+", *(f"|  {line.ljust(width - 2)}|" for line in lines),
                      "+" + "-" * width + "+", ""])  # fmt: skip


def run(args: argparse.Namespace) -> int:
    stack = Stack(port=args.port, rasa_port=args.rasa_port, actions_port=args.actions_port)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        say("migrating the database and seeding the demo tenant")
        stack.migrate()
        say("starting backend, worker and action server")
        stack.start(["backend", "worker", "actions"])
        print(banner(stack), flush=True)
        say("preparing the Rasa model")
        model = stack.ensure_model(show_progress=True)
        say(f"starting Rasa with {model.relative_to(REPO_ROOT)} (loading a model takes a while)")
        stack.start(["rasa"])
        progress = Progress("waiting for Rasa to load the model")
        timings = stack.wait_ready(
            RASA_READY_TIMEOUT_SECONDS,
            on_poll=lambda states: progress.update(
                "waiting for: " + ", ".join(name for name, ready in states.items() if not ready)
            ),
        )
        progress.done(f"Rasa is ready: started and loaded the model in {timings['rasa']:.0f}s", elapsed=False)
        say(f"the assistant is ready: {stack.backend_url}/chat  (Ctrl-C to stop)")
        while True:
            stack.check_alive()
            time.sleep(1.0)
    except Shutdown as stop:
        print(f"\n==> {stop}: stopping", flush=True)
        return 0
    except ProcessDied as died:
        print(f"\n==> {died}", flush=True)
        return 1
    except (StackError, TrainingFailed, FileNotFoundError) as error:
        print(f"\n==> {error}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not interrupt the shutdown itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.close()
        say("stopped")


def train(_args: argparse.Namespace) -> int:
    target = model_path()
    if target.exists():
        say(f"model up to date: {target.relative_to(REPO_ROOT)}")
        return 0
    say(f"training {target.relative_to(REPO_ROOT)} (the bot changed); log: var/logs/train.log")
    try:
        ensure_model(show_progress=True)
    except TrainingFailed as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def print_model_path(_args: argparse.Namespace) -> int:
    print(model_path())
    return 0


def print_rasa_env(_args: argparse.Namespace) -> int:
    stack = Stack()
    for name, value in sorted(stack.rasa_env().items()):
        print(f"{name}={'***' if name.endswith('PASSWORD') and value else value}")
    return 0


def createdb(args: argparse.Namespace) -> int:
    """Create a PostgreSQL database if missing (the test database on a fresh CI machine)."""
    from sqlalchemy import create_engine, text

    url = make_url(args.url)
    if url.get_backend_name() != "postgresql":
        return 0
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
            if exists.scalar() is None:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
                say(f"created database {url.database}")
    finally:
        engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.launcher", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="migrate, train if needed, start the four processes")
    run_parser.add_argument("--port", type=int, default=None, help="backend port (default: PORT or 8000)")
    run_parser.add_argument("--rasa-port", type=int, default=5005)
    run_parser.add_argument("--actions-port", type=int, default=5055)
    run_parser.set_defaults(func=run)
    sub.add_parser("train", help="train the Rasa model if the bot changed").set_defaults(func=train)
    sub.add_parser("model-path", help="print the model file for the current bot").set_defaults(
        func=print_model_path
    )
    sub.add_parser("rasa-env", help="print what bot/endpoints.yml will read").set_defaults(
        func=print_rasa_env
    )
    db_parser = sub.add_parser("createdb", help="create a PostgreSQL database when missing")
    db_parser.add_argument("url")
    db_parser.set_defaults(func=createdb)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
