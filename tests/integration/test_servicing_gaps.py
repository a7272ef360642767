"""Customer credit (applied when due, refunded after close), the daily servicing pass and payout
outcomes, on real PostgreSQL, with the books checked after each step."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.engine import build_engine
from backend.adapters.db.ledger_models import LedgerEntry
from backend.adapters.db.ledger_repository import SqlLedger
from backend.adapters.db.lending_models import CreditApplication, Disbursement, Loan
from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork, loan_state
from backend.adapters.payments.sandbox import SANDBOX_FEE_MINOR, SandboxPayouts
from backend.lending.ledger import AccountKind, AccountRef, LoanAccounts
from backend.services.servicing.balances import balance_of
from backend.services.servicing.credit import RefundCredit, apply_credit, refund_credit
from backend.services.servicing.daily import run_daily
from backend.services.servicing.disbursement import Disburse, disburse
from backend.services.servicing.errors import NotRefundable, PayoutStatusConflict
from backend.services.servicing.payouts import ReportPayoutStatus, settle_payout
from backend.services.servicing.repayments import payoff_quote
from tests.integration.conftest import DATABASE_URL, DEMO_AUTH
from tests.integration.servicing_factories import a_signed_agreement, a_tenant, demo_tenant_id
from tests.integration.test_servicing import DAY, DEST, a_loan, assert_books_agree, instalments, pay, uow
from tests.integration.worker_process import celery_worker

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine(migrated) -> Iterator[Engine]:
    engine = build_engine(DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture()
def sessions(engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture()
def tenant_id(sessions) -> uuid.UUID:
    return a_tenant(sessions)


CREDIT_PRODUCT = "ngn-bnpl-4"  # overpayment rule: hold_as_credit
FAILING = {"bank_code": "058", "account_number": "0123450000"}  # sandbox: ends in 0000, fails


def entries(sessions, tenant_id) -> int:
    with sessions() as s:
        return s.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.tenant_id == tenant_id)
        )


def balance(sessions, tenant_id, loan_id, kind: AccountKind) -> int:
    with sessions() as s:
        return SqlLedger(s).balance(LoanAccounts(tenant_id, loan_id, "NGN")[kind]).minor


def credit_agrees(sessions, tenant_id, loan_id) -> int:
    """The loan's credit balance equals the customer credit account (a liability: negative)."""
    with sessions() as s:
        held = s.get(Loan, loan_id).credit_balance_minor
    assert balance(sessions, tenant_id, loan_id, AccountKind.CUSTOMER_CREDIT) == -held
    return held


def test_held_credit_is_shown_then_applied_when_the_next_instalment_falls_due(sessions, tenant_id):
    loan_id = a_loan(sessions, tenant_id, product_code=CREDIT_PRODUCT)
    first, second = instalments(sessions, loan_id)[:2]
    owed_first = first.principal_minor + first.interest_minor
    pay(sessions, tenant_id, loan_id, owed_first + 5_000_00, first.due_date - timedelta(days=5))
    assert credit_agrees(sessions, tenant_id, loan_id) == 5_000_00
    with sessions() as s:
        shown = balance_of(loan_state(s, tenant_id, loan_id), first.due_date)
    assert shown.credit.minor == 5_000_00

    # Not yet due: credit is not a prepayment.
    assert (
        apply_credit(tenant_id, loan_id, second.due_date - timedelta(days=1), uow(sessions)).amount.minor == 0
    )
    applied = apply_credit(tenant_id, loan_id, second.due_date, uow(sessions))
    assert applied.amount.minor == 5_000_00
    assert credit_agrees(sessions, tenant_id, loan_id) == 0
    row = instalments(sessions, loan_id)[1]
    assert row.paid_interest_minor + row.paid_principal_minor + row.paid_fees_minor == 5_000_00
    assert_books_agree(sessions, tenant_id, loan_id)

    before = entries(sessions, tenant_id)
    assert apply_credit(tenant_id, loan_id, second.due_date, uow(sessions)).amount.minor == 0
    assert entries(sessions, tenant_id) == before


def test_a_closed_loans_credit_is_refunded_once(sessions, tenant_id):
    loan_id = a_loan(sessions, tenant_id, product_code=CREDIT_PRODUCT)
    on = DAY + timedelta(days=20)
    with pytest.raises(NotRefundable):
        refund_credit(RefundCredit(tenant_id, loan_id, DEST), uow(sessions), SandboxPayouts(), on)
    quote = payoff_quote(tenant_id, loan_id, on, uow(sessions))
    pay(sessions, tenant_id, loan_id, quote.total.minor + 1_234_00, on)
    with sessions() as s:
        assert s.get(Loan, loan_id).status == "closed"
    assert credit_agrees(sessions, tenant_id, loan_id) == 1_234_00

    refund = refund_credit(RefundCredit(tenant_id, loan_id, DEST), uow(sessions), SandboxPayouts(), on)
    assert refund.amount.minor == 1_234_00 and not refund.replayed
    assert credit_agrees(sessions, tenant_id, loan_id) == 0
    assert_books_agree(sessions, tenant_id, loan_id)
    before = entries(sessions, tenant_id)
    again = refund_credit(RefundCredit(tenant_id, loan_id, DEST), uow(sessions), SandboxPayouts(), on)
    assert again.replayed and (again.provider_ref, again.amount) == (refund.provider_ref, refund.amount)
    assert entries(sessions, tenant_id) == before


def test_the_daily_pass_books_interest_applies_credit_and_charges_late_fees_once(sessions, tenant_id):
    late = a_loan(sessions, tenant_id)
    with_credit = a_loan(sessions, tenant_id, product_code=CREDIT_PRODUCT)
    first = instalments(sessions, with_credit)[0]
    pay(sessions, tenant_id, with_credit, first.principal_minor + first.interest_minor + 3_000_00, DAY)
    day = instalments(sessions, late)[1].due_date + timedelta(days=4)  # two missed, both past grace

    def new_uow() -> SqlServicingUnitOfWork:
        return uow(sessions)

    run = run_daily(day, new_uow)
    assert not run.failed and run.late_fees >= 2 and run.credit_applied >= 1
    rows = instalments(sessions, late)
    assert [r.late_fee_assessed_on for r in rows[:2]] == [day, day]
    assert all(r.interest_accrued_minor == r.interest_minor for r in rows[:2])
    assert credit_agrees(sessions, tenant_id, with_credit) == 0
    for loan_id in (late, with_credit):
        assert_books_agree(sessions, tenant_id, loan_id)

    before = entries(sessions, tenant_id)
    again = run_daily(day, new_uow)
    assert (again.late_fees, again.credit_applied, again.failed) == (0, 0, [])
    assert entries(sessions, tenant_id) == before


def test_the_daily_pass_goes_by_pages_and_one_failing_loan_spares_the_rest_of_its_page(sessions, tenant_id):
    """Five late loans, pages of two: the loan whose product cannot be found fails alone (its
    savepoint is rolled back), its page neighbour and every other page are serviced, and the
    failed loan is serviced by the next run once it is fixed."""
    loans = [a_loan(sessions, tenant_id) for _ in range(5)]
    broken = sorted(loans)[2]  # the middle one in keyset order, so it shares a page with another
    with sessions.begin() as s:
        s.get(Loan, broken).product_code = "no-such-product"
    day = instalments(sessions, loans[0])[0].due_date + timedelta(days=4)

    run = run_daily(day, lambda: uow(sessions), page_size=2)
    assert [loan_id for loan_id, _ in run.failed] == [broken]
    assert "NotFound" in run.failed[0][1]
    assert run.pages >= 3 and run.loans >= 5
    for loan_id in loans:
        charged = instalments(sessions, loan_id)[0].late_fee_assessed_on
        assert charged == (None if loan_id == broken else day), loan_id
        assert_books_agree(sessions, tenant_id, loan_id)

    with sessions.begin() as s:
        s.get(Loan, broken).product_code = "ngn-working-capital"
    again = run_daily(day, lambda: uow(sessions), page_size=2)
    assert again.failed == [] and again.late_fees >= 1
    assert instalments(sessions, broken)[0].late_fee_assessed_on == day
    assert_books_agree(sessions, tenant_id, broken)


# --- payout outcomes -----------------------------------------------------------------------------


def _payout(sessions, tenant_id, destination) -> Disbursement:
    agreement_id = a_signed_agreement(sessions, tenant_id)
    record = disburse(Disburse(tenant_id, agreement_id, destination), uow(sessions), SandboxPayouts(), DAY)
    with sessions() as s:
        return s.get(Disbursement, record.id)


def _report(sessions, tenant_id, row: Disbursement, status: str):
    cmd = ReportPayoutStatus(tenant_id, row.id, row.provider_ref, status)
    return settle_payout(cmd, uow(sessions), SandboxPayouts(), DAY + timedelta(days=1))


def _trial_balance(sessions, tenant_id) -> dict[AccountKind, int]:
    with sessions() as s:
        tb = SqlLedger(s).trial_balance(tenant_id)
    assert sum(m.minor for m in tb.values()) == 0
    return {kind: m.minor for (kind, _), m in tb.items()}


def test_a_succeeded_payout_posts_the_providers_charge_once(sessions, tenant_id):
    row = _payout(sessions, tenant_id, DEST)
    assert row.status == "pending"
    with pytest.raises(PayoutStatusConflict):  # the provider says it succeeded
        _report(sessions, tenant_id, row, "failed")
    record = _report(sessions, tenant_id, row, "succeeded")
    assert (record.status, record.provider_fee.minor) == ("succeeded", SANDBOX_FEE_MINOR)
    tb = _trial_balance(sessions, tenant_id)
    assert tb[AccountKind.PAYOUT_COST_EXPENSE] == SANDBOX_FEE_MINOR
    assert tb[AccountKind.DISBURSEMENT_SETTLEMENT] == -(row.amount_minor + SANDBOX_FEE_MINOR)
    before = entries(sessions, tenant_id)
    assert _report(sessions, tenant_id, row, "succeeded").replayed
    assert entries(sessions, tenant_id) == before
    assert_books_agree(sessions, tenant_id, row.loan_id)


def test_a_failed_payout_reverses_the_disbursement_and_cancels_the_loan(sessions, tenant_id):
    row = _payout(sessions, tenant_id, FAILING)
    record = _report(sessions, tenant_id, row, "failed")
    assert record.status == "failed" and record.provider_fee.minor == 0
    with sessions() as s:
        loan = s.get(Loan, row.loan_id)
        assert loan.status == "cancelled"
        assert s.get(CreditApplication, loan.application_id).status == "accepted"
        agreement_id = loan.agreement_id
    tb = _trial_balance(sessions, tenant_id)
    assert all(v == 0 for v in tb.values()), tb  # as if the payout never happened
    for kind in (AccountKind.PRINCIPAL_RECEIVABLE, AccountKind.FEES_RECEIVABLE):
        assert balance(sessions, tenant_id, row.loan_id, kind) == 0
    before = entries(sessions, tenant_id)
    assert _report(sessions, tenant_id, row, "failed").replayed
    with pytest.raises(PayoutStatusConflict):
        _report(sessions, tenant_id, row, "succeeded")
    assert entries(sessions, tenant_id) == before

    # The agreement still stands: paid out again to a corrected account, under a new attempt key.
    retry = disburse(Disburse(tenant_id, agreement_id, DEST), uow(sessions), SandboxPayouts(), DAY)
    assert retry.loan_id != row.loan_id and retry.provider_ref != row.provider_ref
    with sessions() as s:
        assert s.get(Loan, retry.loan_id).status == "active"
        settlement = SqlLedger(s).balance(
            AccountRef(tenant_id, AccountKind.DISBURSEMENT_SETTLEMENT, None, "NGN")
        )
    assert settlement.minor == -retry.amount.minor
    assert_books_agree(sessions, tenant_id, retry.loan_id)


# --- over HTTP -----------------------------------------------------------------------------------


def test_http_payout_status_and_credit_refund(client, sessions):
    demo = demo_tenant_id(sessions)
    agreement_id = a_signed_agreement(sessions, demo, product_code=CREDIT_PRODUCT)
    body = {"agreement_id": str(agreement_id), "destination": DEST}
    r = client.post("/v1/disbursements", json=body, headers=DEMO_AUTH | {"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    disbursement = r.json()
    status = {"provider_ref": disbursement["provider_ref"], "status": "succeeded"}
    url = f"/v1/disbursements/{disbursement['id']}/status"
    first = client.post(url, json=status, headers=DEMO_AUTH)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "succeeded" and not first.json()["replayed"]
    assert client.post(url, json=status, headers=DEMO_AUTH).json()["replayed"]
    conflict = client.post(url, json=status | {"status": "failed"}, headers=DEMO_AUTH)
    assert conflict.status_code == 409 and conflict.json()["type"].endswith("payout-status-conflict")

    loan_id = disbursement["loan_id"]
    refunds = f"/v1/loans/{loan_id}/credit-refunds"
    refused = client.post(refunds, json={"destination": DEST}, headers=DEMO_AUTH)
    assert refused.status_code == 409, refused.text
    today = date.fromisoformat(client.get(f"/v1/loans/{loan_id}", headers=DEMO_AUTH).json()["disbursed_on"])
    quote = client.get(f"/v1/loans/{loan_id}/payoff-quote", headers=DEMO_AUTH).json()["total"]["amount_minor"]
    pay(sessions, demo, uuid.UUID(loan_id), quote + 500_00, today)
    assert (
        client.get(f"/v1/loans/{loan_id}/balance", headers=DEMO_AUTH).json()["credit"]["amount_minor"]
        == 500_00
    )

    key = {"Idempotency-Key": uuid.uuid4().hex}
    made = client.post(refunds, json={"destination": DEST}, headers=DEMO_AUTH | key)
    assert made.status_code == 201, made.text
    assert made.json()["amount"]["amount_minor"] == 500_00
    assert client.post(refunds, json={"destination": DEST}, headers=DEMO_AUTH | key).json() == made.json()
    other_key = client.post(
        refunds,
        json={"destination": DEST},
        headers=DEMO_AUTH | {"Idempotency-Key": "x" + key["Idempotency-Key"]},
    )
    assert other_key.status_code == 201 and other_key.json()["replayed"]
    assert client.get(f"/v1/loans/{loan_id}/balance", headers=DEMO_AUTH).json()["credit"]["amount_minor"] == 0
    assert_books_agree(sessions, demo, uuid.UUID(loan_id))


# --- through a real Celery worker ----------------------------------------------------------------


@pytest.fixture(scope="module")
def worker(client, tmp_path_factory):
    with celery_worker(tmp_path_factory.mktemp("servicing-worker") / "worker.log") as proc:
        yield proc


def test_the_daily_task_runs_in_a_real_worker_and_twice_changes_nothing(sessions, tenant_id, worker):
    from backend.worker.app import celery_app
    from backend.worker.tasks import servicing_daily

    assert celery_app.conf.beat_schedule["servicing-daily"]["task"] == "servicing.daily"
    loan_id = a_loan(sessions, tenant_id)
    day = instalments(sessions, loan_id)[0].due_date + timedelta(days=4)
    first = servicing_daily.delay(day.isoformat()).get(timeout=60)
    assert first["on"] == day.isoformat() and first["loans"] >= 1 and str(loan_id) not in first["failed"]
    assert instalments(sessions, loan_id)[0].late_fee_assessed_on == day
    assert_books_agree(sessions, tenant_id, loan_id)
    before = entries(sessions, tenant_id)
    second = servicing_daily.delay(day.isoformat()).get(timeout=60)
    assert (second["late_fees"], second["credit_applied"]) == (0, 0)
    assert entries(sessions, tenant_id) == before
