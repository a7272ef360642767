"""A stream's memory of what it sent: each key once, forgotten after twice the look-back."""

from __future__ import annotations

from backend.api.sent_window import LOOKBACK, SentWindow


def test_a_key_is_sent_once_and_forgotten_after_twice_the_lookback() -> None:
    window = SentWindow()
    assert window.first_time(7, now=100.0)
    assert not window.first_time(7, now=101.0)
    assert window.first_time(8, now=100.0 + LOOKBACK.total_seconds())
    window.forget_old(now=100.0 + 2 * LOOKBACK.total_seconds() + 1)
    assert list(window) == [8] and len(window) == 1
    assert window.first_time(7, now=200.0)  # forgotten: no poll can return it any more
