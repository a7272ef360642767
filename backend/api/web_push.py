"""One database poll per backend process for every open web chat event stream.

A widget open on a customer's screen holds an SSE stream (`/channels/web/sessions/{id}/events`)
that pushes the messages nobody asked for: an agent's reply, a signing code, a receipt, a payout
notice. Polling the database once a second per stream costs a thousand queries a second for a
thousand open widgets; here each process asks once per poll for all of its streams (one
statement per 500 of them), and hands each stream what is newer than the last message it sent.
The database stays the only source of truth: a message is pushed only once it is committed, in id
order, and a reconnecting browser resumes from its Last-Event-ID whatever process it reaches.

On PostgreSQL the process also LISTENs on `conversation_push`: a trigger (migration 0020) sends a
notification when such a message is committed, and the poll runs at once for a conversation that
has a stream here, so an agent's reply reaches the widget in milliseconds rather than within the
second. The listener is an accelerator only: when it cannot connect, the poll still delivers.

A poll also looks back over the last LOOKBACK of messages for one that committed after a newer
one was sent (see `backend/api/sent_window.py`): that one comes late, out of id order, never lost.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import anyio
import psycopg
import structlog
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import Message, utcnow
from backend.api.sent_window import LOOKBACK, SentWindow
from backend.gateway.store import OUTBOUND

log = structlog.get_logger(__name__)

CHUNK = 500  # streams per statement
BATCH = 100  # messages per stream per poll
CHANNEL = "conversation_push"  # migration 0020's NOTIFY


def listen_url(database_url: str) -> str | None:
    """The libpq URL to LISTEN on for a PostgreSQL database; None for SQLite (no NOTIFY)."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def as_event(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "direction": row.direction,
        "author": row.author,
        "text": row.text,
        "buttons": row.buttons or [],
        "in_reply_to": None,
    }


@dataclass(frozen=True)
class Window:
    """What one conversation's streams still need: ids above `floor` (where the oldest stream
    started), and among them those above `cursor` (the least any stream has sent) or stored
    since `since` (possibly committed after a newer one was sent)."""

    floor: int
    cursor: int


def unsolicited_since(session: Session, windows: dict[uuid.UUID, Window], since: datetime) -> list[Any]:
    """Outbound messages that answer nothing (`in_reply_to` null) in each conversation's window,
    oldest first."""
    rows: list[Any] = []
    items = list(windows.items())
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        rows.extend(
            session.execute(
                select(
                    Message.id,
                    Message.conversation_id,
                    Message.direction,
                    Message.author,
                    Message.text,
                    Message.buttons,
                )
                .where(
                    or_(
                        *(
                            and_(
                                Message.conversation_id == cid,
                                Message.id > window.floor,
                                or_(Message.id > window.cursor, Message.created_at >= since),
                            )
                            for cid, window in chunk
                        )
                    ),
                    Message.direction == OUTBOUND,
                    Message.in_reply_to_id.is_(None),
                )
                .order_by(Message.id)
                .limit(BATCH * len(chunk))
            ).all()
        )
    return rows


@dataclass(eq=False)
class Subscription:
    """One open stream: what it has been sent up to, and what is waiting for it."""

    conversation_id: uuid.UUID
    cursor: int  # the newest id sent, or where the stream started
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    floor: int = field(init=False)  # where the stream started: nothing at or below is sent
    sent: SentWindow = field(default_factory=SentWindow)

    def __post_init__(self) -> None:
        self.floor = self.cursor

    def offer(self, row: Any) -> None:
        """Queue a message unless it is from before the stream or already sent."""
        if row.id > self.floor and self.sent.first_time(row.id):
            self.cursor = max(self.cursor, row.id)
            self.queue.put_nowait(as_event(row))


class OutboundWatch:
    """The streams of this process and the one poller that feeds them (started with the first
    stream, stopped with the last)."""

    def __init__(
        self, sessions: sessionmaker[Session], poll_seconds: float = 1.0, notify_url: str | None = None
    ) -> None:
        self._sessions = sessions
        self.poll_seconds = poll_seconds
        self._notify_url = notify_url
        self._streams: dict[uuid.UUID, set[Subscription]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.polls = 0  # polls made, for tests and the bench

    def subscribe(self, conversation_id: uuid.UUID, cursor: int) -> Subscription:
        subscription = Subscription(conversation_id, cursor)
        self._streams.setdefault(conversation_id, set()).add(subscription)
        self._wake.set()  # a new stream gets what it missed at once, not at the next poll
        if self._poller is None or self._poller.done():
            loop = asyncio.get_running_loop()
            self._poller = loop.create_task(self._run())
            if self._notify_url is not None:
                self._listener = loop.create_task(self._listen(self._notify_url))
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        streams = self._streams.get(subscription.conversation_id)
        if streams is not None:
            streams.discard(subscription)
            if not streams:
                del self._streams[subscription.conversation_id]

    async def _run(self) -> None:
        try:
            while self._streams:
                with anyio.move_on_after(self.poll_seconds):
                    await self._wake.wait()
                self._wake.clear()
                if not self._streams:
                    break
                try:
                    await self.poll_once()
                except Exception:  # a database blip: the next poll tries again, nothing is lost
                    log.exception("web_push_poll_failed")
        finally:
            if self._listener is not None:
                self._listener.cancel()
                self._listener = None

    async def _listen(self, url: str) -> None:
        """Wake the poller when a conversation with a stream here gets a message (PostgreSQL)."""
        while self._streams:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    async for note in conn.notifies():
                        try:
                            conversation_id = uuid.UUID(note.payload)
                        except ValueError:
                            continue
                        if conversation_id in self._streams:
                            self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the poll still delivers; try to listen again later
                log.warning("web_push_listen_failed", error=str(exc))
                await anyio.sleep(self.poll_seconds * 5)

    async def poll_once(self) -> None:
        windows = {
            cid: Window(floor=min(s.floor for s in subs), cursor=min(s.cursor for s in subs))
            for cid, subs in self._streams.items()
            if subs
        }
        if not windows:
            return
        rows = await anyio.to_thread.run_sync(self._fetch, windows, utcnow() - LOOKBACK)
        self.polls += 1
        for row in rows:
            for subscription in list(self._streams.get(row.conversation_id, ())):
                subscription.offer(row)
        for subscriptions in self._streams.values():
            for subscription in subscriptions:
                subscription.sent.forget_old()

    def _fetch(self, windows: dict[uuid.UUID, Window], since: datetime) -> list[Any]:
        with self._sessions() as session:
            return unsolicited_since(session, windows, since)
