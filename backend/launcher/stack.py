"""The four processes of the assistant, started and stopped as one.

Used by `make run` (through `python -m backend.launcher run`), by the end-to-end tests and by the
benchmarks, so all three exercise the same commands, environment and readiness rules:

    with Stack(var_dir=tmp, port=free_port(), rasa_port=free_port(), actions_port=free_port()) as stack:
        stack.wait_ready(timeout=300)
        httpx.post(f"{stack.backend_url}/channels/web/messages", ...)

Each process runs in its own process group, so stopping it (SIGTERM, then SIGKILL after a grace
period) also ends the children it forked (Celery's pool and beat); nothing is left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Self

import httpx

from backend.launcher.keys import launcher_keys
from backend.launcher.model import ensure_model
from backend.launcher.paths import APP_PYTHON, CELERY, RASA, REPO_ROOT, VAR_DIR
from backend.launcher.rasa_env import rasa_env
from backend.settings import Settings

LOOPBACK = "127.0.0.1"
PROCESS_ORDER = ("backend", "worker", "actions", "rasa")
DEFAULT_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.5


class StackError(RuntimeError):
    pass


class ProcessDied(StackError):
    def __init__(self, name: str, returncode: int | None, log_file: Path, tail: str) -> None:
        super().__init__(f"{name} exited with code {returncode}; last lines of {log_file}:\n{tail}")
        self.name = name
        self.returncode = returncode
        self.log_file = log_file
        self.tail = tail


def free_port() -> int:
    """A loopback port nobody listens on right now (for tests and benches running beside `make run`)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOOPBACK, port)) == 0


def tail_lines(path: Path, lines: int = 30) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.replace("\r", "\n").splitlines()[-lines:])


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the launcher is killed outright, so a crashed test run
    does not leave a Rasa server holding its port."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _child_setup(niceness: int) -> Callable[[], None]:
    def setup() -> None:
        _die_with_parent()
        if niceness:
            with contextlib.suppress(OSError):
                os.nice(niceness)

    return setup


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_file: Path
    ready: Callable[[httpx.Client], bool]
    niceness: int = 0
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    ready_after: float | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_file, "wb")  # noqa: SIM115 - closed in stop()
        self.started_at = time.monotonic()
        self.popen = subprocess.Popen(
            self.argv,
            cwd=REPO_ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_child_setup(self.niceness),
        )

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def died(self) -> ProcessDied:
        assert self.popen is not None
        return ProcessDied(self.name, self.popen.poll(), self.log_file, tail_lines(self.log_file))

    def signal_group(self, sig: signal.Signals) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, sig)

    def close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def _get_ok(client: httpx.Client, url: str) -> httpx.Response | None:
    try:
        response = client.get(url, timeout=2.0)
    except httpx.HTTPError:
        return None
    return response if response.status_code == 200 else None


class Stack:
    """backend, worker, actions and rasa with one environment derived from the settings.

    settings_overrides: environment-style names (`DATABASE_URL`, `REDIS_URL`, ...) that win over
    the environment and `.env`; they are passed to every process.
    var_dir: the embedded SQLite databases, generated keys and (unless log_dir is given) logs.
    model: a trained model; None trains one when the bot changed (see `model.ensure_model`).
    """

    def __init__(
        self,
        settings_overrides: Mapping[str, str] | None = None,
        *,
        var_dir: Path = VAR_DIR,
        model: Path | None = None,
        port: int | None = None,
        rasa_port: int = 5005,
        actions_port: int = 5055,
        log_dir: Path | None = None,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
        env_file: Path | None = REPO_ROOT / ".env",
    ) -> None:
        self.overrides = dict(settings_overrides or {})
        self.var_dir = Path(var_dir).resolve()
        self.log_dir = Path(log_dir) if log_dir else self.var_dir / "logs"
        self.model = model
        self.grace_seconds = grace_seconds
        if self.var_dir != VAR_DIR.resolve() and "DATABASE_URL" not in self.overrides:
            probe = Settings(_env_file=env_file)  # type: ignore[call-arg]
            if "database_url" not in probe.model_fields_set:
                self.overrides["DATABASE_URL"] = f"sqlite:///{self.var_dir / 'app.db'}"
        fields = {name.lower(): value for name, value in self.overrides.items()}
        self.settings = Settings(
            _env_file=env_file,  # type: ignore[call-arg]
            **{name: value for name, value in fields.items() if name in Settings.model_fields},
        )
        self.port = port or self.settings.port
        self.rasa_port = rasa_port
        self.actions_port = actions_port
        self.backend_url = f"http://{LOOPBACK}:{self.port}"
        self.rasa_url = f"http://{LOOPBACK}:{rasa_port}"
        self.actions_url = f"http://{LOOPBACK}:{actions_port}/webhook"
        self.keys: dict[str, str] = {}
        self.processes: dict[str, Process] = {}
        self._client = httpx.Client(trust_env=False)

    # -- environment -------------------------------------------------------------------------

    def base_env(self) -> dict[str, str]:
        """What every process sees: our environment, the overrides, the keys and the wiring."""
        if not self.keys:
            self.var_dir.mkdir(parents=True, exist_ok=True)
            self.keys = launcher_keys(self.settings, self.var_dir)
        env = {
            **os.environ,
            **self.overrides,
            **self.keys,
            "DATABASE_URL": self.settings.database_url,
            "PORT": str(self.port),
            "RASA_URL": self.rasa_url,
            "ACTIONS_URL": self.actions_url,
            "BACKEND_URL": self.backend_url,
            "RASA_TELEMETRY_ENABLED": "false",
            "SANIC_HOST": LOOPBACK,
            "PYTHONUNBUFFERED": "1",
        }
        if "public_base_url" not in self.settings.model_fields_set:
            env["PUBLIC_BASE_URL"] = self.backend_url
        return env

    def rasa_env(self) -> dict[str, str]:
        return rasa_env(self.settings, var_dir=self.var_dir, actions_url=self.actions_url)

    # -- steps -------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Schema migrations and the demo tenant seed (idempotent)."""
        log_file = self.log_dir / "migrate.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "wb") as log:
            result = subprocess.run(
                [str(APP_PYTHON), "-m", "backend.adapters.db.migrate", "upgrade"],
                cwd=REPO_ROOT,
                env=self.base_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0:
            raise StackError(f"migrations failed (exit {result.returncode}):\n{tail_lines(log_file)}")

    def ensure_model(self, *, show_progress: bool = False) -> Path:
        if self.model is None:
            self.model = ensure_model(log_file=self.log_dir / "train.log", show_progress=show_progress)
        return self.model

    def start(self, names: Iterable[str] = PROCESS_ORDER) -> None:
        """Start the named processes (those not running yet), in the order given."""
        for name in names:
            if name in self.processes and self.processes[name].alive:
                continue
            process = self._process(name)
            port = {"backend": self.port, "actions": self.actions_port, "rasa": self.rasa_port}.get(name)
            if port is not None and port_in_use(port):
                raise StackError(f"cannot start {name}: port {port} is in use (is another stack running?)")
            process.start()
            self.processes[name] = process

    def check_alive(self) -> None:
        """Raise ProcessDied for the first started process that has exited."""
        for process in self.processes.values():
            if not process.alive:
                raise process.died()

    def poll_ready(self) -> dict[str, bool]:
        """One round of readiness checks; remembers when each process first became ready."""
        states = {}
        for name, process in self.processes.items():
            if process.ready_after is None and process.ready(self._client):
                process.ready_after = time.monotonic() - process.started_at
            states[name] = process.ready_after is not None
        return states

    def readyz(self) -> httpx.Response | None:
        try:
            return self._client.get(f"{self.backend_url}/readyz", timeout=5.0)
        except httpx.HTTPError:
            return None

    def wait_ready(
        self,
        timeout: float = 300.0,
        names: Iterable[str] | None = None,
        on_poll: Callable[[dict[str, bool]], None] | None = None,
    ) -> dict[str, float]:
        """Wait until the named (default: all started) processes are ready and, when the backend is
        among them, /readyz is green. Returns seconds from each process's start to ready."""
        wanted = list(names) if names is not None else list(self.processes)
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            states = self.poll_ready()
            if on_poll:
                on_poll(states)
            if all(states.get(name) for name in wanted):
                response = self.readyz() if "backend" in wanted else None
                if response is None or response.status_code == 200:
                    return {name: self.processes[name].ready_after or 0.0 for name in wanted}
            if time.monotonic() >= deadline:
                waiting = [name for name in wanted if not states.get(name)]
                detail = f"not ready: {', '.join(waiting)}" if waiting else "all processes up"
                response = self.readyz() if "backend" in self.processes else None
                if response is not None:
                    detail += f"; /readyz {response.status_code}: {response.text[:500]}"
                raise StackError(f"stack not ready after {timeout:.0f}s ({detail}); logs in {self.log_dir}")
            time.sleep(POLL_SECONDS)

    def stop(self, grace_seconds: float | None = None) -> None:
        """SIGTERM every process group, SIGKILL what is left after the grace period."""
        grace = self.grace_seconds if grace_seconds is None else grace_seconds
        running = [p for p in self.processes.values() if p.popen is not None]
        for process in running:
            if process.alive:
                process.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in running:
            assert process.popen is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(max(0.0, deadline - time.monotonic()))
        for process in running:
            # Also reaches children that outlived their group leader.
            process.signal_group(signal.SIGKILL)
            assert process.popen is not None
            process.popen.wait()
            process.close_log()
        self.processes.clear()

    def close(self) -> None:
        self.stop()
        self._client.close()

    def __enter__(self) -> Self:
        try:
            self.migrate()
            self.ensure_model()
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the processes ------------------------------------------------------------------------

    def _process(self, name: str) -> Process:
        env = self.base_env()
        log_file = self.log_dir / f"{name}.log"
        if name == "backend":
            argv = [
                str(APP_PYTHON), "-m", "uvicorn", "backend.api.app:create_app", "--factory",
                "--host", LOOPBACK, "--port", str(self.port),
                "--workers", str(self.settings.backend_processes),
            ]  # fmt: skip
            ready = self._http_ready(f"{self.backend_url}/healthz")
        elif name == "worker":
            self.var_dir.mkdir(parents=True, exist_ok=True)
            argv = [
                str(CELERY), "-A", "backend.worker.app:celery_app", "worker", "-B",
                "--loglevel", "INFO", "--concurrency", "2",
                "--schedule", str(self.var_dir / "celerybeat-schedule"),
            ]  # fmt: skip
            ready = self._log_ready(log_file, b" ready.")
        elif name == "actions":
            argv = [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "-p", str(self.actions_port)]
            ready = self._http_ready(f"http://{LOOPBACK}:{self.actions_port}/health")
        elif name == "rasa":
            model = self.ensure_model()
            env.update(self.rasa_env())
            argv = [
                str(RASA), "run", "--enable-api", "-m", str(model),
                "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
                "-i", LOOPBACK, "-p", str(self.rasa_port),
            ]  # fmt: skip
            ready = self._rasa_ready
        else:
            raise ValueError(f"unknown process {name!r}; expected one of {PROCESS_ORDER}")
        # The backend answers providers' webhooks; the bot's processes yield the CPU to it.
        niceness = 0 if name == "backend" else self.settings.background_niceness
        return Process(name=name, argv=argv, env=env, log_file=log_file, ready=ready, niceness=niceness)

    @staticmethod
    def _http_ready(url: str) -> Callable[[httpx.Client], bool]:
        return lambda client: _get_ok(client, url) is not None

    @staticmethod
    def _log_ready(log_file: Path, marker: bytes) -> Callable[[httpx.Client], bool]:
        def ready(_client: httpx.Client) -> bool:
            try:
                return marker in log_file.read_bytes()
            except FileNotFoundError:
                return False

        return ready

    def _rasa_ready(self, client: httpx.Client) -> bool:
        """Rasa answers /status before the model is loaded; ready means a model is in."""
        response = _get_ok(client, f"{self.rasa_url}/status")
        if response is None:
            return False
        status = response.json()
        return bool(status.get("model_file")) and not status.get("num_active_training_jobs")
