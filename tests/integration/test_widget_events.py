"""The Server-Sent Events stream of a web chat session, read with httpx `stream` through the app on
PostgreSQL: what it sends, what it leaves out, resuming with Last-Event-ID, heartbeats and origins."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from backend.api.routes import web_channel


@pytest.fixture(autouse=True)
def short_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream that closes after 2 s, polls 5 times a second and beats every 0.5 s."""
    monkeypatch.setattr(web_channel, "STREAM_SECONDS", 2.0)
    monkeypatch.setattr(web_channel, "POLL_SECONDS", 0.2)
    monkeypatch.setattr(web_channel, "HEARTBEAT_SECONDS", 0.5)


@pytest.fixture()
def session_id(client) -> str:
    """A web session whose conversation exists (Rasa is down: the first message is kept, 503)."""
    sid = f"web-{uuid.uuid4().hex}"
    assert client.post("/channels/web/messages", json={"session_id": sid, "text": "hi"}).status_code == 503
    return sid


def add_outbound(
    db, session_id: str, body: str, *, in_reply_to: int | None = None, commit: bool = True
) -> int:
    conversation_id = db.execute(
        text("SELECT id FROM conversations WHERE channel = 'web' AND channel_identity = :s"),
        {"s": session_id},
    ).scalar_one()
    new_id = db.execute(
        text(
            "INSERT INTO messages (conversation_id, direction, author, text, status, in_reply_to_id,"
            " created_at)"
            " VALUES (:c, 'outbound', 'business', :t, 'queued', :r, now()) RETURNING id"
        ),
        {"c": conversation_id, "t": body, "r": in_reply_to},
    ).scalar_one()
    if commit:
        db.commit()
    return int(new_id)


def inbound_id(db, session_id: str) -> int:
    return int(
        db.execute(
            text(
                "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                " WHERE c.channel_identity = :s AND m.direction = 'inbound'"
            ),
            {"s": session_id},
        ).scalar_one()
    )


def read_stream(client, url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, list[str]]:
    with client.stream("GET", url, headers=headers or {}) as response:
        lines = list(response.iter_lines()) if response.status_code == 200 else []
        return response.status_code, dict(response.headers), lines


def events(lines: list[str]) -> list[tuple[int, str]]:
    out, current = [], None
    for line in lines:
        if line.startswith("id: "):
            current = int(line[4:])
        elif line.startswith("data: "):
            out.append((current, json.loads(line[6:])["text"]))
    return out


def test_messages_nobody_asked_for_are_streamed_with_their_ids(client, db, session_id):
    first = inbound_id(db, session_id)
    reply = add_outbound(db, session_id, "an answer to hi", in_reply_to=first)
    code = add_outbound(db, session_id, "Your signing code is 123456")
    agent = add_outbound(db, session_id, "Hi, this is Ada from the lending team")
    status, headers, lines = read_stream(
        client, f"/channels/web/sessions/{session_id}/events?tenant=demo&after=0"
    )
    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache"
    assert events(lines) == [
        (code, "Your signing code is 123456"),
        (agent, "Hi, this is Ada from the lending team"),
    ]
    assert reply not in [i for i, _ in events(lines)]
    assert lines[0] == f"retry: {web_channel.RETRY_MS}"
    assert any(line.startswith(": heartbeat") for line in lines)


def test_last_event_id_resumes_after_the_last_message_seen(client, db, session_id):
    seen = add_outbound(db, session_id, "receipt 1")
    later = add_outbound(db, session_id, "receipt 2")
    _, _, lines = read_stream(
        client,
        f"/channels/web/sessions/{session_id}/events?tenant=demo&after=0",
        {"Last-Event-ID": str(seen)},
    )
    assert events(lines) == [(later, "receipt 2")]


def test_without_a_cursor_the_stream_starts_from_now(client, db, session_id):
    add_outbound(db, session_id, "old news")
    _, _, lines = read_stream(client, f"/channels/web/sessions/{session_id}/events?tenant=demo")
    assert events(lines) == []


@contextmanager
def streaming(client, session_id: str, settle: float) -> Iterator[list[tuple[int, str]]]:
    """The session's stream open in a thread for the block (after `settle` s); the list it yields
    holds what the stream sent, once the stream has closed at the end of the block."""
    sent: list[tuple[int, str]] = []

    def listen() -> None:
        sent.extend(events(read_stream(client, f"/channels/web/sessions/{session_id}/events?tenant=demo")[2]))

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(settle)
    yield sent
    listener.join(timeout=10)


def stored_while_streaming(client, db, session_id: str, body: str) -> tuple[int, list[tuple[int, str]]]:
    """Open the session's stream, store `body` 0.7 s later, and return its id and what the stream
    sent before it closed."""
    with streaming(client, session_id, settle=0.7) as sent:
        pushed = add_outbound(db, session_id, body)
    return pushed, sent


def test_a_message_stored_while_streaming_is_pushed(client, db, session_id):
    body = "Your payout of ₦500,000.00 is on its way"
    pushed, sent = stored_while_streaming(client, db, session_id, body)
    assert sent == [(pushed, body)]


def sent_up_to(client, message_id: int, timeout: float = 5.0) -> bool:
    """Wait until an open stream of this process has sent `message_id` (its cursor is past it)."""
    watch = client.app.state.web_push
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(s.cursor >= message_id for subs in list(watch._streams.values()) for s in subs):
            return True
        time.sleep(0.02)
    return False


def test_a_message_committed_after_a_newer_one_was_pushed_still_reaches_the_stream(
    client, db, session_id, monkeypatch
):
    # An agent's reply and a payout notice stored at once in two transactions: the one that got
    # the lower id commits last, after the stream has already sent the other.
    monkeypatch.setattr(web_channel, "STREAM_SECONDS", 6.0)  # time enough on a busy machine
    with streaming(client, session_id, settle=0.5) as sent, db.engine.connect() as slow:
        late = add_outbound(slow, session_id, "Ada here: I've checked your statement", commit=False)
        early = add_outbound(db, session_id, "Your payout of ₦500,000.00 is on its way")
        assert sent_up_to(client, early)  # the cursor is now above `late`'s id
        slow.commit()
    assert late < early
    assert sent == [
        (early, "Your payout of ₦500,000.00 is on its way"),
        (late, "Ada here: I've checked your statement"),
    ]


def test_another_sessions_messages_never_leak(client, db, session_id):
    other = f"web-{uuid.uuid4().hex}"
    client.post("/channels/web/messages", json={"session_id": other, "text": "hi"})
    add_outbound(db, other, "not for you")
    _, _, lines = read_stream(client, f"/channels/web/sessions/{session_id}/events?tenant=demo&after=0")
    assert "not for you" not in [t for _, t in events(lines)]


def test_a_disallowed_origin_cannot_listen(client, session_id):
    status, headers, _ = read_stream(
        client,
        f"/channels/web/sessions/{session_id}/events?tenant=demo",
        {"Origin": "https://evil.example"},
    )
    assert status == 403
    assert "access-control-allow-origin" not in headers


def test_an_allowed_origin_gets_cors_headers_on_the_stream(client, session_id):
    status, headers, _ = read_stream(
        client,
        f"/channels/web/sessions/{session_id}/events?tenant=demo",
        {"Origin": "http://localhost:8123"},  # the sandbox default allows local pages
    )
    assert status == 200
    assert headers["access-control-allow-origin"] == "http://localhost:8123"


def test_many_open_streams_share_one_poll_of_the_database(client, db):
    sessions = [f"web-{uuid.uuid4().hex}" for _ in range(5)]
    for sid in sessions:
        client.post("/channels/web/messages", json={"session_id": sid, "text": "hi"})
    watch = client.app.state.web_push
    polls_before = watch.polls
    got: dict[str, list[str]] = {}

    def listen(sid: str) -> None:
        got[sid] = read_stream(client, f"/channels/web/sessions/{sid}/events?tenant=demo")[2]

    listeners = [threading.Thread(target=listen, args=(sid,)) for sid in sessions]
    for listener in listeners:
        listener.start()
    time.sleep(0.7)
    pushed = {sid: add_outbound(db, sid, f"code for {sid[-6:]}") for sid in sessions}
    for listener in listeners:
        listener.join(timeout=10)
    for sid in sessions:  # each stream got its own message and nobody else's
        assert events(got[sid]) == [(pushed[sid], f"code for {sid[-6:]}")]
    # about STREAM_SECONDS / POLL_SECONDS polls for the five streams together, not five times that
    polls = watch.polls - polls_before
    assert 0 < polls <= web_channel.STREAM_SECONDS / web_channel.POLL_SECONDS + 3


def test_a_committed_message_reaches_the_stream_at_once_not_at_the_next_poll(client, db, session_id):
    # Polls now come 30 s apart, longer than the whole stream (2 s): only PostgreSQL's NOTIFY on
    # commit (migration 0020) can bring the message in time.
    client.app.state.web_push.poll_seconds = 30.0
    body = "Ada here from the lending team: your payout is approved"
    pushed, sent = stored_while_streaming(client, db, session_id, body)
    assert sent == [(pushed, body)]


def test_sqlite_has_no_listener_and_postgresql_one_without_the_driver_name():
    from backend.api.web_push import listen_url

    assert listen_url("sqlite:///var/app.db") is None
    assert listen_url("postgresql+psycopg://u:p@db:5432/credit") == "postgresql://u:p@db:5432/credit"
