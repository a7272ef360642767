"""Hardship plans on real PostgreSQL: options over HTTP, a plan applied to the loan, and servicing
(repayment allocation, payoff, the books) working on the new instalments afterwards."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.audit import AuditEntry
from backend.adapters.db.care_repository import SqlCareUnitOfWork, set_policy
from backend.adapters.db.engine import build_engine
from backend.adapters.db.ledger_models import LedgerEntry
from backend.adapters.db.lending_models import Loan
from backend.adapters.payments.sandbox import SandboxPayouts
from backend.api.routes.servicing_schemas import business_date
from backend.lending.hardship import OptionCode
from backend.services.care.errors import CareError
from backend.services.care.hardship import ApplyPlan, apply_plan
from backend.services.servicing.disbursement import Disburse, disburse
from backend.services.servicing.repayments import payoff_quote
from tests.integration.conftest import DATABASE_URL, DEMO_AUTH
from tests.integration.servicing_factories import a_signed_agreement, a_tenant, demo_tenant_id
from tests.integration.test_servicing import DEST, assert_books_agree, instalments, pay, uow

pytestmark = pytest.mark.integration
DAY = date(2026, 1, 15)


@pytest.fixture(scope="module")
def engine(migrated) -> Iterator[Engine]:
    engine = build_engine(DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture()
def sessions(engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def a_loan_on(sessions, tenant_id, day: date, **kwargs) -> uuid.UUID:
    agreement_id = a_signed_agreement(sessions, tenant_id, **kwargs)
    return disburse(Disburse(tenant_id, agreement_id, DEST), uow(sessions), SandboxPayouts(), day).loan_id


def plan(sessions, tenant_id, loan_id, code: OptionCode, on: date, periods: int | None = None):
    cmd = ApplyPlan(tenant_id, loan_id, code, periods, "lost a customer", on)
    return apply_plan(cmd, SqlCareUnitOfWork(sessions), datetime.now(UTC))


def ledger_entries(sessions, tenant_id) -> int:
    with sessions() as s:
        return len(s.scalars(select(LedgerEntry.id).where(LedgerEntry.tenant_id == tenant_id)).all())


def test_options_then_a_plan_over_http_and_servicing_on_the_new_schedule(client, sessions):
    today = business_date()
    demo = demo_tenant_id(sessions)
    loan_id = a_loan_on(sessions, demo, today)
    url = f"/v1/loans/{loan_id}"

    offered = client.get(f"{url}/hardship-options", headers=DEMO_AUTH)
    assert offered.status_code == 200, offered.text
    body = offered.json()
    assert body["currency"] == "NGN" and body["arrears"] == "0.00"
    by_code = {o["code"]: o for o in body["options"]}
    assert set(by_code) == {"payment_holiday", "extend_term", "reduced_payments"}
    first_due = instalments(sessions, loan_id)[0].due_date
    holiday = by_code["payment_holiday"]
    assert holiday["skipped_due_date"] == first_due.isoformat()
    assert holiday["installments"][0]["due_date"] > first_due.isoformat()
    assert holiday["summary"].startswith("Skip your payment due")
    extend = by_code["extend_term"]
    assert extend["periods"] == 3 and len(extend["installments"]) == 9
    assert int(extend["extra_cost_minor"]) > 0
    assert Decimal(extend["extra_cost"]) * 100 == extend["extra_cost_minor"]

    before = ledger_entries(sessions, demo)
    headers = DEMO_AUTH | {"Idempotency-Key": uuid.uuid4().hex}
    body = {"option_code": "extend_term", "periods": 2, "reason": "my shop was closed for two weeks"}
    made = client.post(f"{url}/hardship-plans", json=body, headers=headers)
    assert made.status_code == 201, made.text
    created = made.json()
    assert created["status"] == "active" and created["option_code"] == "extend_term"
    assert len(created["installments"]) == 8 and len(created["replaced_installments"]) == 6
    assert client.post(f"{url}/hardship-plans", json=body, headers=headers).json() == created
    assert ledger_entries(sessions, demo) == before  # a reschedule moves no money

    schedule = client.get(f"{url}/schedule", headers=DEMO_AUTH).json()["instalments"]
    assert [(r["number"], r["due_date"]) for r in schedule] == [
        (r["number"], r["due_date"]) for r in created["installments"]
    ]
    assert [r["principal"]["amount_minor"] for r in schedule] == [
        Decimal(r["principal"]) * 100 for r in created["installments"]
    ]
    assert client.get(url, headers=DEMO_AUTH).json()["term_count"] == 8
    assert_books_agree(sessions, demo, loan_id)

    again = client.get(f"{url}/hardship-options", headers=DEMO_AUTH)
    assert again.status_code == 409 and again.json()["type"].endswith("/plan-active")
    second = client.post(
        f"{url}/hardship-plans",
        json=body | {"option_code": "payment_holiday", "periods": None},
        headers=DEMO_AUTH | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert second.status_code == 409 and second.json()["type"].endswith("/plan-active")
    listed = client.get(f"{url}/hardship-plans", headers=DEMO_AUTH).json()["items"]
    assert [p["id"] for p in listed] == [created["id"]]

    # A repayment of the first new instalment on its due date pays exactly that instalment.
    row = instalments(sessions, loan_id)[0]
    payment = pay(sessions, demo, loan_id, row.principal_minor + row.interest_minor, row.due_date)
    assert [(p["number"], p["principal_minor"]) for p in payment.allocation["parts"]] == [
        (row.number, row.principal_minor)
    ]
    assert_books_agree(sessions, demo, loan_id)

    on = row.due_date + timedelta(days=10)
    quote = client.get(f"{url}/payoff-quote", params={"on": on.isoformat()}, headers=DEMO_AUTH).json()
    assert quote["principal"]["amount_minor"] == sum(
        r.principal_minor for r in instalments(sessions, loan_id)[1:]
    )
    assert quote["total"]["amount_minor"] == payoff_quote(demo, loan_id, on, uow(sessions)).total.minor
    closing = pay(sessions, demo, loan_id, quote["total"]["amount_minor"], on)
    assert closing.allocation["payoff"] is True and closing.allocation["credit_minor"] == 0
    with sessions() as s:
        assert s.get(Loan, loan_id).status == "closed"
    assert_books_agree(sessions, demo, loan_id)


def test_a_holiday_after_a_paid_instalment_keeps_arrears_and_the_previous_schedule(sessions):
    tenant_id = a_tenant(sessions)
    loan_id = a_loan_on(sessions, tenant_id, DAY)
    rows = instalments(sessions, loan_id)
    pay(sessions, tenant_id, loan_id, rows[0].principal_minor + rows[0].interest_minor, rows[0].due_date)
    as_of = rows[1].due_date + timedelta(days=3)  # instalment 2 is overdue: arrears
    made = plan(sessions, tenant_id, loan_id, OptionCode.PAYMENT_HOLIDAY, as_of)

    after = instalments(sessions, loan_id)
    assert [r.number for r in after] == [1, 2, 3, 4, 5, 6]
    assert (after[1].due_date, after[1].principal_minor) == (rows[1].due_date, rows[1].principal_minor)
    assert after[2].due_date == rows[3].due_date  # instalment 3's date skipped, the rest one later
    assert after[-1].due_date > rows[-1].due_date
    assert sum(r.principal_minor for r in after[2:]) == sum(r.principal_minor for r in rows[2:])
    assert [r["number"] for r in made.previous_installments] == [3, 4, 5, 6]
    assert [r["due_date"] for r in made.previous_installments] == [r.due_date.isoformat() for r in rows[2:]]
    assert made.extra_cost.minor > 0
    assert_books_agree(sessions, tenant_id, loan_id)

    # The arrears are still due first: a payment of instalment 2 goes to instalment 2.
    payment = pay(sessions, tenant_id, loan_id, rows[1].principal_minor + rows[1].interest_minor, as_of)
    assert [p["number"] for p in payment.allocation["parts"]] == [2]
    assert_books_agree(sessions, tenant_id, loan_id)

    with sessions() as s:
        audit = s.scalars(
            select(AuditEntry).where(
                AuditEntry.tenant_id == tenant_id, AuditEntry.action == "loan.hardship_plan_applied"
            )
        ).all()
    assert len(audit) == 1 and audit[0].data["replaced_numbers"] == [3, 4, 5, 6]


def test_the_tenants_policy_limits_plans_per_loan_and_the_options_offered(sessions):
    tenant_id = a_tenant(sessions)
    with sessions.begin() as s:
        set_policy(s, tenant_id, "hardship", "", {"max_plans_per_loan": 1, "options": ["extend_term"]})
    loan_id = a_loan_on(sessions, tenant_id, DAY)
    with pytest.raises(CareError) as not_offered:
        plan(sessions, tenant_id, loan_id, OptionCode.PAYMENT_HOLIDAY, DAY)
    assert (not_offered.value.status, not_offered.value.slug) == (422, "option-not-offered")
    first = plan(sessions, tenant_id, loan_id, OptionCode.EXTEND_TERM, DAY, 1)
    assert first.status_on(first.active_until + timedelta(days=1)) == "completed"
    with pytest.raises(CareError) as limit:
        plan(sessions, tenant_id, loan_id, OptionCode.EXTEND_TERM, first.active_until + timedelta(days=1), 1)
    assert (limit.value.status, limit.value.slug) == (409, "plan-limit-reached")
    assert len(instalments(sessions, loan_id)) == 7
    assert_books_agree(sessions, tenant_id, loan_id)


def test_a_closed_loan_gets_no_options(client, sessions):
    demo = demo_tenant_id(sessions)
    today = business_date()
    loan_id = a_loan_on(sessions, demo, today)
    quote = payoff_quote(demo, loan_id, today, uow(sessions))
    pay(sessions, demo, loan_id, quote.total.minor, today)
    refused = client.get(f"/v1/loans/{loan_id}/hardship-options", headers=DEMO_AUTH)
    assert refused.status_code == 409 and refused.json()["type"].endswith("/loan-not-active")
    missing = client.get(f"/v1/loans/{uuid.uuid4()}/hardship-options", headers=DEMO_AUTH)
    assert missing.status_code == 404 and missing.json()["type"].endswith("/loan-not-found")


def test_an_admin_sets_a_products_hardship_policy_as_data(client, sessions):
    url, product = "/v1/hardship-policy", {"product_code": "ngn-bnpl-4"}
    assert client.get(url, params=product, headers=DEMO_AUTH).json()["max_extension_periods"] == 6
    bad = client.put(url, params=product, json={"extension_periods": 9}, headers=DEMO_AUTH)
    assert bad.status_code == 422 and bad.json()["type"].endswith("/invalid-policy")
    body = {"options": ["payment_holiday"], "max_plans_per_loan": 1, "reduced_fraction": "0.25"}
    made = client.put(url, params=product, json=body, headers=DEMO_AUTH)
    assert made.status_code == 200, made.text
    read = client.get(url, params=product, headers=DEMO_AUTH).json()
    assert (read["options"], read["max_plans_per_loan"], read["reduced_fraction"]) == (
        ["payment_holiday"],
        1,
        "0.25",
    )
    assert client.get(url, headers=DEMO_AUTH).json()["options"] == [
        "payment_holiday",
        "extend_term",
        "reduced_payments",
    ]

    demo = demo_tenant_id(sessions)
    loan_id = a_loan_on(
        sessions,
        demo,
        business_date(),
        product_code="ngn-bnpl-4",
        annual_rate="0",
        term_count=4,
        frequency="fortnightly",
        fee_minor=0,
    )
    offered = client.get(f"/v1/loans/{loan_id}/hardship-options", headers=DEMO_AUTH).json()["options"]
    assert [o["code"] for o in offered] == ["payment_holiday"]
    assert offered[0]["extra_cost"] == "0.00"  # interest-free: a holiday costs nothing


def test_a_plan_and_a_repayment_at_the_same_time_are_applied_one_after_the_other(sessions):
    tenant_id = a_tenant(sessions)
    loan_id = a_loan_on(sessions, tenant_id, DAY)
    first = instalments(sessions, loan_id)[0]
    on = DAY + timedelta(days=5)
    start = threading.Barrier(2)
    done: list[str] = []

    def repay() -> None:
        start.wait()
        pay(sessions, tenant_id, loan_id, first.principal_minor + first.interest_minor, on)
        done.append("payment")

    def reschedule() -> None:
        start.wait()
        plan(sessions, tenant_id, loan_id, OptionCode.PAYMENT_HOLIDAY, on)
        done.append("plan")

    threads = [threading.Thread(target=repay), threading.Thread(target=reschedule)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == ["payment", "plan"]
    rows = instalments(sessions, loan_id)
    assert sum(r.principal_minor for r in rows) == 100_000_00
    assert (
        sum(r.paid_principal_minor + r.paid_interest_minor for r in rows)
        == first.principal_minor + first.interest_minor
    )
    if done[0] == "payment":  # the instalment being paid was kept; the next one was skipped
        assert rows[0].due_date == first.due_date and rows[0].paid_principal_minor == first.principal_minor
    else:  # the plan came first: the payment went to the first instalment after the holiday
        assert rows[0].due_date > first.due_date and rows[0].paid_interest_minor > 0
    assert_books_agree(sessions, tenant_id, loan_id)
