"""Actions of the application journey around its form: the questions whose wording depends on
the product, the summary, the decision and the offers. The backend decides; these only relay."""

from __future__ import annotations

from typing import Any

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendClient, BackendError, BackendProblem
from actions.catalog import KIND_LABELS, chosen_product
from actions.context import customer_id_of, locale_of, request_context
from actions.formatting import day, frequency_text, money, percent, schedule_lines
from actions.forms.base import attachments_of
from actions.loans import current_loan

log = structlog.get_logger(__name__)

APPLICATION_SLOTS = (
    "product", "amount", "term", "frequency", "purpose", "invoice_number", "invoice_debtor", "invoice_amount",
    "invoice_due_date", "invoice_document", "application_confirmed", "amount_minor", "term_count",
    "invoice_amount_minor", "consent", "full_name", "date_of_birth", "id_number", "id_document", "selfie",
    "business_name", "registration_number", "tin", "months_in_business", "registration_document",
)  # fmt: skip
STATEMENT = "your bank statement for the last 6 months (a CSV export from your bank app, or a PDF)"
DOCUMENT_WORDS = {
    "bank_statement_6m": STATEMENT,
    "bank_statement": STATEMENT,
    "id_document": "a clear photo of your ID",
    "registration_document": "your CAC registration certificate",
    "invoice": "the invoice",
}


def _option_index(tracker: Tracker) -> int | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "option":
            value = str(entity.get("value") or "").strip().lower()
            words = {"first": 1, "one": 1, "second": 2, "two": 2, "third": 3, "three": 3, "last": 3}
            if value.isdigit():
                return int(value)
            if value in words:
                return words[value]
    return None


# the backend's decision outcomes (approve / refer / decline), as the customer hears them
OUTCOMES = {"approve": "approved", "refer": "referred", "decline": "declined"}


def offer_lines(index: int, offer: dict[str, Any], locale: str | None) -> str:
    currency = offer["currency"]
    fees = sum(int(f["amount_minor"]) for f in offer.get("fees") or [])
    lender = str(offer.get("lender_name") or offer.get("lender_code") or "Lender").replace("-", " ").title()
    when = (
        f" by {day(offer['maturity_date'], locale)}"
        if offer.get("maturity_date") and offer["term_count"] <= 1
        else ""
    )
    return (
        f"{index}. {lender}: {money(int(offer['amount_minor']), currency, locale)}, "
        f"{offer['term_count']} × {money(int(offer['payment_minor']), currency, locale)} "
        f"{frequency_text(offer['frequency'])}{when}\n"
        f"   APR {percent(offer['apr'])} · fees {money(fees, currency, locale)} · "
        f"total to repay {money(int(offer['total_repayable_minor']), currency, locale)}"
    )


def present_offers(
    dispatcher: CollectingDispatcher, offers: list[dict[str, Any]], locale: str | None
) -> list[EventType]:
    """Up to three offers, cheapest in total first (the backend sorts them), one tap to choose."""
    offers = offers[:3]
    if not offers:
        dispatcher.utter_message(response="utter_no_offers")
        return [SlotSet("offer_ids", None)]
    text = "Here are your offers, cheapest in total first:\n\n" + "\n\n".join(
        offer_lines(i, o, locale) for i, o in enumerate(offers, start=1)
    )
    buttons = [
        {"title": f"Choose {i}", "payload": f'/choose_option{{"option":"{i}"}}'}
        for i in range(1, len(offers) + 1)
    ]
    dispatcher.utter_message(text=text, buttons=buttons)
    dispatcher.utter_message(text="Tap one to see its full terms and schedule before you decide.")
    return [SlotSet("offer_ids", [str(o["id"]) for o in offers])]


def present_decision(
    dispatcher: CollectingDispatcher, result: dict[str, Any], locale: str | None
) -> list[EventType]:
    """Approved (with the limit and offers), referred (the documents it names) or declined (why)."""
    decision = result.get("decision") or {}
    application = result.get("application") or {}
    outcome = OUTCOMES.get(decision.get("outcome") or "", decision.get("outcome"))
    currency = decision.get("currency") or application.get("currency") or "NGN"
    if outcome == "approved":
        limit = decision.get("limit_minor")
        lead = (
            f"✅ Approved! You can borrow up to {money(int(limit), currency, locale)}."
            if limit
            else "✅ Approved!"
        )
        dispatcher.utter_message(text=lead)
        return [
            SlotSet("awaiting_document", None),
            *present_offers(dispatcher, result.get("offers") or [], locale),
        ]
    if outcome == "referred":
        needed = decision.get("documents_required") or ["bank_statement"]
        words = " and ".join(DOCUMENT_WORDS.get(d, d.replace("_", " ")) for d in needed)
        dispatcher.utter_message(
            text=f"We're nearly there. To finish the decision we need {words}. "
            "Send it here with the 📎 button."
        )
        return [SlotSet("awaiting_document", f"application:{application.get('id')}:{needed[0]}")]
    reasons = decision.get("reasons") or []
    why = (
        "\n".join(f"• {r.get('text')}" for r in reasons if r.get("text"))
        or "• Your application doesn't meet our criteria today."
    )
    hints = "\n".join(f"• {r.get('hint')}" for r in reasons if r.get("hint"))
    text = f"I'm sorry, we can't offer you credit right now.\n{why}"
    if hints:
        text += f"\n\nWhat would change the outcome:\n{hints}"
    dispatcher.utter_message(text=text, buttons=[{"title": "Talk to a person", "payload": "/request_human"}])
    return [SlotSet("awaiting_document", None), SlotSet("offer_ids", None)]


class ActionAskAmount(Action):
    def name(self) -> str:
        return "action_ask_amount"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        locale = locale_of(tracker)
        product = await chosen_product(tracker)
        if product is None:
            dispatcher.utter_message(text="How much would you like to borrow? For example 500k or ₦1.2m.")
        else:
            dispatcher.utter_message(
                text=f"How much would you like? {product.name} is from "
                f"{money(product.minimum_minor, product.currency, locale)} "
                f"to {money(product.maximum_minor, product.currency, locale)}. For example 500k or ₦1.2m."
            )
        return []


class ActionAskTerm(Action):
    def name(self) -> str:
        return "action_ask_term"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        product = await chosen_product(tracker)
        if product is None:
            dispatcher.utter_message(text="Over how long would you like to repay? For example 6 months.")
            return []
        unit = product.term_unit
        choices = sorted(
            {product.term_minimum, (product.term_minimum + product.term_maximum) // 2, product.term_maximum}
        )
        dispatcher.utter_message(
            text="Over how long would you like to repay? "
            f"Between {product.term_minimum} and {product.term_maximum} {unit}.",
            buttons=[
                {"title": f"{n} {unit}", "payload": f'/inform_term{{"term":"{n} {unit}"}}'} for n in choices
            ],
        )
        return []


class ActionAskFrequency(Action):
    def name(self) -> str:
        return "action_ask_frequency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        product = await chosen_product(tracker)
        allowed = product.frequencies if product else ("weekly", "fortnightly", "monthly")
        dispatcher.utter_message(
            text="How often would you like to repay?",
            buttons=[
                {"title": frequency_text(f).capitalize(), "payload": f'/inform_term{{"frequency":"{f}"}}'}
                for f in allowed[:3]
            ],
        )
        return []


class ActionAskApplicationConfirmed(Action):
    """The summary to confirm; one tap to submit, or name the field to change."""

    def name(self) -> str:
        return "action_ask_application_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slot = tracker.get_slot
        lines = [
            f"Product: {KIND_LABELS.get(slot('product_kind') or '', slot('product') or '')}",
            f"Amount: {slot('amount')}",
        ]
        if slot("term"):
            lines.append(f"Term: {slot('term')}")
        if slot("frequency"):
            lines.append(f"Repayments: {frequency_text(slot('frequency'))}")
        if slot("purpose"):
            lines.append(f"Purpose: {slot('purpose')}")
        if slot("invoice_number"):
            lines.append(
                f"Invoice: {slot('invoice_number')} to {slot('invoice_debtor')}, "
                f"{slot('invoice_amount')}, due {slot('invoice_due_date')}"
            )
        dispatcher.utter_message(
            text="Here's your application:\n"
            + "\n".join(lines)
            + "\n\nShall I submit it? You can also say e.g. 'change the amount to 300k'.",
            buttons=[
                {"title": "Submit", "payload": "/affirm"},
                {"title": "Edit", "payload": "/change_field"},
                {"title": "Not now", "payload": "/deny"},
            ],
        )
        return []


class ActionSubmitApplication(Action):
    """Submit the confirmed application; the backend decides in real time."""

    def name(self) -> str:
        return "action_submit_application"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("application_confirmed") != "yes":
            return []  # the form ended early (declined consent, paused): it already said why
        application_id = tracker.get_slot("application_id")
        reset = [SlotSet(s, None) for s in APPLICATION_SLOTS if s not in ("consent",)]
        if not application_id:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return reset
        try:
            result = await BackendClient().post(
                f"/v1/applications/{application_id}/submit", {}, request_context(tracker, "submit")
            )
        except BackendProblem as exc:
            log.error("submit.refused", error=str(exc))
            dispatcher.utter_message(text=exc.problem.detail or "I couldn't submit the application.")
            return reset
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return [SlotSet("application_confirmed", None)]
        return [*reset, *present_decision(dispatcher, result, locale_of(tracker))]


class ActionShowOffers(Action):
    def name(self) -> str:
        return "action_show_offers"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        application_id = tracker.get_slot("application_id")
        if not application_id:
            dispatcher.utter_message(response="utter_no_offers")
            return []
        try:
            offers = await BackendClient().get(
                f"/v1/applications/{application_id}/offers", request_context(tracker)
            )
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        return present_offers(
            dispatcher,
            [o for o in offers if o.get("status") in (None, "open", "offered")] or offers,
            locale_of(tracker),
        )


class ActionChooseOffer(Action):
    """Show one offer's full terms, with the schedule one tap away, before anything is accepted."""

    def name(self) -> str:
        return "action_choose_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offer_ids = tracker.get_slot("offer_ids") or []
        index = _option_index(tracker)
        if not offer_ids:
            dispatcher.utter_message(response="utter_no_offers")
            return []
        if index is None or not 1 <= index <= len(offer_ids):
            dispatcher.utter_message(
                text=f"Which offer? Tap one, or say a number from 1 to {len(offer_ids)}.",
                buttons=[
                    {"title": f"Choose {i}", "payload": f'/choose_option{{"option":"{i}"}}'}
                    for i in range(1, len(offer_ids) + 1)
                ],
            )
            return []
        offer_id = offer_ids[index - 1]
        locale = locale_of(tracker)
        try:
            schedule = await BackendClient().get(f"/v1/offers/{offer_id}/schedule", request_context(tracker))
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        currency = schedule["currency"]
        rows = schedule.get("instalments") or []
        dispatcher.utter_message(
            text=f"Offer {index}: {len(rows)} payments, total interest "
            f"{money(int(schedule['total_interest_minor']), currency, locale)}.\n"
            + schedule_lines(rows, currency, locale, limit=6)
            + "\n\nAccept this offer and sign the agreement?",
            buttons=[
                {"title": "Accept & sign", "payload": "/affirm"},
                {"title": "Full schedule", "payload": f'/show_schedule{{"option":"{index}"}}'},
                {"title": "Back to offers", "payload": "/show_offers"},
            ],
        )
        return [SlotSet("selected_offer_id", offer_id)]


class ActionShowSchedule(Action):
    """The schedule of the offer being looked at, or of the customer's loan once there is one."""

    def name(self) -> str:
        return "action_show_schedule"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        locale = locale_of(tracker)
        client = BackendClient()
        ctx = request_context(tracker)
        offer_ids = tracker.get_slot("offer_ids") or []
        index = _option_index(tracker)
        offer_id = offer_ids[index - 1] if index and 1 <= index <= len(offer_ids) else None
        try:
            if offer_id is None and not tracker.get_slot("agreement_id"):
                offer_id = tracker.get_slot("selected_offer_id")
            if offer_id:
                schedule = await client.get(f"/v1/offers/{offer_id}/schedule", ctx)
                rows, currency = schedule.get("instalments") or [], schedule["currency"]
                dispatcher.utter_message(
                    text="Schedule preview (if paid out today):\n"
                    + schedule_lines(rows, currency, locale, limit=24),
                    buttons=[
                        {"title": "Accept & sign", "payload": "/affirm"},
                        {"title": "Back to offers", "payload": "/show_offers"},
                    ],
                )
                return [SlotSet("selected_offer_id", offer_id)]
            loan = await current_loan(tracker)
            if loan is None:
                dispatcher.utter_message(
                    text="You don't have a loan or an offer yet.",
                    buttons=[{"title": "Apply for credit", "payload": "/start_application"}],
                )
                return []
            schedule = await client.get(f"/v1/loans/{loan['id']}/schedule", ctx)
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        dispatcher.utter_message(
            text="Your repayment schedule:\n" + loan_schedule_lines(schedule.get("instalments") or [], locale)
        )
        return []


STATUS_WORDS = {"paid": "paid ✅", "overdue": "overdue ⚠️", "due": "due today", "upcoming": ""}


def loan_schedule_lines(rows: list[dict[str, Any]], locale: str | None, limit: int = 24) -> str:
    """A loan's instalments: what each one was, and whether it is paid, due or overdue."""
    lines = []
    for row in rows[:limit]:
        total = sum(int(row[k]["amount_minor"]) for k in ("principal", "interest", "fees"))
        currency = row["principal"]["currency"]
        status = STATUS_WORDS.get(row.get("status", ""), row.get("status", ""))
        lines.append(
            f"{row['number']}. {day(row['due_date'], locale)}: {money(total, currency, locale)}"
            + (f" ({status})" if status else "")
        )
    if len(rows) > limit:
        lines.append(f"… and {len(rows) - limit} more payments.")
    return "\n".join(lines)


class ActionReceiveAttachment(Action):
    """A document outside a form: the one a referred decision asked for, then decide again."""

    def name(self) -> str:
        return "action_receive_attachment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        attachments = attachments_of(tracker)
        awaiting = tracker.get_slot("awaiting_document") or ""
        if not attachments:
            dispatcher.utter_message(response="utter_attachment_needed")
            return []
        if not awaiting.startswith("application:"):
            dispatcher.utter_message(
                text="Thanks, I've got your file. What is it for?",
                buttons=[
                    {"title": "Open a dispute", "payload": "/open_dispute"},
                    {"title": "Talk to a person", "payload": "/request_human"},
                ],
            )
            return []
        _, application_id, kind = awaiting.split(":", 2)
        client = BackendClient()
        try:
            await client.post(
                f"/v1/applications/{application_id}/documents",
                {"document_id": attachments[0]["document_id"], "kind": kind},
                request_context(tracker, "attach"),
            )
            dispatcher.utter_message(text="Thanks! Reviewing it now…")
            result = await client.post(
                f"/v1/applications/{application_id}/redecide", {}, request_context(tracker, "redecide")
            )
        except BackendProblem as exc:
            dispatcher.utter_message(
                text=exc.problem.detail or "I couldn't use that document. Please try another file."
            )
            return []
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        return present_decision(dispatcher, result, locale_of(tracker))


class ActionApplicationStatus(Action):
    def name(self) -> str:
        return "action_application_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer = customer_id_of(tracker)
        if not customer:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        try:
            page = await BackendClient().get(
                "/v1/applications", request_context(tracker), customer_id=customer, limit=1
            )
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        items = page.get("items") or []
        if not items:
            dispatcher.utter_message(
                text="You haven't applied yet.",
                buttons=[{"title": "Apply for credit", "payload": "/start_application"}],
            )
            return []
        app = items[0]
        words = {
            "draft": "is saved as a draft: say 'apply' to finish it",
            "submitted": "is being checked",
            "under_review": "is being reviewed by our team",
            "approved": "is approved: say 'show me the offers' to choose one",
            "referred": "needs one more document from you",
            "declined": "was declined",
            "accepted": "is accepted: the agreement is waiting for your signature or payout",
            "disbursed": "is paid out",
            "closed": "is closed (fully repaid)",
            "cancelled": "was cancelled",
        }
        amount = (
            money(int(app["requested_amount_minor"]), app["currency"], locale_of(tracker))
            if app.get("requested_amount_minor")
            else ""
        )
        dispatcher.utter_message(
            text=f"Your application {('for ' + amount + ' ') if amount else ''}"
            f"{words.get(app['status'], app['status'])}."
        )
        return [SlotSet("application_id", str(app["id"]))]
