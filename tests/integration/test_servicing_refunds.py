"""Credit refunds end to end on PostgreSQL: the refund payout is pending until the provider's
outcome is confirmed; paid posts the provider's charge; failed reverses the refund so the credit is
the borrower's again, and a new attempt pays it out to a corrected account."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.engine import build_engine
from backend.adapters.db.ledger_models import LedgerEntry
from backend.adapters.db.ledger_repository import SqlLedger
from backend.adapters.payments.sandbox import SANDBOX_FEE_MINOR, SandboxPayouts
from backend.lending.ledger import AccountKind, AccountRef
from backend.services.servicing.errors import NotRefundable, PayoutStatusConflict
from backend.services.servicing.refunds import RefundCredit, ReportRefundStatus, refund_credit, settle_refund
from backend.services.servicing.repayments import payoff_quote
from tests.integration.conftest import DATABASE_URL, DEMO_AUTH
from tests.integration.servicing_factories import a_tenant, demo_tenant_id
from tests.integration.test_servicing import DAY, DEST, a_loan, assert_books_agree, pay, uow
from tests.integration.test_servicing_gaps import CREDIT_PRODUCT, FAILING, credit_agrees

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


def payout_costs(sessions, tenant_id) -> int:
    with sessions() as s:
        return SqlLedger(s).balance(AccountRef(tenant_id, AccountKind.PAYOUT_COST_EXPENSE, None, "NGN")).minor


def a_closed_loan_with_credit(sessions, tenant_id, credit_minor: int = 1_234_00) -> uuid.UUID:
    loan_id = a_loan(sessions, tenant_id, product_code=CREDIT_PRODUCT)
    on = DAY + timedelta(days=20)
    quote = payoff_quote(tenant_id, loan_id, on, uow(sessions))
    pay(sessions, tenant_id, loan_id, quote.total.minor + credit_minor, on)
    assert credit_agrees(sessions, tenant_id, loan_id) == credit_minor
    return loan_id


def transfer_ids(sessions, tenant_id) -> list[str]:
    with sessions() as s:
        return list(
            s.scalars(
                select(LedgerEntry.transfer_id)
                .where(LedgerEntry.tenant_id == tenant_id)
                .order_by(LedgerEntry.created_at)
            )
        )


def report(sessions, tenant_id, refund, status: str):
    cmd = ReportRefundStatus(tenant_id, refund.id, refund.provider_ref, status)
    return settle_refund(cmd, uow(sessions), SandboxPayouts(), DAY + timedelta(days=21))


def test_an_open_loan_or_one_without_credit_is_not_refundable(sessions, tenant_id):
    open_loan = a_loan(sessions, tenant_id, product_code=CREDIT_PRODUCT)
    with pytest.raises(NotRefundable):
        refund_credit(RefundCredit(tenant_id, open_loan, DEST), uow(sessions), SandboxPayouts(), DAY)
    no_credit = a_closed_loan_with_credit(sessions, tenant_id, 0)
    with pytest.raises(NotRefundable):
        refund_credit(RefundCredit(tenant_id, no_credit, DEST), uow(sessions), SandboxPayouts(), DAY)


def test_a_failed_refund_puts_the_credit_back_and_the_next_attempt_pays_it(sessions, tenant_id):
    loan_id = a_closed_loan_with_credit(sessions, tenant_id)
    on = DAY + timedelta(days=20)
    refund = refund_credit(RefundCredit(tenant_id, loan_id, FAILING), uow(sessions), SandboxPayouts(), on)
    assert (refund.status, refund.attempt, refund.amount.minor) == ("pending", 0, 1_234_00)
    assert credit_agrees(sessions, tenant_id, loan_id) == 0
    # Asking again while it is pending returns it: the provider may still pay it.
    again = refund_credit(RefundCredit(tenant_id, loan_id, DEST), uow(sessions), SandboxPayouts(), on)
    assert again.replayed and again.id == refund.id

    with pytest.raises(PayoutStatusConflict):  # the provider says this payout failed
        report(sessions, tenant_id, refund, "succeeded")
    failed = report(sessions, tenant_id, refund, "failed")
    assert (failed.status, failed.reason, failed.provider_fee.minor) == (
        "failed",
        "beneficiary account not found",
        0,
    )
    assert failed.settled_on == DAY + timedelta(days=21)
    assert report(sessions, tenant_id, refund, "failed").replayed
    assert credit_agrees(sessions, tenant_id, loan_id) == 1_234_00  # the borrower's again
    assert f"credit-refund:{loan_id}:failed" in transfer_ids(sessions, tenant_id)
    assert_books_agree(sessions, tenant_id, loan_id)

    retry = refund_credit(RefundCredit(tenant_id, loan_id, DEST), uow(sessions), SandboxPayouts(), on)
    assert (retry.attempt, retry.status, retry.transfer_id) == (1, "pending", f"credit-refund:{loan_id}:1")
    assert retry.provider_ref != refund.provider_ref and not retry.replayed
    assert credit_agrees(sessions, tenant_id, loan_id) == 0
    cost_before = payout_costs(sessions, tenant_id)
    paid = report(sessions, tenant_id, retry, "succeeded")
    assert (paid.status, paid.provider_fee.minor) == ("paid", SANDBOX_FEE_MINOR)
    assert payout_costs(sessions, tenant_id) == cost_before + SANDBOX_FEE_MINOR
    with pytest.raises(PayoutStatusConflict):  # a paid refund does not fail later
        report(sessions, tenant_id, retry, "failed")
    # Asked again, the paid refund is the answer: it is final and nothing is paid twice.
    final = refund_credit(RefundCredit(tenant_id, loan_id, DEST), uow(sessions), SandboxPayouts(), on)
    assert final.replayed and (final.id, final.status) == (retry.id, "paid")
    assert credit_agrees(sessions, tenant_id, loan_id) == 0
    assert_books_agree(sessions, tenant_id, loan_id)


def test_http_refund_outcome(client, sessions):
    demo = demo_tenant_id(sessions)
    loan_id = a_closed_loan_with_credit(sessions, demo, 700_00)
    refunds = f"/v1/loans/{loan_id}/credit-refunds"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    made = client.post(refunds, json={"destination": FAILING}, headers=DEMO_AUTH | key)
    assert made.status_code == 201, made.text
    refund = made.json()
    assert (refund["status"], refund["attempt"], refund["amount"]["amount_minor"]) == ("pending", 0, 700_00)
    assert client.get(f"/v1/credit-refunds/{refund['id']}", headers=DEMO_AUTH).json()["status"] == "pending"

    url = f"/v1/credit-refunds/{refund['id']}/status"
    wrong = client.post(url, json={"provider_ref": "nope", "status": "failed"}, headers=DEMO_AUTH)
    assert wrong.status_code == 409 and wrong.json()["type"].endswith("payout-status-conflict"), wrong.text
    failed = client.post(
        url, json={"provider_ref": refund["provider_ref"], "status": "failed"}, headers=DEMO_AUTH
    )
    assert failed.status_code == 200, failed.text
    assert (failed.json()["status"], failed.json()["replayed"]) == ("failed", False)
    balance_now = client.get(f"/v1/loans/{loan_id}/balance", headers=DEMO_AUTH).json()
    assert balance_now["credit"]["amount_minor"] == 700_00

    retry = client.post(
        refunds, json={"destination": DEST}, headers=DEMO_AUTH | {"Idempotency-Key": uuid.uuid4().hex}
    )
    assert retry.status_code == 201, retry.text
    assert (retry.json()["attempt"], retry.json()["status"]) == (1, "pending")
    url = f"/v1/credit-refunds/{retry.json()['id']}/status"
    paid = client.post(
        url, json={"provider_ref": retry.json()["provider_ref"], "status": "succeeded"}, headers=DEMO_AUTH
    )
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text
    assert client.get(f"/v1/credit-refunds/{uuid.uuid4()}", headers=DEMO_AUTH).status_code == 404
    assert_books_agree(sessions, demo, loan_id)
