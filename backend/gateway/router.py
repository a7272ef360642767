"""The conversation router: every inbound message, from any channel, goes through here.

persist (deduplicated on the provider's message id) -> post to Rasa with the conversation id as
sender -> persist the replies against the message they answer. A redelivered message returns the
first replies and never reaches Rasa twice; a message Rasa could not take is kept and re-tried
when the channel redelivers it.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import Message, utcnow
from backend.adapters.rasa import RasaClient, RasaUnavailable
from backend.gateway import store, takeover
from backend.gateway.attachments import store_attachments
from backend.gateway.store import ConversationRef
from channels.messages import BotReply, Button, InboundMessage

log = structlog.get_logger(__name__)

DEFAULT_TENANT = "demo"
RECEIVED, ANSWERED, FAILED = "received", "answered", "failed"
SILENCE_APOLOGY = BotReply(
    text="Sorry, I'm having trouble right now. Please try again in a moment.",
    buttons=(Button("Start again", "/greet"),),
)


class AssistantUnavailable(RuntimeError):
    """Rasa did not answer; the message is stored and a redelivery will be processed."""


class ConversationGateway:
    def __init__(self, sessions: sessionmaker[Session], rasa: RasaClient, wait_seconds: float = 30.0) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._wait_seconds = wait_seconds

    def handle(
        self, inbound: InboundMessage, request_id: str | None
    ) -> tuple[ConversationRef, list[BotReply]]:
        with self._sessions() as session:
            conversation = store.find_or_create_conversation(
                session, inbound.tenant or DEFAULT_TENANT, inbound.channel, inbound.sender
            )
            session.commit()
            message_id, earlier = self._record_inbound(session, conversation, inbound, request_id)
        if earlier is not None:
            return conversation, earlier
        held_replies = self._route_if_held(conversation, message_id, inbound)
        if held_replies is not None:
            return conversation, held_replies
        attachments = store_attachments(self._sessions, conversation, inbound)
        metadata: dict[str, Any] = {
            "request_id": request_id,
            "tenant": conversation.tenant_slug,
            "locale": conversation.locale,
            "currency": conversation.currency,
            "channel": inbound.channel,
            "conversation_id": str(conversation.id),
            "customer_id": str(conversation.customer_id) if conversation.customer_id else None,
            **({"attachments": attachments} if attachments else {}),
            **inbound.metadata,
        }
        try:
            replies = self._rasa.send(str(conversation.id), inbound.text, metadata)
        except RasaUnavailable as exc:
            log.warning("rasa_unavailable", conversation_id=str(conversation.id), error=str(exc))
            self._set_status(message_id, FAILED)
            raise AssistantUnavailable(str(exc)) from exc
        if not replies:
            # Rasa answers with nothing when an action failed (action server down, an exception in
            # an action): the customer must never be left in silence.
            log.warning("bot_silent", conversation_id=str(conversation.id))
            replies = [SILENCE_APOLOGY]
        with self._sessions.begin() as session:
            store.store_replies(session, conversation.id, message_id, replies, request_id)
        log.info("turn", conversation_id=str(conversation.id), channel=inbound.channel, replies=len(replies))
        return conversation, replies

    def _route_if_held(
        self, conversation: ConversationRef, message_id: int, inbound: InboundMessage
    ) -> list[BotReply] | None:
        """None when the bot should answer; else the replies while a person holds the conversation
        (possibly none: the agent answers, live, through the page's event stream)."""
        with self._sessions() as session:
            message = session.get_one(Message, message_id)
            held, notice = takeover.route_if_held(
                session,
                conversation.tenant_id,
                conversation.id,
                message,
                inbound.display_text or inbound.text,
            )
            if not held:
                session.rollback()
                had_handoff = takeover.ever_handed_off(session, conversation.id)
            else:
                for_agent = message.status == takeover.FOR_AGENT
                if for_agent:
                    takeover.sync_rasa_pause(self._rasa, conversation.id, held=True)
                replies = [BotReply(notice)] if notice else []
                if replies:
                    store.store_replies(session, conversation.id, message_id, replies, None, author="system")
                    message.status = takeover.FOR_AGENT if for_agent else "answered"
                session.commit()
                if not for_agent:  # "cancel" while waiting: the bot is back
                    takeover.sync_rasa_pause(self._rasa, conversation.id, held=False)
                return replies
        if had_handoff:
            takeover.sync_rasa_pause(self._rasa, conversation.id, held=False)
        return None

    def _record_inbound(
        self, session: Session, conversation: ConversationRef, inbound: InboundMessage, request_id: str | None
    ) -> tuple[int, list[BotReply] | None]:
        """Store the message; for a duplicate, return the first delivery's replies instead. The
        unique key on the provider id decides (`store.insert_inbound_once`), as for the webhooks."""
        message_id = store.insert_inbound_once(
            session,
            conversation.id,
            {
                "author": "customer",
                "text": inbound.display_text if inbound.is_payload else inbound.text,
                "payload": inbound.text if inbound.is_payload else None,
                "provider_message_id": inbound.provider_message_id,
                "status": RECEIVED,
                "request_id": request_id,
                "created_at": utcnow(),
            },
        )
        session.commit()
        if message_id is not None:
            return message_id, None
        earlier = store.find_inbound(session, conversation.id, inbound.provider_message_id or "")
        assert earlier is not None  # ON CONFLICT skipped the row: the provider id is stored
        return self._settle_duplicate(session, earlier)

    def _settle_duplicate(self, session: Session, earlier: Message) -> tuple[int, list[BotReply] | None]:
        log.info("duplicate_inbound", message_id=earlier.id, status=earlier.status)
        if earlier.status == FAILED:
            # The first delivery never reached the bot: this one takes its place.
            self._set_status(earlier.id, RECEIVED)
            return earlier.id, None
        deadline = time.monotonic() + self._wait_seconds
        while earlier.status == RECEIVED and time.monotonic() < deadline:
            time.sleep(0.05)  # the first delivery is still with Rasa
            session.refresh(earlier)
        if earlier.status not in (ANSWERED, takeover.FOR_AGENT):
            raise AssistantUnavailable("the first delivery of this message is still being processed")
        return earlier.id, store.replies_to(session, earlier.id)

    def _set_status(self, message_id: int, status: str) -> None:
        with self._sessions.begin() as session:
            session.execute(update(Message).where(Message.id == message_id).values(status=status))
