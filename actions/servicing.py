"""Repayment and hardship actions: what is owed, paying, paying off, and a plan when money is
tight. Every figure comes from the backend (`/v1/loans/...`), already computed by the lending core;
these actions choose the words and the buttons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendClient, BackendError, BackendProblem
from actions.context import currency_of, locale_of, request_context
from actions.formatting import day, money, money_text
from actions.loans import current_loan
from actions.parsing.money import parse_money

log = structlog.get_logger(__name__)

NO_LOAN = "You don't have an active loan with us."


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _formatted(value: Any) -> str:
    return str(value.get("formatted")) if isinstance(value, dict) else str(value)


async def _loan_or_say(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any] | None:
    try:
        loan = await current_loan(tracker)
    except BackendError:
        dispatcher.utter_message(response="utter_backend_unavailable")
        return None
    if loan is None:
        dispatcher.utter_message(
            text=NO_LOAN, buttons=[{"title": "Apply for credit", "payload": "/start_application"}]
        )
    return loan


async def _loan_and_balance(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The customer's current loan and its balance today, or None once the customer was told why."""
    loan = await _loan_or_say(dispatcher, tracker)
    if loan is None:
        return None
    try:
        balance = await BackendClient().get(f"/v1/loans/{loan['id']}/balance", request_context(tracker))
    except BackendError:
        dispatcher.utter_message(response="utter_backend_unavailable")
        return None
    return loan, balance


class ActionShowBalance(Action):
    """'How much do I owe?': the total today, what is overdue, and the next payment."""

    def name(self) -> str:
        return "action_show_balance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        found = await _loan_and_balance(dispatcher, tracker)
        if found is None:
            return []
        loan, balance = found
        locale = locale_of(tracker)
        lines = [f"You owe {_formatted(balance['total'])} in total today."]
        if int(balance["overdue"]["amount_minor"]) > 0:
            lines.append(f"⚠️ {_formatted(balance['overdue'])} of it is overdue.")
        if balance.get("next_due") and balance.get("next_due_date"):
            lines.append(
                f"Next payment: {_formatted(balance['next_due'])} on {day(balance['next_due_date'], locale)}."
            )
        if int(balance["credit"]["amount_minor"]) > 0:
            lines.append(f"You have {_formatted(balance['credit'])} in credit with us.")
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[
                {"title": "Pay now", "payload": "/pay_now"},
                {"title": "Pay off early", "payload": "/ask_payoff"},
                {"title": "Schedule", "payload": "/show_schedule"},
            ],
        )
        return [SlotSet("loan_id", str(loan["id"]))]


class ActionNextPayment(Action):
    def name(self) -> str:
        return "action_next_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        found = await _loan_and_balance(dispatcher, tracker)
        if found is None:
            return []
        _, balance = found
        if not balance.get("next_due_date"):
            dispatcher.utter_message(text="You have no payment coming up. 🎉")
            return []
        text = (
            f"Your next payment is {_formatted(balance['next_due'])}, due "
            f"{day(balance['next_due_date'], locale_of(tracker))}."
        )
        if int(balance["overdue"]["amount_minor"]) > 0:
            text += f" You also have {_formatted(balance['overdue'])} overdue."
        dispatcher.utter_message(text=text, buttons=[{"title": "Pay now", "payload": "/pay_now"}])
        return []


class ActionPayNow(Action):
    """A payment link and bank-transfer details for what is due now, or the amount the customer
    named (a partial payment), or the payoff total."""

    def name(self) -> str:
        return "action_pay_now"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        loan = await _loan_or_say(dispatcher, tracker)
        if loan is None:
            return []
        locale = locale_of(tracker)
        body: dict[str, Any] = {"method": "link"}
        named = _entity(tracker, "amount")
        if named == "payoff":
            try:
                quote = await BackendClient().get(
                    f"/v1/loans/{loan['id']}/payoff-quote",
                    request_context(tracker),
                    on=date.today().isoformat(),
                )
            except BackendError:
                dispatcher.utter_message(response="utter_backend_unavailable")
                return []
            body["amount"] = {
                "amount_minor": int(quote["total"]["amount_minor"]),
                "currency": quote["total"]["currency"],
            }
        elif named:
            parsed = parse_money(named, default_currency=currency_of(tracker))
            if parsed is None:
                dispatcher.utter_message(text="I couldn't read that amount. Try e.g. 'pay 20k'.")
                return []
            body["amount"] = {"amount_minor": parsed.amount_minor, "currency": parsed.currency}
        try:
            instruction = await BackendClient().post(
                f"/v1/loans/{loan['id']}/payment-instructions", body, request_context(tracker, "pay")
            )
        except BackendProblem as exc:
            dispatcher.utter_message(text=exc.problem.detail or "I couldn't prepare a payment right now.")
            return []
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        amount = instruction.get("amount")
        shown = (
            _formatted(amount)
            if isinstance(amount, dict)
            else money_text(str(amount), instruction.get("currency", "NGN"), locale)
        )
        lines = [f"To pay {shown}:"]
        if instruction.get("link_url"):
            lines.append(f"• Pay by card or bank: {instruction['link_url']}")
        account = instruction.get("virtual_account")
        if account:
            lines.append(
                f"• Or transfer to {account['bank_name']} {account['account_number']} "
                f"({account['account_name']})"
            )
        lines.append(f"Reference: {instruction.get('reference')}. I'll send a receipt as soon as it arrives.")
        lines.append("To pay a different amount, type e.g. 'pay 20k'.")
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("loan_id", str(loan["id"]))]


class ActionPayoffQuote(Action):
    """What clears the loan today; the backend's quote equals exactly what a payoff then charges."""

    def name(self) -> str:
        return "action_payoff_quote"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        loan = await _loan_or_say(dispatcher, tracker)
        if loan is None:
            return []
        try:
            quote = await BackendClient().get(
                f"/v1/loans/{loan['id']}/payoff-quote", request_context(tracker), on=date.today().isoformat()
            )
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        lines = [
            f"To clear your loan today you pay {_formatted(quote['total'])}:",
            f"• principal {_formatted(quote['principal'])}",
            f"• interest to today {_formatted(quote['interest'])}",
        ]
        if int(quote["fees"]["amount_minor"]) > 0:
            lines.append(f"• fees {_formatted(quote['fees'])}")
        saved = int(quote["waived_interest"]["amount_minor"]) + int(quote["waived_fees"]["amount_minor"])
        if saved > 0:
            lines.append(
                f"Paying early saves you {money(saved, quote['total']['currency'], locale_of(tracker))} "
                "of future interest and fees."
            )
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[{"title": "Pay off now", "payload": '/pay_now{"amount":"payoff"}'}],
        )
        return []


class ActionHardshipOptions(Action):
    """'I can't pay this month': the options the backend computed, or the details of the one picked."""

    def name(self) -> str:
        return "action_hardship_options"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        loan = await _loan_or_say(dispatcher, tracker)
        if loan is None:
            return []
        try:
            data = await BackendClient().get(
                f"/v1/loans/{loan['id']}/hardship-options",
                request_context(tracker),
                as_of=date.today().isoformat(),
            )
        except BackendProblem as exc:
            log.info("hardship.no_options_in_chat", reason=exc.problem.kind)
            return await _hardship_to_a_person(dispatcher, tracker)
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        options = data.get("options") or []
        currency = data.get("currency") or loan.get("principal", {}).get("currency", "NGN")
        locale = locale_of(tracker)
        chosen = _entity(tracker, "option")
        picked = next((o for o in options if o["code"] == chosen), None)
        if picked is not None:
            dispatcher.utter_message(
                text=f"{picked['title']}: {picked['summary']}\n"
                f"New payment: {_amount(picked, 'new_payment', currency, locale)}\n"
                f"Extra cost: {_amount(picked, 'extra_cost', currency, locale)}\n"
                f"Last payment: {day(picked['new_maturity_date'], locale)}\n\nApply this plan to your loan?",
                buttons=[
                    {"title": "Yes, apply it", "payload": "/affirm"},
                    {"title": "Other options", "payload": "/report_hardship"},
                    {"title": "Talk to a person", "payload": "/request_human"},
                ],
            )
            return [SlotSet("hardship_option", picked["code"]), SlotSet("loan_id", str(loan["id"]))]
        if not options:
            return await _hardship_to_a_person(dispatcher, tracker)
        lines = ["I'm sorry things are hard right now. Here is what we can do:"]
        for o in options:
            lines.append(f"• {o['title']}: {o['summary']}")  # the summary states the extra cost
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[
                {"title": o["title"][:20], "payload": f'/report_hardship{{"option":"{o["code"]}"}}'}
                for o in options[:3]
            ],
        )
        return [SlotSet("hardship_option", None), SlotSet("loan_id", str(loan["id"]))]


async def _hardship_to_a_person(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Policy: a customer who cannot pay and has no plan we can offer in chat goes to a person,
    at the front of the queue (hardship requests are high priority)."""
    from actions.care import request_handoff

    if await request_handoff(tracker, "hardship") is not None:
        dispatcher.utter_message(
            text="I'm sorry things are hard. I can't change this loan's plan in chat, so I've asked a "
            "person from our team to look at it with you; they'll reply right here."
        )
        return [ConversationPaused()]
    dispatcher.utter_message(
        text="I'm sorry things are hard. A person from our team can look at your loan with you.",
        buttons=[{"title": "Talk to a person", "payload": "/request_human"}],
    )
    return []


def _amount(option: dict[str, Any], key: str, currency: str, locale: str | None) -> str:
    value = option.get(key)
    if isinstance(value, dict):
        return str(value.get("formatted"))
    if f"{key}_minor" in option:
        return money(int(option[f"{key}_minor"]), currency, locale)
    return money_text(str(Decimal(str(value))), currency, locale)


class ActionApplyHardship(Action):
    def name(self) -> str:
        return "action_apply_hardship"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        option = tracker.get_slot("hardship_option")
        loan_id = tracker.get_slot("loan_id")
        if not option or not loan_id:
            dispatcher.utter_message(
                text="Which option would you like?",
                buttons=[{"title": "See options", "payload": "/report_hardship"}],
            )
            return []
        try:
            plan = await BackendClient().post(
                f"/v1/loans/{loan_id}/hardship-plans",
                {"option_code": option, "reason": "customer request in chat"},
                request_context(tracker, "hardship"),
            )
        except BackendProblem as exc:
            dispatcher.utter_message(text=exc.problem.detail or "I couldn't apply that plan.")
            return [SlotSet("hardship_option", None)]
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        rows = plan.get("installments") or plan.get("instalments") or []
        first = next((r for r in rows), None)
        text = "Done ✅ Your new plan is in place."
        if first:
            text += f" Your next payment is due {day(first['due_date'], locale_of(tracker))}."
        dispatcher.utter_message(text=text, buttons=[{"title": "My schedule", "payload": "/show_schedule"}])
        return [SlotSet("hardship_option", None)]
