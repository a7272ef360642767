"""What the gateway tells us about a message: tenant, locale, currency, request id.

The backend gateway sends these as REST-channel metadata with every user message; Rasa keeps
them on the latest user message, so actions read them from there instead of storing chatty slots
(the whole tracker travels to the action server on every call).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.backend_client import RequestContext

DEFAULT_TENANT = "demo"
DEFAULT_CURRENCY = "NGN"


def metadata_of(tracker: Tracker) -> dict[str, Any]:
    """Metadata of the latest user message, falling back to the last user event that has any."""
    metadata = (tracker.latest_message or {}).get("metadata")
    if isinstance(metadata, dict) and metadata:
        return metadata
    for event in reversed(tracker.events):
        if event.get("event") == "user" and isinstance(event.get("metadata"), dict) and event["metadata"]:
            return event["metadata"]
    return {}


def currency_of(tracker: Tracker) -> str:
    """The customer's default currency, applied when they type an amount without one."""
    currency = metadata_of(tracker).get("currency")
    return currency.upper() if isinstance(currency, str) and len(currency) == 3 else DEFAULT_CURRENCY


def locale_of(tracker: Tracker) -> str | None:
    """The customer's locale (e.g. ``en_NG``), passed to the backend for formatting."""
    locale = metadata_of(tracker).get("locale")
    return locale if isinstance(locale, str) and locale else None


def customer_id_of(tracker: Tracker) -> str | None:
    """The backend's customer behind this conversation (the gateway knows the channel identity)."""
    value = metadata_of(tracker).get("customer_id")
    return value if isinstance(value, str) and value else None


def conversation_id_of(tracker: Tracker) -> str:
    """The backend conversation id; the gateway uses it as Rasa's sender id too."""
    value = metadata_of(tracker).get("conversation_id")
    return value if isinstance(value, str) and value else tracker.sender_id


def request_context(tracker: Tracker, scope: str | None = None) -> RequestContext:
    """Tenant, request id and an idempotency key unique to this user turn.

    The key is ``<sender>:<message id>`` so a redelivered message (Rasa retrying the action, the
    gateway re-posting) maps to the same backend request instead of a second decision. ``scope``
    names the call when one turn makes several POSTs: one key per (turn, call), since the backend
    refuses a key reused with another body.
    """
    metadata = metadata_of(tracker)
    latest = tracker.latest_message or {}
    turn = latest.get("message_id") or _latest_user_timestamp(tracker) or "unknown"
    tenant = metadata.get("tenant")
    request_id = metadata.get("request_id")
    return RequestContext(
        tenant=tenant if isinstance(tenant, str) and tenant else DEFAULT_TENANT,
        idempotency_key=f"{tracker.sender_id}:{turn}" + (f":{scope}" if scope else ""),
        request_id=request_id if isinstance(request_id, str) and request_id else None,
    )


def _latest_user_timestamp(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("timestamp") is not None:
            return str(event["timestamp"])
    return None
