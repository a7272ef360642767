"""Signing, payout, repayment, hardship, disputes and the shared actions, against the backend's
HTTP answers played back."""

from __future__ import annotations

from typing import Any

from actions_support import CONVERSATION, CUSTOMER, FakeBackend, a_tracker, backend, buttons, texts
from rasa_sdk.executor import CollectingDispatcher

from actions.care import ActionCancelJourney, ActionDisputeStatus, ActionFallback, ActionRequestHuman
from actions.forms.acceptance import ActionAskPayoutConfirmed, ValidateAcceptanceForm
from actions.servicing import ActionApplyHardship, ActionHardshipOptions, ActionPayNow, ActionShowBalance

__all__ = ["backend"]


def money(minor: int) -> dict[str, Any]:
    return {"amount_minor": minor, "currency": "NGN", "formatted": f"₦{minor / 100:,.2f}"}


LOAN = {"id": "loan-1", "status": "active", "customer_id": CUSTOMER, "principal": money(60000000)}


def with_loan(backend: FakeBackend) -> FakeBackend:
    return backend.on("GET", "/v1/loans", {"items": [LOAN], "next_cursor": None})


async def test_a_wrong_code_says_how_many_attempts_are_left(backend: FakeBackend) -> None:
    backend.problem(
        "POST", "/v1/agreements/ag-1/sign", 422, "wrong-code", "That code is not right.", attempts_left=2
    )
    dispatcher = CollectingDispatcher()
    result = await ValidateAcceptanceForm().validate_otp_code(
        "123456", dispatcher, a_tracker("123456", slots={"agreement_id": "ag-1"}), {}
    )
    assert result == {"otp_code": None}
    assert "2 attempts left" in texts(dispatcher)


async def test_a_locked_signing_ends_the_form_with_the_reason(backend: FakeBackend) -> None:
    backend.problem(
        "POST", "/v1/agreements/ag-1/sign", 423, "signing-locked", "Too many wrong codes; try after 10:30."
    )
    dispatcher = CollectingDispatcher()
    result = await ValidateAcceptanceForm().validate_otp_code(
        "123456", dispatcher, a_tracker("123456", slots={"agreement_id": "ag-1"}), {}
    )
    assert result["journey_abort"] is True
    assert "try after 10:30" in texts(dispatcher)


async def test_the_right_code_signs_with_the_channel_as_evidence(backend: FakeBackend) -> None:
    backend.on(
        "POST", "/v1/agreements/ag-1/sign", {"status": "signed", "evidence": {"document_sha256": "ab" * 32}}
    )
    dispatcher = CollectingDispatcher()
    result = await ValidateAcceptanceForm().validate_otp_code(
        "code is 482 913", dispatcher, a_tracker("code is 482 913", slots={"agreement_id": "ag-1"}), {}
    )
    assert result == {"otp_code": "signed", "agreement_status": "signed"}
    assert backend.bodies("POST", "/v1/agreements/ag-1/sign") == [{"code": "482913", "channel": "web"}]


async def test_an_account_number_valid_for_one_bank_is_verified_straight_away(backend: FakeBackend) -> None:
    backend.on("GET", "/v1/banks", {"items": [{"code": "058", "name": "Guaranty Trust Bank"}]}).on(
        "POST",
        f"/v1/customers/{CUSTOMER}/bank-accounts",
        {"id": "ba-1", "bank_name": "Guaranty Trust Bank", "account_number_masked": "******6785"},
    )
    result = await ValidateAcceptanceForm().validate_account_number(
        "0123456785", CollectingDispatcher(), a_tracker("0123456785"), {}
    )
    assert result["bank_account_id"] == "ba-1" and result["account_number"] == "******6785"
    assert backend.bodies("POST", f"/v1/customers/{CUSTOMER}/bank-accounts") == [
        {"bank_code": "058", "account_number": "0123456785"}
    ]


async def test_an_account_number_no_bank_accepts_is_refused(backend: FakeBackend) -> None:
    backend.on("GET", "/v1/banks", {"items": []})
    dispatcher = CollectingDispatcher()
    result = await ValidateAcceptanceForm().validate_account_number(
        "0123456789", dispatcher, a_tracker("0123456789"), {}
    )
    assert result == {"account_number": None}
    assert "isn't valid" in texts(dispatcher)


async def test_the_payout_preview_shows_fees_what_arrives_and_when(backend: FakeBackend) -> None:
    backend.on(
        "GET",
        "/v1/agreements/ag-1/payout-preview",
        {
            "currency": "NGN",
            "principal": money(60000000),
            "fees": [{"name": "Origination fee", "amount": money(1250000)}],
            "amount_received": money(58750000),
            "bank_name": "Guaranty Trust Bank",
            "account_number_masked": "******6785",
            "account_name": "AMAKA OKAFOR",
            "expected_arrival_text": "instantly",
        },
    )
    dispatcher = CollectingDispatcher()
    await ActionAskPayoutConfirmed().run(
        dispatcher, a_tracker("", slots={"agreement_id": "ag-1", "bank_account_id": "ba-1"}), {}
    )
    text = texts(dispatcher)
    assert (
        "Origination fee: -₦12,500.00" in text
        and "You receive: ₦587,500.00" in text
        and "Arrives: instantly" in text
    )


async def test_balance_lists_overdue_and_the_next_payment(backend: FakeBackend) -> None:
    with_loan(backend).on(
        "GET",
        "/v1/loans/loan-1/balance",
        {
            "total": money(45000000),
            "overdue": money(9500000),
            "next_due": money(9500000),
            "next_due_date": "2027-01-15",
            "credit": money(0),
        },
    )
    dispatcher = CollectingDispatcher()
    await ActionShowBalance().run(dispatcher, a_tracker("how much do I owe", intent="ask_balance"), {})
    text = texts(dispatcher)
    assert "₦450,000.00 in total" in text and "₦95,000.00 of it is overdue" in text and "15 Jan 2027" in text
    assert "/pay_now" in buttons(dispatcher)


async def test_only_the_customers_own_loans_are_asked_for(backend: FakeBackend) -> None:
    with_loan(backend).on(
        "GET", "/v1/loans/loan-1/balance", {"total": money(1), "overdue": money(0), "credit": money(0)}
    )
    await ActionShowBalance().run(CollectingDispatcher(), a_tracker("balance", intent="ask_balance"), {})
    [listing] = [r for r in backend.requests if r.url.path == "/v1/loans"]
    assert listing.url.params["customer_id"] == CUSTOMER


async def test_a_partial_payment_names_its_amount(backend: FakeBackend) -> None:
    with_loan(backend).on(
        "POST",
        "/v1/loans/loan-1/payment-instructions",
        {
            "reference": "cap123",
            "amount": money(2000000),
            "link_url": "https://pay.test/cap123",
            "virtual_account": None,
        },
    )
    dispatcher = CollectingDispatcher()
    await ActionPayNow().run(
        dispatcher,
        a_tracker("pay 20k", intent="pay_now", entities=[{"entity": "amount", "value": "20k"}]),
        {},
    )
    assert backend.bodies("POST", "/v1/loans/loan-1/payment-instructions") == [
        {"method": "link", "amount": {"amount_minor": 2000000, "currency": "NGN"}}
    ]
    assert "To pay ₦20,000.00" in texts(dispatcher) and "https://pay.test/cap123" in texts(dispatcher)


OPTION = {
    "code": "extend_term",
    "title": "Spread it longer",
    "summary": "Pay ₦60,000.00 a month until August, ₦3,780.41 more in total.",
    "new_payment_minor": 6000000,
    "extra_cost_minor": 378041,
    "new_maturity_date": "2027-08-15",
}


async def test_hardship_lists_the_backends_options_as_buttons(backend: FakeBackend) -> None:
    with_loan(backend).on(
        "GET", "/v1/loans/loan-1/hardship-options", {"currency": "NGN", "options": [OPTION]}
    )
    dispatcher = CollectingDispatcher()
    await ActionHardshipOptions().run(dispatcher, a_tracker("I can't pay", intent="report_hardship"), {})
    assert "Spread it longer: Pay ₦60,000.00 a month" in texts(dispatcher)
    assert buttons(dispatcher) == ['/report_hardship{"option":"extend_term"}']


async def test_a_chosen_option_is_detailed_then_applied(backend: FakeBackend) -> None:
    with_loan(backend).on(
        "GET", "/v1/loans/loan-1/hardship-options", {"currency": "NGN", "options": [OPTION]}
    ).on(
        "POST", "/v1/loans/loan-1/hardship-plans", {"installments": [{"due_date": "2027-02-15"}]}, status=201
    )
    dispatcher = CollectingDispatcher()
    events = await ActionHardshipOptions().run(
        dispatcher,
        a_tracker("", intent="report_hardship", entities=[{"entity": "option", "value": "extend_term"}]),
        {},
    )
    assert "Extra cost: ₦3,780.41" in texts(dispatcher) and "Apply this plan" in texts(dispatcher)
    assert events[0]["value"] == "extend_term"
    applied = CollectingDispatcher()
    await ActionApplyHardship().run(
        applied,
        a_tracker("yes", intent="affirm", slots={"hardship_option": "extend_term", "loan_id": "loan-1"}),
        {},
    )
    assert backend.bodies("POST", "/v1/loans/loan-1/hardship-plans")[0]["option_code"] == "extend_term"
    assert "15 Feb 2027" in texts(applied)


async def test_a_typed_dispute_reference_is_looked_up(backend: FakeBackend) -> None:
    backend.on(
        "GET",
        "/v1/disputes/DSP-7K3Q9M",
        {"reference": "DSP-7K3Q9M", "status": "in_review", "sla_text": "We'll reply by Tuesday 1 December"},
    )
    dispatcher = CollectingDispatcher()
    await ActionDisputeStatus().run(
        dispatcher, a_tracker("any update on dsp-7k3q9m", intent="dispute_status"), {}
    )
    assert texts(dispatcher) == "Dispute DSP-7K3Q9M is being reviewed. We'll reply by Tuesday 1 December"


async def test_asking_for_a_person_records_a_handoff_and_pauses_the_form(backend: FakeBackend) -> None:
    backend.on(
        "POST", f"/v1/conversations/{CONVERSATION}/handoff-requests", {"status": "waiting"}, status=201
    )
    events = await ActionRequestHuman().run(
        CollectingDispatcher(), a_tracker("agent", intent="request_human", active_loop="application_form"), {}
    )
    assert (
        backend.bodies("POST", f"/v1/conversations/{CONVERSATION}/handoff-requests")[0]["reason"]
        == "customer_request"
    )
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)


async def test_stop_inside_the_application_says_it_is_saved() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCancelJourney().run(
        dispatcher, a_tracker("stop", intent="stop", active_loop="application_form"), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_application_stopped"]
    assert any(e["event"] == "active_loop" for e in events)


NOT_SURE = {"answer": "I'm not sure about that.", "sources": [], "confident": False}


async def test_the_second_miss_in_a_row_offers_a_person(backend: FakeBackend) -> None:
    backend.on("POST", "/v1/assist/answers", NOT_SURE)
    earlier = {"event": "user", "text": "zzz", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    first = CollectingDispatcher()
    await ActionFallback().run(first, a_tracker("qqq", intent="nlu_fallback"), {})
    assert first.messages[0].get("response") != "utter_offer_human"
    second = CollectingDispatcher()
    await ActionFallback().run(second, a_tracker("qqq", intent="nlu_fallback", events=[earlier]), {})
    assert [m["response"] for m in second.messages] == ["utter_offer_human"]


async def test_a_question_the_knowledge_base_answers_is_answered_with_its_source(
    backend: FakeBackend,
) -> None:
    backend.on(
        "POST",
        "/v1/assist/answers",
        {
            "answer": "From our fees page: A late fee is charged only after the grace period.",
            "sources": [{"title": "Late fees", "source": "fees.md"}],
            "confident": True,
        },
    )
    earlier = {"event": "user", "text": "zzz", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    dispatcher = CollectingDispatcher()
    tracker = a_tracker("wetin be the late fee", intent="nlu_fallback", events=[earlier])
    await ActionFallback().run(dispatcher, tracker, {})
    assert texts(dispatcher) == (
        "From our fees page: A late fee is charged only after the grace period.\n(Source: Late fees)"
    )
    assert dispatcher.messages[0]["assist_answered"] is True
    assert backend.bodies("POST", "/v1/assist/answers") == [
        {"question": "wetin be the late fee", "conversation_id": CONVERSATION}
    ]


async def test_a_miss_after_an_answered_question_is_only_the_first_miss(backend: FakeBackend) -> None:
    backend.on("POST", "/v1/assist/answers", NOT_SURE)
    earlier = [
        {"event": "user", "text": "wetin be apr", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "bot", "text": "From our fees page: ...", "metadata": {"assist_answered": True}},
    ]
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, a_tracker("qqq", intent="nlu_fallback", events=earlier), {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_default"]


async def test_a_question_the_knowledge_base_is_unsure_of_gets_the_likely_options(
    backend: FakeBackend,
) -> None:
    backend.on("POST", "/v1/assist/answers", NOT_SURE)
    dispatcher = CollectingDispatcher()
    tracker = a_tracker("I want to pay now", intent="nlu_fallback")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "pay_now", "confidence": 0.3},
    ]
    await ActionFallback().run(dispatcher, tracker, {})
    assert "not sure I understood" in texts(dispatcher)
    assert buttons(dispatcher) == ["/pay_now"]


async def test_the_fallback_still_works_when_the_backend_cannot_answer(backend: FakeBackend) -> None:
    backend.problem("POST", "/v1/assist/answers", 500, "internal", "Something broke.")
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, a_tracker("qqq", intent="nlu_fallback"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]


async def test_two_misses_in_a_row_hand_the_conversation_to_a_person(backend: FakeBackend) -> None:
    backend.on(
        "POST", f"/v1/conversations/{CONVERSATION}/handoff-requests", {"status": "waiting"}, status=201
    )
    earlier = {"event": "user", "text": "zzz", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(
        dispatcher, a_tracker("qqq", intent="nlu_fallback", events=[earlier]), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_after_misses"]
    assert (
        backend.bodies("POST", f"/v1/conversations/{CONVERSATION}/handoff-requests")[0]["reason"]
        == "bot_failure"
    )
    assert any(e["event"] == "pause" for e in events)


async def test_hardship_without_a_plan_in_chat_goes_to_a_person_first(backend: FakeBackend) -> None:
    with_loan(backend).problem(
        "GET",
        "/v1/loans/loan-1/hardship-options",
        409,
        "not-reschedulable",
        "This loan cannot be rescheduled.",
    ).on("POST", f"/v1/conversations/{CONVERSATION}/handoff-requests", {"status": "waiting"}, status=201)
    dispatcher = CollectingDispatcher()
    events = await ActionHardshipOptions().run(
        dispatcher, a_tracker("I can't pay", intent="report_hardship"), {}
    )
    assert (
        backend.bodies("POST", f"/v1/conversations/{CONVERSATION}/handoff-requests")[0]["reason"]
        == "hardship"
    )
    assert "asked a person" in texts(dispatcher)
    assert any(e["event"] == "pause" for e in events)


async def test_a_payment_not_reflected_goes_to_a_person_and_a_charge_dispute_does_not(
    backend: FakeBackend,
) -> None:
    from actions.care import ActionOpenDispute

    backend.on(
        "POST",
        "/v1/disputes",
        {"reference": "DSP-7K3Q9M", "sla_text": "We'll reply by Tuesday 1 December"},
        status=201,
    ).on("POST", f"/v1/conversations/{CONVERSATION}/handoff-requests", {"status": "waiting"}, status=201)
    slots = {"dispute_category": "payment_not_reflected", "dispute_description": "I paid 20k on Monday"}
    events = await ActionOpenDispute().run(CollectingDispatcher(), a_tracker("", slots=slots), {})
    assert (
        backend.bodies("POST", f"/v1/conversations/{CONVERSATION}/handoff-requests")[0]["reason"] == "dispute"
    )
    assert any(e["event"] == "pause" for e in events)
    charge = {"dispute_category": "charge", "dispute_description": "A fee I don't recognise"}
    events = await ActionOpenDispute().run(
        CollectingDispatcher(), a_tracker("", slots=charge, message_id="m-2"), {}
    )
    assert len(backend.bodies("POST", f"/v1/conversations/{CONVERSATION}/handoff-requests")) == 1
    assert not any(e["event"] == "pause" for e in events)
