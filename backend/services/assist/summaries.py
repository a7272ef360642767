"""What an agent reads when a conversation is handed to them: what the customer wants, what is
known, what the bot already tried, and what is still open.

An agent who takes over mid-conversation should not make the customer repeat themselves (the
first complaint about every bot-to-human handoff). Offline, the summary is extractive: the
customer's latest real request, the profile fields present (masked), the bot's questions, answers
and misunderstandings, and the questions and cases still open. With a chat model, a LangChain
chain (prompt -> model -> `JsonOutputParser`) writes the same fields from the redacted transcript;
if the model fails or returns something unusable, the extractive summary is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import structlog
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import JsonOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, Field

from backend.services.assist.redaction import redact

log = structlog.get_logger(__name__)

EXTRACTIVE = "extractive"
CUSTOMER, BOT = "customer", "bot"
# Short replies that answer the bot rather than say what the customer wants.
TRIVIAL = frozenset(
    [
        "yes",
        "no",
        "ok",
        "okay",
        "k",
        "yeah",
        "yep",
        "nope",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "you",
        "please",
        "agent",
        "human",
        "person",
        "stop",
        "cancel",
        "skip",
        "menu",
        "help",
        "start",
        "sure",
        "fine",
        "alright",
        "abeg",
    ]
)
# How the bot says it did not understand (actions/care.py, domain/core.yml, answers.NOT_SURE).
MISS_MARKERS = ("not sure i understood", "didn't get that", "still not getting it", "i'm not sure about that")
HUMAN_WORDS = re.compile(r"\b(agent|human|person|somebody|someone|customer care|support)\b", re.I)
# Application (backend.lending.applications.Status) and dispute statuses that still need someone
# to act; a loan's "active" is not one of them.
PENDING = frozenset(
    {"draft", "submitted", "under_review", "referred", "approved", "accepted", "open", "in_review"}
)
SENSITIVE = ("bvn", "nin", "account", "phone", "email", "card")
MAX_TRIED = 8


@dataclass(frozen=True, slots=True)
class TranscriptMessage:
    """One message as the summary needs it; callers adapt their stored rows (the gateway's
    transcript dicts: `author` customer/bot/agent/business/system, `text`, `created_at`)."""

    author: str
    text: str | None
    created_at: datetime | str | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    summary: str
    wants: str
    known: list[str] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)
    open_items: list[str] = field(default_factory=list)
    generated_by: str = EXTRACTIVE

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mask(value: str) -> str:
    """All but the last four characters hidden: enough for an agent to match what the customer
    reads out, not enough to reuse."""
    value = str(value)
    return "•" * max(len(value) - 4, 0) + value[-4:] if len(value) > 4 else "••••"


ACRONYMS = {"bvn": "BVN", "nin": "NIN", "kyc": "KYC", "kyb": "KYB", "id": "ID"}


def _label(key: str) -> str:
    words = key.replace("_", " ").strip().split()
    text = " ".join(ACRONYMS.get(w.lower(), w.lower()) for w in words)
    return text[:1].upper() + text[1:]


def _item(value: Mapping[str, Any]) -> str:
    name = value.get("reference") or value.get("product_name") or value.get("product_code") or value.get("id")
    status = value.get("status")
    return " ".join(str(p) for p in (name, f"({status})" if status else None) if p)


def known_facts(profile: Mapping[str, Any] | None) -> list[str]:
    """Profile fields that have a value, sensitive ones masked, lists of records by reference and
    status. `handoff_reason` is not a fact about the customer and is left out."""
    facts = []
    for key, value in (profile or {}).items():
        if value in (None, "", [], {}) or key == "handoff_reason":
            continue
        if any(s in key.lower() for s in SENSITIVE):
            facts.append(f"{_label(key)}: {mask(str(value))}")
        elif isinstance(value, Mapping):
            facts.append(f"{_label(key)}: {_item(value)}")
        elif isinstance(value, list | tuple):
            items = [_item(v) if isinstance(v, Mapping) else redact(str(v)) for v in value]
            facts.append(f"{_label(key)}: {', '.join(items)}")
        elif isinstance(value, bool):
            facts.append(f"{_label(key)}: {'yes' if value else 'no'}")
        else:
            facts.append(f"{_label(key)}: {redact(str(value))}")
    return facts


def _substantive(text: str) -> bool:
    words = re.findall(r"[\w']+", text.lower())
    return bool(words) and not all(w in TRIVIAL for w in words) and not text.startswith("/")


def _is_miss(text: str) -> bool:
    return any(m in text.lower() for m in MISS_MARKERS)


def _first_sentence(text: str, limit: int = 140) -> str:
    """The first sentence, or two when the first is only a greeting ("Hi!")."""
    parts = re.split(r"(?<=[.!?:])\s", text.strip(), maxsplit=2)
    sentence = " ".join(parts[:2]) if len(parts[0]) < 20 else parts[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def _is_question(text: str) -> bool:
    return text.rstrip().endswith("?") or bool(
        re.match(r"(how|what|wetin|why|when|where|who|can|do|does|is|are|will)\b", text.strip().lower())
    )


def extractive_summary(
    messages: Sequence[TranscriptMessage], profile: Mapping[str, Any] | None, reason: str | None = None
) -> Summary:
    said = [(m.author, redact(m.text.strip())) for m in messages if m.text and m.text.strip()]
    requests = [t for a, t in said if a == CUSTOMER and _substantive(t) and not HUMAN_WORDS.search(t)]
    reason = reason or (profile or {}).get("handoff_reason")
    if reason is None and any(a == CUSTOMER and HUMAN_WORDS.search(t) for a, t in said):
        reason = "customer_request"
    wants = requests[-1] if requests else "Not stated yet."
    if len(requests) > 1 and len(wants.split()) < 6:
        # a short restatement ("my payment no show") reads better after the request it restates
        wants = f"{requests[-2]} / {wants}"
    known = known_facts(profile)

    tried: list[str] = []
    open_items: list[str] = []
    for i, (author, text) in enumerate(said):
        if author == BOT:
            before = next((t for a, t in reversed(said[:i]) if a == CUSTOMER), "")
            line = f"Did not understand: “{before}”" if _is_miss(text) else _first_sentence(text)
            if line not in tried:
                tried.append(line)
        elif author == CUSTOMER and _is_question(text) and _substantive(text):
            reply = next((t for a, t in said[i + 1 :] if a != CUSTOMER), None)
            if reply is None or _is_miss(reply):
                open_items.append(f"Unanswered: “{text}”")
    for key, value in (profile or {}).items():
        for record in value if isinstance(value, list | tuple) else [value]:
            if isinstance(record, Mapping) and str(record.get("status")) in PENDING:
                name = record.get("reference") or record.get("product_name") or record.get("id") or ""
                open_items.append(f"{_label(key).rstrip('s')} {name}: {record['status']}".replace("  ", " "))
    tried = tried[-MAX_TRIED:]

    why = {
        "customer_request": "asked for a person",
        "bot_failure": "the bot did not understand twice",
        "dispute": "a dispute policy sends to a person",
        "hardship": "a hardship request policy sends to a person",
    }.get(str(reason), str(reason).replace("_", " ") if reason else None)
    parts = [f"Customer wants: {wants.rstrip('.')}."]
    if why:
        parts.append(f"Handed off because {'the customer ' if reason == 'customer_request' else ''}{why}.")
    if known:
        parts.append(f"Known: {'; '.join(known[:4])}.")
    if open_items:
        parts.append(f"Open: {'; '.join(open_items[:3])}.")
    return Summary(
        summary=" ".join(parts),
        wants=wants + (f" (handoff: {why})" if why else ""),
        known=known,
        tried=tried,
        open_items=open_items,
    )


class SummaryOut(BaseModel):
    """The fields the model must return (the JSON parser's format instructions come from it)."""

    summary: str = Field(description="Two or three sentences for the agent.")
    wants: str = Field(description="What the customer wants, in one sentence.")
    known: list[str] = Field(default_factory=list, description="Facts known about the customer.")
    tried: list[str] = Field(default_factory=list, description="What the bot already tried.")
    open_items: list[str] = Field(default_factory=list, description="Questions or cases still open.")


SUMMARY_PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "You brief a support agent taking over a chat between a lender's bot and a customer. "
            "Use only the transcript and facts given; do not invent amounts or promises. Numbers "
            "in [BRACKETS] were redacted: never guess them.\n{format_instructions}",
        ),
        (
            "human",
            "Handoff reason: {reason}\nKnown facts:\n{known}\n\nTranscript (oldest first):\n{transcript}",
        ),
    ]
)


def model_name(model: BaseChatModel) -> str:
    name = getattr(model, "model_name", None) or getattr(model, "model", None)
    return f"model:{name if isinstance(name, str) else type(model).__name__}"


def _generative(
    messages: Sequence[TranscriptMessage], fallback: Summary, reason: str | None, model: BaseChatModel
) -> Summary:
    parser = JsonOutputParser(pydantic_object=SummaryOut)
    chain = SUMMARY_PROMPT | model | parser
    transcript = "\n".join(f"{m.author}: {redact(m.text)}" for m in messages if m.text)
    raw = chain.invoke(
        {
            "format_instructions": parser.get_format_instructions(),
            "reason": reason or "not given",
            "known": "\n".join(f"- {k}" for k in fallback.known) or "- nothing yet",
            "transcript": transcript[-12000:],
        }
    )
    out = SummaryOut.model_validate(raw)
    return Summary(
        summary=redact(out.summary),
        wants=redact(out.wants),
        known=fallback.known,  # facts come from the profile, never from the model
        tried=[redact(t) for t in out.tried],
        open_items=[redact(o) for o in out.open_items],
        generated_by=model_name(model),
    )


def summarise(
    messages: Sequence[TranscriptMessage],
    profile: dict[str, Any] | None,
    *,
    model: BaseChatModel | None = None,
    reason: str | None = None,
) -> Summary:
    """The agent's briefing for a handoff. `profile`: whatever the caller knows about the customer
    (name, masked or not: sensitive keys are masked here; applications, loans and disputes as
    lists of dicts with `status`), optionally `handoff_reason`. `reason` overrides the latter."""
    offline = extractive_summary(messages, profile, reason)
    if model is None:
        return offline
    try:
        return _generative(messages, offline, reason or (profile or {}).get("handoff_reason"), model)
    except Exception as exc:  # an outage or unparseable output: the agent still gets a summary
        log.error("assist.summary_model_failed", error=str(exc))
        return offline
