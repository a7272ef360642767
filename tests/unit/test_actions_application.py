"""The application form: progressive onboarding, each answer saved as it comes, the summary,
the decision and the offers, with the backend's HTTP API played back."""

from __future__ import annotations

from typing import Any

import pytest
from actions_support import CUSTOMER, FakeBackend, a_tracker, backend, buttons, form_domain, texts
from rasa_sdk.executor import CollectingDispatcher

from actions import catalog, onboarding_status
from actions.application import (
    ActionChooseOffer,
    ActionReceiveAttachment,
    ActionSubmitApplication,
    present_decision,
)
from actions.forms.application import ValidateApplicationForm
from backend.lending.products import DEFAULT_PRODUCT_DATA

__all__ = ["backend"]

PRODUCTS = [
    {"code": p["code"], "version": 1, "kind": p["kind"], "definition": p} for p in DEFAULT_PRODUCT_DATA
]
NOTHING_KNOWN = {
    "consented": False,
    "consent_version": None,
    "current_policy_version": "2026-01",
    "missing": ["consent", "full_name", "date_of_birth", "id_number", "id_document", "selfie"],
    "kyc_status": "not_started",
    "kyb_status": "not_started",
    "profile": {},
}
RETURNING = {
    **NOTHING_KNOWN,
    "consented": True,
    "missing": [],
    "kyc_status": "verified",
    "kyb_status": "verified",
}


@pytest.fixture(autouse=True)
def fresh_caches() -> None:
    catalog._CACHE.clear()
    onboarding_status._CACHE.clear()


PROFILE = {"business_name": "Mama Put", "monthly_revenue": {"amount_minor": 90000000, "currency": "NGN"}}


def with_status(backend: FakeBackend, status: dict[str, Any], profile: bool = True) -> FakeBackend:
    """`profile`: the customer's underwriting profile (with revenue) exists, as the status says."""
    body = {**status, "underwriting_profile": profile}
    return backend.on("GET", f"/v1/customers/{CUSTOMER}/onboarding", body).on("GET", "/v1/products", PRODUCTS)


async def required(tracker: Any) -> list[str]:
    return await ValidateApplicationForm().required_slots([], CollectingDispatcher(), tracker, {})


async def test_a_new_customer_is_asked_for_consent_before_anything_else(backend: FakeBackend) -> None:
    with_status(backend, NOTHING_KNOWN)
    assert await required(a_tracker("apply")) == ["consent"]


async def test_a_returning_customer_is_asked_only_for_the_application(backend: FakeBackend) -> None:
    with_status(backend, RETURNING)
    tracker = a_tracker("", slots={"product_kind": "working_capital", "product_code": "ngn-working-capital"})
    assert await required(tracker) == [
        "product",
        "amount",
        "term",
        "frequency",
        "purpose",
        "application_confirmed",
    ]


async def test_the_missing_business_details_and_revenue_are_asked_for_every_product(
    backend: FakeBackend,
) -> None:
    status = {**RETURNING, "missing": ["registration_number", "tin", "registration_document"]}
    with_status(backend, status, profile=False)
    business = await required(
        a_tracker("", slots={"product_kind": "line_of_credit", "product_code": "ngn-line-of-credit"})
    )
    assert business[:5] == [
        "product",
        "registration_number",
        "tin",
        "monthly_revenue",
        "registration_document",
    ]
    onboarding_status._CACHE.clear()
    bnpl = await required(a_tracker("", slots={"product_kind": "bnpl", "product_code": "ngn-bnpl-4"}))
    # Pay in 4 is trade credit for the business: same KYB; its 6-week term and frequency are fixed
    assert bnpl == [
        "product", "registration_number", "tin", "monthly_revenue", "registration_document",
        "amount", "purpose", "application_confirmed",
    ]  # fmt: skip


async def test_the_revenue_completes_the_business_profile_the_rules_read(backend: FakeBackend) -> None:
    with_status(backend, RETURNING, profile=False).on(
        "PATCH", f"/v1/customers/{CUSTOMER}/business-profile", RETURNING
    ).on("PUT", f"/v1/customers/{CUSTOMER}/business-profile", PROFILE)
    slots = {
        "business_name": "Mama Put",
        "business_type": "retail",
        "months_in_business": "30",
        "tin": "12345678-0001",
    }
    result = await ValidateApplicationForm().validate_monthly_revenue(
        "2m", CollectingDispatcher(), a_tracker("2m", slots=slots), {}
    )
    assert result["monthly_revenue_minor"] == "200000000"
    [profile] = backend.bodies("PUT", f"/v1/customers/{CUSTOMER}/business-profile")
    assert profile == {
        "business_name": "Mama Put",
        "business_type": "retail",
        "months_in_business": 30,
        "monthly_revenue": {"amount_minor": 200000000, "currency": "NGN"},
        "registration_number": None,
        "tax_id": "12345678-0001",
    }


async def test_consent_is_recorded_with_the_version_shown(backend: FakeBackend) -> None:
    with_status(backend, NOTHING_KNOWN).on("POST", f"/v1/customers/{CUSTOMER}/consents", {"accepted": True})
    result = await ValidateApplicationForm().validate_consent(
        "/affirm", CollectingDispatcher(), a_tracker("/affirm", intent="affirm", requested_slot="consent"), {}
    )
    assert result == {"consent": "yes"}
    assert backend.bodies("POST", f"/v1/customers/{CUSTOMER}/consents") == [
        {"version": "2026-01", "channel": "web", "accepted": True}
    ]


async def test_consent_declined_ends_the_form_and_says_nothing_is_stored(backend: FakeBackend) -> None:
    with_status(backend, NOTHING_KNOWN).on("POST", f"/v1/customers/{CUSTOMER}/consents", {"accepted": False})
    dispatcher = CollectingDispatcher()
    tracker = a_tracker(
        "not now",
        intent="deny",
        requested_slot="consent",
        active_loop="application_form",
        extracted={"consent": "not now"},
    )
    events = await ValidateApplicationForm().run(
        dispatcher, tracker, form_domain("application_form", ["consent"])
    )
    assert {"event": "active_loop", "name": None, "timestamp": None} in [
        {k: e.get(k) for k in ("event", "name", "timestamp")}
        for e in events
        if e.get("event") == "active_loop"
    ]
    assert [m.get("response") for m in dispatcher.messages] == ["utter_consent_declined"]


async def test_a_side_question_is_answered_and_the_same_question_asked_again(backend: FakeBackend) -> None:
    with_status(backend, RETURNING)
    dispatcher = CollectingDispatcher()
    events = await ValidateApplicationForm().run(
        dispatcher,
        a_tracker(
            "why do you need my bvn",
            intent="ask_why_identity",
            requested_slot="id_number",
            active_loop="application_form",
        ),
        {},
    )
    assert [m.get("response") for m in dispatcher.messages] == ["utter_ask_why_identity"]
    assert [(e["name"], e["value"]) for e in events if e["event"] == "slot"] == [
        ("id_number", None),
        ("requested_slot", "id_number"),
    ]


async def test_the_identity_is_saved_and_only_the_masked_number_kept(backend: FakeBackend) -> None:
    with_status(backend, {**NOTHING_KNOWN, "consented": True}).on(
        "PUT",
        f"/v1/customers/{CUSTOMER}/identity",
        {**RETURNING, "profile": {"id_number_masked": "*******5678"}},
    )
    tracker = a_tracker(
        "my bvn na 22212345678",
        requested_slot="id_number",
        slots={"full_name": "Amaka Okafor", "date_of_birth": "1990-03-12", "product_kind": "working_capital"},
    )
    dispatcher = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_id_number(
        "my bvn na 22212345678", dispatcher, tracker, {}
    )
    assert result == {"id_number": "*******5678"}
    assert backend.bodies("PUT", f"/v1/customers/{CUSTOMER}/identity") == [
        {
            "full_name": "Amaka Okafor",
            "date_of_birth": "1990-03-12",
            "id_type": "bvn",
            "id_number": "22212345678",
            "applicant_type": "business",
        }
    ]
    assert "22212345678" not in texts(dispatcher)


async def test_an_under_age_birth_date_refused_by_the_backend_is_asked_again(backend: FakeBackend) -> None:
    with_status(backend, {**NOTHING_KNOWN, "consented": True}).problem(
        "PUT", f"/v1/customers/{CUSTOMER}/identity", 422, "invalid", "You must be 18 or older to borrow."
    )
    tracker = a_tracker(
        "22212345678", requested_slot="id_number", slots={"full_name": "A B", "date_of_birth": "2015-01-01"}
    )
    dispatcher = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_id_number("22212345678", dispatcher, tracker, {})
    assert result == {"id_number": None, "date_of_birth": None}
    assert "18 or older" in texts(dispatcher)


async def test_a_photo_is_required_where_a_document_is_asked(backend: FakeBackend) -> None:
    with_status(backend, RETURNING)
    dispatcher = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_id_document("here", dispatcher, a_tracker("here"), {})
    assert result == {"id_document": None}
    assert [m.get("response") for m in dispatcher.messages] == ["utter_attachment_needed"]


async def test_a_failed_kyc_asks_for_the_id_photo_again(backend: FakeBackend) -> None:
    with_status(backend, RETURNING).on(
        "POST",
        f"/v1/customers/{CUSTOMER}/kyc-checks",
        {"status": "failed", "reasons": ["The photo is blurred."]},
    )
    tracker = a_tracker(
        "/send_attachment",
        intent="send_attachment",
        slots={"id_document": "doc-1"},
        metadata={"attachments": [{"document_id": "doc-2", "content_type": "image/jpeg"}]},
    )
    dispatcher = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_selfie("/send_attachment", dispatcher, tracker, {})
    assert result == {"selfie": None, "id_document": None}
    assert "blurred" in texts(dispatcher)
    assert backend.bodies("POST", f"/v1/customers/{CUSTOMER}/kyc-checks") == [
        {"id_document_id": "doc-1", "selfie_document_id": "doc-2"}
    ]


async def test_the_amount_is_bounded_by_the_product_and_creates_the_draft(backend: FakeBackend) -> None:
    with_status(backend, RETURNING).on("POST", "/v1/applications", {"id": "app-1", "version": 1}, status=201)
    slots = {"product_kind": "working_capital", "product_code": "ngn-working-capital"}
    dispatcher = CollectingDispatcher()
    too_small = await ValidateApplicationForm().validate_amount(
        "5k", dispatcher, a_tracker("5k", slots=slots), {}
    )
    assert too_small == {"amount": None}
    assert "₦100,000.00" in texts(dispatcher) and "₦50,000,000.00" in texts(dispatcher)
    ok = await ValidateApplicationForm().validate_amount(
        "500k", CollectingDispatcher(), a_tracker("500k", slots=slots), {}
    )
    assert ok == {
        "amount": "₦500,000.00",
        "amount_minor": "50000000",
        "application_id": "app-1",
        "application_version": "1",
    }
    [draft] = backend.bodies("POST", "/v1/applications")
    assert draft["requested_amount"] == {"amount_minor": 50000000, "currency": "NGN"}
    assert draft["product_code"] == "ngn-working-capital"


async def test_change_the_amount_at_the_summary_patches_the_draft_and_shows_the_summary_again(
    backend: FakeBackend,
) -> None:
    with_status(backend, RETURNING).on(
        "GET", "/v1/applications/app-1", {"id": "app-1", "status": "draft", "version": 3}
    ).on("PATCH", "/v1/applications/app-1", {"id": "app-1", "version": 4})
    tracker = a_tracker(
        "change the amount to 300k",
        intent="change_field",
        entities=[{"entity": "field", "value": "amount"}, {"entity": "amount", "value": "300k"}],
        requested_slot="application_confirmed",
        slots={
            "application_id": "app-1",
            "product_kind": "working_capital",
            "product_code": "ngn-working-capital",
        },
    )
    result = await ValidateApplicationForm().validate_application_confirmed(
        "x", CollectingDispatcher(), tracker, {}
    )
    assert result["amount"] == "₦300,000.00" and result["application_confirmed"] is None
    assert backend.bodies("PATCH", "/v1/applications/app-1")[0]["requested_amount"] == {
        "amount_minor": 30000000,
        "currency": "NGN",
    }


async def test_nothing_is_submitted_when_the_form_ended_without_confirmation(backend: FakeBackend) -> None:
    events = await ActionSubmitApplication().run(
        CollectingDispatcher(), a_tracker("x", slots={"application_id": "a"}), {}
    )
    assert events == []
    assert backend.requests == []


OFFER = {
    "id": "off-1",
    "lender_code": "kano-capital",
    "amount_minor": 50000000,
    "currency": "NGN",
    "term_count": 6,
    "frequency": "monthly",
    "payment_minor": 9500000,
    "apr": "47.3",
    "fees": [{"name": "arrangement", "amount_minor": 1000000, "currency": "NGN"}],
    "total_repayable_minor": 57000000,
    "status": "open",
}


def test_an_approval_shows_the_limit_and_the_offers_with_every_cost() -> None:
    dispatcher = CollectingDispatcher()
    events = present_decision(
        dispatcher,
        {
            "application": {"id": "a"},
            "decision": {"outcome": "approve", "limit_minor": 80000000, "currency": "NGN"},
            "offers": [OFFER],
        },
        "en_NG",
    )
    text = texts(dispatcher)
    assert "₦800,000.00" in text
    assert "Kano Capital: ₦500,000.00, 6 × ₦95,000.00 monthly" in text
    assert "APR 47.3%" in text and "fees ₦10,000.00" in text and "total to repay ₦570,000.00" in text
    assert buttons(dispatcher) == ['/choose_option{"option":"1"}']
    assert {"event": "slot", "name": "offer_ids", "value": ["off-1"]} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events
    ]


def test_a_referral_asks_for_exactly_the_documents_named() -> None:
    dispatcher = CollectingDispatcher()
    events = present_decision(
        dispatcher,
        {
            "application": {"id": "a-9"},
            "decision": {"outcome": "refer", "documents_required": ["bank_statement"]},
        },
        "en_NG",
    )
    assert "bank statement" in texts(dispatcher)
    assert events[0]["value"] == "application:a-9:bank_statement"


def test_a_decline_gives_the_reasons_and_what_would_change_them() -> None:
    dispatcher = CollectingDispatcher()
    present_decision(
        dispatcher,
        {
            "application": {"id": "a"},
            "decision": {
                "outcome": "decline",
                "reasons": [
                    {
                        "code": "tib",
                        "text": "Your business is 2 months old.",
                        "hint": "Apply again after 6 months of trading.",
                    }
                ],
            },
        },
        "en_NG",
    )
    assert "2 months old" in texts(dispatcher) and "after 6 months" in texts(dispatcher)


async def test_choosing_an_offer_shows_its_schedule_before_accepting(backend: FakeBackend) -> None:
    backend.on(
        "GET",
        "/v1/offers/off-2/schedule",
        {
            "currency": "NGN",
            "total_interest_minor": 700000,
            "instalments": [{"number": 1, "due_date": "2027-01-15", "payment_minor": 9500000}],
        },
    )
    tracker = a_tracker(
        "the second one",
        intent="choose_option",
        entities=[{"entity": "option", "value": "2"}],
        slots={"offer_ids": ["off-1", "off-2"]},
    )
    dispatcher = CollectingDispatcher()
    events = await ActionChooseOffer().run(dispatcher, tracker, {})
    assert "1. 15 Jan 2027: ₦95,000.00" in texts(dispatcher)
    assert buttons(dispatcher)[0] == "/affirm"
    assert events[0]["value"] == "off-2"


async def test_a_requested_statement_is_attached_and_the_application_decided_again(
    backend: FakeBackend,
) -> None:
    backend.on("POST", "/v1/applications/a-9/documents", {"ok": True}).on(
        "POST",
        "/v1/applications/a-9/redecide",
        {
            "application": {"id": "a-9"},
            "decision": {"outcome": "approve", "limit_minor": 100000, "currency": "NGN"},
            "offers": [OFFER],
        },
    )
    tracker = a_tracker(
        "/send_attachment",
        intent="send_attachment",
        slots={"awaiting_document": "application:a-9:bank_statement"},
        metadata={"attachments": [{"document_id": "doc-7"}]},
    )
    dispatcher = CollectingDispatcher()
    await ActionReceiveAttachment().run(dispatcher, tracker, {})
    assert backend.bodies("POST", "/v1/applications/a-9/documents") == [
        {"document_id": "doc-7", "kind": "bank_statement"}
    ]
    assert "Approved" in texts(dispatcher)
