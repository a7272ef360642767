"""Payments with a customer over /v1: the payout preview of an agreement, pay-now instructions on
a loan, the provider's payment webhook, and the sandbox's "pay this instruction" button."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.adapters.db.payment_repository import SqlPaymentsUnitOfWork
from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork
from backend.adapters.messaging.notifier import ConversationNotifier
from backend.adapters.payments.providers import payments, sandbox, webhook_provider
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.api.schemas import MoneyIn, MoneyOut
from backend.components import Components
from backend.lending.nuban import mask
from backend.observability import current_request_id
from backend.services.payments import errors
from backend.services.payments.instructions import CreateInstruction, confirm_payment, create_instruction
from backend.services.payments.messages import arrival_text
from backend.services.payments.ports import Instruction
from backend.services.payments.preview import payout_preview
from backend.services.servicing.errors import ServicingError

log = structlog.get_logger(__name__)


def clock() -> datetime:
    """Now, as a dependency: tests pin the time of day (payout arrival depends on it)."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(clock)]


def payments_uow(c: Components, session: Session | None = None) -> SqlPaymentsUnitOfWork:
    domain = c.settings.payer_email_domain
    if session is not None:
        return SqlPaymentsUnitOfWork(session=session, email_domain=domain)
    return SqlPaymentsUnitOfWork(c.sessions, email_domain=domain)


def notifier(c: Components) -> ConversationNotifier:
    """Proactive messages go out through the worker, like every other outbound message."""
    from backend.worker.tasks import deliver_outbound

    request_id = current_request_id()
    return ConversationNotifier(c.sessions, lambda mid: deliver_outbound.delay(mid, request_id), request_id)


_STATUS: dict[type[errors.PaymentsError], tuple[int, str]] = {
    errors.NotFound: (404, "not-found"),
    errors.UnknownBank: (422, "unknown-bank"),
    errors.InvalidAccountNumber: (422, "invalid-account-number"),
    errors.AccountNotFound: (422, "account-not-found"),
    errors.NothingDue: (409, "nothing-due"),
    errors.InvalidPayment: (422, "invalid-payment"),
    errors.ProviderUnavailable: (503, "provider-unavailable"),
}


def as_problem(exc: errors.PaymentsError) -> Problem:
    status, slug = _STATUS.get(type(exc), (422, "payment-refused"))
    return Problem(status, slug, str(exc))


# --- payout preview -------------------------------------------------------------------------

preview_router = APIRouter(prefix="/v1/agreements", tags=["payments"])


class FeeOut(BaseModel):
    name: str
    amount: MoneyOut
    deducted_at_payout: bool


class PayoutPreviewOut(BaseModel):
    agreement_id: uuid.UUID
    principal: MoneyOut
    fees: list[FeeOut]
    amount_received: MoneyOut
    currency: str
    expected_arrival: datetime = Field(description="Lagos time, ISO 8601.")
    expected_arrival_text: str = Field(description="'instantly' or e.g. 'Mon 30 Nov, 09:00'.")
    instant: bool
    bank_account_id: uuid.UUID
    bank_name: str
    account_number_masked: str
    account_name: str


@preview_router.get("/{agreement_id}/payout-preview", response_model=PayoutPreviewOut)
def get_payout_preview(
    agreement_id: uuid.UUID,
    bank_account_id: Annotated[uuid.UUID, Query()],
    tenant: CurrentTenant,
    c: ComponentsDep,
    now: NowDep,
) -> PayoutPreviewOut:
    """What the borrower receives and when, before the payout: fees deducted at payout come out
    of the principal; the arrival follows the payout rail's banking hours."""
    try:
        p = payout_preview(
            tenant.id, agreement_id, bank_account_id, payments_uow(c), sandbox(c.settings), now
        )
    except errors.PaymentsError as exc:
        raise as_problem(exc) from exc
    except ServicingError as exc:
        raise Problem(404, "not-found", str(exc)) from exc
    locale = tenant.default_locale
    return PayoutPreviewOut(
        agreement_id=agreement_id,
        principal=MoneyOut.of(p.principal, locale),
        fees=[
            FeeOut(name=f.name, amount=MoneyOut.of(f.amount, locale), deducted_at_payout=f.deducted_at_payout)
            for f in p.fees
        ],
        amount_received=MoneyOut.of(p.amount_received, locale),
        currency=p.principal.currency,
        expected_arrival=p.arrival.at,
        expected_arrival_text=arrival_text(p.arrival.at, p.arrival.instant, locale),
        instant=p.arrival.instant,
        bank_account_id=p.account.id,
        bank_name=p.account.bank_name,
        account_number_masked=mask(p.account.account_number),
        account_name=p.account.account_name,
    )


# --- pay now --------------------------------------------------------------------------------

loans_router = APIRouter(prefix="/v1/loans/{loan_id}/payment-instructions", tags=["payments"])
instructions_router = APIRouter(prefix="/v1/payment-instructions", tags=["payments"])


class InstructionIn(BaseModel):
    method: str = Field(pattern="^(link|virtual_account)$", examples=["link"])
    amount: MoneyIn | None = Field(
        default=None, description="Omitted: everything due now, else the next instalment."
    )


class VirtualAccountOut(BaseModel):
    bank_name: str
    account_number: str
    account_name: str


class InstructionOut(BaseModel):
    id: uuid.UUID
    loan_id: uuid.UUID
    reference: str
    amount: MoneyOut
    currency: str
    method: str
    provider: str
    status: str = Field(description="pending or paid.")
    link_url: str | None
    virtual_account: VirtualAccountOut | None
    expires_at: datetime
    paid_amount: MoneyOut | None = None
    paid_at: datetime | None = None
    payment_id: uuid.UUID | None = None

    @classmethod
    def of(cls, i: Instruction, locale: str | None) -> InstructionOut:
        va = i.virtual_account
        return cls(
            id=i.id,
            loan_id=i.loan_id,
            reference=i.reference,
            amount=MoneyOut.of(i.amount, locale),
            currency=i.amount.currency,
            method=i.method,
            provider=i.provider,
            status=i.status,
            link_url=i.link_url,
            virtual_account=VirtualAccountOut(
                bank_name=va.bank_name, account_number=va.account_number, account_name=va.account_name
            )
            if va
            else None,
            expires_at=i.expires_at,
            paid_amount=MoneyOut.of(i.paid_amount, locale) if i.paid_amount else None,
            paid_at=i.paid_at,
            payment_id=i.payment_id,
        )


@loans_router.post("", response_model=InstructionOut, status_code=201)
def create_payment_instruction(
    loan_id: uuid.UUID,
    body: InstructionIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """A checkout link or a transfer account for this payment; its `reference` becomes the
    repayment's provider reference when the provider confirms the money."""
    cmd = CreateInstruction(
        tenant.id,
        loan_id,
        body.method,
        body.amount.to_money() if body.amount else None,
        actor=f"api:{tenant.slug}",
    )

    def run(session: Session) -> dict[str, Any]:
        try:
            instruction = create_instruction(cmd, payments_uow(c, session), payments(c.settings), now)
        except errors.PaymentsError as exc:
            raise as_problem(exc) from exc
        return InstructionOut.of(instruction, tenant.default_locale).model_dump(mode="json")

    return idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)


def _instruction(c: Components, tenant_id: uuid.UUID, instruction_id: uuid.UUID) -> Instruction:
    uow = payments_uow(c)
    with uow:
        found = uow.instructions.get(tenant_id, instruction_id)
    if found is None:
        raise Problem(404, "not-found", f"Payment instruction {instruction_id} not found.")
    return found


@instructions_router.get("/{instruction_id}", response_model=InstructionOut)
def get_payment_instruction(
    instruction_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep
) -> InstructionOut:
    return InstructionOut.of(_instruction(c, tenant.id, instruction_id), tenant.default_locale)


class WebhookResult(BaseModel):
    status: str = Field(description="recorded, replayed, ignored or rejected.")
    reference: str | None = None
    payment_id: uuid.UUID | None = None
    receipt: str | None = Field(default=None, description="The receipt message queued to the customer.")
    notified: bool = False


def handle_webhook(c: Components, provider: str, raw: bytes, headers: dict[str, str]) -> WebhookResult:
    """The one path a payment confirmation takes, from a provider or from simulate-payment."""
    adapter = webhook_provider(c.settings, provider)
    if adapter is None:
        raise Problem(404, "unknown-provider", f"We take no payment webhooks from {provider!r}.")
    if not adapter.verify(raw, headers):
        log.warning("payment_webhook_bad_signature", provider=provider, size=len(raw))
        raise Problem(401, "invalid-signature", "The webhook signature does not match its body.")
    event = adapter.parse(raw)
    if event is None:
        return WebhookResult(status="ignored")
    try:
        done = confirm_payment(
            event, provider, payments_uow(c), SqlServicingUnitOfWork(c.sessions), notifier(c)
        )
    except ServicingError as exc:
        # Acknowledged, not retried: a retry cannot fix it (a closed loan, another amount under the
        # same reference); it needs a person, so it is logged loudly for the operations queue.
        log.error("payment_webhook_rejected", provider=provider, reference=event.reference, error=str(exc))
        return WebhookResult(status="rejected", reference=event.reference)
    i = done.instruction
    return WebhookResult(
        status=done.outcome,
        reference=event.reference,
        payment_id=i.payment_id if i else None,
        receipt=done.receipt,
        notified=done.notified,
    )


webhooks_router = APIRouter(prefix="/v1/payments/webhooks", tags=["payments"])


@webhooks_router.post("/{provider}", response_model=WebhookResult)
async def payment_webhook(provider: str, request: Request) -> WebhookResult:
    """No API key: the provider's signature over the raw body is the authentication (401
    `invalid-signature` otherwise). Redelivery records nothing twice (`status: replayed`)."""
    raw = await request.body()
    c: Components = request.app.state.components
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await run_in_threadpool(handle_webhook, c, provider, raw, headers)


class SimulateIn(BaseModel):
    amount: MoneyIn | None = Field(default=None, description="Omitted: the instruction's amount.")


class SimulatedOut(BaseModel):
    webhook: WebhookResult
    instruction: InstructionOut


@instructions_router.post("/{instruction_id}/simulate-payment", response_model=SimulatedOut)
def simulate_payment(
    instruction_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    now: NowDep,
    body: SimulateIn | None = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Sandbox only (403 `sandbox-only` in live mode): the customer "pays", which sends the same
    signed webhook a provider would, through the same code path."""
    if not c.settings.sandbox_mode:
        raise Problem(403, "sandbox-only", "Payments can only be simulated in sandbox mode.")
    body = body or SimulateIn()
    instruction = _instruction(c, tenant.id, instruction_id)
    if instruction.provider != "sandbox":
        raise Problem(409, "not-sandbox", "This instruction was issued by a live provider.")
    amount = body.amount.to_money() if body.amount else instruction.amount

    def run(_session: Session) -> dict[str, Any]:
        raw, headers = sandbox(c.settings).signed_event(instruction.reference, amount, now)
        result = handle_webhook(c, "sandbox", raw, headers)
        fresh = _instruction(c, tenant.id, instruction_id)
        return SimulatedOut(
            webhook=result, instruction=InstructionOut.of(fresh, tenant.default_locale)
        ).model_dump(mode="json")

    return idempotency.once(
        c.sessions,
        tenant,
        idempotency_key,
        {"instruction": str(instruction_id), **body.model_dump(mode="json")},
        run,
    )
