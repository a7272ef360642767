"""The eligibility form validators and the action that relays the backend's decision.

Trackers are built from the same JSON shape Rasa posts to the action server, so these tests see
what the SDK sees in production. The backend is simulated with ``httpx.MockTransport`` only to
play back its documented responses; the backend-down case uses a real closed port.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import eligibility as eligibility_module
from actions.backend_client import BackendClient
from actions.eligibility import FORM_SLOTS, ActionCheckEligibility, ActionResetEligibilityForm
from actions.forms.eligibility import ValidateEligibilityForm, business_type_from_text

METADATA = {"request_id": "req-123", "tenant": "acme", "locale": "en_NG", "currency": "NGN", "channel": "web"}


def a_tracker(
    text: str = "",
    *,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    requested_slot: str | None = None,
    message_id: str = "msg-1",
) -> Tracker:
    """A tracker as Rasa serialises it to the action server, inside ``eligibility_form``."""
    meta = METADATA if metadata is None else metadata
    latest = {
        "text": text,
        "intent": {"name": "inform_amount", "confidence": 0.9},
        "entities": [],
        "message_id": message_id,
        "metadata": meta,
    }
    state = {
        "sender_id": "conv-42",
        "slots": {**(slots or {}), "requested_slot": requested_slot},
        "latest_message": latest,
        "events": [{"event": "user", "timestamp": 1700000000.5, "text": text, "metadata": meta}],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": "eligibility_form"},
        "latest_action_name": "action_listen",
    }
    return Tracker.from_dict(state)


def responses_of(dispatcher: CollectingDispatcher) -> list[str | None]:
    return [m.get("response") for m in dispatcher.messages]


# --- business type -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("retail", "retail"),
        ("Wholesale", "wholesale"),
        ("I run a shop", "retail"),
        ("provisions store", "retail"),
        ("farming", "agriculture"),
        ("we do logistics", "transport"),
        ("I have a salon", "services"),
        ("bakery", "manufacturing"),
    ],
)
async def test_business_type_answers_map_to_the_backends_categories(answer: str, expected: str) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateEligibilityForm().validate_business_type(
        answer, dispatcher, a_tracker(answer, requested_slot="business_type"), {}
    )
    assert result == {"business_type": expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize("answer", ["asdfgh", "banana helicopter", "a farm shop"])
async def test_an_unclear_business_type_is_asked_again_with_the_buttons(answer: str) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateEligibilityForm().validate_business_type(
        answer, dispatcher, a_tracker(answer, requested_slot="business_type"), {}
    )
    assert result == {"business_type": None}
    assert responses_of(dispatcher) == ["utter_ask_business_type_again"]


async def test_a_badly_cut_entity_falls_back_to_the_whole_message() -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateEligibilityForm().validate_business_type(
        "run", dispatcher, a_tracker("I run a shop", requested_slot="business_type"), {}
    )
    assert result == {"business_type": "retail"}


def test_a_text_pointing_to_two_categories_is_not_guessed() -> None:
    assert business_type_from_text("a farm shop") is None


# --- monthly revenue ---------------------------------------------------------------------------


async def test_revenue_is_parsed_into_integer_minor_units_as_text() -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateEligibilityForm().validate_monthly_revenue(
        "₦1.2m", dispatcher, a_tracker("₦1.2m", requested_slot="monthly_revenue"), {}
    )
    assert result == {
        "monthly_revenue": "₦1.2m",
        "monthly_revenue_minor": "120000000",
        "monthly_revenue_currency": "NGN",
    }
    assert dispatcher.messages == []


async def test_revenue_without_a_currency_uses_the_customers_currency_from_metadata() -> None:
    tracker = a_tracker("20k", requested_slot="monthly_revenue", metadata={**METADATA, "currency": "KES"})
    result = await ValidateEligibilityForm().validate_monthly_revenue(
        "20k", CollectingDispatcher(), tracker, {}
    )
    assert result["monthly_revenue_minor"] == "2000000"
    assert result["monthly_revenue_currency"] == "KES"


async def test_revenue_without_metadata_falls_back_to_naira() -> None:
    tracker = a_tracker("250k", requested_slot="monthly_revenue", metadata={})
    result = await ValidateEligibilityForm().validate_monthly_revenue(
        "250k", CollectingDispatcher(), tracker, {}
    )
    assert result["monthly_revenue_currency"] == "NGN"


@pytest.mark.parametrize("answer", ["banana helicopter", "lots", "-5000", "€2.000"])
async def test_an_unreadable_amount_is_asked_again_with_an_example(answer: str) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateEligibilityForm().validate_monthly_revenue(
        answer, dispatcher, a_tracker(answer, requested_slot="monthly_revenue"), {}
    )
    assert result == {
        "monthly_revenue": None,
        "monthly_revenue_minor": None,
        "monthly_revenue_currency": None,
    }
    assert responses_of(dispatcher) == ["utter_ask_monthly_revenue_again"]


# --- action_check_eligibility ------------------------------------------------------------------

FILLED = {
    "business_type": "retail",
    "monthly_revenue": "1.2m",
    "monthly_revenue_minor": "120000000",
    "monthly_revenue_currency": "NGN",
}
RESET = [{"event": "slot", "timestamp": None, "name": name, "value": None} for name in FORM_SLOTS]


def use_backend(monkeypatch: pytest.MonkeyPatch, handler: Any) -> list[httpx.Request]:
    """Route the action's BackendClient through a MockTransport; returns the captured requests."""
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    transport = httpx.MockTransport(record)
    monkeypatch.setattr(
        eligibility_module,
        "BackendClient",
        lambda: BackendClient(base_url="http://backend.test", api_key="s3cret", transport=transport),
    )
    return seen


async def test_an_eligible_answer_shows_the_backends_formatted_limit_and_offers_to_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = use_backend(
        monkeypatch,
        lambda _: httpx.Response(
            200,
            json={
                "eligible": True,
                "limit": {"amount_minor": 360000000, "currency": "NGN", "formatted": "₦3,600,000.00"},
                "reasons": [],
                "rule_version": "2024-01",
            },
        ),
    )
    dispatcher = CollectingDispatcher()
    events = await ActionCheckEligibility().run(dispatcher, a_tracker("1.2m", slots=FILLED), {})

    assert responses_of(dispatcher) == ["utter_eligible"]
    assert dispatcher.messages[0]["limit"] == "₦3,600,000.00"
    assert events == RESET
    (request,) = seen
    assert request.url == "http://backend.test/v1/eligibility"
    assert json.loads(request.content) == {
        "conversation_id": "conv-42",
        "business_type": "retail",
        "monthly_revenue": {"amount_minor": 120000000, "currency": "NGN"},
        "locale": "en_NG",
    }
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert request.headers["X-Tenant"] == "acme"
    assert request.headers["X-Request-ID"] == "req-123"
    assert request.headers["Idempotency-Key"] == "conv-42:msg-1"


async def test_a_refusal_gives_the_backends_plain_language_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = "Your monthly revenue is below ₦100,000.00, our current minimum."
    use_backend(
        monkeypatch,
        lambda _: httpx.Response(
            200, json={"eligible": False, "limit": None, "reasons": [reason], "rule_version": "2024-01"}
        ),
    )
    dispatcher = CollectingDispatcher()
    await ActionCheckEligibility().run(dispatcher, a_tracker("50k", slots=FILLED), {})
    assert responses_of(dispatcher) == ["utter_not_eligible"]
    assert dispatcher.messages[0]["reasons"] == reason


async def test_without_metadata_the_tenant_defaults_to_demo_and_no_request_id_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = use_backend(
        monkeypatch,
        lambda _: httpx.Response(200, json={"eligible": False, "limit": None, "reasons": ["No."]}),
    )
    await ActionCheckEligibility().run(CollectingDispatcher(), a_tracker("1m", slots=FILLED, metadata={}), {})
    assert seen[0].headers["X-Tenant"] == "demo"
    assert "X-Request-ID" not in seen[0].headers
    assert json.loads(seen[0].content)["locale"] is None


async def test_a_problem_response_becomes_the_trouble_message_not_a_stack_trace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_backend(
        monkeypatch,
        lambda _: httpx.Response(
            503,
            json={"type": "about:blank", "title": "Service Unavailable", "status": 503, "detail": "db down"},
            headers={"Content-Type": "application/problem+json"},
        ),
    )
    dispatcher = CollectingDispatcher()
    events = await ActionCheckEligibility().run(dispatcher, a_tracker("1.2m", slots=FILLED), {})
    assert responses_of(dispatcher) == ["utter_backend_unavailable"]
    assert events == RESET


async def test_when_nothing_listens_the_customer_is_told_to_try_again_shortly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as sock:  # bind then close: a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("BACKEND_URL", f"http://127.0.0.1:{port}")
    dispatcher = CollectingDispatcher()
    events = await ActionCheckEligibility().run(dispatcher, a_tracker("1.2m", slots=FILLED), {})
    assert responses_of(dispatcher) == ["utter_backend_unavailable"]
    assert events == RESET


async def test_stopping_the_form_clears_what_it_collected() -> None:
    events = await ActionResetEligibilityForm().run(CollectingDispatcher(), a_tracker(slots=FILLED), {})
    assert events == RESET
