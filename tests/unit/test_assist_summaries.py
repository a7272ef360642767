"""Offline handoff summaries of realistic transcripts: wants, known (masked), tried, open."""

from __future__ import annotations

from backend.services.assist.summaries import EXTRACTIVE, TranscriptMessage, mask, summarise


def t(*lines: tuple[str, str]) -> list[TranscriptMessage]:
    return [
        TranscriptMessage(author, text, f"2026-11-29T10:{i:02d}:00+00:00")
        for i, (author, text) in enumerate(lines)
    ]


PAYMENT_NOT_SHOWING = t(
    ("customer", "hi"),
    (
        "bot",
        "Hi! I'm the credit assistant 👋 I can check how much you could borrow. What would you like to do?",
    ),
    ("customer", "I paid 20000 yesterday to 0123456789 but my balance still shows it owing"),
    ("bot", "Sorry, I'm not sure I understood. Did you mean:"),
    ("customer", "my payment no show"),
    ("bot", "Sorry, I'm still not getting it. Would you like to talk to a person from our team?"),
    ("customer", "yes"),
)


def test_what_the_customer_wants_is_their_real_request_not_their_last_yes() -> None:
    summary = summarise(PAYMENT_NOT_SHOWING, None, reason="bot_failure")
    assert summary.wants.startswith("I paid 20000 yesterday to [ACCOUNT] but my balance still shows it owing")
    assert "my payment no show" in summary.wants
    assert "the bot did not understand twice" in summary.wants
    assert summary.generated_by == EXTRACTIVE


def test_what_the_bot_tried_lists_its_questions_and_each_misunderstanding() -> None:
    summary = summarise(PAYMENT_NOT_SHOWING, None)
    assert summary.tried[0].startswith("Hi! I'm the credit assistant")
    assert "Did not understand: “my payment no show”" in summary.tried
    assert sum(line.startswith("Did not understand") for line in summary.tried) == 2


def test_known_facts_are_masked_and_pending_cases_are_open_items() -> None:
    profile = {
        "full_name": "Ada Obi",
        "bvn": "22212345678",
        "phone": "+2348031234567",
        "email": None,
        "applications": [{"id": "a1b2c3d4", "product_code": "ngn-working-capital", "status": "referred"}],
        "loans": [{"id": "9f8e7d6c", "product_code": "ngn-bnpl-4", "status": "active"}],
        "disputes": [{"reference": "DSP-ABC123", "status": "open"}],
    }
    summary = summarise(PAYMENT_NOT_SHOWING, profile)
    assert "Full name: Ada Obi" in summary.known
    assert "BVN: •••••••5678" in summary.known and "Phone: ••••••••••4567" in summary.known
    assert not any("Email" in k for k in summary.known)
    assert "22212345678" not in str(summary)
    assert "Dispute DSP-ABC123: open" in summary.open_items
    assert "Application a1b2c3d4: referred" in summary.open_items
    assert not any("9f8e7d6c" in o for o in summary.open_items)  # an active loan is not pending


def test_a_question_the_bot_never_answered_is_open() -> None:
    summary = summarise(
        t(
            ("customer", "how much is the payoff for my loan?"),
            ("bot", "Sorry, I'm not sure I understood. Did you mean:"),
            ("customer", "talk to a person"),
        ),
        {"handoff_reason": "customer_request"},
    )
    assert summary.open_items == ["Unanswered: “how much is the payoff for my loan?”"]
    assert summary.wants == "how much is the payoff for my loan? (handoff: asked for a person)"
    assert summary.summary.startswith("Customer wants: how much is the payoff for my loan?")
    assert "the customer asked for a person" in summary.summary


def test_an_answered_question_is_not_open_and_an_empty_transcript_says_so() -> None:
    answered = summarise(
        t(("customer", "what is apr?"), ("bot", "From our fees page: The APR is the total yearly cost.")),
        None,
    )
    assert answered.open_items == []
    assert answered.tried == ["From our fees page: The APR is the total yearly cost."]
    empty = summarise([], None)
    assert empty.wants == "Not stated yet." and empty.known == [] and empty.tried == []


def test_mask_keeps_only_the_last_four() -> None:
    assert mask("22212345678") == "•••••••5678"
    assert mask("123") == "••••"
