"""Pay now: ask the provider where the customer pays (a checkout link or a transfer account) and,
when the provider confirms the money arrived, record it as a repayment and send the receipt.

The instruction's reference is the repayment's provider reference, so the repayment use case's
own idempotency (one payment per provider reference) is what makes a redelivered webhook record
nothing twice. Confirmation runs in three short steps, each safe to repeat: record the repayment
(its own transaction, idempotent), mark the instruction paid (only a pending one: the receipt is
sent by whichever delivery does this), then queue the receipt.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from backend.lending.money import Money
from backend.lending.nuban import mask
from backend.services.notifications import Notifier
from backend.services.payments.errors import InvalidPayment, NotFound, NothingDue
from backend.services.payments.messages import landed_text, receipt_text
from backend.services.payments.ports import (
    METHODS,
    Collections,
    Instruction,
    PaymentEvent,
    PaymentsUnitOfWork,
)
from backend.services.servicing.balances import balance_of
from backend.services.servicing.ports import DisbursementRecord, LoanState, ServicingUnitOfWork
from backend.services.servicing.repayments import RecordRepayment, record_repayment

LAGOS = ZoneInfo("Africa/Lagos")
"""Payments are dated on the Lagos calendar: a transfer at 00:30 WAT is that day's payment, even
though it is still yesterday in UTC."""


def amount_due(loan: LoanState, today: date) -> Money:
    """What "pay now" asks for when the customer names no amount: everything due now (overdue
    plus today's instalment), else the next instalment, so the default never over-collects."""
    balance = balance_of(loan, today)
    due_now = balance.overdue
    if balance.next_due is not None and balance.next_due_date == today:
        due_now = due_now + balance.next_due
    if due_now.minor:
        return due_now
    if balance.next_due is not None and balance.next_due.minor:
        return balance.next_due
    raise NothingDue("nothing is due on this loan")


def new_reference() -> str:
    """Unique across tenants and providers; letters and digits only, as every provider accepts."""
    return f"cap{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class CreateInstruction:
    tenant_id: uuid.UUID
    loan_id: uuid.UUID
    method: str
    amount: Money | None = None
    actor: str = "api"


def create_instruction(
    cmd: CreateInstruction, uow: PaymentsUnitOfWork, collections: Collections, now: datetime
) -> Instruction:
    if cmd.method not in METHODS:
        raise InvalidPayment(f"method must be one of {', '.join(METHODS)}")
    today = now.astimezone(LAGOS).date()
    with uow:
        loan = uow.loans.get(cmd.tenant_id, cmd.loan_id)
        if loan is None:
            raise NotFound(f"loan {cmd.loan_id} not found")
        if loan.status != "active":
            raise InvalidPayment(f"this loan is {loan.status} and takes no payments")
        amount = cmd.amount if cmd.amount is not None else amount_due(loan, today)
        if amount.currency != loan.currency:
            raise InvalidPayment(f"this loan is repaid in {loan.currency}, not {amount.currency}")
        if amount.minor <= 0:
            raise InvalidPayment("a payment must be positive")
        payer = uow.payers.get(cmd.tenant_id, loan.customer_id)
        if payer is None:
            raise NotFound(f"customer {loan.customer_id} not found")
        reference = new_reference()
        collection = collections.collect(
            reference=reference, amount=amount, method=cmd.method, payer=payer, now=now
        )
        instruction = Instruction(
            id=uuid.uuid4(),
            tenant_id=cmd.tenant_id,
            loan_id=loan.id,
            customer_id=loan.customer_id,
            reference=reference,
            provider=collection.provider,
            method=cmd.method,
            amount=amount,
            status="pending",
            link_url=collection.link_url,
            virtual_account=collection.virtual_account,
            expires_at=collection.expires_at,
            created_at=now,
        )
        uow.instructions.add(instruction)
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action="payment_instruction.created",
            subject_type="loan",
            subject_id=str(loan.id),
            data={
                "instruction_id": str(instruction.id),
                "reference": reference,
                "provider": collection.provider,
                "method": cmd.method,
                "amount_minor": amount.minor,
                "currency": amount.currency,
            },
        )
        uow.commit()
        return instruction


@dataclass(frozen=True, slots=True)
class Confirmation:
    outcome: str  # "recorded" | "replayed" | "ignored"
    instruction: Instruction | None = None
    receipt: str | None = None
    notified: bool = False


def confirm_payment(
    event: PaymentEvent,
    provider: str,
    uow: PaymentsUnitOfWork,
    servicing_uow: ServicingUnitOfWork,
    notifier: Notifier,
) -> Confirmation:
    """Apply a provider's (signature-checked) payment notice. A reference we never issued, or one
    issued through another provider, is acknowledged and ignored: providers retry anything else
    for days, and a sandbox event must never confirm a live payment."""
    with uow:
        found = uow.instructions.by_reference(event.reference)
    if found is None or found.provider != provider:
        return Confirmation("ignored")
    paid_on = event.paid_at.astimezone(LAGOS).date()
    payment = record_repayment(
        RecordRepayment(
            found.tenant_id,
            found.loan_id,
            event.amount,
            received_on=paid_on,
            provider_ref=found.reference,
            actor=f"provider:{provider}",
        ),
        servicing_uow,
    )
    with uow:
        instruction = uow.instructions.by_reference(event.reference, for_update=True)
        assert instruction is not None
        if instruction.status == "paid":
            return Confirmation("replayed", instruction)
        instruction.status = "paid"
        instruction.paid_amount = event.amount
        instruction.paid_at = event.paid_at
        instruction.payment_id = payment.id
        uow.instructions.save(instruction)
        uow.audit.append(
            instruction.tenant_id,
            actor=f"provider:{provider}",
            action="payment_instruction.paid",
            subject_type="loan",
            subject_id=str(instruction.loan_id),
            data={
                "instruction_id": str(instruction.id),
                "reference": instruction.reference,
                "payment_id": str(payment.id),
                "amount_minor": event.amount.minor,
                "currency": event.amount.currency,
            },
        )
        loan = uow.loans.get(instruction.tenant_id, instruction.loan_id)
        payer = uow.payers.get(instruction.tenant_id, instruction.customer_id)
        uow.commit()
    assert loan is not None
    locale = payer.locale if payer else None
    text = receipt_text(event.amount, paid_on, balance_of(loan, paid_on), loan.status == "closed", locale)
    notified = notifier.notify(instruction.tenant_id, instruction.customer_id, text)
    return Confirmation("recorded", instruction, text, notified)


def notify_payout_landed(
    record: DisbursementRecord, uow: PaymentsUnitOfWork, notifier: Notifier
) -> str | None:
    """ "Your money has landed", once a payout is confirmed as succeeded. The caller sends it only
    on the report that settled the payout (not on a redelivered one), so it goes out once."""
    if record.status != "succeeded" or record.replayed:
        return None
    with uow:
        loan = uow.loans.get(record.tenant_id, record.loan_id)
        if loan is None:
            return None
        payer = uow.payers.get(record.tenant_id, loan.customer_id)
    dest = record.destination
    number = str(dest.get("account_number", ""))
    first = min((d for d in loan.dues if not d.settled), key=lambda d: d.due_date, default=None)
    text = landed_text(
        record.amount,
        dest.get("bank_name"),
        mask(number) if number else None,
        (first.total_outstanding, first.due_date) if first is not None else None,
        payer.locale if payer else None,
    )
    notifier.notify(record.tenant_id, loan.customer_id, text)
    return text
