"""``acceptance_form``: accept the chosen offer, sign with a one-time code, choose where the money
goes and confirm the payout.

The offer is accepted (and the code sent) when the form first asks for the code, so nothing is
accepted until the customer has said yes to a specific offer. A wrong code is re-asked with the
attempts left; after the backend locks signing, the form ends and says when to try again. The
payout account is checked with the NUBAN check digit by the backend before the preview.
"""

from __future__ import annotations

from typing import Any

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendClient, BackendError, BackendProblem
from actions.context import customer_id_of, locale_of, metadata_of, request_context
from actions.formatting import money
from actions.forms.base import ABORT, JourneyFormValidation, latest_intent, latest_text
from actions.parsing.answers import digits_of_length, yes_no

log = structlog.get_logger(__name__)


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


async def send_code(tracker: Tracker, agreement_id: str, scope: str) -> dict[str, Any]:
    return await BackendClient().post(
        f"/v1/agreements/{agreement_id}/otp", {}, request_context(tracker, scope)
    )


class ActionAskOtpCode(Action):
    """First ask: accept the offer (the agreement is rendered with its terms), send the code."""

    def name(self) -> str:
        return "action_ask_otp_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offer_id = tracker.get_slot("selected_offer_id")
        agreement_id = tracker.get_slot("agreement_id")
        locale = locale_of(tracker)
        events: list[EventType] = []
        if not agreement_id:
            if not offer_id:
                dispatcher.utter_message(response="utter_no_offers")
                return [ActiveLoop(None), SlotSet("requested_slot", None)]
            try:
                agreement = await BackendClient().post(
                    f"/v1/offers/{offer_id}/accept", {}, request_context(tracker, "accept")
                )
                agreement_id = str(agreement["id"])
                await send_code(tracker, agreement_id, "otp")
            except BackendProblem as exc:
                dispatcher.utter_message(text=exc.problem.detail or "That offer can't be accepted any more.")
                return [ActiveLoop(None), SlotSet("requested_slot", None)]
            except BackendError:
                dispatcher.utter_message(response="utter_backend_unavailable")
                return [ActiveLoop(None), SlotSet("requested_slot", None)]
            offer = agreement["offer"]
            currency = offer["currency"]
            fees = sum(int(f["amount_minor"]) for f in offer.get("fees") or [])
            link = agreement.get("document_url")
            dispatcher.utter_message(
                text="Key terms of your agreement:\n"
                f"• Amount: {money(int(offer['amount_minor']), currency, locale)}\n"
                f"• {offer['term_count']} payments of "
                f"{money(int(offer['payment_minor']), currency, locale)}\n"
                f"• APR {offer['apr']}%, fees {money(fees, currency, locale)}\n"
                f"• Total to repay {money(int(offer['total_repayable_minor']), currency, locale)}\n"
                "• Late payments attract a late fee after the grace period"
                + (f"\nFull agreement: {link}" if link else "")
            )
            events.append(SlotSet("agreement_id", agreement_id))
        dispatcher.utter_message(response="utter_ask_otp_code")
        return events


class ValidateAcceptanceForm(JourneyFormValidation):
    def name(self) -> str:
        return "validate_acceptance_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        slots = ["otp_code", "account_number"]
        if tracker.get_slot("account_number") and not tracker.get_slot("bank_account_id"):
            slots.append("bank")
        slots.append("payout_confirmed")
        return slots

    async def validate_otp_code(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        agreement_id = tracker.get_slot("agreement_id")
        intent, _ = latest_intent(tracker)
        if intent == "resend_code":
            try:
                await send_code(tracker, agreement_id, "resend")
                dispatcher.utter_message(text="I've sent you a new code.")
            except BackendError:
                dispatcher.utter_message(response="utter_backend_unavailable")
            return {"otp_code": None}
        code = _entity(tracker, "digits") or latest_text(tracker)
        code = digits_of_length(code, 6) or digits_of_length(latest_text(tracker), 6)
        if code is None:
            dispatcher.utter_message(text="The code has 6 digits. Type 'resend' if it didn't arrive.")
            return {"otp_code": None}
        try:
            signed = await BackendClient().post(
                f"/v1/agreements/{agreement_id}/sign",
                {"code": code, "channel": metadata_of(tracker).get("channel") or "web"},
                request_context(tracker, "sign"),
            )
        except BackendProblem as exc:
            if exc.problem.kind == "wrong-code":
                left = exc.problem.extra.get("attempts_left")
                more = f" {left} attempt{'s' if left != 1 else ''} left." if left is not None else ""
                dispatcher.utter_message(text=f"That code isn't right.{more}")
                return {"otp_code": None}
            dispatcher.utter_message(
                text=exc.problem.detail or "Signing is locked for now. Please try again later."
            )
            return {"otp_code": None, ABORT: True}
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"otp_code": None}
        digest = str((signed.get("evidence") or {}).get("document_sha256") or "")[:12]
        dispatcher.utter_message(
            text="Signed ✅ Your agreement is signed" + (f" (fingerprint {digest}…)" if digest else "") + "."
        )
        return {"otp_code": "signed", "agreement_status": "signed"}

    async def validate_account_number(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = digits_of_length(latest_text(tracker), 10)
        if number is None:
            dispatcher.utter_message(text="A Nigerian account number (NUBAN) has 10 digits.")
            return {"account_number": None}
        try:
            banks = await BackendClient().get("/v1/banks", request_context(tracker), account_number=number)
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"account_number": None}
        items = banks.get("items") if isinstance(banks, dict) else banks
        if not items:
            dispatcher.utter_message(text="That account number isn't valid for any bank. Please check it.")
            return {"account_number": None}
        if len(items) == 1:
            return await self._save_account(dispatcher, tracker, number, items[0]["code"])
        return {"account_number": number, "bank_account_id": None}

    async def validate_bank(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = tracker.get_slot("account_number")
        choice = (_entity(tracker, "bank") or str(slot_value or "")).strip()
        try:
            banks = await BackendClient().get("/v1/banks", request_context(tracker), account_number=number)
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"bank": None}
        items = banks.get("items") if isinstance(banks, dict) else banks
        lowered = choice.lower()
        match = [
            b
            for b in items or []
            if lowered
            and (
                lowered == str(b.get("code")).lower()
                or lowered in str(b.get("name", "")).lower()
                or any(lowered == str(a).lower() for a in b.get("aliases") or [])
            )
        ]
        if len(match) != 1:
            dispatcher.utter_message(text="Please pick your bank from the list.")
            return {"bank": None}
        return await self._save_account(dispatcher, tracker, number, match[0]["code"])

    async def _save_account(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, number: str, bank_code: str
    ) -> dict[str, Any]:
        customer = customer_id_of(tracker)
        try:
            account = await BackendClient().post(
                f"/v1/customers/{customer}/bank-accounts",
                {"bank_code": bank_code, "account_number": number},
                request_context(tracker, f"account-{number}"),
            )
        except BackendProblem as exc:
            dispatcher.utter_message(text=exc.problem.detail or "I couldn't verify that account.")
            return {"account_number": None, "bank": None}
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"account_number": None, "bank": None}
        return {
            "account_number": account.get("account_number_masked") or number,
            "bank": account.get("bank_name") or bank_code,
            "bank_code": bank_code,
            "bank_account_id": str(account["id"]),
        }

    async def validate_payout_confirmed(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent, _ = latest_intent(tracker)
        answer = yes_no(latest_text(tracker), intent)
        if answer is True:
            return {"payout_confirmed": "yes"}
        if answer is False or intent == "change_field":
            dispatcher.utter_message(text="Okay, let's use another account.")
            return {"payout_confirmed": None, "account_number": None, "bank": None, "bank_account_id": None}
        dispatcher.utter_message(text="Please tap 'Send it' or 'Use another account'.")
        return {"payout_confirmed": None}


class ActionAskBank(Action):
    """The banks this account number is valid for (the NUBAN check digit narrows it down)."""

    def name(self) -> str:
        return "action_ask_bank"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            banks = await BackendClient().get(
                "/v1/banks", request_context(tracker), account_number=tracker.get_slot("account_number")
            )
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        items = (banks.get("items") if isinstance(banks, dict) else banks) or []
        dispatcher.utter_message(
            text="Which bank is it with?",
            buttons=[
                {"title": b["name"][:20], "payload": f'/choose_bank{{"bank":"{b["code"]}"}}'}
                for b in items[:10]
            ],
        )
        return []


class ActionAskPayoutConfirmed(Action):
    """What arrives, when, and where, before any money moves."""

    def name(self) -> str:
        return "action_ask_payout_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        locale = locale_of(tracker)
        try:
            preview = await BackendClient().get(
                f"/v1/agreements/{tracker.get_slot('agreement_id')}/payout-preview",
                request_context(tracker),
                bank_account_id=tracker.get_slot("bank_account_id"),
            )
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        currency = preview["currency"]
        fees = "\n".join(
            f"• {f['name']}: -{money(_minor(f), currency, locale)}" for f in preview.get("fees") or []
        )
        dispatcher.utter_message(
            text=f"Loan amount: {money(_minor(preview, 'principal'), currency, locale)}\n"
            + (fees + "\n" if fees else "")
            + f"You receive: {money(_minor(preview, 'amount_received'), currency, locale)}\n"
            f"To: {preview.get('bank_name')} {preview.get('account_number_masked')}"
            + (f" ({preview['account_name']})" if preview.get("account_name") else "")
            + f"\nArrives: {preview.get('expected_arrival_text') or preview.get('expected_arrival')}",
            buttons=[
                {"title": "Send it", "payload": "/affirm"},
                {"title": "Use another account", "payload": "/deny"},
            ],
        )
        return []


def _minor(data: dict[str, Any], key: str = "amount") -> int:
    """Accept both `<key>_minor` ints and `{amount_minor}` objects, as the API evolves."""
    if f"{key}_minor" in data:
        return int(data[f"{key}_minor"])
    value = data.get(key)
    if isinstance(value, dict):
        return int(value["amount_minor"])
    raise KeyError(key)


class ActionFinishAcceptance(Action):
    """Pay out once signed and confirmed; the backend's payout is idempotent per agreement."""

    def name(self) -> str:
        return "action_finish_acceptance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(s, None) for s in ("otp_code", "payout_confirmed", "account_number", "bank")]
        if tracker.get_slot("payout_confirmed") != "yes" or tracker.get_slot("agreement_status") != "signed":
            return reset
        try:
            payout = await BackendClient().post(
                "/v1/disbursements",
                {
                    "agreement_id": tracker.get_slot("agreement_id"),
                    "bank_account_id": tracker.get_slot("bank_account_id"),
                },
                request_context(tracker, "disburse"),
            )
        except BackendProblem as exc:
            dispatcher.utter_message(text=exc.problem.detail or "The payout didn't go through.")
            return reset
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return reset
        amount = payout.get("amount") or {}
        shown = amount.get("formatted") if isinstance(amount, dict) else None
        status = payout.get("status")
        if status in ("paid", "settled", "succeeded"):
            text = f"💸 Done! {shown or 'Your money'} has been sent to your account."
        else:
            text = (
                f"💸 Payout started: {shown or 'your money'} is on its way. I'll message you when it lands."
            )
        dispatcher.utter_message(text=text, buttons=[{"title": "My schedule", "payload": "/show_schedule"}])
        return [*reset, SlotSet("loan_id", str(payout.get("loan_id") or "")), SlotSet("offer_ids", None)]
