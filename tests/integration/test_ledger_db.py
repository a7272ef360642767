"""The ledger on real PostgreSQL: the database keeps the books balanced and append-only even for
code that bypasses the domain, and transfer ids make posting idempotent under concurrency."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.engine import build_engine
from backend.adapters.db.ledger_models import LedgerAccount, LedgerEntry, LedgerPosting
from backend.adapters.db.ledger_repository import PostedEntry, SqlLedger
from backend.adapters.db.models import Tenant
from backend.lending.ledger import (
    AccountKind,
    AlreadyReversed,
    FeeTreatment,
    LoanAccounts,
    RepaymentParts,
    TransferIdConflict,
    disbursement,
    fee_charge,
    interest_accrual,
    repayment,
    reverse,
)
from backend.lending.money import Money
from tests.integration.conftest import DATABASE_URL

pytestmark = pytest.mark.integration
DAY = date(2026, 11, 29)
K = AccountKind


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
    """A tenant of its own per test, so balances and counts see only this test's rows."""
    tenant = Tenant(
        slug=f"ledger-{uuid.uuid4().hex[:12]}",
        name="Ledger test",
        default_locale="en",
        default_currency="NGN",
    )
    with sessions.begin() as session:
        session.add(tenant)
    return tenant.id


def a_loan(tenant_id: uuid.UUID, currency: str = "NGN") -> LoanAccounts:
    return LoanAccounts(tenant_id, uuid.uuid4(), currency)


def a_disbursement(loan: LoanAccounts, transfer_id: str = "disb-1", principal: int = 100_000):
    return disbursement(
        transfer_id,
        loan=loan,
        principal=Money(principal, loan.currency),
        origination_fee=Money(principal // 50, loan.currency),
        treatment=FeeTreatment.DEDUCTED,
        on=DAY,
    )


def post(sessions: sessionmaker[Session], entry, tenant_id: uuid.UUID) -> PostedEntry:
    with sessions.begin() as session:
        return SqlLedger(session).post(entry, tenant_id)


def entry_count(sessions: sessionmaker[Session], tenant_id: uuid.UUID, transfer_id: str) -> int:
    with sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.tenant_id == tenant_id, LedgerEntry.transfer_id == transfer_id)
        )


def test_the_database_refuses_an_unbalanced_entry_at_commit(sessions, tenant_id):
    with sessions() as session:
        accounts = [
            LedgerAccount(id=uuid.uuid4(), tenant_id=tenant_id, kind=kind, loan_id=None, currency="NGN")
            for kind in ("fee_income", "disbursement_settlement")
        ]
        entry = LedgerEntry(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            transfer_id="raw-1",
            kind="fee_charge",
            effective_date=DAY,
            memo="bypasses the domain",
        )
        session.add_all([*accounts, entry])
        session.flush()
        session.add_all(
            [
                LedgerPosting(
                    entry_id=entry.id, account_id=accounts[0].id, amount_minor=-500, currency="NGN"
                ),
                LedgerPosting(entry_id=entry.id, account_id=accounts[1].id, amount_minor=499, currency="NGN"),
            ]
        )
        session.flush()  # deferred: rows go in one by one, the check waits for the commit
        with pytest.raises(IntegrityError, match="does not balance"):
            session.commit()
    assert entry_count(sessions, tenant_id, "raw-1") == 0


def test_the_database_refuses_an_entry_with_no_postings(sessions, tenant_id):
    with sessions() as session:
        session.add(
            LedgerEntry(
                tenant_id=tenant_id, transfer_id="raw-empty", kind="fee_charge", effective_date=DAY, memo=""
            )
        )
        with pytest.raises(IntegrityError, match="fewer than two postings"):
            session.commit()


def test_the_database_refuses_to_balance_naira_against_shillings(sessions, tenant_id):
    with sessions() as session:
        naira = LedgerAccount(id=uuid.uuid4(), tenant_id=tenant_id, kind="fee_income", currency="NGN")
        shillings = LedgerAccount(id=uuid.uuid4(), tenant_id=tenant_id, kind="fee_income", currency="KES")
        entry = LedgerEntry(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            transfer_id="raw-fx",
            kind="fee_charge",
            effective_date=DAY,
            memo="",
        )
        session.add_all([naira, shillings, entry])
        session.flush()
        session.add_all(
            [
                LedgerPosting(entry_id=entry.id, account_id=naira.id, amount_minor=500, currency="NGN"),
                LedgerPosting(entry_id=entry.id, account_id=shillings.id, amount_minor=-500, currency="KES"),
            ]
        )
        with pytest.raises(IntegrityError, match="does not balance"):
            session.commit()


def test_postings_and_entries_cannot_be_updated_or_deleted(sessions, tenant_id, engine):
    posted = post(sessions, a_disbursement(a_loan(tenant_id)), tenant_id)
    statements = [
        "UPDATE ledger_postings SET amount_minor = amount_minor * 2 WHERE entry_id = :id",
        "DELETE FROM ledger_postings WHERE entry_id = :id",
        "UPDATE ledger_entries SET memo = 'edited' WHERE id = :id",
        "DELETE FROM ledger_entries WHERE id = :id",
    ]
    for statement in statements:
        with engine.connect() as conn, pytest.raises(DBAPIError, match="immutable"):
            conn.execute(text(statement), {"id": posted.id})
    with sessions() as session:
        assert session.scalar(select(func.count()).where(LedgerPosting.entry_id == posted.id)) == 3


def test_a_second_post_with_the_same_transfer_id_returns_the_first(sessions, tenant_id):
    loan = a_loan(tenant_id)
    first = post(sessions, a_disbursement(loan), tenant_id)
    again = post(sessions, a_disbursement(loan), tenant_id)
    assert again.replayed and not first.replayed
    assert again == first
    assert entry_count(sessions, tenant_id, "disb-1") == 1
    with sessions() as session:
        assert SqlLedger(session).balance(loan[K.PRINCIPAL_RECEIVABLE]) == Money(100_000, "NGN")


def test_a_transfer_id_reused_for_other_postings_is_refused(sessions, tenant_id):
    loan = a_loan(tenant_id)
    post(sessions, a_disbursement(loan), tenant_id)
    with pytest.raises(TransferIdConflict):
        post(sessions, a_disbursement(loan, principal=200_000), tenant_id)


def test_twenty_concurrent_posts_of_one_transfer_id_make_one_entry(sessions, tenant_id):
    loan = a_loan(tenant_id)  # new accounts too, so their creation races as well
    start = threading.Barrier(20)
    results: list[PostedEntry] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(post(sessions, a_disbursement(loan, "disb-race"), tenant_id))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == 20
    assert len({r.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert entry_count(sessions, tenant_id, "disb-race") == 1
    with sessions() as session:
        accounts = session.scalar(
            select(func.count()).select_from(LedgerAccount).where(LedgerAccount.tenant_id == tenant_id)
        )
        assert accounts == 3
        assert SqlLedger(session).balance(loan[K.DISBURSEMENT_SETTLEMENT]) == Money(-98_000, "NGN")


def test_a_reversal_restores_balances_and_happens_once(sessions, tenant_id):
    loan = a_loan(tenant_id)
    fee = fee_charge("fee-1", loan=loan, amount=Money(700, "NGN"), on=DAY)
    post(sessions, fee, tenant_id)
    undone = post(sessions, reverse(fee, "fee-1-rev"), tenant_id)
    with sessions() as session:
        ledger = SqlLedger(session)
        assert ledger.balance(loan[K.FEES_RECEIVABLE]) == Money(0, "NGN")
        assert undone.entry.reverses == "fee-1"
        stored = session.get(LedgerEntry, undone.id)
        assert stored is not None and stored.reverses_entry_id is not None
    with pytest.raises(AlreadyReversed):
        post(sessions, reverse(fee, "fee-1-rev-again"), tenant_id)


def test_entries_for_a_loan_read_back_as_posted_in_order(sessions, tenant_id):
    loan, other = a_loan(tenant_id), a_loan(tenant_id)
    posted = [
        post(sessions, a_disbursement(loan), tenant_id),
        post(sessions, interest_accrual("acc-1", loan=loan, amount=Money(1_000, "NGN"), on=DAY), tenant_id),
    ]
    post(sessions, a_disbursement(other, "disb-other"), tenant_id)
    with sessions() as session:
        assert SqlLedger(session).entries_for_loan(tenant_id, loan.loan_id) == posted


def test_the_trial_balance_sums_to_zero_in_each_currency(sessions, tenant_id):
    for currency in ("NGN", "KES"):
        loan = a_loan(tenant_id, currency)
        post(sessions, a_disbursement(loan, f"d-{currency}"), tenant_id)
        post(
            sessions,
            interest_accrual(f"i-{currency}", loan=loan, amount=Money(3_000, currency), on=DAY),
            tenant_id,
        )
        parts = RepaymentParts.of(currency, interest=3_000, principal=50_000, overpayment=10)
        post(sessions, repayment(f"r-{currency}", loan=loan, parts=parts, on=DAY), tenant_id)
    with sessions() as session:
        totals = SqlLedger(session).trial_balance(tenant_id)
    for currency in ("NGN", "KES"):
        assert sum(m.minor for (_kind, cur), m in totals.items() if cur == currency) == 0
        assert totals[(K.PRINCIPAL_RECEIVABLE, currency)] == Money(50_000, currency)
        assert totals[(K.CUSTOMER_CREDIT, currency)] == Money(-10, currency)


def test_post_takes_part_in_the_callers_transaction_and_never_commits(sessions, tenant_id):
    with sessions() as session:
        SqlLedger(session).post(a_disbursement(a_loan(tenant_id), "rolled-back"), tenant_id)
        session.rollback()
    assert entry_count(sessions, tenant_id, "rolled-back") == 0


def test_a_post_racing_an_uncommitted_first_post_waits_and_returns_it(sessions, tenant_id):
    """The unique index makes the second writer wait for the first; its SAVEPOINT turns the
    violation into a read of the winner's entry, and its own transaction stays usable."""
    loan = a_loan(tenant_id)
    second: list[PostedEntry] = []
    with sessions() as first_session:
        first = SqlLedger(first_session).post(a_disbursement(loan, "disb-wait"), tenant_id)

        def late_writer() -> None:
            with sessions() as session:
                second.append(SqlLedger(session).post(a_disbursement(loan, "disb-wait"), tenant_id))
                session.execute(text("SELECT 1"))  # the transaction survived the violation
                session.commit()

        thread = threading.Thread(target=late_writer)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second writer should wait on the first's uncommitted row"
        first_session.commit()
        thread.join(timeout=30)
    assert second and second[0].replayed and second[0].id == first.id
    assert entry_count(sessions, tenant_id, "disb-wait") == 1


def test_the_embedded_sqlite_default_posts_idempotently_too(tmp_path):
    """No triggers on SQLite, but the repository's contract (retry, one reversal) holds."""
    from backend.adapters.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    engine = build_engine(url)
    try:
        local = sessionmaker(engine, expire_on_commit=False)
        tenant = Tenant(slug="sqlite", name="SQLite", default_locale="en", default_currency="NGN")
        with local.begin() as session:
            session.add(tenant)
        loan = a_loan(tenant.id)
        first = post(local, a_disbursement(loan), tenant.id)
        assert post(local, a_disbursement(loan), tenant.id) == first
        post(local, reverse(a_disbursement(loan), "disb-1-rev"), tenant.id)
        with pytest.raises(AlreadyReversed):
            post(local, reverse(a_disbursement(loan), "disb-1-rev-2"), tenant.id)
        with local() as session:
            assert all(m.minor == 0 for m in SqlLedger(session).trial_balance(tenant.id).values())
    finally:
        engine.dispose()


def test_the_database_refuses_a_posting_in_another_currency_than_its_account(sessions, tenant_id):
    with sessions() as session:
        income = LedgerAccount(id=uuid.uuid4(), tenant_id=tenant_id, kind="fee_income", currency="NGN")
        cash = LedgerAccount(
            id=uuid.uuid4(), tenant_id=tenant_id, kind="disbursement_settlement", currency="NGN"
        )
        entry = LedgerEntry(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            transfer_id="raw-cur",
            kind="fee_charge",
            effective_date=DAY,
            memo="",
        )
        session.add_all([income, cash, entry])
        session.flush()
        session.add_all(
            [
                LedgerPosting(entry_id=entry.id, account_id=income.id, amount_minor=-500, currency="KES"),
                LedgerPosting(entry_id=entry.id, account_id=cash.id, amount_minor=500, currency="KES"),
            ]
        )
        with pytest.raises(IntegrityError, match="another currency or tenant"):
            session.commit()
