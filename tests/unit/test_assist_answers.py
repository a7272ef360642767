"""Knowledge answers on the demo tenant's real knowledge base, offline (BM25 + extractive)."""

from __future__ import annotations

import pytest

from backend.services.assist.answers import NOT_SURE, answer, best_sentences
from backend.services.assist.knowledge import UnknownKnowledgeBase, load_knowledge, split_page

# (question as customers type it, acceptable (source, title) of the passage that answers it)
KNOWN = [
    ("wetin be the late fee", {("fees.md", "Late fees")}),
    ("hw do i pay early", {("repayment.md", "Paying early"), ("fees.md", "Paying early costs nothing")}),
    ("who sees my bvn", {("privacy.md", "Who can see your BVN")}),
    ("what is apr", {("fees.md", "Interest and APR")}),
    ("wetin be APR", {("fees.md", "Interest and APR")}),
    ("how long does a dispute take", {("disputes.md", "How long a dispute takes")}),
    ("what is pay in 4", {("products.md", "Pay in 4")}),
    ("how do I pay", {("repayment.md", "How to pay")}),
    ("abeg una fit reduce my payment, I no fit pay", {("repayment.md", "If you cannot pay")}),
    ("what is the arrangement fee", {("fees.md", "Arrangement fee")}),
    ("do you sell my data", {("privacy.md", "How we use your details")}),
    ("how much is the latee fee on pay in 4", {("fees.md", "Late fees")}),
    ("what is invoice financing", {("products.md", "Invoice financing")}),
    ("how do i apply", {("products.md", "How to apply")}),
    (
        "is there a fee for paying off early",
        {("repayment.md", "Paying early"), ("fees.md", "Paying early costs nothing")},
    ),
    ("why do you need my nin", {("privacy.md", "Why we ask for your BVN or NIN")}),
    ("how i go report problem", {("disputes.md", "Report a problem")}),
    ("do una have hiden charges", {("fees.md", "What you pay")}),
    ("hw much can i borow on line of credit", {("products.md", "Business line of credit")}),
    ("how do I see my schedule", {("repayment.md", "Your balance and schedule")}),
]

UNKNOWN = [
    "what is the weather in lagos",
    "who won the football match",
    "can i buy a car from you",
    "tell me a joke",
    "do you do mortgages",
    "what time is it in london",
    "is bitcoin going up",
]


@pytest.mark.parametrize(("question", "expected"), KNOWN)
def test_a_question_the_pages_cover_is_answered_from_the_right_passage(question, expected) -> None:
    result = answer(question, "demo")
    assert result.confident
    assert {(result.sources[0].source, result.sources[0].title)} <= expected
    page = result.sources[0].source.removesuffix(".md")
    assert result.text.startswith(f"From our {page} page: ")


@pytest.mark.parametrize("question", UNKNOWN)
def test_a_question_the_pages_do_not_cover_gets_im_not_sure_and_a_person(question) -> None:
    result = answer(question, "demo")
    assert not result.confident
    assert result.sources == []
    assert result.text == NOT_SURE and "person" in result.text


def test_the_late_fee_answer_quotes_the_rule_and_its_amounts() -> None:
    text = answer("wetin be the late fee", "demo").text
    assert "only if a payment is still unpaid after the grace period" in text
    assert "₦1,000 plus 2%" in text


def test_an_extractive_answer_is_at_most_three_sentences_of_the_passage() -> None:
    passage = "One about fees. Two about cats. Three about fees again. Four about fees. Five about dogs."
    picked = best_sentences("fees", passage)
    assert picked == "One about fees. Three about fees again. Four about fees."


def test_a_tenant_without_a_knowledge_base_is_not_sure() -> None:
    assert answer("what is apr", "no-such-tenant").confident is False
    with pytest.raises(UnknownKnowledgeBase):
        load_knowledge("../backend")


def test_pages_are_split_at_headings_with_source_and_title() -> None:
    passages = split_page("# Fees\n\nIntro text.\n\n## Late fees\nA late fee applies.\n", "fees.md")
    assert [(p.metadata["source"], p.metadata["title"], p.page_content) for p in passages] == [
        ("fees.md", "Fees", "Intro text."),
        ("fees.md", "Late fees", "A late fee applies."),
    ]


def test_every_demo_page_is_loaded() -> None:
    sources = {p.metadata["source"] for p in load_knowledge("demo")}
    assert sources == {"fees.md", "products.md", "repayment.md", "privacy.md", "disputes.md"}
