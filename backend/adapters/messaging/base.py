"""What every live messaging sender returns or raises, so the outbound task treats providers alike.

A sender turns one rendered `channels.messages.Outbound` body into one provider API call. The
outbound task decides what to do with the outcome: store the provider's id (delivery reports
update the message later), retry a transient failure with backoff, fall back (a WhatsApp message
outside the 24-hour customer-service window goes as an approved template, else as SMS), or mark
the message failed with the provider's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class SendResult:
    provider: str
    provider_message_id: str
    status: str  # the provider's first status: queued, accepted, sent...


class SendError(Exception):
    """The provider refused or could not take the message."""

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class OutsideServiceWindow(SendError):
    """WhatsApp refuses free-form messages more than 24 hours after the customer last wrote
    (Twilio 63016, Meta 131047): only an approved template may go, or another channel."""


class Sender(Protocol):
    name: str

    def send(self, recipient: str, body: dict[str, Any], *, idempotency_key: str) -> SendResult: ...
