"""Lines of credit: open a revolving line from a signed agreement, draw against it, close it.

A line is not a loan: each draw is one, paid out by the same machinery as a term loan
(`disbursement.pay_out`: schedule, payout, disbursement entry, audit) with the line's draw terms.
So repayments, payoffs, late fees and the daily job serve draws without knowing about lines, and
repaid principal is available again because what is drawn is always read from the draws' unpaid
principal, never kept as a second counter that could drift.

The line owns the application: opening it is the application's `disburse` step, closing it the
`close` step; a draw settling closes only that draw (`repayments.close_if_settled`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from backend.lending.applications import Status, Transition, next_status
from backend.lending.ledger import FeeTreatment
from backend.lending.money import Money
from backend.lending.products import CreditLine, Product, ProductKind
from backend.lending.schedules import Amortization
from backend.services.servicing.disbursement import draw_key, pay_out
from backend.services.servicing.errors import DrawRefused, LineDrawn, LineNotOpen, NotDisbursable, NotFound
from backend.services.servicing.ports import (
    CreditLineState,
    DisbursableAgreement,
    DisbursementRecord,
    Payouts,
    ServicingUnitOfWork,
)


@dataclass(frozen=True, slots=True)
class LineView:
    """A line with what is drawn on it and what is left, as the API shows it."""

    line: CreditLineState
    drawn: Money

    @property
    def available(self) -> Money:
        return CreditLine(self.line.limit, self.drawn).available


@dataclass(frozen=True, slots=True)
class OpenLine:
    tenant_id: uuid.UUID
    agreement_id: uuid.UUID
    actor: str = "api"


@dataclass(frozen=True, slots=True)
class Draw:
    tenant_id: uuid.UUID
    line_id: uuid.UUID
    amount: Money
    destination: dict[str, Any]
    draw_id: uuid.UUID
    """The draw's loan id. Derived from the Idempotency-Key by the caller, so a retry after our
    transaction failed asks the provider under the same payout key and gets the first payout."""
    actor: str = "api"


def draw_agreement(line: CreditLineState, amount: Money, product: Product) -> DisbursableAgreement:
    """The draw as the disbursement machinery reads a signed offer: the drawn amount at the line's
    rate over the line's draw term, amortised like a term loan, with the product's origination fee
    on the amount drawn (deducted from the payout, as every offer's fee is)."""
    return DisbursableAgreement(
        tenant_id=line.tenant_id,
        agreement_id=line.agreement_id,
        agreement_status="signed",
        application_id=line.application_id,
        application_status=Status.DISBURSED.value,
        customer_id=line.customer_id,
        product_code=line.product_code,
        lender_code=line.lender_code,
        principal=amount,
        annual_rate=line.annual_rate,
        term_count=line.term_count,
        frequency=line.frequency,
        amortization=Amortization.ANNUITY,
        origination_fee=product.origination_fee.for_principal(amount),
        fee_treatment=FeeTreatment.DEDUCTED,
    )


def open_line(cmd: OpenLine, uow: ServicingUnitOfWork) -> CreditLineState:
    """Open the line a signed line-of-credit agreement grants; once per application (a retry, with
    any key, returns the line with `replayed`)."""
    with uow:
        agreement = uow.agreements.for_disbursement(cmd.tenant_id, cmd.agreement_id)
        if agreement is None:
            raise NotFound(f"agreement {cmd.agreement_id} not found")
        if uow.products.get(cmd.tenant_id, agreement.product_code).kind is not ProductKind.LINE_OF_CREDIT:
            raise NotDisbursable("only a line-of-credit agreement opens a credit line; pay this one out")
        if (done := uow.credit_lines.for_application(cmd.tenant_id, agreement.application_id)) is not None:
            return replace(done, replayed=True)
        if agreement.agreement_status != "signed":
            raise NotDisbursable("the agreement is not signed")
        try:
            opened = next_status(Status(agreement.application_status), Transition.DISBURSE)
        except ValueError as exc:
            raise NotDisbursable(str(exc)) from exc
        line = CreditLineState(
            id=uuid.uuid4(),
            tenant_id=cmd.tenant_id,
            application_id=agreement.application_id,
            agreement_id=agreement.agreement_id,
            customer_id=agreement.customer_id,
            product_code=agreement.product_code,
            lender_code=agreement.lender_code,
            limit=agreement.principal,
            annual_rate=agreement.annual_rate,
            term_count=agreement.term_count,
            frequency=agreement.frequency,
            status="open",
        )
        uow.credit_lines.add(line)
        uow.applications.set_status(cmd.tenant_id, agreement.application_id, opened.value)
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action="credit_line.opened",
            subject_type="credit_line",
            subject_id=str(line.id),
            data={
                "agreement_id": str(agreement.agreement_id),
                "limit_minor": line.limit.minor,
                "currency": line.limit.currency,
            },
        )
        uow.commit()
        return line


def _locked_line(uow: ServicingUnitOfWork, tenant_id: uuid.UUID, line_id: uuid.UUID) -> CreditLineState:
    line = uow.credit_lines.get(tenant_id, line_id, for_update=True)
    if line is None:
        raise NotFound(f"credit line {line_id} not found")
    return line


def draw(cmd: Draw, uow: ServicingUnitOfWork, payouts: Payouts, today: date) -> DisbursementRecord:
    """Pay out one draw as its own loan, if the line has room. The line row is locked first, so two
    concurrent draws are checked against the limit one after the other."""
    with uow:
        line = _locked_line(uow, cmd.tenant_id, cmd.line_id)
        if line.status != "open":
            raise LineNotOpen(f"credit line {line.id} is {line.status}")
        if cmd.amount.currency != line.limit.currency:
            raise DrawRefused(f"a {cmd.amount.currency} draw on a {line.limit.currency} line")
        product = uow.products.get(cmd.tenant_id, line.product_code)
        drawn = uow.credit_lines.drawn(cmd.tenant_id, line.id, line.limit.currency)
        try:
            CreditLine(line.limit, drawn).draw(cmd.amount, product)
        except ValueError as exc:
            raise DrawRefused(str(exc)) from exc
        record = pay_out(
            uow,
            payouts,
            draw_agreement(line, cmd.amount, product),
            cmd.destination,
            draw_key(cmd.draw_id),
            today,
            actor=cmd.actor,
            loan_id=cmd.draw_id,
            credit_line_id=line.id,
        )
        uow.commit()
        return record


def close_line(
    tenant_id: uuid.UUID, line_id: uuid.UUID, uow: ServicingUnitOfWork, today: date, actor: str = "api"
) -> CreditLineState:
    """Close a line with nothing drawn and no draw still open; this, not a draw, closes the
    application."""
    with uow:
        line = _locked_line(uow, tenant_id, line_id)
        if line.status != "open":
            raise LineNotOpen(f"credit line {line.id} is already {line.status}")
        drawn = uow.credit_lines.drawn(tenant_id, line.id, line.limit.currency)
        if drawn.minor or uow.credit_lines.open_draws(tenant_id, line.id):
            raise LineDrawn(f"credit line {line.id} has {drawn.major} drawn; repay its draws first")
        line.status, line.closed_on = "closed", today
        uow.credit_lines.save(line)
        uow.applications.set_status(
            tenant_id, line.application_id, next_status(Status.DISBURSED, Transition.CLOSE).value
        )
        uow.audit.append(
            tenant_id,
            actor=actor,
            action="credit_line.closed",
            subject_type="credit_line",
            subject_id=str(line.id),
            data={"closed_on": today.isoformat()},
        )
        uow.commit()
        return line


def line_view(tenant_id: uuid.UUID, line_id: uuid.UUID, uow: ServicingUnitOfWork) -> LineView:
    with uow:
        line = uow.credit_lines.get(tenant_id, line_id)
        if line is None:
            raise NotFound(f"credit line {line_id} not found")
        return LineView(line, uow.credit_lines.drawn(tenant_id, line.id, line.limit.currency))
