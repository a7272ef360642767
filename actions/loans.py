"""The customer's current loan, as the repayment, schedule and hardship actions need it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.backend_client import BackendClient
from actions.context import customer_id_of, request_context

OPEN_STATES = ("active", "delinquent", "in_arrears", "overdue", "pending_disbursement")


async def current_loan(tracker: Tracker) -> dict[str, Any] | None:
    """The customer's most recent open loan (raises BackendError when the backend is down)."""
    customer = customer_id_of(tracker)
    if not customer:
        return None
    page = await BackendClient().get("/v1/loans", request_context(tracker), customer_id=customer, limit=100)
    items = page.get("items") if isinstance(page, dict) else page
    loans = [loan for loan in items or [] if loan.get("status") not in ("closed", "written_off", "cancelled")]
    return loans[-1] if loans else None  # oldest first: the last open one is the newest
