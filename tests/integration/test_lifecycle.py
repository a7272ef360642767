"""The whole credit lifecycle over the /v1 API on PostgreSQL, with the books checked at each step:
apply -> decide -> offer -> accept -> sign -> disburse -> repay in parts -> pay off -> closed."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import text

from backend.adapters.db.audit import verify_chain
from backend.adapters.db.engine import build_engine, build_session_factory
from tests.integration.conftest import DEMO_AUTH
from tests.integration.test_origination_api import _key, a_customer, a_draft

RECEIVABLES = {
    "principal_receivable": "principal",
    "interest_receivable": "interest",
    "fees_receivable": "fees",
}


def books_agree(client, loan_id: str) -> dict[str, int]:
    """Every entry balances, the tenant's books net to zero, and the loan's receivable accounts
    agree with what the balance endpoint says the customer owes: principal and fees exactly, and
    interest as far as it has been booked (interest is recognised as instalments fall due or are
    paid, so the balance's scheduled interest may be more than the receivable holds)."""
    entries = client.get(f"/v1/loans/{loan_id}/ledger", headers=DEMO_AUTH).json()["entries"]
    assert all(sum(p["amount"]["amount_minor"] for p in e["postings"]) == 0 for e in entries)
    totals = client.get("/v1/ledger/trial-balance", headers=DEMO_AUTH).json()["totals"]
    assert all(t["amount_minor"] == 0 for t in totals), totals
    held = dict.fromkeys(RECEIVABLES.values(), 0)
    for entry in entries:
        for posting in entry["postings"]:
            if posting["account"] in RECEIVABLES:
                held[RECEIVABLES[posting["account"]]] += posting["amount"]["amount_minor"]
    balance = client.get(f"/v1/loans/{loan_id}/balance", headers=DEMO_AUTH).json()
    owed = {part: balance[part]["amount_minor"] for part in RECEIVABLES.values()}
    assert (held["principal"], held["fees"]) == (owed["principal"], owed["fees"]), (held, owed)
    assert 0 <= held["interest"] <= owed["interest"], (held, owed)
    return owed


def test_from_application_to_a_fully_repaid_loan(client, migrated):
    customer_id = a_customer(client)
    draft = a_draft(client, customer_id, amount_minor=120_000_000)
    decided = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key()).json()
    assert decided["application"]["status"] == "approved"
    offer = client.get(f"/v1/applications/{draft['id']}/offers", headers=DEMO_AUTH).json()[0]
    agreement = client.post(f"/v1/offers/{offer['id']}/accept", headers=_key()).json()
    code = client.post(f"/v1/agreements/{agreement['id']}/otp", headers=_key()).json()["sandbox_code"]
    signed = client.post(f"/v1/agreements/{agreement['id']}/sign", json={"code": code}, headers=_key())
    assert signed.json()["status"] == "signed"

    destination = {"type": "bank_account", "bank_code": "058", "account_number": "0123456789"}
    paid_out = client.post(
        "/v1/disbursements",
        json={"agreement_id": agreement["id"], "destination": destination},
        headers=_key(),
    )
    assert paid_out.status_code == 201, paid_out.text
    loan_id = paid_out.json()["loan_id"]
    fees = sum(f["amount_minor"] for f in offer["fees"])
    assert paid_out.json()["amount"]["amount_minor"] == offer["amount_minor"] - fees  # fee deducted
    owed = books_agree(client, loan_id)
    assert owed["principal"] == offer["amount_minor"]

    schedule = client.get(f"/v1/loans/{loan_id}/schedule", headers=DEMO_AUTH).json()["instalments"]
    first_due = date.fromisoformat(schedule[0]["due_date"])
    for part in (30_000_00, 50_000_00):  # two partial payments on the first due date
        repaid = client.post(
            f"/v1/loans/{loan_id}/repayments",
            json={
                "amount": {"amount_minor": part, "currency": "NGN"},
                "received_on": first_due.isoformat(),
                "provider_ref": f"psk-{uuid.uuid4().hex}",
            },
            headers=_key(),
        )
        assert repaid.status_code == 201, repaid.text
        after = books_agree(client, loan_id)
        assert sum(after.values()) == sum(owed.values()) - part  # every kobo went to what was owed
        owed = after

    on = first_due + timedelta(days=12)
    quote = client.get(f"/v1/loans/{loan_id}/payoff-quote", params={"on": on.isoformat()}, headers=DEMO_AUTH)
    total = quote.json()["total"]["amount_minor"]
    closed = client.post(
        f"/v1/loans/{loan_id}/repayments",
        json={
            "amount": {"amount_minor": total, "currency": "NGN"},
            "received_on": on.isoformat(),
            "provider_ref": f"psk-{uuid.uuid4().hex}",
        },
        headers=_key(),
    )
    assert closed.status_code == 201, closed.text
    assert closed.json()["loan_status"] == "closed"
    assert books_agree(client, loan_id) == {"principal": 0, "interest": 0, "fees": 0}
    application = client.get(f"/v1/applications/{draft['id']}", headers=DEMO_AUTH).json()
    assert application["status"] == "closed"

    engine = build_engine(migrated)
    try:
        with build_session_factory(engine)() as session:
            tenant_id = session.execute(text("SELECT id FROM tenants WHERE slug = 'demo'")).scalar_one()
            assert verify_chain(session, tenant_id).ok
    finally:
        engine.dispose()
