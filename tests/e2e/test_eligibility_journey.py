"""A customer checks how much they can borrow, through the web channel and every process."""

from __future__ import annotations

import json
import signal
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.e2e.conftest import API_KEY

pytestmark = pytest.mark.e2e


ASK_TYPE = "What kind of business do you run?"
ASK_REVENUE = "What is your average monthly revenue?"


class Chat:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.session_id = f"web-{uuid.uuid4().hex}"
        self.conversation_id: str | None = None

    def say(
        self, text: str | None = None, payload: str | None = None, message_id: str | None = None
    ) -> list[dict]:
        body: dict = {"session_id": self.session_id}
        body.update({"text": text} if text is not None else {"payload": payload})
        if message_id:
            body["message_id"] = message_id
        response = self.client.post("/channels/web/messages", json=body)
        assert response.status_code == 200, response.text
        data = response.json()
        self.conversation_id = data["conversation_id"]
        return data["messages"]


def json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def texts(messages: list[dict]) -> str:
    return "\n".join(m["text"] or "" for m in messages)


def buttons(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m["buttons"]]


def test_greeting_to_limit_and_the_stored_transcript(backend, db, stack):
    chat = Chat(backend)
    hello = chat.say("hi")
    assert any("/check_eligibility" in p for p in buttons(hello)), hello

    asked_type = chat.say("check how much I can borrow")
    assert ASK_TYPE in texts(asked_type)
    assert buttons(asked_type), "business types are offered as buttons"

    asked_revenue = chat.say("retail")
    assert ASK_REVENUE in texts(asked_revenue)

    answer = chat.say("₦1.2m", message_id="revenue-1")
    assert "₦3,600,000.00" in texts(answer)
    assert any("start_application" in p for p in buttons(answer)), answer

    transcript = backend.get(
        f"/v1/conversations/{chat.conversation_id}/messages", headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert transcript.status_code == 200
    messages = transcript.json()["messages"]
    inbound = [m["text"] for m in messages if m["direction"] == "inbound"]
    assert inbound == ["hi", "check how much I can borrow", "retail", "₦1.2m"]
    assert any("₦3,600,000.00" in (m["text"] or "") for m in messages if m["direction"] == "outbound")
    assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)

    quote = db.execute(
        text(
            "SELECT revenue_minor, currency, limit_minor FROM eligibility_checks WHERE conversation_id = :c"
        ),
        {"c": chat.conversation_id},
    ).one()
    assert tuple(quote) == (120_000_000, "NGN", 360_000_000)

    # The request id of the revenue message reached the backend through Rasa and the action server.
    revenue_request = next(m["request_id"] for m in messages if m["text"] == "₦1.2m")
    backend_lines = json_lines(stack.log_dir / "backend.log")
    assert any(
        line.get("path") == "/v1/eligibility" and line.get("request_id") == revenue_request
        for line in backend_lines
    ), "the eligibility call did not carry the message's request id"
    assert any(
        line.get("process") == "actions" and line.get("request_id") == revenue_request
        for line in json_lines(stack.log_dir / "actions.log")
    ), "the action server did not log the message's request id"


def test_a_retried_message_is_answered_once_with_the_first_replies(backend, db):
    chat = Chat(backend)
    chat.say("hello")
    first = chat.say("check how much I can borrow", message_id="dup-1")
    again = chat.say("check how much I can borrow", message_id="dup-1")
    assert first == again
    stored = db.execute(
        text("SELECT count(*) FROM messages WHERE conversation_id = :c AND direction = 'inbound'"),
        {"c": chat.conversation_id},
    ).scalar()
    assert stored == 2


@pytest.mark.parametrize("stop_word", ["cancel", "stop"])
def test_stop_leaves_the_form_at_any_point(backend, stop_word):
    chat = Chat(backend)
    chat.say("check how much I can borrow")
    left = chat.say(stop_word)
    assert ASK_TYPE not in texts(left) and ASK_REVENUE not in texts(left)
    assert any("/check_eligibility" in p for p in buttons(left)), left
    # The abandoned form does not come back on the next message.
    greeting = chat.say("hi")
    assert ASK_TYPE not in texts(greeting) and ASK_REVENUE not in texts(greeting)
    assert any("/check_eligibility" in p for p in buttons(greeting)), greeting
    again = chat.say("check how much I can borrow")
    assert ASK_TYPE in texts(again)
    assert ASK_REVENUE in texts(chat.say("services"))
    left_late = chat.say(stop_word)
    assert ASK_REVENUE not in texts(left_late)
    assert any("/check_eligibility" in p for p in buttons(left_late)), left_late


def test_unreadable_revenue_is_asked_again_with_an_example(backend):
    chat = Chat(backend)
    chat.say("check how much I can borrow")
    chat.say("wholesale")
    reask = chat.say("quite a lot really")
    assert "250k" in texts(reask) or "e.g." in texts(reask).lower(), reask
    answer = chat.say("KES 20k")
    assert "60,000" in texts(answer), answer


def test_nonsense_gets_a_helpful_reply(backend):
    chat = Chat(backend)
    reply = chat.say("asdfgh qwerty zxcv")
    assert texts(reply).strip(), "the bot stayed silent"
    assert buttons(reply), "the fallback offers what the bot can do"


def test_backend_down_gives_the_graceful_reply(stack):
    """With the backend stopped, Rasa and the action server answer the customer kindly."""
    sender = f"e2e-down-{uuid.uuid4().hex}"
    metadata = {"tenant": "demo", "currency": "NGN", "locale": "en_NG", "request_id": uuid.uuid4().hex}
    stack.processes["backend"].signal_group(signal.SIGTERM)
    stack.processes["backend"].popen.wait(timeout=30)
    try:
        with httpx.Client(base_url=stack.rasa_url, timeout=60, trust_env=False) as rasa:
            for message in ("check how much I can borrow", "retail", "1.2m"):
                reply = rasa.post(
                    "/webhooks/rest/webhook",
                    json={"sender": sender, "message": message, "metadata": metadata},
                )
                assert reply.status_code == 200
        said = " ".join(m.get("text", "") for m in reply.json())
        assert "trouble" in said.lower() and "try again" in said.lower(), said
    finally:
        del stack.processes["backend"]
        stack.start(["backend"])
        stack.wait_ready(timeout=60, names=["backend"])


def test_action_server_down_is_never_silence(stack, backend):
    """Rasa answers nothing when its action server is unreachable; the gateway apologises instead."""
    stack.processes["actions"].signal_group(signal.SIGTERM)
    stack.processes["actions"].popen.wait(timeout=30)
    try:
        chat = Chat(backend)
        reply = chat.say("check how much I can borrow")
        assert "trouble" in texts(reply).lower(), reply
        assert buttons(reply), "the apology offers a way back in"
    finally:
        del stack.processes["actions"]
        stack.start(["actions"])
        stack.wait_ready(timeout=60, names=["actions"])
