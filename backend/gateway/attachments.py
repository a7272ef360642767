"""Files a customer sends become their documents before the bot sees the message.

The bot only ever handles document ids. A web upload carries its bytes; a Twilio or Meta message
carries a URL or media id that is fetched here, in the worker, with the provider's credentials. A
file the onboarding rules refuse (no consent yet, a type we don't take, too big) or that cannot be
fetched is logged and left out: the bot then asks for it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import utcnow
from backend.adapters.db.onboarding_repository import SqlOnboardingUow
from backend.gateway.store import ConversationRef
from backend.services.onboarding.documents import store_chat_attachment
from backend.services.origination.errors import OriginationError
from channels.messages import Attachment, InboundMessage

log = structlog.get_logger(__name__)

FetchMedia = Callable[[str, Attachment], tuple[bytes, str]]


def store_attachments(
    sessions: sessionmaker[Session],
    conversation: ConversationRef,
    inbound: InboundMessage,
    fetch_media: FetchMedia | None = None,
) -> list[dict[str, Any]]:
    """`[{document_id, kind, content_type, filename}]` for the files stored."""
    stored: list[dict[str, Any]] = []
    if not inbound.attachments or conversation.customer_id is None or conversation.tenant_id is None:
        return stored
    for attachment in inbound.attachments:
        content, content_type = attachment.content, attachment.content_type
        if content is None:
            if fetch_media is None:
                log.warning("attachment_not_fetchable", conversation_id=str(conversation.id))
                continue
            try:
                content, fetched_type = fetch_media(inbound.channel, attachment)
                content_type = fetched_type or content_type
            except Exception as exc:  # a provider outage must not lose the message itself
                log.warning("attachment_fetch_failed", conversation_id=str(conversation.id), error=str(exc))
                continue
        try:
            doc = store_chat_attachment(
                conversation.customer_id,
                content_type,
                attachment.filename,
                content,
                SqlOnboardingUow(conversation.tenant_id, sessions),
                utcnow(),
            )
        except OriginationError as exc:
            log.info("attachment_refused", conversation_id=str(conversation.id), reason=str(exc))
            continue
        stored.append(
            {
                "document_id": str(doc.id),
                "kind": doc.kind,
                "content_type": doc.content_type,
                "filename": doc.filename,
            }
        )
    return stored
