"""Refunding a closed loan's customer credit, and what became of that refund payout.

A refund is a payout, so it ends like a disbursement does: the provider accepts the instruction
(`pending`) and later reports it `paid` or `failed`. Paying the credit out is posted at once (debit
customer credit, credit settlement) because from that moment the money is committed to the
provider. If the provider then reports the payout failed, the money never left: the refund entry
is reversed (dated like the original), the credit is back on the loan, and the borrower can ask for
the refund again, to a corrected account, as a new attempt with its own payout key and transfer id.

As with disbursements, a status report (the provider's webhook) is only a trigger: the outcome
applied is the one the payments adapter confirms (`Payouts.outcome`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from backend.lending.ledger import credit_refund, payout_cost, reverse
from backend.lending.money import Money
from backend.services.servicing.accounting import accounts_of
from backend.services.servicing.errors import NotFound, NotRefundable, PayoutStatusConflict
from backend.services.servicing.ports import CreditRefundRecord, Payouts, ServicingUnitOfWork
from backend.services.servicing.repayments import locked_loan

OUTCOMES = {"succeeded": "paid", "failed": "failed"}  # provider's report -> the refund's status


@dataclass(frozen=True, slots=True)
class RefundCredit:
    tenant_id: uuid.UUID
    loan_id: uuid.UUID
    destination: dict[str, Any]
    actor: str = "api"


def refund_transfer_id(loan_id: uuid.UUID, attempt: int = 0) -> str:
    """Payout key and ledger transfer id of one refund attempt. A closed loan takes no more
    payments, so its credit only changes by refunding it; the first attempt keeps the original
    `credit-refund:<loan>`, and only a failed payout (which puts the credit back) makes another."""
    base = f"credit-refund:{loan_id}"
    return base if attempt == 0 else f"{base}:{attempt}"


def refund_credit(
    cmd: RefundCredit, uow: ServicingUnitOfWork, payouts: Payouts, today: date
) -> CreditRefundRecord:
    """Pay a closed loan's remaining credit back to the borrower, once per attempt.

    While the newest attempt is pending or paid, asking again returns it (`replayed`), whatever
    the Idempotency-Key. If our transaction fails after the provider accepted the payout, the
    retry asks under the same key and the provider returns the first payout instead of paying
    twice."""
    with uow:
        loan = locked_loan(uow, cmd.tenant_id, cmd.loan_id)
        latest = uow.credit_refunds.latest(cmd.tenant_id, loan.id)
        if latest is not None and latest.status != "failed":
            return replace(latest, replayed=True)
        if loan.status != "closed":
            raise NotRefundable(f"loan {loan.id} is {loan.status}: its credit pays the next instalment")
        amount = loan.credit_balance
        if amount.minor <= 0:
            raise NotRefundable(f"loan {loan.id} holds no credit")
        attempt = 0 if latest is None else latest.attempt + 1
        transfer_id = refund_transfer_id(loan.id, attempt)
        payout = payouts.payout(
            idempotency_key=transfer_id, amount=amount, destination=cmd.destination, on=today
        )
        uow.ledger.post(
            credit_refund(
                transfer_id,
                loan=accounts_of(loan),
                amount=amount,
                on=today,
                memo=f"refund payout {payout.reference}",
            ),
            cmd.tenant_id,
        )
        loan.credit_balance = Money.zero(loan.currency)
        uow.loans.save(loan)
        record = CreditRefundRecord(
            id=uuid.uuid4(),
            tenant_id=cmd.tenant_id,
            loan_id=loan.id,
            attempt=attempt,
            amount=amount,
            provider_fee=payout.fee,
            provider=payout.provider,
            provider_ref=payout.reference,
            transfer_id=transfer_id,
            destination=cmd.destination,
            status="pending",
        )
        uow.credit_refunds.add(record)
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action="loan.credit_refunded",
            subject_type="loan",
            subject_id=str(loan.id),
            data={
                "refund_id": str(record.id),
                "attempt": attempt,
                "amount_minor": amount.minor,
                "currency": loan.currency,
                "provider_ref": payout.reference,
            },
        )
        uow.commit()
        return record


@dataclass(frozen=True, slots=True)
class ReportRefundStatus:
    tenant_id: uuid.UUID
    refund_id: uuid.UUID
    provider_ref: str
    status: str  # "succeeded" | "failed", the provider's words
    actor: str = "provider"


def settle_refund(
    cmd: ReportRefundStatus, uow: ServicingUnitOfWork, payouts: Payouts, today: date
) -> CreditRefundRecord:
    """Apply a refund payout's final outcome once; the same report again changes nothing.

    `paid`: the provider's charge is the lender's expense (payout cost), as for a disbursement.
    `failed`: the refund entry is reversed and the credit is back on the loan, refundable again."""
    if cmd.status not in OUTCOMES:
        raise PayoutStatusConflict(f"unknown payout status {cmd.status!r}")
    final = OUTCOMES[cmd.status]
    with uow:
        found = uow.credit_refunds.get(cmd.tenant_id, cmd.refund_id)
        if found is None:
            raise NotFound(f"credit refund {cmd.refund_id} not found")
        # The loan first, then the refund row: the order `refund_credit` takes them in.
        loan = locked_loan(uow, cmd.tenant_id, found.loan_id)
        record = uow.credit_refunds.get(cmd.tenant_id, cmd.refund_id, for_update=True)
        assert record is not None
        if record.provider_ref != cmd.provider_ref:
            raise PayoutStatusConflict("the provider reference does not match this refund")
        if record.status == final:
            return replace(record, replayed=True)
        if record.status != "pending":
            raise PayoutStatusConflict(f"the refund is already {record.status}")
        outcome = payouts.outcome(
            reference=record.provider_ref, amount=record.amount, destination=record.destination
        )
        if outcome.status != cmd.status:
            raise PayoutStatusConflict(f"the provider reports this refund as {outcome.status}")
        if final == "paid":
            if outcome.fee.minor:
                uow.ledger.post(
                    payout_cost(
                        f"payout-cost:refund:{record.id}",
                        tenant_id=record.tenant_id,
                        amount=outcome.fee,
                        on=today,
                        memo=f"provider charge for refund payout {record.provider_ref}",
                    ),
                    record.tenant_id,
                )
            record = replace(record, status="paid", provider_fee=outcome.fee, settled_on=today)
        else:
            original = uow.ledger.entry(record.tenant_id, record.transfer_id)
            if original is None:
                raise PayoutStatusConflict(f"no refund entry {record.transfer_id} to reverse")
            # Dated like the original: the money never left, so no dated balance should show it gone.
            uow.ledger.post(
                reverse(
                    original,
                    f"{record.transfer_id}:failed",
                    memo=f"refund payout {record.provider_ref} failed",
                ),
                record.tenant_id,
            )
            loan.credit_balance = loan.credit_balance + record.amount
            uow.loans.save(loan)
            record = replace(
                record,
                status="failed",
                provider_fee=Money.zero(record.amount.currency),
                reason=outcome.reason,
                settled_on=today,
            )
        uow.credit_refunds.set_outcome(record)
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action=f"loan.credit_refund_{record.status}",
            subject_type="loan",
            subject_id=str(loan.id),
            data={
                "refund_id": str(record.id),
                "provider_ref": record.provider_ref,
                "provider_fee_minor": record.provider_fee.minor,
                "reason": outcome.reason,
            },
        )
        uow.commit()
        return record
