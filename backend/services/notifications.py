"""The notifications port: a message the business sends first (a receipt, "your money has
landed"), to wherever the customer last talked to us.

A port rather than a direct call to the gateway, so the payment use cases stay testable without a
database or a worker, and a later adapter can pick WhatsApp templates or SMS fallback on its own.
"""

from __future__ import annotations

import uuid
from typing import Protocol


class Notifier(Protocol):
    def notify(self, tenant_id: uuid.UUID, customer_id: uuid.UUID, text: str) -> bool:
        """Queue `text` for the customer; False when there is no conversation to send it on."""
        ...
