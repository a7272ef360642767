"""Validation for ``eligibility_form``: business type and monthly revenue.

The form only collects what the backend needs to decide; validators turn free text into the
backend's vocabulary (a business category, integer minor units) and re-ask with an example when
they cannot, so the customer always knows what to type next.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.context import currency_of
from actions.parsing.money import parse_money

BUSINESS_TYPES = frozenset(
    {"retail", "wholesale", "services", "manufacturing", "agriculture", "transport", "other"}
)

# Free-text words mapped to a category. The NLU synonyms cover the common answers when DIET
# extracts the entity; this table catches the rest because the form also accepts plain text
# ("I sell phones") and a customer should not be asked twice for something obvious.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "retail": (
        "retail", "shop", "store", "provision", "provisions", "supermarket", "mart", "minimart",
        "boutique", "pharmacy", "chemist", "kiosk", "sell", "selling", "seller", "vendor", "duka",
    ),
    "wholesale": ("wholesale", "wholesaler", "distribution", "distributor", "distribute", "trading",
                  "trader", "supplier", "supply", "import", "importer", "export"),
    "services": ("service", "services", "salon", "barber", "tailor", "tailoring", "restaurant",
                 "catering", "consulting", "consultant", "repair", "cleaning", "school", "clinic",
                 "hotel", "fashion", "design", "photography", "laundry"),
    "manufacturing": ("manufacturing", "manufacture", "manufacturer", "factory", "production",
                      "produce", "bakery", "processing", "fabrication", "welding", "furniture"),
    "agriculture": ("agriculture", "agric", "farm", "farming", "farmer", "poultry", "crop", "crops",
                    "livestock", "fishery", "fish", "cattle", "piggery", "agro"),
    "transport": ("transport", "transportation", "logistics", "haulage", "delivery", "courier",
                  "taxi", "bus", "truck", "trucking", "okada", "keke", "boda", "matatu", "shipping"),
    "other": ("other", "others", "else"),
}  # fmt: skip
_CATEGORY_OF_WORD: dict[str, str] = {word: cat for cat, words in _KEYWORDS.items() for word in words}


def business_type_from_text(text: str) -> str | None:
    """The single category a free-text answer points to, or None when none or several do."""
    words = re.findall(r"[a-z]+", text.lower())
    categories = {_CATEGORY_OF_WORD[w] for w in words if w in _CATEGORY_OF_WORD}
    if len(categories) == 1:
        return categories.pop()
    return None


class ValidateEligibilityForm(FormValidationAction):
    """Validates ``eligibility_form`` (name must match ``validate_<form>`` in the domain)."""

    def name(self) -> str:
        return "validate_eligibility_form"

    async def validate_business_type(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accept a category from a button/entity, or map free text; otherwise re-ask with buttons.

        The whole message is tried too: an entity the NLU cut out badly ("run" from "I run a
        shop") should not cost the customer a second question.
        """
        value = str(slot_value or "").strip().lower()
        category = (
            value
            if value in BUSINESS_TYPES
            else business_type_from_text(value)
            or business_type_from_text(str((tracker.latest_message or {}).get("text") or ""))
        )
        if category is None:
            dispatcher.utter_message(response="utter_ask_business_type_again")
            return {"business_type": None}
        return {"business_type": category}

    async def validate_monthly_revenue(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Parse the amount into integer minor units; an unreadable amount is re-asked with examples.

        The minor units go into a text slot: Rasa serialises slots as JSON and the SDK would
        otherwise be one careless ``float()`` away from losing a kobo.
        """
        parsed = parse_money(str(slot_value or ""), default_currency=currency_of(tracker))
        if parsed is None:
            dispatcher.utter_message(response="utter_ask_monthly_revenue_again")
            return {"monthly_revenue": None, "monthly_revenue_minor": None, "monthly_revenue_currency": None}
        return {
            "monthly_revenue": str(slot_value),
            "monthly_revenue_minor": str(parsed.amount_minor),
            "monthly_revenue_currency": parsed.currency,
        }
