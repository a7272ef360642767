"""Disburse a signed agreement: the loan, its schedule, the payout, the ledger entry, the audit
row and the application's new status, all in one transaction.

Idempotent per agreement: an agreement is paid out at most once, so a retry (same Idempotency-Key,
or a new key for the same agreement) returns the first disbursement and posts nothing. The payout
instruction carries a key derived from the agreement, so if our transaction fails after the
provider accepted the payout, the retry gets the provider's first payout back instead of paying
twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from backend.lending.allocation import InstalmentDue
from backend.lending.applications import Status, Transition, next_status
from backend.lending.dates import due_date
from backend.lending.ledger import FeeTreatment, disbursement
from backend.lending.money import Money
from backend.lending.products import ProductKind
from backend.lending.schedules import LoanTerms, build_schedule
from backend.services.servicing.accounting import accounts_of
from backend.services.servicing.errors import NotDisbursable, NotFound
from backend.services.servicing.ports import (
    DisbursableAgreement,
    DisbursementRecord,
    LoanState,
    Payouts,
    ServicingUnitOfWork,
)


@dataclass(frozen=True, slots=True)
class Disburse:
    tenant_id: uuid.UUID
    agreement_id: uuid.UUID
    destination: dict[str, Any]
    actor: str = "api"


def terms_for(agreement: DisbursableAgreement, on: date) -> LoanTerms:
    """Paid out today, first instalment one period later (the schedule's regular first period),
    or on the offer's fixed maturity (an invoice's due date).

    The schedule is rebuilt here, from the payout date, not taken from the offer: an invoice
    advance earns interest for the actual days the money is out (payout to invoice due date), so
    an offer accepted on Monday and paid out on Thursday charges three days less than the offer
    previewed, and the signed rate, not the previewed amount, is what binds."""
    return LoanTerms(
        principal=agreement.principal,
        annual_rate=agreement.annual_rate,
        term_count=agreement.term_count,
        frequency=agreement.frequency,
        amortization=agreement.amortization,
        disbursement_date=on,
        first_payment_date=agreement.maturity or due_date(on, 1, agreement.frequency),
        upfront_fee=agreement.origination_fee,
        fee_financed=agreement.fee_treatment is FeeTreatment.FINANCED,
    )


def disbursement_key(agreement_id: uuid.UUID, attempt: int) -> str:
    """Payout idempotency key and ledger transfer id of one payout attempt. The first attempt keeps
    the original `disbursement:<agreement>`; after a failed payout (see `payouts.settle_payout`)
    the next attempt is numbered, so the provider sees a new instruction and the ledger a new
    entry, while a retry of the same attempt still gets the first payout back."""
    base = f"disbursement:{agreement_id}"
    return base if attempt == 0 else f"{base}:{attempt}"


def draw_key(draw_id: uuid.UUID) -> str:
    """Payout idempotency key and ledger transfer id of one draw on a credit line: the draw's loan
    id, which the caller derives from its Idempotency-Key, so a retried draw re-asks the provider
    under the same key and gets the first payout back."""
    return f"draw:{draw_id}"


def disburse(cmd: Disburse, uow: ServicingUnitOfWork, payouts: Payouts, today: date) -> DisbursementRecord:
    with uow:
        agreement = uow.agreements.for_disbursement(cmd.tenant_id, cmd.agreement_id)
        if agreement is None:
            raise NotFound(f"agreement {cmd.agreement_id} not found")
        if uow.products.get(cmd.tenant_id, agreement.product_code).kind is ProductKind.LINE_OF_CREDIT:
            raise NotDisbursable("a line of credit is opened (POST /v1/credit-lines) and drawn, not paid out")
        if (done := uow.disbursements.for_application(cmd.tenant_id, agreement.application_id)) is not None:
            return replace(done, replayed=True)
        if agreement.agreement_status != "signed":
            raise NotDisbursable("the agreement is not signed")
        try:
            disbursed = next_status(Status(agreement.application_status), Transition.DISBURSE)
        except ValueError as exc:
            raise NotDisbursable(str(exc)) from exc

        if agreement.maturity is not None and agreement.maturity <= today:
            raise NotDisbursable(
                f"the invoice fell due on {agreement.maturity.isoformat()}: an advance paid out on or "
                "after its due date has no term to earn interest over"
            )
        key = disbursement_key(
            agreement.agreement_id, uow.disbursements.failed_count(cmd.tenant_id, agreement.application_id)
        )
        record = pay_out(uow, payouts, agreement, cmd.destination, key, today, actor=cmd.actor)
        uow.applications.set_status(cmd.tenant_id, agreement.application_id, disbursed.value)
        uow.commit()
        return record


def pay_out(
    uow: ServicingUnitOfWork,
    payouts: Payouts,
    agreement: DisbursableAgreement,
    destination: dict[str, Any],
    key: str,
    today: date,
    *,
    actor: str,
    loan_id: uuid.UUID | None = None,
    credit_line_id: uuid.UUID | None = None,
) -> DisbursementRecord:
    """The one disbursement machinery, shared by a term loan and a credit line's draw: the loan and
    its schedule, the payout under `key`, the disbursement entry under the same transfer id and the
    audit row. Runs inside the caller's transaction; the caller checks and commits."""
    tenant_id = agreement.tenant_id
    terms = terms_for(agreement, today)
    schedule = build_schedule(terms)
    currency = agreement.principal.currency
    zero = Money.zero(currency)
    loan = LoanState(
        id=loan_id or uuid.uuid4(),
        tenant_id=tenant_id,
        application_id=agreement.application_id,
        customer_id=agreement.customer_id,
        agreement_id=agreement.agreement_id,
        lender_code=agreement.lender_code,
        product_code=agreement.product_code,
        principal=agreement.principal,
        annual_rate=agreement.annual_rate,
        amortization=agreement.amortization,
        frequency=agreement.frequency,
        term_count=agreement.term_count,
        status="active",
        disbursed_on=today,
        credit_balance=zero,
        dues=tuple(
            InstalmentDue.unpaid(row.number, row.due_date, row.principal, row.interest, zero)
            for row in schedule.installments
        ),
        credit_line_id=credit_line_id,
    )
    uow.loans.add(loan)

    fee = agreement.origination_fee
    paid_out = (
        agreement.principal - fee if agreement.fee_treatment is FeeTreatment.DEDUCTED else agreement.principal
    )
    payout = payouts.payout(idempotency_key=key, amount=paid_out, destination=destination, on=today)
    record = DisbursementRecord(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        loan_id=loan.id,
        amount=paid_out,
        provider_fee=payout.fee,
        provider=payout.provider,
        provider_ref=payout.reference,
        destination=destination,
        status=payout.status,
        expected_arrival=payout.expected_arrival,
    )
    uow.disbursements.add(record)
    uow.ledger.post(
        disbursement(
            key,
            loan=accounts_of(loan),
            principal=agreement.principal,
            origination_fee=fee,
            treatment=agreement.fee_treatment,
            on=today,
            memo=f"payout {payout.reference}",
        ),
        tenant_id,
    )
    data: dict[str, Any] = {
        "agreement_id": str(agreement.agreement_id),
        "principal_minor": agreement.principal.minor,
        "paid_out_minor": paid_out.minor,
        "origination_fee_minor": fee.minor,
        "fee_treatment": agreement.fee_treatment.value,
        "currency": currency,
        "provider_ref": payout.reference,
    }
    if credit_line_id is not None:
        data["credit_line_id"] = str(credit_line_id)
    uow.audit.append(
        tenant_id,
        actor=actor,
        action="loan.disbursed",
        subject_type="loan",
        subject_id=str(loan.id),
        data=data,
    )
    return record
