"""Servicing on real PostgreSQL: disbursement, repayments, payoff, late fees, and the books.

After every step the trial balance nets to zero and each receivable equals what the instalments
say is owed and recognised, which is the invariant that ties the loan tables to the ledger."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.engine import build_engine
from backend.adapters.db.ledger_models import LedgerEntry
from backend.adapters.db.ledger_repository import SqlLedger
from backend.adapters.db.lending_models import CreditApplication, Disbursement, Instalment, Loan, Payment
from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork
from backend.adapters.payments.sandbox import SandboxPayouts
from backend.lending.ledger import AccountKind, LoanAccounts
from backend.lending.money import Money
from backend.services.servicing.disbursement import Disburse, disburse
from backend.services.servicing.errors import NotDisbursable, ProviderRefConflict
from backend.services.servicing.repayments import (
    RecordRepayment,
    assess_late_fees,
    payoff_quote,
    record_repayment,
)
from tests.integration.conftest import DATABASE_URL, DEMO_AUTH
from tests.integration.servicing_factories import a_signed_agreement, a_tenant, demo_tenant_id

pytestmark = pytest.mark.integration
DAY = date(2026, 1, 15)
DEST = {"bank_code": "058", "account_number": "0123456789"}


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


def uow(sessions: sessionmaker[Session]) -> SqlServicingUnitOfWork:
    return SqlServicingUnitOfWork(sessions)


def a_loan(sessions, tenant_id, **kwargs) -> uuid.UUID:
    agreement_id = a_signed_agreement(sessions, tenant_id, **kwargs)
    return disburse(Disburse(tenant_id, agreement_id, DEST), uow(sessions), SandboxPayouts(), DAY).loan_id


def pay(sessions, tenant_id, loan_id, minor: int, on: date, ref: str | None = None):
    cmd = RecordRepayment(tenant_id, loan_id, Money(minor, "NGN"), on, ref or uuid.uuid4().hex)
    return record_repayment(cmd, uow(sessions))


def instalments(sessions, loan_id) -> list[Instalment]:
    with sessions() as s:
        return list(
            s.scalars(select(Instalment).where(Instalment.loan_id == loan_id).order_by(Instalment.number))
        )


def assert_books_agree(sessions, tenant_id, loan_id) -> None:
    """Trial balance nets to zero; receivables equal the instalments' outstanding amounts."""
    rows = instalments(sessions, loan_id)
    with sessions() as s:
        ledger = SqlLedger(s)
        assert sum(m.minor for m in ledger.trial_balance(tenant_id).values()) == 0
        accounts = LoanAccounts(tenant_id, loan_id, "NGN")
        bal = {k: ledger.balance(accounts[k]).minor for k in AccountKind}
    assert bal[AccountKind.PRINCIPAL_RECEIVABLE] == sum(
        r.principal_minor - r.paid_principal_minor for r in rows
    )
    assert bal[AccountKind.INTEREST_RECEIVABLE] == sum(
        r.interest_accrued_minor - r.paid_interest_minor for r in rows
    )
    assert bal[AccountKind.FEES_RECEIVABLE] == sum(r.fees_minor - r.paid_fees_minor for r in rows)
    for r in rows:
        assert 0 <= r.paid_principal_minor <= r.principal_minor
        assert 0 <= r.paid_interest_minor <= r.interest_minor
        assert 0 <= r.paid_fees_minor <= r.fees_minor


def count(sessions, model, *where) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_disburse_repay_in_parts_then_pay_off_closes_the_loan(sessions, tenant_id):
    loan_id = a_loan(sessions, tenant_id)
    assert_books_agree(sessions, tenant_id, loan_id)
    with sessions() as s:
        loan = s.get(Loan, loan_id)
        assert loan.status == "active" and loan.disbursed_on == DAY
        assert s.get(CreditApplication, loan.application_id).status == "disbursed"
        payout = s.scalars(select(Disbursement).where(Disbursement.loan_id == loan_id)).one()
        assert payout.amount_minor == 100_000_00 - 2_500_00  # the fee is deducted from the proceeds
    rows = instalments(sessions, loan_id)
    assert len(rows) == 6 and rows[0].due_date == date(2026, 2, 15)
    assert sum(r.principal_minor for r in rows) == 100_000_00

    first = rows[0].principal_minor + rows[0].interest_minor
    pay(sessions, tenant_id, loan_id, first // 2, date(2026, 2, 10))
    assert_books_agree(sessions, tenant_id, loan_id)
    pay(sessions, tenant_id, loan_id, first - first // 2, date(2026, 2, 15))
    assert_books_agree(sessions, tenant_id, loan_id)
    assert instalments(sessions, loan_id)[0].paid_principal_minor == rows[0].principal_minor

    on = date(2026, 3, 1)
    quote = payoff_quote(tenant_id, loan_id, on, uow(sessions))
    assert quote.principal.minor == sum(r.principal_minor for r in rows[1:])
    assert 0 < quote.interest.minor < rows[1].interest_minor  # half a period's interest, not a full one
    payment = pay(sessions, tenant_id, loan_id, quote.total.minor, on)
    assert payment.allocation["payoff"] is True and payment.allocation["credit_minor"] == 0
    assert_books_agree(sessions, tenant_id, loan_id)
    with sessions() as s:
        loan = s.get(Loan, loan_id)
        assert (loan.status, loan.closed_on) == ("closed", on)
        assert s.get(CreditApplication, loan.application_id).status == "closed"
        ledger = SqlLedger(s)
        accounts = LoanAccounts(tenant_id, loan_id, "NGN")
        for kind in (
            AccountKind.PRINCIPAL_RECEIVABLE,
            AccountKind.INTEREST_RECEIVABLE,
            AccountKind.FEES_RECEIVABLE,
        ):
            assert ledger.balance(accounts[kind]).minor == 0


def test_a_financed_fee_is_lent_and_repaid_with_the_principal(sessions, tenant_id):
    loan_id = a_loan(sessions, tenant_id, fee_treatment="financed")
    rows = instalments(sessions, loan_id)
    assert sum(r.principal_minor for r in rows) == 100_000_00 + 2_500_00
    with sessions() as s:
        assert (
            s.scalars(select(Disbursement.amount_minor).where(Disbursement.loan_id == loan_id)).one()
            == 100_000_00
        )
    assert_books_agree(sessions, tenant_id, loan_id)


def test_a_disbursement_retry_returns_the_first_and_posts_nothing(sessions, tenant_id):
    agreement_id = a_signed_agreement(sessions, tenant_id)
    cmd = Disburse(tenant_id, agreement_id, DEST)
    first = disburse(cmd, uow(sessions), SandboxPayouts(), DAY)
    entries = count(sessions, LedgerEntry, LedgerEntry.tenant_id == tenant_id)
    again = disburse(cmd, uow(sessions), SandboxPayouts(), DAY + timedelta(days=1))
    assert again.replayed and (again.id, again.loan_id, again.provider_ref) == (
        first.id,
        first.loan_id,
        first.provider_ref,
    )
    assert count(sessions, LedgerEntry, LedgerEntry.tenant_id == tenant_id) == entries
    assert count(sessions, Loan, Loan.tenant_id == tenant_id) == 1


def test_an_unsigned_agreement_or_unaccepted_application_is_not_paid_out(sessions, tenant_id):
    for kwargs in ({"agreement_status": "pending"}, {"application_status": "approved"}):
        agreement_id = a_signed_agreement(sessions, tenant_id, **kwargs)
        with pytest.raises(NotDisbursable):
            disburse(Disburse(tenant_id, agreement_id, DEST), uow(sessions), SandboxPayouts(), DAY)
    assert count(sessions, LedgerEntry, LedgerEntry.tenant_id == tenant_id) == 0


def test_fifty_redeliveries_of_one_payment_record_it_once(sessions, tenant_id):
    loan_id = a_loan(sessions, tenant_id)
    results, errors = [], []
    barrier = threading.Barrier(50)

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(pay(sessions, tenant_id, loan_id, 10_000_00, date(2026, 2, 1), ref="psk_same_ref"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({r.id for r in results}) == 1 and sum(not r.replayed for r in results) == 1
    assert (
        count(sessions, Payment, Payment.provider_ref == "psk_same_ref", Payment.tenant_id == tenant_id) == 1
    )
    assert (
        count(
            sessions,
            LedgerEntry,
            LedgerEntry.transfer_id == "psk_same_ref",
            LedgerEntry.tenant_id == tenant_id,
        )
        == 1
    )
    assert_books_agree(sessions, tenant_id, loan_id)


def test_a_redelivery_with_a_different_amount_is_refused(sessions, tenant_id):
    loan_id = a_loan(sessions, tenant_id)
    pay(sessions, tenant_id, loan_id, 5_000_00, date(2026, 2, 1), ref="ref-1")
    with pytest.raises(ProviderRefConflict):
        pay(sessions, tenant_id, loan_id, 6_000_00, date(2026, 2, 1), ref="ref-1")


def test_concurrent_different_payments_both_apply_without_over_allocation(sessions, tenant_id):
    loan_id = a_loan(sessions, tenant_id, term_count=3)
    rows = instalments(sessions, loan_id)
    owed = sum(r.principal_minor + r.interest_minor for r in rows)
    amount = owed * 2 // 5  # two payments together cover 80% of everything scheduled
    errors: list[Exception] = []
    barrier = threading.Barrier(2)

    def send(ref: str) -> None:
        try:
            barrier.wait()
            pay(sessions, tenant_id, loan_id, amount, date(2026, 2, 15), ref=ref)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(f"pay-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert count(sessions, Payment, Payment.loan_id == loan_id) == 2
    after = instalments(sessions, loan_id)
    paid = sum(r.paid_principal_minor + r.paid_interest_minor + r.paid_fees_minor for r in after)
    assert paid == 2 * amount
    assert_books_agree(sessions, tenant_id, loan_id)
    with sessions() as s:
        payments = s.scalars(
            select(Payment).where(Payment.loan_id == loan_id).order_by(Payment.created_at)
        ).all()
        # The second payment was allocated after the first: it never re-pays instalment 1.
        first_parts = {p["number"] for p in payments[0].allocation["parts"]}
        second_parts = {p["number"] for p in payments[1].allocation["parts"]}
        assert 1 in first_parts and 1 not in second_parts


def test_late_fees_are_charged_once_per_missed_instalment_after_grace(sessions, tenant_id):
    loan_id = a_loan(sessions, tenant_id)
    due = instalments(sessions, loan_id)[0].due_date
    assert assess_late_fees(tenant_id, loan_id, due + timedelta(days=3), uow(sessions)).fees == ()  # in grace
    charged = assess_late_fees(tenant_id, loan_id, due + timedelta(days=4), uow(sessions))
    assert [n for n, _ in charged.fees] == [1]
    assert assess_late_fees(tenant_id, loan_id, due + timedelta(days=5), uow(sessions)).fees == ()
    rows = instalments(sessions, loan_id)
    assert rows[0].fees_minor == charged.fees[0][1].minor and rows[0].late_fee_assessed_on is not None
    assert rows[0].interest_accrued_minor == rows[0].interest_minor  # due interest is recognised
    assert_books_agree(sessions, tenant_id, loan_id)
    pay(sessions, tenant_id, loan_id, 1_000_00, due + timedelta(days=6))
    assert instalments(sessions, loan_id)[0].paid_fees_minor == 1_000_00  # fees first, per product
    assert_books_agree(sessions, tenant_id, loan_id)


# --- over HTTP ---------------------------------------------------------------------------------


def test_http_disburse_repay_replay_and_read_the_loan(client, sessions):
    tenant_id = demo_tenant_id(sessions)
    agreement_id = a_signed_agreement(sessions, tenant_id)
    body = {"agreement_id": str(agreement_id), "destination": DEST}
    key = {"Idempotency-Key": f"disb-{uuid.uuid4()}"}
    r = client.post("/v1/disbursements", json=body, headers=DEMO_AUTH | key)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["amount"]["amount_minor"] == 97_500_00 and out["provider"] == "sandbox"
    assert client.post("/v1/disbursements", json=body, headers=DEMO_AUTH | key).json() == out
    loan_id = out["loan_id"]

    loan = client.get(f"/v1/loans/{loan_id}", headers=DEMO_AUTH).json()
    assert loan["status"] == "active" and loan["principal"]["formatted"]
    schedule = client.get(f"/v1/loans/{loan_id}/schedule", headers=DEMO_AUTH).json()["instalments"]
    assert len(schedule) == 6
    today = date.fromisoformat(loan["disbursed_on"])

    pay_body = {
        "amount": {"amount_minor": 20_000_00, "currency": "NGN"},
        "received_on": today.isoformat(),
        "provider_ref": f"psk-{uuid.uuid4().hex}",
    }
    pkey = {"Idempotency-Key": f"rep-{uuid.uuid4()}"}
    r = client.post(f"/v1/loans/{loan_id}/repayments", json=pay_body, headers=DEMO_AUTH | pkey)
    assert r.status_code == 201, r.text
    first = r.json()
    replay = client.post(f"/v1/loans/{loan_id}/repayments", json=pay_body, headers=DEMO_AUTH | pkey)
    assert replay.json() == first
    other = pay_body | {"amount": {"amount_minor": 1_000_00, "currency": "NGN"}}
    r = client.post(f"/v1/loans/{loan_id}/repayments", json=other, headers=DEMO_AUTH | pkey)
    assert r.status_code == 422 and r.json()["type"].endswith("idempotency-key-reused")
    # Same provider_ref under a new key: the payment already recorded, nothing new posted.
    again = client.post(
        f"/v1/loans/{loan_id}/repayments",
        json=pay_body,
        headers=DEMO_AUTH | {"Idempotency-Key": "k-" + uuid.uuid4().hex},
    )
    assert again.status_code == 201 and again.json()["id"] == first["id"]

    balance = client.get(f"/v1/loans/{loan_id}/balance", headers=DEMO_AUTH).json()
    assert balance["principal"]["amount_minor"] < 100_000_00 and balance["next_due_date"]
    ledger = client.get(f"/v1/loans/{loan_id}/ledger", headers=DEMO_AUTH).json()["entries"]
    assert [e["kind"] for e in ledger].count("repayment") == 1
    assert all(sum(p["amount"]["amount_minor"] for p in e["postings"]) == 0 for e in ledger)

    on = (today + timedelta(days=10)).isoformat()
    quote = client.get(f"/v1/loans/{loan_id}/payoff-quote", params={"on": on}, headers=DEMO_AUTH).json()
    payoff = {"amount": quote["total"] | {}, "received_on": on, "provider_ref": f"psk-{uuid.uuid4().hex}"}
    payoff["amount"] = {"amount_minor": quote["total"]["amount_minor"], "currency": "NGN"}
    r = client.post(f"/v1/loans/{loan_id}/repayments", json=payoff, headers=DEMO_AUTH)
    assert r.status_code == 201 and r.json()["loan_status"] == "closed", r.text
    r = client.post(
        f"/v1/loans/{loan_id}/repayments", json=pay_body | {"provider_ref": "late"}, headers=DEMO_AUTH
    )
    assert r.status_code == 409

    tb = client.get("/v1/ledger/trial-balance", headers=DEMO_AUTH).json()
    assert all(t["amount_minor"] == 0 for t in tb["totals"])

    page = client.get("/v1/loans", params={"limit": 1}, headers=DEMO_AUTH).json()
    assert len(page["items"]) == 1
    assert client.get(f"/v1/loans/{uuid.uuid4()}", headers=DEMO_AUTH).status_code == 404


def test_http_fifty_concurrent_posts_with_one_key_make_one_payment(client, sessions):
    tenant_id = demo_tenant_id(sessions)
    agreement_id = a_signed_agreement(sessions, tenant_id)
    r = client.post(
        "/v1/disbursements", json={"agreement_id": str(agreement_id), "destination": DEST}, headers=DEMO_AUTH
    )
    loan_id = r.json()["loan_id"]
    ref = f"psk-{uuid.uuid4().hex}"
    body = {
        "amount": {"amount_minor": 5_000_00, "currency": "NGN"},
        "received_on": r.json()["expected_arrival"],
        "provider_ref": ref,
    }
    codes: list[int] = []
    barrier = threading.Barrier(50)

    def post() -> None:
        barrier.wait()
        codes.append(
            client.post(
                f"/v1/loans/{loan_id}/repayments", json=body, headers=DEMO_AUTH | {"Idempotency-Key": ref}
            ).status_code
        )

    threads = [threading.Thread(target=post) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(codes) <= {201, 409} and 201 in codes
    assert count(sessions, Payment, Payment.provider_ref == ref) == 1
    assert count(sessions, LedgerEntry, LedgerEntry.transfer_id == ref) == 1


def test_an_invoice_advance_earns_interest_from_the_payout_not_the_offer(sessions, tenant_id):
    """Offered on DAY for an invoice due 60 days later, paid out ten days after the offer: the
    borrower owes interest for the 50 days the money is out, actual/365, rounded half-up."""
    due = DAY + timedelta(days=60)
    agreement_id = a_signed_agreement(
        sessions,
        tenant_id,
        amount_minor=1_200_000_00,
        term_count=1,
        amortization="bullet",
        annual_rate="0.30",
        fee_minor=0,
        product_code="ngn-invoice-financing",
        maturity=due,
    )
    paid_on = DAY + timedelta(days=10)
    record = disburse(Disburse(tenant_id, agreement_id, DEST), uow(sessions), SandboxPayouts(), paid_on)
    (row,) = instalments(sessions, record.loan_id)
    assert row.due_date == due
    assert row.interest_minor == 4_931_507  # 1,200,000.00 x 0.30 x 50 / 365 = 49,315.068...
    offer_day_interest = 1_200_000_00 * 30 * 60 // (100 * 365)
    assert row.interest_minor < offer_day_interest
    with sessions() as s:
        assert s.get(Loan, record.loan_id).disbursed_on == paid_on
    pay(sessions, tenant_id, record.loan_id, 1_200_000_00 + 4_931_507, due)
    with sessions() as s:
        assert s.get(Loan, record.loan_id).status == "closed"
    assert_books_agree(sessions, tenant_id, record.loan_id)


def test_an_invoice_advance_is_not_paid_out_on_or_after_the_invoice_due_date(sessions, tenant_id):
    due = DAY + timedelta(days=30)
    agreement_id = a_signed_agreement(
        sessions,
        tenant_id,
        term_count=1,
        amortization="bullet",
        fee_minor=0,
        product_code="ngn-invoice-financing",
        maturity=due,
    )
    with pytest.raises(NotDisbursable):
        disburse(Disburse(tenant_id, agreement_id, DEST), uow(sessions), SandboxPayouts(), due)
    record = disburse(
        Disburse(tenant_id, agreement_id, DEST), uow(sessions), SandboxPayouts(), due - timedelta(days=1)
    )
    (row,) = instalments(sessions, record.loan_id)
    assert row.interest_minor == 11_507  # 100,000.00 x 0.42 / 365 = 115.068..., one day
