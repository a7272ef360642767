"""Validation for ``application_form``: consent, missing onboarding, the application, the summary.

The form asks only what the backend does not know yet. `required_slots` reads the customer's
onboarding status from the backend once per turn and builds the list: consent first (nothing is
stored before it), the product, then the identity and business fields still missing, then the
application's own fields for that product, then the summary. Each answer is sent to the backend
as soon as it is valid (identity, documents and KYC, business profile, the draft application),
so nothing is lost if the customer leaves and a later "apply" resumes at the first gap.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import structlog
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendClient, BackendError, BackendProblem
from actions.catalog import (
    KIND_LABELS,
    by_kind,
    chosen_product,
    kind_from_text,
    products,
)
from actions.context import currency_of, customer_id_of, locale_of, metadata_of, request_context
from actions.formatting import frequency_text, money
from actions.forms.base import ABORT, JourneyFormValidation, attachments_of, latest_intent, latest_text
from actions.forms.eligibility import BUSINESS_TYPES, business_type_from_text
from actions.onboarding_status import OnboardingStatus, onboarding_status
from actions.parsing.answers import (
    identity_number,
    in_unit,
    months_of,
    parse_date,
    parse_duration,
    yes_no,
)
from actions.parsing.money import parse_money

log = structlog.get_logger(__name__)

IDENTITY_SLOTS = ("full_name", "date_of_birth", "id_number", "id_document", "selfie")
BUSINESS_SLOTS = (
    "business_name",
    "registration_number",
    "tin",
    "business_type",
    "months_in_business",
    "monthly_revenue",
    "registration_document",
)
INVOICE_SLOTS = ("invoice_number", "invoice_debtor", "invoice_amount", "invoice_due_date", "invoice_document")
# what the backend's onboarding status calls the fields the bot asks for
BACKEND_FIELD = {"id_number": "id_number", "months_in_business": "months_in_business"}
CHECKED = ("verified", "needs_review")
FREQUENCY_SYNONYMS = {
    "every 2 weeks": "fortnightly",
    "biweekly": "fortnightly",
    "twice a month": "semi_monthly",
    "every 3 months": "quarterly",
    "month": "monthly",
    "week": "weekly",
}
EDITABLE = {
    "amount": "amount",
    "term": "term",
    "frequency": "frequency",
    "purpose": "purpose",
    "product": "product",
}


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value") not in (None, ""):
            return str(entity["value"])
    return None


def _field_named_in(text: str) -> str | None:
    """'change the amount', 'edit term': the field a correction names, when the NLU missed it."""
    found = [f for f in EDITABLE if re.search(rf"\b{f}\b", text.lower())]
    return found[0] if len(found) == 1 else None


def _amount_after_to(text: str) -> str | None:
    """'change the amount to 300k' -> '300k'."""
    match = re.search(r"\bto\s+(.+)$", text.strip(), flags=re.IGNORECASE)
    return match.group(1) if match else None


def needs_business_profile(kind: str | None) -> bool:
    """Every product lends to a business (Pay in 4 is trade credit for its purchases), and the
    rule set decides on the business's trading history and revenue, so all of them need KYB."""
    return kind is not None


class ValidateApplicationForm(JourneyFormValidation):
    free_text_slots = frozenset({"purpose", "full_name", "business_name", "invoice_debtor"})

    def name(self) -> str:
        return "validate_application_form"

    # ---- which slots ----------------------------------------------------------------------

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        status = await onboarding_status(tracker)
        kind = tracker.get_slot("product_kind")
        slots: list[str] = []
        if not status.consented and tracker.get_slot("consent") != "yes":
            return ["consent"]
        slots.append("product")
        missing = set(status.missing)
        # The gateway stores a photo before the bot sees it, so the backend stops listing the
        # document as missing on the very turn it arrives: the photos stay in the form until
        # the check they feed (KYC, KYB) has run, which is what the validators trigger.
        if status.kyc_status not in CHECKED:
            missing |= {"id_document", "selfie"}
        slots += [s for s in IDENTITY_SLOTS if BACKEND_FIELD.get(s, s) in missing]
        if needs_business_profile(kind):
            if status.kyb_status not in CHECKED:
                missing.add("registration_document")
            wanted = missing | ({"monthly_revenue"} if not status.has_revenue else set())
            slots += [s for s in BUSINESS_SLOTS if BACKEND_FIELD.get(s, s) in wanted]
        product = await chosen_product(tracker)
        slots.append("amount")
        if product is None or not product.fixed_term:
            slots.append("term")
        if product is None or len(product.frequencies) > 1:
            slots.append("frequency")
        slots.append("purpose")
        if kind == "invoice_financing":
            slots += list(INVOICE_SLOTS)
        slots.append("application_confirmed")
        return slots

    # ---- consent and product --------------------------------------------------------------

    async def validate_consent(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent, _ = latest_intent(tracker)
        answer = yes_no(latest_text(tracker), intent)
        if answer is None:
            dispatcher.utter_message(text="Please tap 'I agree' or 'Not now'.")
            return {"consent": None}
        customer = customer_id_of(tracker)
        status = await onboarding_status(tracker)
        if customer:
            try:
                await BackendClient().post(
                    f"/v1/customers/{customer}/consents",
                    {
                        "version": status.current_policy_version or status.consent_version or "current",
                        "channel": metadata_of(tracker).get("channel") or "web",
                        "accepted": answer,
                    },
                    request_context(tracker, "consent"),
                )
            except BackendError as exc:
                log.error("consent.failed", error=str(exc))
                dispatcher.utter_message(response="utter_backend_unavailable")
                return {"consent": None, ABORT: True}
        if not answer:
            dispatcher.utter_message(response="utter_consent_declined")
            return {"consent": None, ABORT: True}
        dispatcher.utter_message(text="Thank you 🙏")
        return {"consent": "yes"}

    async def validate_product(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        kind = _entity(tracker, "product") or kind_from_text(str(slot_value or ""))
        if kind not in KIND_LABELS:
            kind = kind_from_text(str(kind or ""))
        try:
            items = await products(request_context(tracker))
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"product": None, ABORT: True}
        product = by_kind(items, kind) if kind else None
        if product is None:
            dispatcher.utter_message(text="Sorry, I didn't catch which one. Please pick one of these:")
            return {"product": None}
        return {"product": kind, "product_kind": kind, "product_code": product.code}

    # ---- identity ------------------------------------------------------------------------

    async def validate_full_name(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = re.sub(
            r"\s+",
            " ",
            re.sub(r"^(my name is|i am|i'm|na)\s+", "", str(slot_value or "").strip(), flags=re.I),
        )
        parts = [p for p in name.split(" ") if p]
        if len(parts) < 2 or any(ch.isdigit() for ch in name) or len(name) > 120:
            dispatcher.utter_message(text="Please type your first and last name, e.g. Amaka Okafor.")
            return {"full_name": None}
        return {"full_name": " ".join(p[:1].upper() + p[1:] for p in parts)}

    async def validate_date_of_birth(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        born = parse_date(_entity(tracker, "date") or str(slot_value or ""), past=True)
        if born is None:
            dispatcher.utter_message(text="I couldn't read that date. Please write it like 12/03/1990.")
            return {"date_of_birth": None}
        return {"date_of_birth": born.isoformat()}

    async def validate_id_number(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        parsed = identity_number(latest_text(tracker))
        if parsed is None:
            dispatcher.utter_message(
                text="A BVN or NIN has exactly 11 digits. Please check and send it again."
            )
            return {"id_number": None}
        customer = customer_id_of(tracker)
        body = {
            "full_name": tracker.get_slot("full_name"),
            "date_of_birth": tracker.get_slot("date_of_birth"),
            "id_type": parsed.id_type,
            "id_number": parsed.number,
            "applicant_type": "business"
            if needs_business_profile(tracker.get_slot("product_kind"))
            else "individual",
        }
        status = await onboarding_status(tracker)
        body = {k: v for k, v in body.items() if v is not None or k not in ("full_name", "date_of_birth")}
        body["full_name"] = body.get("full_name") or status.profile.get("full_name")
        body["date_of_birth"] = body.get("date_of_birth") or status.profile.get("date_of_birth")
        try:
            saved = await BackendClient().put(
                f"/v1/customers/{customer}/identity", body, request_context(tracker)
            )
        except BackendProblem as exc:
            field = (exc.problem.detail or "").lower()
            dispatcher.utter_message(text=exc.problem.detail or "That doesn't look right, please check it.")
            if "birth" in field or "18" in field:
                return {"id_number": None, "date_of_birth": None}
            return {"id_number": None}
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"id_number": None, ABORT: True}
        masked = (saved.get("profile") or {}).get("id_number_masked") or ("*" * 7 + parsed.number[-4:])
        dispatcher.utter_message(text=f"Saved your {parsed.id_type.upper()} {masked}.")
        return {"id_number": masked}

    async def _document(
        self, tracker: Tracker, dispatcher: CollectingDispatcher, slot: str, kind: str
    ) -> dict[str, Any]:
        attachments = attachments_of(tracker)
        if not attachments:
            dispatcher.utter_message(response="utter_attachment_needed")
            return {slot: None}
        return {slot: str(attachments[0]["document_id"])}

    async def validate_id_document(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._document(tracker, dispatcher, "id_document", "id_document")

    async def validate_selfie(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        got = await self._document(tracker, dispatcher, "selfie", "selfie")
        if got["selfie"] is None:
            return got
        id_document = tracker.get_slot("id_document")
        if not id_document:
            return got
        customer = customer_id_of(tracker)
        try:
            check = await BackendClient().post(
                f"/v1/customers/{customer}/kyc-checks",
                {"id_document_id": id_document, "selfie_document_id": got["selfie"]},
                request_context(tracker, "kyc"),
            )
        except BackendError as exc:
            log.error("kyc.failed", error=str(exc))
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"selfie": None, ABORT: True}
        status = check.get("status")
        if status == "verified":
            dispatcher.utter_message(text="Thanks, your identity is verified ✅")
        elif status == "needs_review":
            dispatcher.utter_message(
                text="Thanks! We'll double-check your ID by hand; you can carry on meanwhile."
            )
        else:
            reasons = " ".join(check.get("reasons") or []) or "The photos didn't match your details."
            dispatcher.utter_message(
                text=f"We couldn't verify your ID. {reasons} Please send the photo of your ID again."
            )
            return {"selfie": None, "id_document": None}
        return {"selfie": got["selfie"], "kyc_status": status}

    # ---- business --------------------------------------------------------------------------

    async def validate_business_name(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = str(slot_value or "").strip()
        if len(name) < 2 or len(name) > 200:
            dispatcher.utter_message(text="Please type the business name.")
            return {"business_name": None}
        return {"business_name": name}

    async def validate_registration_number(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        match = re.search(r"\b(rc|bn|it)\s*[-:]?\s*(\d{4,8})\b", str(slot_value or ""), flags=re.I)
        if not match:
            dispatcher.utter_message(
                text="A CAC number looks like RC123456 (companies) or BN1234567 (business names)."
            )
            return {"registration_number": None}
        return {"registration_number": f"{match.group(1).upper()}{match.group(2)}"}

    async def validate_tin(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(slot_value or "")
        match = re.search(r"\b(\d{8})\s*-\s*(\d{4})\b", text)
        if match:
            return {"tin": f"{match.group(1)}-{match.group(2)}"}
        plain = re.sub(r"\D", "", text)
        if len(plain) in (10, 12):
            return {"tin": plain if len(plain) == 10 else f"{plain[:8]}-{plain[8:]}"}
        dispatcher.utter_message(text="A TIN looks like 12345678-0001 (or the new 10-digit format).")
        return {"tin": None}

    async def validate_business_type(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = str(_entity(tracker, "business_type") or slot_value or "").strip().lower()
        category = value if value in BUSINESS_TYPES else business_type_from_text(value)
        if category is None:
            dispatcher.utter_message(response="utter_ask_business_type_again")
            return {"business_type": None}
        return {"business_type": category}

    async def validate_months_in_business(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        duration = parse_duration(str(slot_value or ""))
        months = months_of(duration) if duration else None
        if months is None or months > 1200:
            dispatcher.utter_message(text="Please say how long, e.g. 8 months or 3 years.")
            return {"months_in_business": None}
        return {"months_in_business": str(months)}

    async def validate_monthly_revenue(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The business's average monthly revenue: the rule set's main affordability input."""
        parsed = parse_money(str(slot_value or ""), default_currency=currency_of(tracker))
        if parsed is None:
            dispatcher.utter_message(response="utter_ask_monthly_revenue_again")
            return {"monthly_revenue": None}
        slots = {
            "monthly_revenue": str(slot_value),
            "monthly_revenue_minor": str(parsed.amount_minor),
            "monthly_revenue_currency": parsed.currency,
        }
        saved = await self._save_business(dispatcher, tracker, slots)
        return slots if saved else {"monthly_revenue": None}

    async def validate_registration_document(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        got = await self._document(tracker, dispatcher, "registration_document", "registration_document")
        if got["registration_document"] is None:
            return got
        if not await self._save_business(dispatcher, tracker, got):
            return {"registration_document": None}
        try:
            check = await BackendClient().post(
                f"/v1/customers/{customer_id_of(tracker)}/kyb-checks", {}, request_context(tracker, "kyb")
            )
        except BackendProblem as exc:
            dispatcher.utter_message(text=exc.problem.detail or "Some business details don't look right.")
            return {"registration_document": None}
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"registration_document": None, ABORT: True}
        if check.get("status") == "failed":
            reasons = " ".join(check.get("reasons") or [])
            dispatcher.utter_message(text=f"We couldn't verify the business registration. {reasons}".strip())
        else:
            dispatcher.utter_message(text="Business details saved ✅")
        return got

    async def _save_business(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, new: dict[str, Any]
    ) -> bool:
        """Send the business details known so far: the KYB fields (partial PATCH), and the full
        business profile the rule set reads once the revenue is known. False after telling the
        customer what the backend refused."""

        def value(name: str) -> Any:
            return new.get(name) or tracker.get_slot(name) or status.profile.get(name)

        status = await onboarding_status(tracker)
        customer = customer_id_of(tracker)
        client = BackendClient()
        kyb = {
            "business_name": value("business_name"),
            "registration_number": value("registration_number"),
            "tin": value("tin"),
            "business_type": value("business_type"),
            "months_in_business": int(value("months_in_business")) if value("months_in_business") else None,
            "registration_document_id": new.get("registration_document"),
            "applicant_type": "business",
        }
        revenue = new.get("monthly_revenue_minor") or tracker.get_slot("monthly_revenue_minor")
        try:
            await client.patch(
                f"/v1/customers/{customer}/business-profile",
                {k: v for k, v in kyb.items() if v is not None},
                request_context(tracker, "kyb-profile"),
            )
            if (
                revenue
                and kyb["business_name"]
                and kyb["business_type"]
                and kyb["months_in_business"] is not None
            ):
                await client.put(
                    f"/v1/customers/{customer}/business-profile",
                    {
                        "business_name": kyb["business_name"],
                        "business_type": kyb["business_type"],
                        "months_in_business": kyb["months_in_business"],
                        "monthly_revenue": {
                            "amount_minor": int(revenue),
                            "currency": new.get("monthly_revenue_currency")
                            or tracker.get_slot("monthly_revenue_currency")
                            or currency_of(tracker),
                        },
                        "registration_number": kyb["registration_number"],
                        "tax_id": kyb["tin"],
                    },
                    request_context(tracker, "business-profile"),
                )
        except BackendProblem as exc:
            dispatcher.utter_message(text=exc.problem.detail or "Some business details don't look right.")
            return False
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return False
        return True

    # ---- the application ---------------------------------------------------------------------

    async def validate_amount(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._set_amount(str(slot_value or ""), dispatcher, tracker)

    async def _set_amount(
        self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        parsed = parse_money(_entity(tracker, "amount") or text, default_currency=currency_of(tracker))
        if parsed is None:
            parsed = parse_money(text, default_currency=currency_of(tracker))
        product = await chosen_product(tracker)
        locale = locale_of(tracker)
        if parsed is None:
            dispatcher.utter_message(
                text="I couldn't read that amount. You can write 500k, ₦1.2m or 2 million naira."
            )
            return {"amount": None}
        if product is not None and not (
            product.minimum_minor <= parsed.amount_minor <= product.maximum_minor
        ):
            dispatcher.utter_message(
                text=f"{product.name} is from {money(product.minimum_minor, product.currency, locale)} "
                f"to {money(product.maximum_minor, product.currency, locale)}. How much would you like?"
            )
            return {"amount": None}
        slots = {
            "amount": money(parsed.amount_minor, parsed.currency, locale),
            "amount_minor": str(parsed.amount_minor),
        }
        saved = await self._save_draft(
            tracker,
            dispatcher,
            {"requested_amount": {"amount_minor": parsed.amount_minor, "currency": parsed.currency}},
            slots,
        )
        return saved if saved is not None else {"amount": None}

    async def validate_term(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        product = await chosen_product(tracker)
        unit = product.term_unit if product else "months"
        duration = parse_duration(_entity(tracker, "term") or str(slot_value or ""))
        count = in_unit(duration, unit) if duration else None
        if count is None or (product and not (product.term_minimum <= count <= product.term_maximum)):
            bounds = f" between {product.term_minimum} and {product.term_maximum} {unit}" if product else ""
            dispatcher.utter_message(
                text=f"Please choose a term{bounds}, e.g. '{product.term_maximum if product else 6} {unit}'."
            )
            return {"term": None}
        saved = await self._save_draft(
            tracker, dispatcher, {"term_count": count}, {"term": f"{count} {unit}", "term_count": str(count)}
        )
        return saved if saved is not None else {"term": None}

    async def validate_frequency(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        product = await chosen_product(tracker)
        allowed = product.frequencies if product else ("weekly", "fortnightly", "monthly")
        value = (_entity(tracker, "frequency") or str(slot_value or "")).lower().strip()
        value = FREQUENCY_SYNONYMS.get(value, value)
        found = [
            f for f in allowed if f in value or f.replace("_", "-") in value or f.replace("_", " ") in value
        ]
        if len(found) != 1:
            dispatcher.utter_message(text="How often would you like to repay? Please pick one.")
            return {"frequency": None}
        saved = await self._save_draft(tracker, dispatcher, {"frequency": found[0]}, {"frequency": found[0]})
        return saved if saved is not None else {"frequency": None}

    async def validate_purpose(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        purpose = str(slot_value or "").strip()
        if len(purpose) < 3:
            dispatcher.utter_message(text="Just a few words, e.g. 'buy stock for December'.")
            return {"purpose": None}
        saved = await self._save_draft(
            tracker, dispatcher, {"purpose": purpose[:500]}, {"purpose": purpose[:500]}
        )
        return saved if saved is not None else {"purpose": None}

    async def validate_invoice_number(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = str(slot_value or "").strip()
        return {"invoice_number": value[:64]} if value else {"invoice_number": None}

    async def validate_invoice_debtor(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = str(slot_value or "").strip()
        return {"invoice_debtor": value[:200]} if len(value) >= 2 else {"invoice_debtor": None}

    async def validate_invoice_amount(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        parsed = parse_money(str(slot_value or ""), default_currency=currency_of(tracker))
        if parsed is None:
            dispatcher.utter_message(text="I couldn't read that amount. You can write 1.5m or ₦1,500,000.")
            return {"invoice_amount": None}
        return {
            "invoice_amount": money(parsed.amount_minor, parsed.currency, locale_of(tracker)),
            "invoice_amount_minor": str(parsed.amount_minor),
        }

    async def validate_invoice_due_date(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        due = parse_date(_entity(tracker, "date") or str(slot_value or ""), past=False)
        if due is None or due <= date.today():
            dispatcher.utter_message(
                text="Please give the invoice's due date in the future, e.g. 31/01/2027."
            )
            return {"invoice_due_date": None}
        invoice = {
            "number": tracker.get_slot("invoice_number"),
            "debtor": tracker.get_slot("invoice_debtor"),
            "amount_minor": int(tracker.get_slot("invoice_amount_minor") or 0),
            "due_date": due.isoformat(),
        }
        saved = await self._save_draft(
            tracker, dispatcher, {"invoice": invoice}, {"invoice_due_date": due.isoformat()}
        )
        return saved if saved is not None else {"invoice_due_date": None}

    async def validate_invoice_document(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self._document(tracker, dispatcher, "invoice_document", "invoice")

    async def validate_application_confirmed(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent, _ = latest_intent(tracker)
        text = latest_text(tracker)
        field = _entity(tracker, "field") or _field_named_in(text)
        if (
            intent == "change_field"
            or _entity(tracker, "field")
            or re.search(r"\b(edit|change|make it)\b", text.lower())
        ):
            if field in EDITABLE:
                # "change the amount to 300k": set it straight away when the new value came along
                new_amount = _entity(tracker, "amount") or _amount_after_to(text)
                if field == "amount" and new_amount:
                    updated = await self._set_amount(new_amount, dispatcher, tracker)
                    return (
                        {**updated, "application_confirmed": None}
                        if updated.get("amount")
                        else {"application_confirmed": None}
                    )
                if field == "product":
                    return {
                        "product": None,
                        "product_kind": None,
                        "product_code": None,
                        "term": None,
                        "frequency": None,
                        "application_confirmed": None,
                    }
                return {EDITABLE[field]: None, "application_confirmed": None}
            dispatcher.utter_message(
                text="What would you like to change?",
                buttons=[
                    {"title": "Amount", "payload": '/change_field{"field":"amount"}'},
                    {"title": "Term", "payload": '/change_field{"field":"term"}'},
                    {"title": "Purpose", "payload": '/change_field{"field":"purpose"}'},
                ],
            )
            return {"application_confirmed": None}
        answer = yes_no(text, intent)
        if answer is True:
            return {"application_confirmed": "yes"}
        if answer is False:
            dispatcher.utter_message(response="utter_application_stopped")
            return {"application_confirmed": None, ABORT: True}
        dispatcher.utter_message(
            text="Please tap Submit, or tell me what to change (e.g. 'change the amount to 300k')."
        )
        return {"application_confirmed": None}

    # ---- the draft ---------------------------------------------------------------------------

    async def _save_draft(
        self,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        change: dict[str, Any],
        slots: dict[str, Any],
    ) -> dict[str, Any] | None:
        """Create the draft on the first application answer, then patch it on every later one.

        Returns the slots to set, or None after telling the customer what the backend refused.
        """
        client = BackendClient()
        application_id = tracker.get_slot("application_id")
        try:
            if application_id:
                current = await client.get(f"/v1/applications/{application_id}", request_context(tracker))
                if current.get("status") != "draft":
                    application_id = None
            if not application_id:
                amount_minor = slots.get("amount_minor") or tracker.get_slot("amount_minor")
                if amount_minor is None:
                    return slots  # the draft is created with the amount; keep the answer until then
                body = {
                    "customer_id": customer_id_of(tracker),
                    "product_code": tracker.get_slot("product_code"),
                    "requested_amount": {"amount_minor": int(amount_minor), "currency": currency_of(tracker)},
                    "term_count": int(tracker.get_slot("term_count"))
                    if tracker.get_slot("term_count")
                    else None,
                    "frequency": tracker.get_slot("frequency"),
                    "purpose": tracker.get_slot("purpose"),
                }
                body.update(change)
                created = await client.post("/v1/applications", body, request_context(tracker, "draft"))
                return {
                    **slots,
                    "application_id": created["id"],
                    "application_version": str(created["version"]),
                }
            body = {
                "version": int(current["version"]),
                "product_code": tracker.get_slot("product_code"),
                **change,
            }
            updated = await client.patch(f"/v1/applications/{application_id}", body, request_context(tracker))
            return {**slots, "application_version": str(updated["version"])}
        except BackendProblem as exc:
            dispatcher.utter_message(text=exc.problem.detail or exc.problem.title)
            return None
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return None


__all__ = ["OnboardingStatus", "ValidateApplicationForm", "frequency_text"]
