"""/v1/assist: answers from the tenant's knowledge base, and the agent's handoff summary.

Both run offline unless ASSIST_MODEL names a chat model (`backend.adapters.llm.chat_model`). The
action server calls the answers route for messages the NLU could not map to a journey; the agent
console (and the agent API, in-process) reads the summary.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.adapters.db.care_models import Dispute, HandoffRequest
from backend.adapters.db.lending_models import CreditApplication, Loan
from backend.adapters.db.models import Conversation, Customer
from backend.adapters.llm.chat_model import chat_model
from backend.api.deps import ComponentsDep, CurrentTenant, TenantContext
from backend.api.errors import Problem
from backend.gateway import store
from backend.services.assist.answers import answer
from backend.services.assist.summaries import TranscriptMessage, summarise

router = APIRouter(tags=["assist"])

# The summary reads the latest messages only: a long conversation's start is rarely what the
# agent needs, and a bounded transcript keeps a model prompt bounded too.
SUMMARY_MESSAGES = 200


class AnswerIn(BaseModel):
    question: str = Field(min_length=1, max_length=1000)
    conversation_id: uuid.UUID | None = None


class SourceOut(BaseModel):
    title: str
    source: str = Field(description="The knowledge page, e.g. fees.md.")


class AnswerOut(BaseModel):
    answer: str
    sources: list[SourceOut]
    confident: bool = Field(description="False: nothing relevant was found; offer a person.")


class SummaryOut(BaseModel):
    summary: str
    wants: str
    known: list[str]
    tried: list[str]
    open_items: list[str]
    generated_by: str = Field(description="extractive, or model:<name> when a model wrote it.")


def _conversation(session: Session, tenant: TenantContext, conversation_id: uuid.UUID) -> Conversation:
    conversation = session.scalar(
        select(Conversation).where(Conversation.id == conversation_id, Conversation.tenant_id == tenant.id)
    )
    if conversation is None:
        raise Problem(404, "conversation-not-found", "No such conversation for this tenant.")
    return conversation


@router.post("/v1/assist/answers", response_model=AnswerOut)
def create_answer(body: AnswerIn, tenant: CurrentTenant, c: ComponentsDep) -> dict[str, Any]:
    """Answer a free-form question from the tenant's knowledge base, citing the passages used;
    `confident: false` means "I'm not sure" and the caller should offer a person."""
    if body.conversation_id is not None:
        with c.sessions() as session:
            _conversation(session, tenant, body.conversation_id)
    result = answer(body.question, tenant.slug, model=chat_model(c.settings))
    return {
        "answer": result.text,
        "sources": [{"title": s.title, "source": s.source} for s in result.sources],
        "confident": result.confident,
    }


def customer_profile(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any]:
    """What the agent should know about the customer: contact, consent and their cases by status.
    Amounts are left out on purpose: the console shows balances from the loan itself."""
    customer = session.get(Customer, customer_id)
    profile: dict[str, Any] = {}
    if customer is None or customer.tenant_id != tenant_id:
        return profile
    profile["full_name"] = customer.full_name
    profile["phone"] = customer.phone_e164
    profile["consented"] = customer.consented_at is not None
    profile["applications"] = [
        {"id": str(a.id)[:8], "product_code": a.product_code, "status": a.status}
        for a in session.scalars(
            select(CreditApplication)
            .where(CreditApplication.tenant_id == tenant_id, CreditApplication.customer_id == customer_id)
            .order_by(CreditApplication.created_at.desc())
            .limit(5)
        )
    ]
    profile["loans"] = [
        {"id": str(loan.id)[:8], "product_code": loan.product_code, "status": loan.status}
        for loan in session.scalars(
            select(Loan)
            .where(Loan.tenant_id == tenant_id, Loan.customer_id == customer_id)
            .order_by(Loan.created_at.desc())
            .limit(5)
        )
    ]
    profile["disputes"] = [
        {"reference": d.reference, "status": d.status}
        for d in session.scalars(
            select(Dispute)
            .where(Dispute.tenant_id == tenant_id, Dispute.customer_id == customer_id)
            .order_by(Dispute.created_at.desc())
            .limit(5)
        )
    ]
    return profile


@router.get("/v1/conversations/{conversation_id}/summary", response_model=SummaryOut)
def conversation_summary(
    conversation_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep
) -> dict[str, Any]:
    """The agent's briefing: what the customer wants, what is known (masked), what the bot tried,
    what is open. Identity numbers are never returned, and never sent to a model."""
    with c.sessions() as session:
        conversation = _conversation(session, tenant, conversation_id)
        rows = store.transcript(session, conversation_id, 0, 10_000)[-SUMMARY_MESSAGES:]
        profile = customer_profile(session, tenant.id, conversation.customer_id)
        handoff = session.scalar(
            select(HandoffRequest)
            .where(HandoffRequest.conversation_id == conversation_id, HandoffRequest.tenant_id == tenant.id)
            .order_by(HandoffRequest.created_at.desc())
            .limit(1)
        )
    messages = [TranscriptMessage(r["author"], r["text"], r["created_at"]) for r in rows]
    result = summarise(
        messages, profile, model=chat_model(c.settings), reason=handoff.reason if handoff else None
    )
    return result.as_dict()
