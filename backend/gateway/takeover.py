"""While a person holds a conversation, the bot is silent for it, on every channel.

A conversation is held from the moment a handoff is requested (the customer asked, the bot failed
twice, a dispute or hardship case, an agent claimed it) until it is resolved, handed back or
cancelled. While held, the customer's messages are stored for the agent and never reach Rasa;
the agent's replies go out through the customer's channel (`delivery`). While waiting, the
customer is told their place in the queue (at most every few minutes, not on every message) and
may type "cancel" to go back to the assistant; outside support hours they are told when the team
is back. Rasa's tracker records the pause and the resume (`pause`/`resume` events through its HTTP
API), so the bot picks up with its context when the agent hands back.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from babel.dates import format_datetime
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.agent_repository import SqlAgentUnitOfWork
from backend.adapters.db.care_models import HandoffRequest
from backend.adapters.db.models import Message, utcnow
from backend.adapters.rasa import RasaClient, RasaUnavailable
from backend.services.agents import queue as agent_queue
from backend.services.agents.queue import QueueInfo

log = structlog.get_logger(__name__)

HOLDING = ("waiting", "assigned")
CANCEL = re.compile(
    r"^\s*(cancel|back to (the )?(bot|assistant)|never ?mind|forget it|no need)\W*$", re.IGNORECASE
)
# One queue notice per this interval while waiting: a customer typing "hello??" three times in a
# minute gets one answer, not three.
NOTICE_EVERY = timedelta(minutes=3)
# Without live measurements yet, the expected wait is this per conversation ahead in the queue.
MINUTES_PER_PLACE = 4
LAGOS = ZoneInfo("Africa/Lagos")


@dataclass(frozen=True, slots=True)
class Hold:
    handoff_id: uuid.UUID
    status: str  # waiting | assigned
    priority: str
    created_at: datetime


def hold_of(session: Session, conversation_id: uuid.UUID) -> Hold | None:
    row = session.scalar(
        select(HandoffRequest)
        .where(HandoffRequest.conversation_id == conversation_id, HandoffRequest.status.in_(HOLDING))
        .order_by(HandoffRequest.created_at.desc())
        .limit(1)
    )
    return Hold(row.id, row.status, row.priority, row.created_at) if row else None


def ever_handed_off(session: Session, conversation_id: uuid.UUID) -> bool:
    count = session.scalar(
        select(func.count())
        .select_from(HandoffRequest)
        .where(HandoffRequest.conversation_id == conversation_id)
    )
    return bool(count)


def queue_position(session: Session, tenant_id: uuid.UUID, hold: Hold) -> int:
    """1 for the next to be picked: high priority first, then oldest."""
    older = (HandoffRequest.priority == hold.priority) & (HandoffRequest.created_at < hold.created_at)
    ahead_of_us = older if hold.priority == "high" else (HandoffRequest.priority == "high") | older
    ahead = session.scalar(
        select(func.count())
        .select_from(HandoffRequest)
        .where(HandoffRequest.tenant_id == tenant_id, HandoffRequest.status == "waiting", ahead_of_us)
    )
    return int(ahead or 0) + 1


def customer_message(
    session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID, hold: Hold, text: str
) -> str | None:
    """What the customer is told when they write while held (None: nothing, the agent answers)."""
    if hold.status == "waiting" and CANCEL.match(text or ""):
        row = session.get_one(HandoffRequest, hold.handoff_id)
        row.status = "cancelled"
        row.updated_at = utcnow()  # the agent console's event stream follows updated_at
        log.info("handoff_cancelled_by_customer", conversation_id=str(conversation_id))
        return "Okay, you're back with the assistant. How can I help?"
    if hold.status != "waiting":
        return None
    last_notice = session.scalar(
        select(func.max(Message.created_at)).where(
            Message.conversation_id == conversation_id,
            Message.author == "system",
            Message.text.like("%Type 'cancel'%"),
        )
    )
    if last_notice is not None:
        if last_notice.tzinfo is None:
            last_notice = last_notice.replace(tzinfo=utcnow().tzinfo)
        if utcnow() - last_notice < NOTICE_EVERY:
            return None
    info = _queue_info(session, tenant_id, conversation_id, hold)
    if not info.in_hours and info.next_open_at is not None:
        back = format_datetime(info.next_open_at.astimezone(LAGOS), "EEEE d MMM 'at' HH:mm", locale="en_NG")
        return (
            f"Our team is offline right now; they're back on {back}. Your messages are saved and "
            "they'll reply right here. Type 'cancel' to go back to the assistant meanwhile."
        )
    minutes = max(1, (info.expected_wait_seconds or 0) // 60) if info.expected_wait_seconds else None
    wait = f" (about {minutes} minute{'s' if minutes != 1 else ''})" if minutes else ""
    return (
        f"You're number {info.position} in the queue for a person from our team{wait}. "
        "They'll reply right here. Type 'cancel' to go back to the assistant."
    )


def _queue_info(session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID, hold: Hold) -> QueueInfo:
    """The agents service's measured queue position, wait and support hours; this gateway's
    own count when that cannot be read."""
    try:
        info = agent_queue.queue_position(
            SqlAgentUnitOfWork(_sessions_of(session)), conversation_id, utcnow()
        )
    except Exception as exc:  # the notice must not fail the customer's message
        log.warning("queue_info_unavailable", error=str(exc))
        info = None
    if info is None or info.position is None:
        place = queue_position(session, tenant_id, hold)
        return QueueInfo(place, place * MINUTES_PER_PLACE * 60, True, None)
    return info


def _sessions_of(session: Session) -> sessionmaker[Session]:
    return sessionmaker(bind=session.get_bind(), expire_on_commit=False)


def sync_rasa_pause(rasa: RasaClient, conversation_id: uuid.UUID, held: bool) -> None:
    """Make Rasa's tracker say what the gateway does: paused while a person holds the conversation,
    resumed (with its slots and history) when they hand back. Best effort: the gateway, not the
    tracker, is what keeps the bot silent."""
    try:
        paused = rasa.tracker_paused(str(conversation_id))
        if held and not paused:
            rasa.append_event(str(conversation_id), {"event": "pause"})
        elif not held and paused:
            rasa.append_event(str(conversation_id), {"event": "resume"})
    except RasaUnavailable as exc:
        log.warning("rasa_pause_sync_failed", conversation_id=str(conversation_id), error=str(exc))


FOR_AGENT = "for_agent"


def route_if_held(
    session: Session, tenant_id: uuid.UUID, conversation_id: uuid.UUID, message: Message, text: str
) -> tuple[bool, str | None]:
    """(held, notice): when a person holds the conversation the message is marked for the agent
    and never reaches the bot; `notice` is what the customer is told, if anything. A "cancel"
    while waiting ends the hold: the message is answered by the notice and the bot is back."""
    hold = hold_of(session, conversation_id)
    if hold is None:
        return False, None
    notice = customer_message(session, tenant_id, conversation_id, hold, text)
    cancelled = session.get_one(HandoffRequest, hold.handoff_id).status == "cancelled"
    message.status = "answered" if cancelled else FOR_AGENT
    return True, notice
