"""Custom actions of the "how much can I borrow?" journey. Thin: the backend decides."""

from __future__ import annotations

from typing import Any

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendClient, BackendError, BackendProblem
from actions.context import locale_of, request_context

log = structlog.get_logger(__name__)

FORM_SLOTS = ("business_type", "monthly_revenue", "monthly_revenue_minor", "monthly_revenue_currency")


def reset_form_slots() -> list[EventType]:
    """Clear everything the form collected, so the next check asks afresh instead of reusing it."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionCheckEligibility(Action):
    """Send the form's answers to ``POST /v1/eligibility`` and relay the decision.

    The answer (limit or reasons) is the backend's wording and formatting; this action adds no
    rule of its own. Form slots are cleared afterwards: the figures were for this one question.
    """

    def name(self) -> str:
        return "action_check_eligibility"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        business_type = tracker.get_slot("business_type")
        minor = tracker.get_slot("monthly_revenue_minor")
        currency = tracker.get_slot("monthly_revenue_currency")
        ctx = request_context(tracker)
        if not business_type or minor is None or not currency:
            # Reached only if a story skips the form; say so rather than call with half the data.
            log.warning("eligibility.missing_slots", sender=tracker.sender_id, request_id=ctx.request_id)
            dispatcher.utter_message(response="utter_backend_unavailable")
            return reset_form_slots()
        try:
            result = await BackendClient().check_eligibility(
                conversation_id=tracker.sender_id,
                business_type=business_type,
                amount_minor=int(minor),
                currency=currency,
                locale=locale_of(tracker),
                ctx=ctx,
            )
        except BackendError as exc:
            log.error(
                "eligibility.backend_failed",
                sender=tracker.sender_id,
                request_id=ctx.request_id,
                tenant=ctx.tenant,
                error=str(exc),
                status=exc.problem.status if isinstance(exc, BackendProblem) else None,
            )
            dispatcher.utter_message(response="utter_backend_unavailable")
            return reset_form_slots()

        log.info(
            "eligibility.answered",
            sender=tracker.sender_id,
            request_id=ctx.request_id,
            eligible=result.eligible,
            rule_version=result.rule_version,
        )
        if result.eligible and result.limit is not None:
            dispatcher.utter_message(response="utter_eligible", limit=result.limit.formatted)
        else:
            reasons = " ".join(result.reasons) or "This business does not meet our current criteria."
            dispatcher.utter_message(response="utter_not_eligible", reasons=reasons)
        return reset_form_slots()


class ActionResetEligibilityForm(Action):
    """Clear the form's slots after the customer stops it, so nothing half-typed is reused."""

    def name(self) -> str:
        return "action_reset_eligibility_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        return reset_form_slots()
