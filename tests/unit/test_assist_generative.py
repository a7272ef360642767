"""The generative path with LangChain's own fake chat models: what the model is given (the
retrieved passages, never an identity number) and what comes back."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage

from backend.services.assist.answers import NOT_SURE, answer
from backend.services.assist.summaries import EXTRACTIVE, TranscriptMessage, summarise


class Prompts(BaseCallbackHandler):
    """Records every prompt a chat model receives."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kw: Any
    ) -> None:
        self.seen.extend("\n".join(str(m.content) for m in batch) for batch in messages)


def a_model(*replies: str) -> tuple[GenericFakeChatModel, Prompts]:
    prompts = Prompts()
    return GenericFakeChatModel(messages=iter(AIMessage(r) for r in replies), callbacks=[prompts]), prompts


def test_the_model_answers_from_the_retrieved_passages_and_cites_them() -> None:
    model, prompts = a_model(
        "The late fee is ₦1,000 plus 2% on a line of credit. (Source: Late fees, fees.md)"
    )
    result = answer("wetin be the late fee? my bvn na 22212345678", "demo", model=model)
    assert result.confident
    assert result.text.endswith("(Source: Late fees, fees.md)")
    assert ("Late fees", "fees.md") in [(s.title, s.source) for s in result.sources]
    [prompt] = prompts.seen
    assert "Late fees (fees.md)" in prompt
    assert "A late fee is charged only if a payment is still unpaid after the grace period" in prompt
    assert "22212345678" not in prompt and "[BVN]" in prompt


def test_an_off_topic_question_never_reaches_the_model() -> None:
    model, prompts = a_model("It will rain in Lagos.")
    result = answer("what is the weather in lagos", "demo", model=model)
    assert result.text == NOT_SURE and not result.confident
    assert prompts.seen == []


def test_a_failing_model_falls_back_to_the_offline_answer() -> None:
    model, _ = a_model()  # no replies: the fake model raises when called
    result = answer("who sees my bvn", "demo", model=model)
    assert result.confident and result.text.startswith("From our privacy page: ")


TRANSCRIPT = [
    TranscriptMessage("customer", "hello"),
    TranscriptMessage("bot", "Hi! I'm the credit assistant. What would you like to do?"),
    TranscriptMessage("customer", "I paid 20000 from account 0123456789 but it no show. my bvn 22212345678"),
    TranscriptMessage("bot", "Sorry, I'm not sure I understood. Did you mean:"),
    TranscriptMessage("customer", "agent pls"),
]


def test_the_model_summary_is_parsed_from_json_and_never_sees_identity_numbers() -> None:
    reply = {
        "summary": "Customer says a ₦20,000 payment is not showing.",
        "wants": "Their payment reflected",
        "known": ["invented by the model"],
        "tried": ["Asked what they meant"],
        "open_items": ["Check the payment"],
    }
    prompts = Prompts()
    model = FakeListChatModel(responses=[f"```json\n{json.dumps(reply)}\n```"], callbacks=[prompts])
    profile = {"full_name": "Ada Obi", "bvn": "22212345678", "phone": "+2348031234567"}
    summary = summarise(TRANSCRIPT, profile, model=model, reason="customer_request")
    assert summary.generated_by.startswith("model:")
    assert summary.wants == "Their payment reflected"
    assert summary.open_items == ["Check the payment"]
    assert "invented by the model" not in summary.known  # facts come from the profile
    assert "BVN: •••••••5678" in summary.known
    [prompt] = prompts.seen
    for secret in ("22212345678", "0123456789", "2348031234567"):
        assert secret not in prompt
    assert "[ACCOUNT]" in prompt and "[BVN]" in prompt and "I paid 20000" in prompt


def test_an_unparseable_model_summary_falls_back_to_the_extractive_one() -> None:
    model = FakeListChatModel(responses=["Sure! The customer is upset."])
    summary = summarise(TRANSCRIPT, None, model=model)
    assert summary.generated_by == EXTRACTIVE
    assert summary.wants.startswith("I paid 20000 from account [ACCOUNT]")
