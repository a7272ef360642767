"""Credit line use cases against the in-memory servicing fakes: open, draw within the limit,
repay to make room again, close only when nothing is drawn, a draw never closes the application."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from backend.adapters.payments.sandbox import SandboxPayouts
from backend.lending.allocation import sum_money
from backend.lending.ledger import sums_by_currency
from backend.lending.money import Money
from backend.lending.products import DEFAULT_PRODUCTS
from backend.lending.schedules import Amortization
from backend.services.servicing.credit_lines import (
    Draw,
    OpenLine,
    close_line,
    draw,
    draw_agreement,
    line_view,
    open_line,
)
from backend.services.servicing.disbursement import Disburse, disburse, draw_key
from backend.services.servicing.errors import DrawRefused, LineDrawn, LineNotOpen, NotDisbursable
from backend.services.servicing.ports import CreditLineState
from backend.services.servicing.repayments import RecordRepayment, payoff_quote, record_repayment
from tests.unit.test_servicing_services import DAY, TENANT, FakeUow, an_agreement

PRODUCT = "ngn-line-of-credit"
LIMIT = Money(1_000_000_00, "NGN")


class FakeLines:
    def __init__(self, uow: FakeUow) -> None:
        self.uow = uow
        self.lines: dict[uuid.UUID, CreditLineState] = {}

    def get(
        self, tenant_id: uuid.UUID, line_id: uuid.UUID, *, for_update: bool = False
    ) -> CreditLineState | None:
        return self.lines.get(line_id)

    def for_application(self, tenant_id: uuid.UUID, application_id: uuid.UUID) -> CreditLineState | None:
        return next((line for line in self.lines.values() if line.application_id == application_id), None)

    def add(self, line: CreditLineState) -> None:
        self.lines[line.id] = line

    def save(self, line: CreditLineState) -> None:
        self.lines[line.id] = line

    def _draws(self, line_id: uuid.UUID) -> list:
        return [
            loan
            for loan in self.uow.loans_by_id.values()
            if loan.credit_line_id == line_id and loan.status != "cancelled"
        ]

    def drawn(self, tenant_id: uuid.UUID, line_id: uuid.UUID, currency: str) -> Money:
        return sum_money(
            (d.principal - d.principal_paid for loan in self._draws(line_id) for d in loan.dues), currency
        )

    def open_draws(self, tenant_id: uuid.UUID, line_id: uuid.UUID) -> int:
        return sum(loan.status == "active" for loan in self._draws(line_id))


def an_open_line() -> tuple[FakeUow, CreditLineState]:
    uow = FakeUow(
        an_agreement(
            product_code=PRODUCT, principal=LIMIT, annual_rate=DEFAULT_PRODUCTS[PRODUCT].annual_interest_rate
        )
    )
    uow.credit_lines = FakeLines(uow)
    line = open_line(OpenLine(TENANT, uow.agreement.agreement_id), uow)
    return uow, line


def _draw(uow: FakeUow, line: CreditLineState, amount_minor: int) -> uuid.UUID:
    cmd = Draw(TENANT, line.id, Money(amount_minor, "NGN"), {}, uuid.uuid4())
    return draw(cmd, uow, SandboxPayouts(), DAY).loan_id


def test_opening_a_line_disburses_the_application_but_pays_nothing_out() -> None:
    uow, line = an_open_line()
    assert (line.limit, line.status, uow.app_status) == (LIMIT, "open", "disbursed")
    assert uow.audits == ["credit_line.opened"] and not uow.entries and not uow.loans_by_id
    assert open_line(OpenLine(TENANT, uow.agreement.agreement_id), uow).replayed
    with pytest.raises(NotDisbursable):
        disburse(Disburse(TENANT, uow.agreement.agreement_id, {}), uow, SandboxPayouts(), DAY)


def test_a_term_loan_agreement_opens_no_line() -> None:
    uow = FakeUow(an_agreement())
    uow.credit_lines = FakeLines(uow)
    with pytest.raises(NotDisbursable):
        open_line(OpenLine(TENANT, uow.agreement.agreement_id), uow)


def test_draws_are_loans_on_the_line_terms_and_stop_at_the_limit() -> None:
    uow, line = an_open_line()
    first = _draw(uow, line, 600_000_00)
    loan = uow.loans_by_id[first]
    assert (loan.credit_line_id, loan.term_count, loan.amortization) == (
        line.id,
        line.term_count,
        Amortization.ANNUITY,
    )
    assert draw_key(first) in uow.entries
    assert all(sum(s.values(), 0) == 0 for s in [sums_by_currency(e.postings) for e in uow.entries.values()])
    with pytest.raises(DrawRefused, match="available"):
        _draw(uow, line, 400_000_01)
    with pytest.raises(DrawRefused, match="at least"):
        _draw(uow, line, 1_00)
    _draw(uow, line, 400_000_00)
    assert line_view(TENANT, line.id, uow).available == Money.zero("NGN")


def test_repaying_a_draw_restores_the_limit_and_leaves_the_application_open() -> None:
    uow, line = an_open_line()
    first = _draw(uow, line, 1_000_000_00)
    on = DAY + timedelta(days=3)
    quote = payoff_quote(TENANT, first, on, uow)
    record_repayment(RecordRepayment(TENANT, first, quote.total, on, "psk-1"), uow)
    assert uow.loans_by_id[first].status == "closed" and uow.app_status == "disbursed"
    assert line_view(TENANT, line.id, uow).available == LIMIT
    _draw(uow, line, 1_000_000_00)


def test_a_line_closes_only_with_nothing_drawn_and_then_takes_no_draws() -> None:
    uow, line = an_open_line()
    first = _draw(uow, line, 100_000_00)
    with pytest.raises(LineDrawn):
        close_line(TENANT, line.id, uow, DAY)
    quote = payoff_quote(TENANT, first, DAY, uow)
    record_repayment(RecordRepayment(TENANT, first, quote.total, DAY, "psk-2"), uow)
    closed = close_line(TENANT, line.id, uow, DAY)
    assert (closed.status, uow.app_status) == ("closed", "closed")
    with pytest.raises(LineNotOpen):
        _draw(uow, line, 100_000_00)


def test_draw_agreement_charges_the_product_fee_on_the_amount_drawn() -> None:
    _, line = an_open_line()
    product = DEFAULT_PRODUCTS[PRODUCT]
    terms = draw_agreement(line, Money(200_000_00, "NGN"), product)
    assert terms.principal == Money(200_000_00, "NGN")
    assert terms.origination_fee == product.origination_fee.for_principal(Money(200_000_00, "NGN"))
    assert (terms.annual_rate, terms.term_count, terms.frequency) == (
        line.annual_rate,
        line.term_count,
        line.frequency,
    )
