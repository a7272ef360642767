"""Disputes, a human, and the actions every journey shares: cancel, fallback, opt-out."""

from __future__ import annotations

import re
from typing import Any

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.application import APPLICATION_SLOTS
from actions.backend_client import BackendClient, BackendError, BackendProblem
from actions.context import conversation_id_of, customer_id_of, request_context
from actions.eligibility import FORM_SLOTS as ELIGIBILITY_SLOTS
from actions.forms.base import JourneyFormValidation, attachments_of, latest_intent, latest_text
from actions.parsing.answers import yes_no

log = structlog.get_logger(__name__)

CATEGORIES = {
    "charge": ("charge", "charged", "fee", "deduct", "debit"),
    "payment_not_reflected": (
        "not reflect",
        "not showing",
        "not show",
        "paid but",
        "reflect",
        "missing payment",
    ),
    "wrong_amount": ("wrong amount", "too much", "more than", "wrong"),
    "other": ("other", "something else"),
}
DISPUTE_SLOTS = ("dispute_category", "dispute_description", "dispute_attachment")
TO_A_PERSON = frozenset({"payment_not_reflected", "wrong_amount"})
REFERENCE = re.compile(r"\bDSP-?[0-9A-HJKMNP-TV-Z]{6}\b", re.IGNORECASE)
# How many misunderstood messages in a row before a person is offered.
MISSES_BEFORE_HUMAN = 2
# Marks a fallback turn the knowledge base answered: it is not a miss.
ANSWERED = "assist_answered"


class ValidateDisputeForm(JourneyFormValidation):
    free_text_slots = frozenset({"dispute_description"})

    def name(self) -> str:
        return "validate_dispute_form"

    async def validate_dispute_category(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = str(slot_value or "").lower()
        for entity in (tracker.latest_message or {}).get("entities") or []:
            if entity.get("entity") == "option" and entity.get("value") in CATEGORIES:
                return {"dispute_category": entity["value"]}
        found = [c for c, words in CATEGORIES.items() if c in value or any(w in value for w in words)]
        if not found:
            dispatcher.utter_message(text="Please pick what the problem is about.")
            return {"dispute_category": None}
        return {"dispute_category": found[0]}

    async def validate_dispute_description(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(slot_value or "").strip()
        if len(text) < 5:
            dispatcher.utter_message(text="Please tell me a bit more: what happened, when, and the amount.")
            return {"dispute_description": None}
        return {"dispute_description": text[:2000]}

    async def validate_dispute_attachment(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        attachments = attachments_of(tracker)
        if attachments:
            return {"dispute_attachment": str(attachments[0]["document_id"])}
        intent, _ = latest_intent(tracker)
        if yes_no(latest_text(tracker), intent) is False or "skip" in latest_text(tracker).lower():
            return {"dispute_attachment": "none"}
        dispatcher.utter_message(text="Attach a screenshot or receipt with 📎, or tap Skip.")
        return {"dispute_attachment": None}


class ActionOpenDispute(Action):
    def name(self) -> str:
        return "action_open_dispute"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(s, None) for s in DISPUTE_SLOTS]
        category = tracker.get_slot("dispute_category")
        description = tracker.get_slot("dispute_description")
        if not category or not description:
            return reset
        attachment = tracker.get_slot("dispute_attachment")
        body: dict[str, Any] = {
            "customer_id": customer_id_of(tracker),
            "loan_id": tracker.get_slot("loan_id") or None,
            "category": category,
            "description": description,
            "attachment_document_id": attachment if attachment and attachment != "none" else None,
        }
        try:
            dispute = await BackendClient().post("/v1/disputes", body, request_context(tracker, "dispute"))
        except BackendProblem as exc:
            dispatcher.utter_message(text=exc.problem.detail or "I couldn't open the dispute.")
            return reset
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return reset
        dispatcher.utter_message(
            text=f"I've opened your dispute. Your reference is {dispute['reference']}. "
            f"{dispute.get('sla_text') or ''}".strip()
            + " You can ask 'status of my dispute' any time."
        )
        events: list[EventType] = [*reset, SlotSet("dispute_reference", dispute["reference"])]
        if category in TO_A_PERSON and await request_handoff(tracker, "dispute") is not None:
            # Policy: money the customer says is missing or wrong goes to a person at once, at
            # the front of the queue; other disputes are worked within their SLA.
            dispatcher.utter_message(
                text="Because this is about money on your account, I've also asked a person from our "
                "team to look at it with you now; they'll reply right here."
            )
            events.append(ConversationPaused())
        return events


class ActionDisputeStatus(Action):
    def name(self) -> str:
        return "action_dispute_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        client = BackendClient()
        ctx = request_context(tracker)
        typed = REFERENCE.search(latest_text(tracker))
        reference = (typed.group(0).upper().replace("DSP", "DSP-").replace("--", "-") if typed else None) or (
            tracker.get_slot("dispute_reference")
        )
        try:
            if reference:
                dispute = await client.get(f"/v1/disputes/{reference}", ctx)
            else:
                page = await client.get("/v1/disputes", ctx, customer_id=customer_id_of(tracker), limit=1)
                items = page.get("items") if isinstance(page, dict) else page
                if not items:
                    dispatcher.utter_message(
                        text="You have no open disputes.",
                        buttons=[{"title": "Open a dispute", "payload": "/open_dispute"}],
                    )
                    return []
                dispute = items[0]
        except BackendProblem as exc:
            dispatcher.utter_message(text=exc.problem.detail or f"I can't find a dispute {reference}.")
            return []
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        words = {
            "open": "is open and waiting for our team",
            "in_review": "is being reviewed",
            "resolved": "is resolved",
            "rejected": "was closed without a change",
        }
        text = f"Dispute {dispute['reference']} {words.get(dispute['status'], dispute['status'])}."
        if dispute.get("resolution_note"):
            text += f" {dispute['resolution_note']}"
        elif dispute["status"] in ("open", "in_review") and dispute.get("sla_text"):
            text += f" {dispute['sla_text']}"
        dispatcher.utter_message(text=text)
        return [SlotSet("dispute_reference", dispute["reference"])]


async def request_handoff(tracker: Tracker, reason: str) -> dict[str, Any] | None:
    try:
        return await BackendClient().post(
            f"/v1/conversations/{conversation_id_of(tracker)}/handoff-requests",
            {"reason": reason, "note": latest_text(tracker)[:500] or None},
            request_context(tracker, "handoff"),
        )
    except BackendError as exc:
        log.error("handoff.failed", error=str(exc))
        return None


class ActionRequestHuman(Action):
    """Record the handoff request on the conversation; a person picks it up in the agent console."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reason = "customer_request" if latest_intent(tracker)[0] == "request_human" else "bot_failure"
        handoff = await request_handoff(tracker, reason)
        if handoff is None:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        dispatcher.utter_message(response="utter_handoff_requested")
        # The tracker records that a person holds the conversation; the gateway resumes it when
        # they hand back, and keeps the bot silent meanwhile whatever the tracker says.
        return [*_cancel_events(tracker), ConversationPaused()]


def _cancel_events(tracker: Tracker) -> list[EventType]:
    events: list[EventType] = []
    if tracker.active_loop.get("name"):
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    return events


class ActionCancelJourney(Action):
    """'Stop' anywhere: end the current form, keep what the backend already saved."""

    def name(self) -> str:
        return "action_cancel_journey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        form = tracker.active_loop.get("name")
        events = _cancel_events(tracker)
        if form == "application_form":
            dispatcher.utter_message(response="utter_application_stopped")
            return events
        if form == "eligibility_form":
            events += [SlotSet(s, None) for s in ELIGIBILITY_SLOTS]
        elif form == "dispute_form":
            events += [SlotSet(s, None) for s in DISPUTE_SLOTS]
        elif form == "acceptance_form":
            events += [SlotSet(s, None) for s in ("otp_code", "account_number", "bank", "payout_confirmed")]
        dispatcher.utter_message(response="utter_stopped")
        return events


class ActionFallback(Action):
    """A message we didn't map to a journey: first the tenant's knowledge base (a free-form question
    like "wetin be the late fee" has an answer even if no intent fits); a confident answer is sent
    with its source. Otherwise a clarifying question with the likely options, and after two misses
    in a row a person is asked to take over (or offered, if the request cannot be recorded) instead
    of a third guess."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        found = await knowledge_answer(tracker)
        if found is not None:
            # Rasa keeps extra utter_message arguments as the bot event's metadata: the next
            # fallback reads it to know this turn was understood after all.
            dispatcher.utter_message(text=found, **{ANSWERED: True})
            return []
        misses = 0
        answered = False
        for event in reversed(tracker.events):
            if event.get("event") == "bot" and (event.get("metadata") or {}).get(ANSWERED):
                answered = True
            if event.get("event") != "user":
                continue
            if answered:
                break
            name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if name in ("nlu_fallback", "out_of_scope"):
                misses += 1
            else:
                break
        if misses >= MISSES_BEFORE_HUMAN:
            # Two misses in a row: a person takes over rather than a third guess.
            if await request_handoff(tracker, "bot_failure") is not None:
                dispatcher.utter_message(response="utter_handoff_after_misses")
                return [*_cancel_events(tracker), ConversationPaused()]
            dispatcher.utter_message(response="utter_offer_human")
            return []
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        likely = [r["name"] for r in ranking if r.get("name") in SUGGESTIONS][:3]
        if likely:
            dispatcher.utter_message(
                text="Sorry, I'm not sure I understood. Did you mean:",
                buttons=[{"title": SUGGESTIONS[n], "payload": f"/{n}"} for n in likely],
            )
        else:
            dispatcher.utter_message(response="utter_default")
        return []


async def knowledge_answer(tracker: Tracker) -> str | None:
    """The knowledge base's confident answer to the latest message, its source named, or None
    (not confident, nothing typed, or the backend unreachable: the fallback goes on as before)."""
    question = latest_text(tracker).strip()
    if not question or question.startswith("/"):
        return None
    try:
        found = await BackendClient().post(
            "/v1/assist/answers",
            {"question": question[:1000], "conversation_id": conversation_id_of(tracker)},
            request_context(tracker, "assist"),
        )
    except BackendError as exc:
        log.warning("assist.answer_failed", error=str(exc))
        return None
    if not isinstance(found, dict) or not found.get("confident") or not found.get("answer"):
        return None
    text = str(found["answer"])
    sources = found.get("sources") or []
    named = [s for s in sources if s.get("title") and s["title"].lower() not in text.lower()]
    if sources and len(named) == len(sources):
        text += "\n(Source: " + "; ".join(s["title"] for s in named) + ")"
    return text


SUGGESTIONS = {
    "start_application": "Apply for credit",
    "check_eligibility": "How much can I borrow",
    "ask_balance": "How much I owe",
    "pay_now": "Make a payment",
    "show_schedule": "My schedule",
    "report_hardship": "I can't pay",
    "open_dispute": "Report a problem",
    "dispute_status": "Dispute status",
    "ask_application_status": "Application status",
    "request_human": "Talk to a person",
    "help": "What you can do",
}


class ActionOptOut(Action):
    """Record that the customer wants no more proactive messages (reminders, offers) here."""

    def name(self) -> str:
        return "action_opt_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            await BackendClient().post(
                f"/v1/conversations/{conversation_id_of(tracker)}/opt-out",
                {},
                request_context(tracker, "opt-out"),
            )
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        dispatcher.utter_message(response="utter_opted_out")
        return _cancel_events(tracker)


__all__ = ["APPLICATION_SLOTS"]
