"""What a live event stream has sent lately, so its poll can look back past its cursor.

Database ids and timestamps are taken when a row is written, not when it is committed: two
transactions can commit in the other order, and a stream that only asks for "newer than the last
one sent" skips the row that commits last. The streams (the web chat's and the agent console's)
therefore ask for LOOKBACK more than their cursor each poll and use a SentWindow to send only
what they have not sent yet. A row is remembered for twice LOOKBACK after it was sent, longer
than any poll can return it.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterator
from datetime import timedelta

# Longer than any transaction that stores a message or changes a handoff takes to commit (they
# take milliseconds); a commit later than this after its write is missed by an open stream, and
# the page shows it when next loaded.
LOOKBACK = timedelta(seconds=30)


class SentWindow:
    """Keys sent in the last 2 x LOOKBACK."""

    def __init__(self) -> None:
        self._sent: dict[Hashable, float] = {}

    def first_time(self, key: Hashable, now: float | None = None) -> bool:
        """True (and remembered) the first time `key` is offered; False after."""
        if key in self._sent:
            return False
        self._sent[key] = time.monotonic() if now is None else now
        return True

    def forget_old(self, now: float | None = None) -> None:
        moment = (time.monotonic() if now is None else now) - 2 * LOOKBACK.total_seconds()
        for key in [k for k, at in self._sent.items() if at < moment]:
            del self._sent[key]

    def __iter__(self) -> Iterator[Hashable]:
        """What was sent in the window, so a poll can leave it out of its query."""
        return iter(list(self._sent))

    def __len__(self) -> int:
        return len(self._sent)
