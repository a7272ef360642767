"""Servicing use cases against in-memory fakes of their ports: the rules, without a database."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Self

import pytest

from backend.adapters.payments.sandbox import SandboxPayouts
from backend.lending.dates import Frequency
from backend.lending.ledger import EntryKind, FeeTreatment, JournalEntry, sums_by_currency
from backend.lending.money import Money
from backend.lending.products import DEFAULT_PRODUCTS, Product
from backend.lending.schedules import Amortization
from backend.services.servicing.balances import balance_of
from backend.services.servicing.credit import RefundCredit, apply_credit, refund_credit
from backend.services.servicing.disbursement import Disburse, disburse
from backend.services.servicing.errors import (
    InvalidRepayment,
    LoanNotActive,
    NotDisbursable,
    NotRefundable,
    PayoutStatusConflict,
)
from backend.services.servicing.payouts import ReportPayoutStatus, settle_payout
from backend.services.servicing.ports import (
    CreditRefundRecord,
    DisbursableAgreement,
    DisbursementRecord,
    LoanState,
    PaymentRecord,
)
from backend.services.servicing.refunds import ReportRefundStatus, settle_refund
from backend.services.servicing.repayments import RecordRepayment, payoff_quote, record_repayment

TENANT = uuid.uuid4()
DAY = date(2026, 1, 15)


class FakeCreditRefunds:
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, CreditRefundRecord] = {}

    def latest(self, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> CreditRefundRecord | None:
        mine = [r for r in self.by_id.values() if r.loan_id == loan_id]
        return max(mine, key=lambda r: r.attempt, default=None)

    def get(self, tenant_id: uuid.UUID, refund_id: uuid.UUID, *, for_update: bool = False) -> Any:
        return self.by_id.get(refund_id)

    def add(self, record: CreditRefundRecord) -> None:
        self.by_id[record.id] = record

    def set_outcome(self, record: CreditRefundRecord) -> None:
        self.by_id[record.id] = record


class FakeUow:
    def __init__(self, agreement: DisbursableAgreement) -> None:
        self.agreement = agreement
        self.loans_by_id: dict[uuid.UUID, LoanState] = {}
        self.disbursed: dict[uuid.UUID, DisbursementRecord] = {}
        self.paid: dict[str, PaymentRecord] = {}
        self.entries: dict[str, JournalEntry] = {}
        self.audits: list[str] = []
        self.app_status = agreement.application_status
        self.commits = 0
        self.agreements = self.applications = self.loans = self.disbursements = self
        self.payments = self.ledger = self.audit = self.products = self
        self.credit_refunds = FakeCreditRefunds()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def commit(self) -> None:
        self.commits += 1

    def for_disbursement(self, tenant_id: uuid.UUID, agreement_id: uuid.UUID) -> DisbursableAgreement | None:
        return self.agreement if agreement_id == self.agreement.agreement_id else None

    def set_status(self, tenant_id: uuid.UUID, application_id: uuid.UUID, status: str) -> None:
        self.app_status = status

    def get(self, tenant_id: uuid.UUID, code_or_id: Any, *, for_update: bool = False) -> Any:
        if isinstance(code_or_id, str):
            return DEFAULT_PRODUCTS[code_or_id]
        if payout := next((d for d in self.disbursed.values() if d.id == code_or_id), None):
            return payout
        loan = self.loans_by_id.get(code_or_id)
        return None if loan is None else replace(loan, interest_accrued=dict(loan.interest_accrued))

    def add(self, record: Any) -> None:
        if isinstance(record, LoanState):
            self.loans_by_id[record.id] = record
        elif isinstance(record, DisbursementRecord):
            self.disbursed[self.agreement.application_id] = record
        else:
            self.paid[record.provider_ref] = record

    def save(self, loan: LoanState) -> None:
        self.loans_by_id[loan.id] = loan

    def for_application(self, tenant_id: uuid.UUID, application_id: uuid.UUID) -> DisbursementRecord | None:
        return self.disbursed.get(application_id)

    def failed_count(self, tenant_id: uuid.UUID, application_id: uuid.UUID) -> int:
        return 0

    def by_provider_ref(self, tenant_id: uuid.UUID, provider_ref: str) -> PaymentRecord | None:
        return self.paid.get(provider_ref)

    def entry(self, tenant_id: uuid.UUID, transfer_id: str) -> JournalEntry | None:
        return self.entries.get(transfer_id)

    def post(self, entry: JournalEntry, tenant_id: uuid.UUID) -> None:
        self.entries.setdefault(entry.transfer_id, entry)

    def append(self, tenant_id: uuid.UUID, *, action: str, **_: Any) -> None:
        self.audits.append(action)


def an_agreement(**changes: Any) -> DisbursableAgreement:
    base = DisbursableAgreement(
        tenant_id=TENANT,
        agreement_id=uuid.uuid4(),
        agreement_status="signed",
        application_id=uuid.uuid4(),
        application_status="accepted",
        customer_id=uuid.uuid4(),
        product_code="ngn-working-capital",
        lender_code="l",
        principal=Money(100_000_00, "NGN"),
        annual_rate=Decimal("0.42"),
        term_count=3,
        frequency=Frequency.MONTHLY,
        amortization=Amortization.ANNUITY,
        origination_fee=Money(2_000_00, "NGN"),
        fee_treatment=FeeTreatment.DEDUCTED,
    )
    return replace(base, **changes)


def disbursed(**changes: Any) -> tuple[FakeUow, uuid.UUID]:
    uow = FakeUow(an_agreement(**changes))
    record = disburse(Disburse(TENANT, uow.agreement.agreement_id, {}), uow, SandboxPayouts(), DAY)
    return uow, record.loan_id


def test_disbursement_pays_out_net_of_a_deducted_fee_and_schedules_from_one_period_later():
    uow, loan_id = disbursed()
    loan = uow.loans_by_id[loan_id]
    assert [d.due_date for d in loan.dues] == [date(2026, 2, 15), date(2026, 3, 15), date(2026, 4, 15)]
    assert uow.disbursed[uow.agreement.application_id].amount == Money(98_000_00, "NGN")
    assert uow.app_status == "disbursed" and uow.audits == ["loan.disbursed"]
    (entry,) = uow.entries.values()
    assert entry.kind is EntryKind.DISBURSEMENT and sums_by_currency(entry.postings) == {"NGN": 0}


def test_a_second_disbursement_of_the_same_agreement_returns_the_first():
    uow, loan_id = disbursed()
    again = disburse(Disburse(TENANT, uow.agreement.agreement_id, {}), uow, SandboxPayouts(), DAY)
    assert again.replayed and again.loan_id == loan_id and len(uow.loans_by_id) == 1


@pytest.mark.parametrize("changes", [{"agreement_status": "pending"}, {"application_status": "declined"}])
def test_only_a_signed_agreement_of_an_accepted_application_is_paid_out(changes):
    uow = FakeUow(an_agreement(**changes))
    with pytest.raises(NotDisbursable):
        disburse(Disburse(TENANT, uow.agreement.agreement_id, {}), uow, SandboxPayouts(), DAY)
    assert not uow.entries


def test_paying_the_quote_closes_the_loan_and_the_application():
    uow, loan_id = disbursed()
    on = date(2026, 3, 1)
    quote = payoff_quote(TENANT, loan_id, on, uow)
    record = record_repayment(RecordRepayment(TENANT, loan_id, quote.total, on, "p1"), uow)
    loan = uow.loans_by_id[loan_id]
    assert record.allocation["payoff"] and loan.status == "closed" and uow.app_status == "closed"
    assert balance_of(loan, on).total.minor == 0
    with pytest.raises(LoanNotActive):
        record_repayment(RecordRepayment(TENANT, loan_id, Money(1, "NGN"), on, "p2"), uow)


def test_a_redelivered_payment_changes_nothing():
    uow, loan_id = disbursed()
    cmd = RecordRepayment(TENANT, loan_id, Money(10_000_00, "NGN"), date(2026, 2, 1), "p1")
    first = record_repayment(cmd, uow)
    entries = dict(uow.entries)
    again = record_repayment(cmd, uow)
    assert again.replayed and again.id == first.id and uow.entries == entries


def test_a_payment_in_another_currency_or_before_payout_is_refused():
    uow, loan_id = disbursed()
    with pytest.raises(InvalidRepayment):
        record_repayment(RecordRepayment(TENANT, loan_id, Money(100, "KES"), DAY, "x"), uow)
    with pytest.raises(InvalidRepayment):
        record_repayment(RecordRepayment(TENANT, loan_id, Money(100, "NGN"), date(2026, 1, 1), "y"), uow)


def test_balance_reports_overdue_and_the_next_instalment():
    uow, loan_id = disbursed()
    loan = uow.loans_by_id[loan_id]
    b = balance_of(loan, date(2026, 2, 20))
    first = loan.dues[0]
    assert b.overdue == first.total_outstanding
    assert (b.next_due_date, b.next_due) == (loan.dues[1].due_date, loan.dues[1].total_outstanding)
    assert b.principal == Money(100_000_00, "NGN")


def test_products_used_by_the_fake_are_real_products():
    assert isinstance(DEFAULT_PRODUCTS["ngn-working-capital"], Product)


def test_held_credit_pays_only_what_has_fallen_due_and_is_refunded_after_close():
    uow, loan_id = disbursed(product_code="ngn-bnpl-4")
    dues = uow.loans_by_id[loan_id].dues
    first = dues[0].total_outstanding
    record_repayment(RecordRepayment(TENANT, loan_id, first + Money(1_000_00, "NGN"), DAY, "p1"), uow)
    assert uow.loans_by_id[loan_id].credit_balance.minor == 1_000_00
    assert apply_credit(TENANT, loan_id, dues[1].due_date - timedelta(days=1), uow).amount.minor == 0
    assert apply_credit(TENANT, loan_id, dues[1].due_date, uow).amount.minor == 1_000_00
    entry = uow.entries[f"credit:{loan_id}:{dues[1].due_date.isoformat()}"]
    assert entry.kind is EntryKind.CREDIT_APPLICATION and not any(sums_by_currency(entry.postings).values())
    with pytest.raises(NotRefundable):
        refund_credit(RefundCredit(TENANT, loan_id, {}), uow, SandboxPayouts(), DAY)


def test_a_payout_outcome_is_taken_from_the_provider_not_the_report():
    uow, _ = disbursed()
    record = next(iter(uow.disbursed.values()))
    report = ReportPayoutStatus(TENANT, record.id, record.provider_ref, "failed")
    with pytest.raises(PayoutStatusConflict):  # the sandbox paid this destination out fine
        settle_payout(report, uow, SandboxPayouts(), DAY)


def test_a_failed_refund_payout_reverses_the_refund_and_the_credit_can_be_refunded_again():
    uow, loan_id = disbursed(product_code="ngn-bnpl-4")
    quote = payoff_quote(TENANT, loan_id, DAY, uow)
    record_repayment(RecordRepayment(TENANT, loan_id, quote.total + Money(300_00, "NGN"), DAY, "p1"), uow)
    assert uow.loans_by_id[loan_id].status == "closed"
    failing = {"account_number": "0123450000"}
    first = refund_credit(RefundCredit(TENANT, loan_id, failing), uow, SandboxPayouts(), DAY)
    assert (first.status, first.amount.minor, uow.loans_by_id[loan_id].credit_balance.minor) == (
        "pending",
        300_00,
        0,
    )
    report = ReportRefundStatus(TENANT, first.id, first.provider_ref, "failed")
    failed = settle_refund(report, uow, SandboxPayouts(), DAY)
    assert failed.status == "failed" and uow.loans_by_id[loan_id].credit_balance.minor == 300_00
    reversal = uow.entries[f"{first.transfer_id}:failed"]
    assert reversal.kind is EntryKind.REVERSAL and reversal.effective_date == DAY
    assert uow.audits[-1] == "loan.credit_refund_failed"
    second = refund_credit(RefundCredit(TENANT, loan_id, {}), uow, SandboxPayouts(), DAY)
    assert (second.attempt, second.transfer_id) == (1, f"credit-refund:{loan_id}:1")
