"""Answers to free-form questions from the tenant's knowledge base, with the source cited.

One LangChain pipeline for both modes: the retriever (BM25, `retriever.py`) picks passages; with
no model the answer is extractive (the best sentences of the top passage, quoted and attributed);
with a chat model the same passages fill a `ChatPromptTemplate` and the model writes the answer
through `StrOutputParser`. Either way, when no passage passes the relevance gate the answer is
"I'm not sure" with an offer of a person, never a guess: a wrong answer about fees or privacy is
worse than a handoff.

Everything sent to a model is redacted first (`redaction.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import structlog
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from backend.services.assist.knowledge import UnknownKnowledgeBase, load_knowledge
from backend.services.assist.normalise import STOP_WORDS, correct, tokens
from backend.services.assist.redaction import redact
from backend.services.assist.retriever import KnowledgeRetriever

log = structlog.get_logger(__name__)

NOT_SURE = (
    "I'm not sure about that, and I'd rather not guess. Would you like to talk to a person from our team?"
)
MAX_SENTENCES = 3
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'₦])")

PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "You answer customers of a lender in a chat, in two or three short, plain sentences. "
            "Use ONLY the passages below. If they do not answer the question, say you are not sure "
            "and offer a person from the team. End with the source in brackets, e.g. "
            "(Source: Late fees, fees.md). Never ask for or repeat identity, account or card numbers."
            "\n\nPassages:\n{passages}",
        ),
        ("human", "{question}"),
    ]
)


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    source: str


@dataclass(frozen=True, slots=True)
class Answer:
    """`confident` False: nothing in the knowledge base answers it; offer a person."""

    text: str
    sources: list[Source] = field(default_factory=list)
    confident: bool = False


def page_name(source: str) -> str:
    """ "fees.md" -> "fees page": how the extractive answer names where it quotes from."""
    return source.removesuffix(".md").replace("_", " ").replace("-", " ") + " page"


def best_sentences(question: str, passage: str, limit: int = MAX_SENTENCES) -> str:
    """The passage's sentences that share the most words with the question, in passage order.

    The best one is always kept; up to `limit - 1` more are kept if they share a word too, so a
    rule and its numbers ("charged only after the grace period" + "the grace period is 3 days")
    stay together."""
    sentences = [s.strip() for s in _SENTENCE.split(passage) if s.strip()]
    if len(sentences) <= 1:
        return passage
    vocabulary = frozenset(t for s in sentences for t in tokens(s))
    asked = frozenset(correct(tokens(question), vocabulary)) - STOP_WORDS
    overlap = [len(asked & frozenset(tokens(s))) for s in sentences]
    order = sorted(range(len(sentences)), key=lambda i: (-overlap[i], i))
    keep = [order[0], *(i for i in order[1:limit] if overlap[i] > 0)]
    return " ".join(sentences[i] for i in sorted(keep))


def sources_of(documents: list[Document]) -> list[Source]:
    seen: dict[tuple[str, str], Source] = {}
    for doc in documents:
        key = (str(doc.metadata.get("title")), str(doc.metadata.get("source")))
        seen.setdefault(key, Source(*key))
    return list(seen.values())


def format_passages(documents: list[Document]) -> str:
    """Passages as the model sees them: numbered, titled, redacted (a tenant's page could quote an
    example account number)."""
    return "\n\n".join(
        f"[{n}] {doc.metadata.get('title')} ({doc.metadata.get('source')}):\n{redact(doc.page_content)}"
        for n, doc in enumerate(documents, 1)
    )


def _extractive(inputs: dict[str, Any]) -> Answer:
    top = inputs["documents"][0]
    text = best_sentences(inputs["question"], top.page_content)
    return Answer(
        text=f"From our {page_name(top.metadata['source'])}: {text}",
        sources=sources_of([top]),
        confident=True,
    )


def _generative(model: BaseChatModel) -> Runnable[dict[str, Any], Answer]:
    generate = (
        {
            "passages": itemgetter("documents") | RunnableLambda(format_passages),
            "question": itemgetter("question") | RunnableLambda(redact),
        }
        | PROMPT
        | model
        | StrOutputParser()
    )
    return RunnablePassthrough.assign(text=generate) | RunnableLambda(
        lambda x: Answer(text=x["text"].strip(), sources=sources_of(x["documents"]), confident=True)
    )


def answer_chain(retriever: KnowledgeRetriever, model: BaseChatModel | None = None) -> Runnable[str, Answer]:
    """question -> Answer. Retrieval runs first; the model (if any) is called only when a passage
    passed the gate, so an off-topic question costs no model call and cannot be answered from
    the model's own knowledge."""
    respond: Runnable[dict[str, Any], Answer] = (
        _generative(model) if model is not None else RunnableLambda(_extractive)
    )

    def route(inputs: dict[str, Any]) -> Answer | Runnable[dict[str, Any], Answer]:
        if not inputs["documents"]:
            return Answer(text=NOT_SURE, sources=[], confident=False)
        return respond

    return (
        RunnableLambda(lambda q: {"question": q})
        | RunnablePassthrough.assign(documents=itemgetter("question") | retriever)
        | RunnableLambda(route)
    )


def retriever_for(tenant: str) -> KnowledgeRetriever | None:
    try:
        return _retrievers(tenant)
    except UnknownKnowledgeBase:
        return None


def _retrievers(tenant: str) -> KnowledgeRetriever:
    passages = load_knowledge(tenant)
    cached = _RETRIEVERS.get(tenant)
    if cached is None or cached.passages is not passages:
        cached = _RETRIEVERS[tenant] = KnowledgeRetriever(passages=passages)
    return cached


_RETRIEVERS: dict[str, KnowledgeRetriever] = {}


def answer(question: str, tenant: str, *, model: BaseChatModel | None = None) -> Answer:
    """Answer `question` from `tenant`'s knowledge base; "I'm not sure" (confident False) when the
    tenant has no knowledge base, nothing relevant is found, or the model fails (a chat must get
    an answer, and a person is the safe one)."""
    retriever = retriever_for(tenant)
    if retriever is None or not question.strip():
        return Answer(text=NOT_SURE, sources=[], confident=False)
    try:
        return answer_chain(retriever, model).invoke(question.strip()[:1000])
    except Exception as exc:  # a hosted model's outage or refusal must not fail the chat turn
        if model is None:
            raise
        log.error("assist.answer_model_failed", error=str(exc), tenant=tenant)
        return answer(question, tenant)
