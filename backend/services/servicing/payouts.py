"""Payout outcomes: what happens when the provider reports a disbursement as succeeded or failed.

A status report (the provider's webhook) is only a trigger: the outcome applied is the one the
payments adapter confirms (`Payouts.outcome`, a "verify transfer" call with a real provider), so a
forged or garbled webhook can neither cancel a loan nor post a fee.

- succeeded: the provider's transfer charge is the lender's expense (payout cost), posted once.
- failed: no money reached the borrower, so the disbursement entry is reversed (the books read as
  if the payout never happened), the loan is `cancelled`, and the application goes back to
  `accepted`: the signed agreement still stands and can be paid out to a corrected account
  (the next attempt gets a numbered payout key and transfer id, see `disbursement_key`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date

from backend.lending.applications import Status, Transition, next_status
from backend.lending.ledger import payout_cost, reverse
from backend.lending.money import Money
from backend.services.servicing.disbursement import disbursement_key, draw_key
from backend.services.servicing.errors import NotFound, PayoutStatusConflict
from backend.services.servicing.ports import DisbursementRecord, LoanState, Payouts, ServicingUnitOfWork
from backend.services.servicing.repayments import locked_loan

OUTCOMES = frozenset({"succeeded", "failed"})


@dataclass(frozen=True, slots=True)
class ReportPayoutStatus:
    tenant_id: uuid.UUID
    disbursement_id: uuid.UUID
    provider_ref: str
    status: str  # "succeeded" | "failed"
    actor: str = "provider"


def settle_payout(
    cmd: ReportPayoutStatus, uow: ServicingUnitOfWork, payouts: Payouts, today: date
) -> DisbursementRecord:
    """Apply a payout's final status once; a redelivered report of the same status changes nothing."""
    if cmd.status not in OUTCOMES:
        raise PayoutStatusConflict(f"unknown payout status {cmd.status!r}")
    with uow:
        record = uow.disbursements.get(cmd.tenant_id, cmd.disbursement_id, for_update=True)
        if record is None:
            raise NotFound(f"disbursement {cmd.disbursement_id} not found")
        if record.provider_ref != cmd.provider_ref:
            raise PayoutStatusConflict("the provider reference does not match this disbursement")
        if record.status == cmd.status:
            return replace(record, replayed=True)
        if record.status != "pending":
            raise PayoutStatusConflict(f"the payout is already {record.status}")
        outcome = payouts.outcome(
            reference=record.provider_ref, amount=record.amount, destination=record.destination
        )
        if outcome.status != cmd.status:
            raise PayoutStatusConflict(f"the provider reports this payout as {outcome.status}")
        loan = locked_loan(uow, cmd.tenant_id, record.loan_id)
        if outcome.status == "succeeded":
            record = _succeeded(uow, record, outcome.fee, today)
        else:
            record = _failed(uow, record, loan, today)
        uow.disbursements.set_outcome(record)
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action=f"disbursement.{record.status}",
            subject_type="loan",
            subject_id=str(loan.id),
            data={
                "disbursement_id": str(record.id),
                "provider_ref": record.provider_ref,
                "provider_fee_minor": record.provider_fee.minor,
                "reason": outcome.reason,
            },
        )
        uow.commit()
        return record


def _succeeded(
    uow: ServicingUnitOfWork, record: DisbursementRecord, fee: Money, today: date
) -> DisbursementRecord:
    """Post what the provider actually charged (it may differ from the fee quoted at payout)."""
    if fee.minor:
        uow.ledger.post(
            payout_cost(
                f"payout-cost:{record.id}",
                tenant_id=record.tenant_id,
                amount=fee,
                on=today,
                memo=f"provider charge for payout {record.provider_ref}",
            ),
            record.tenant_id,
        )
    return replace(record, status="succeeded", provider_fee=fee)


def _failed(
    uow: ServicingUnitOfWork, record: DisbursementRecord, loan: LoanState, today: date
) -> DisbursementRecord:
    """Undo the disbursement. Refused if the loan has moved on (a payment, accrued interest, a late
    fee): reversing the payout alone would then leave receivables nothing backs, which needs a
    person, not a webhook."""
    touched = any(
        d.principal_paid.minor or d.interest_paid.minor or d.fees.minor or d.fees_paid.minor
        for d in loan.dues
    )
    if loan.status != "active" or touched or any(m.minor for m in loan.interest_accrued.values()):
        raise PayoutStatusConflict(f"loan {loan.id} has activity since the payout; reverse it by hand")
    if loan.credit_line_id is not None:
        key = draw_key(loan.id)
    else:
        # This is the application's only live payout; the failed ones before it numbered the attempts.
        key = disbursement_key(
            loan.agreement_id, uow.disbursements.failed_count(loan.tenant_id, loan.application_id)
        )
    original = uow.ledger.entry(loan.tenant_id, key)
    if original is None:
        raise PayoutStatusConflict(f"no disbursement entry {key} to reverse")
    # Dated like the original: the money never left, so no dated balance should ever show it gone.
    uow.ledger.post(
        reverse(original, f"{key}:failed", memo=f"payout {record.provider_ref} failed"), loan.tenant_id
    )
    loan.status, loan.closed_on = "cancelled", today
    uow.loans.save(loan)
    # A failed draw drew nothing (a cancelled draw is not counted as drawn); the line stays open.
    if loan.credit_line_id is None:
        uow.applications.set_status(
            loan.tenant_id,
            loan.application_id,
            next_status(Status.DISBURSED, Transition.PAYOUT_FAILED).value,
        )
    return replace(record, status="failed", provider_fee=Money.zero(record.amount.currency))
