"""One status line with elapsed time: redrawn in place on a terminal, a line every 15 s in CI logs."""

from __future__ import annotations

import sys
import time
from typing import TextIO

SPINNER = "|/-\\"
PLAIN_EVERY_SECONDS = 15.0


class Progress:
    def __init__(self, label: str, stream: TextIO = sys.stdout) -> None:
        self.label = label
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self._ticks = 0
        self._last_plain = self.started
        self._width = 0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def update(self, detail: str = "") -> None:
        self._ticks += 1
        if self.tty:
            line = f"    {SPINNER[self._ticks % len(SPINNER)]} {self.label} {self.elapsed:5.0f}s  {detail}"
            line = line[:118]
            pad = max(0, self._width - len(line))
            self._width = len(line)
            self.stream.write("\r" + line + " " * pad)
            self.stream.flush()
        elif time.monotonic() - self._last_plain >= PLAIN_EVERY_SECONDS:
            self._last_plain = time.monotonic()
            self.stream.write(f"    ... {self.label} {self.elapsed:.0f}s  {detail}"[:160] + "\n")
            self.stream.flush()

    def done(self, message: str, *, elapsed: bool = True) -> None:
        if self.tty:
            self.stream.write("\r" + " " * self._width + "\r")
        self.stream.write(f"    {message}" + (f" ({self.elapsed:.0f}s)\n" if elapsed else "\n"))
        self.stream.flush()
