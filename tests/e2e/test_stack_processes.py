"""The launcher's process layout on PostgreSQL and Redis: the backend, which acknowledges providers'
webhooks, runs one worker process per core (up to 4) at normal priority; Rasa, the action server
and the Celery worker run `background_niceness` lower, so a webhook is answered before the bot's
next turn is worked on when they share cores."""

from __future__ import annotations

import os
from pathlib import Path

from backend.launcher import Stack


def _nice(pid: int) -> int:
    # /proc/<pid>/stat: field 19 is the nice value; the command name (field 2) may hold spaces.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.extend(int(child) for child in text)
    return children


def test_the_bot_yields_the_cpu_to_the_backend(stack: Stack) -> None:
    niceness = {name: _nice(process.popen.pid) for name, process in stack.processes.items() if process.popen}
    assert niceness["backend"] == 0
    assert stack.settings.background_niceness > 0
    for name in ("rasa", "actions", "worker"):
        assert niceness[name] == stack.settings.background_niceness, name


def test_the_backend_serves_webhooks_from_a_process_per_core(stack: Stack, backend) -> None:
    supervisor = stack.processes["backend"].popen
    assert supervisor is not None
    expected = max(1, min(4, os.cpu_count() or 1))
    assert stack.settings.backend_processes == expected
    workers = [pid for pid in _children(supervisor.pid) if _nice(pid) == 0 and "spawn_main" in _cmdline(pid)]
    assert len(workers) == expected
    assert backend.get("/healthz").status_code == 200


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
