"""The trained Rasa model, named after what it was trained from.

The name is a fingerprint of the training inputs and the Rasa version, so `make run` and
`make test` train only when the bot changed, and switching branches back and forth reuses the
model already on disk instead of spending minutes retraining.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from backend.launcher.paths import MODELS_DIR, RASA, RASA_VENV, REPO_ROOT, VAR_DIR
from backend.launcher.progress import Progress

TRAINING_INPUTS = ("config.yml", "domain", "nlu", "bot/stories", "bot/rules")


class TrainingFailed(RuntimeError):
    pass


def rasa_version(rasa_venv: Path = RASA_VENV) -> str:
    """Read from the installed distribution: asking `rasa --version` takes seconds."""
    found = sorted(rasa_venv.glob("lib/python3*/site-packages/rasa-*.dist-info"))
    if not found:
        raise FileNotFoundError(f"Rasa is not installed in {rasa_venv}: run `make setup`")
    return found[-1].name.removeprefix("rasa-").removesuffix(".dist-info")


def _input_files(root: Path) -> Iterator[Path]:
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def fingerprint(root: Path = REPO_ROOT, version: str | None = None) -> str:
    """sha256 over the relative path and bytes of every training input, plus the Rasa version."""
    digest = hashlib.sha256(f"rasa=={version or rasa_version()}\n".encode())
    for path in _input_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def model_path(root: Path = REPO_ROOT, models_dir: Path = MODELS_DIR) -> Path:
    """Where the model for the current training inputs is (or will be once trained)."""
    return models_dir / f"{fingerprint(root)[:16]}.tar.gz"


def train_command(name: str, out: Path = MODELS_DIR) -> list[str]:
    return [
        str(RASA), "train",
        "--config", "config.yml",
        "--domain", "domain",
        "--data", "nlu", "bot/stories", "bot/rules",
        "--out", str(out),
        "--fixed-model-name", name,
    ]  # fmt: skip


def ensure_model(
    *,
    root: Path = REPO_ROOT,
    models_dir: Path = MODELS_DIR,
    log_file: Path | None = None,
    show_progress: bool = True,
) -> Path:
    """The model for the current inputs, training it first when it is not on disk yet.

    A lock file keeps two launchers (say `make run` and the bench) from training the same model
    at once; the second waits and then finds the model trained.
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_file or VAR_DIR / "logs" / "train.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    target = model_path(root, models_dir)
    with open(models_dir / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        _train(target, root=root, log_file=log_file, show_progress=show_progress)
    if not target.exists():
        raise TrainingFailed(f"rasa train finished but {target} is missing (see {log_file})")
    return target


def _train(target: Path, *, root: Path, log_file: Path, show_progress: bool) -> None:
    name = target.name.removesuffix(".tar.gz")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1"}
    progress = Progress(f"training the Rasa model {name}") if show_progress else None
    tail: deque[str] = deque(maxlen=40)
    with open(log_file, "wb") as log:
        proc = subprocess.Popen(
            train_command(name, target.parent),
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        reader = threading.Thread(target=_pump, args=(proc, log, tail), daemon=True)
        reader.start()
        try:
            while reader.is_alive():
                reader.join(0.25)
                if progress:
                    progress.update(tail[-1] if tail else "")
            proc.wait()
        except BaseException:
            _kill_group(proc)
            raise
    if proc.returncode != 0:
        if progress:
            progress.done("training FAILED")
        raise TrainingFailed(
            f"rasa train exited with {proc.returncode}; last lines of {log_file}:\n" + "\n".join(tail)
        )
    if progress:
        progress.done(f"trained {target.relative_to(root) if target.is_relative_to(root) else target}")


def _pump(proc: subprocess.Popen[bytes], log: BinaryIO, tail: deque[str]) -> None:
    """Copy rasa's output to the log and keep the latest line; progress bars end in \\r."""
    assert proc.stdout is not None
    pending = b""
    while chunk := os.read(proc.stdout.fileno(), 4096):
        log.write(chunk)
        log.flush()
        pending += chunk
        *lines, pending = pending.replace(b"\r", b"\n").split(b"\n")
        tail.extend(text for line in lines if (text := line.decode(errors="replace").strip()))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(5)
            return
        except subprocess.TimeoutExpired:
            continue
