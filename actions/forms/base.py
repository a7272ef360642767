"""What every journey form does the same way: answer a side question, then ask again.

Customers ask things in the middle of a form ("why do you need my BVN?", "what is APR?"). Each
form slot takes free text (the validators interpret it), so a side question would otherwise be
stored as the answer. Here, before any slot is validated, a confident side-question intent is
answered with its response and the same slot is asked again: the form resumes where it was, for
every form, without one rule per form and question. Interruptions that end the form (stop,
start over, a human, opt-out) are excluded from the slot mappings in the domain and handled by
rules; prose slots let start over through, so a misread purpose never wipes the conversation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

# intent -> the response that answers it
DIGRESSIONS: dict[str, str] = {
    "ask_why_identity": "utter_ask_why_identity",
    "ask_what_is_apr": "utter_ask_what_is_apr",
    "ask_fees": "utter_ask_fees",
    "ask_privacy": "utter_ask_privacy",
    "ask_products": "utter_ask_products",
    "help": "utter_help_in_form",
    "bot_challenge": "utter_iamabot",
}
# Below this the message is more likely an answer that merely looks like a question.
DIGRESSION_CONFIDENCE = 0.7
# A slot a validator sets to end its form (see `ended_if_aborted`).
ABORT = "journey_abort"


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def attachments_of(tracker: Tracker) -> list[dict[str, Any]]:
    """Documents the customer sent with the latest message, stored by the gateway beforehand."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    items = metadata.get("attachments") if isinstance(metadata, dict) else None
    return [a for a in items or [] if isinstance(a, dict) and a.get("document_id")]


class JourneyFormValidation(FormValidationAction, ABC):
    """Base of the journey validators: side questions answered, then the form goes on.

    `free_text_slots` are slots whose answer is prose (a purpose, a description): there a
    question-shaped answer is the answer, so no digression is taken.
    """

    free_text_slots: frozenset[str] = frozenset()

    @abstractmethod
    def name(self) -> str:
        """`validate_<form>`: abstract, so the action server does not register the base itself."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        intent, confidence = latest_intent(tracker)
        if (
            requested
            and requested not in self.free_text_slots
            and intent in DIGRESSIONS
            and confidence >= DIGRESSION_CONFIDENCE
            and not attachments_of(tracker)
        ):
            dispatcher.utter_message(response=DIGRESSIONS[intent])
            return [SlotSet(requested, None), SlotSet("requested_slot", requested)]
        return ended_if_aborted(await super().run(dispatcher, tracker, domain))


def ended_if_aborted(events: list[EventType]) -> list[EventType]:
    """A validator that decides the form cannot go on (consent refused, KYC failed twice, signing
    locked...) sets ABORT: the loop ends and the slot is cleared, so the submit action sees no
    confirmation and says nothing more."""
    if not any(e.get("event") == "slot" and e.get("name") == ABORT and e.get("value") for e in events):
        return events
    kept = [
        e for e in events if not (e.get("event") == "slot" and e.get("name") in (ABORT, "requested_slot"))
    ]
    return [*kept, SlotSet(ABORT, None), ActiveLoop(None), SlotSet("requested_slot", None)]
