"""BNPL and invoice financing over HTTP, end to end on PostgreSQL: apply -> decide -> the kind's
own offer -> accept -> sign -> disburse -> repay -> closed, with the books checked, plus the
refusals that belong to each kind."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tests.integration.conftest import DEMO_AUTH
from tests.integration.test_lifecycle import books_agree
from tests.integration.test_origination_api import _key, a_customer, a_draft

DESTINATION = {"type": "bank_account", "bank_code": "058", "account_number": "0123456789"}


def _signed_and_disbursed(client, offer: dict[str, Any]) -> dict[str, Any]:
    agreement = client.post(f"/v1/offers/{offer['id']}/accept", headers=_key()).json()
    code = client.post(f"/v1/agreements/{agreement['id']}/otp", headers=_key()).json()["sandbox_code"]
    signed = client.post(f"/v1/agreements/{agreement['id']}/sign", json={"code": code}, headers=_key())
    assert signed.json()["status"] == "signed", signed.text
    paid = client.post(
        "/v1/disbursements",
        json={"agreement_id": agreement["id"], "destination": DESTINATION},
        headers=_key(),
    )
    assert paid.status_code == 201, paid.text
    return paid.json()


def _repay(client, loan_id: str, amount_minor: int, on: date) -> dict[str, Any]:
    response = client.post(
        f"/v1/loans/{loan_id}/repayments",
        json={
            "amount": {"amount_minor": amount_minor, "currency": "NGN"},
            "received_on": on.isoformat(),
            "provider_ref": f"psk-{uuid.uuid4().hex}",
        },
        headers=_key(),
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_bnpl_pay_in_4_is_interest_free_with_the_odd_kobo_first(client, migrated) -> None:
    customer_id = a_customer(client)
    price = 10_000_001  # NGN 100,000.01: one kobo that does not split in four
    draft = a_draft(
        client, customer_id, price, product_code="ngn-bnpl-4", term_count=6, frequency="fortnightly"
    )
    decided = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key())
    assert decided.status_code == 200, decided.text
    assert decided.json()["application"]["status"] == "approved"

    offers = client.get(f"/v1/applications/{draft['id']}/offers", headers=DEMO_AUTH).json()
    assert len(offers) == 1
    offer = offers[0]
    assert (offer["amount_minor"], offer["term_count"], offer["frequency"]) == (price, 4, "fortnightly")
    assert offer["amortization"] == "pay_in_n"
    assert Decimal(offer["annual_rate"]) == 0 and Decimal(offer["apr"]) == 0 and offer["fees"] == []
    assert offer["total_repayable_minor"] == price
    preview = client.get(f"/v1/offers/{offer['id']}/schedule", headers=DEMO_AUTH).json()["instalments"]
    assert [r["payment_minor"] for r in preview] == [2_500_001, 2_500_000, 2_500_000, 2_500_000]

    paid = _signed_and_disbursed(client, offer)
    assert paid["amount"]["amount_minor"] == price
    loan_id = paid["loan_id"]
    rows = client.get(f"/v1/loans/{loan_id}/schedule", headers=DEMO_AUTH).json()["instalments"]
    assert len(rows) == 4
    first_due = date.fromisoformat(rows[0]["due_date"])
    assert [date.fromisoformat(r["due_date"]) - first_due for r in rows] == [
        timedelta(days=14 * k) for k in range(4)
    ]
    assert books_agree(client, loan_id) == {"principal": price, "interest": 0, "fees": 0}

    _repay(client, loan_id, 2_500_001, first_due)
    assert books_agree(client, loan_id)["principal"] == price - 2_500_001
    quote = client.get(
        f"/v1/loans/{loan_id}/payoff-quote", params={"on": first_due.isoformat()}, headers=DEMO_AUTH
    )
    assert quote.json()["total"]["amount_minor"] == 7_500_000
    closed = _repay(client, loan_id, 7_500_000, first_due)
    assert closed["loan_status"] == "closed"
    assert books_agree(client, loan_id) == {"principal": 0, "interest": 0, "fees": 0}
    assert client.get(f"/v1/applications/{draft['id']}", headers=DEMO_AUTH).json()["status"] == "closed"


def _invoice(amount_minor: int, due: date) -> dict[str, Any]:
    return {
        "number": "INV-0042",
        "debtor": "Dangote Retail",
        "amount_minor": amount_minor,
        "due_date": due.isoformat(),
    }


def test_invoice_financing_advances_the_rate_and_is_repaid_once_on_the_due_date(client, migrated) -> None:
    customer_id = a_customer(client)
    due = date.today() + timedelta(days=60)
    draft = a_draft(
        client,
        customer_id,
        150_000_000,
        product_code="ngn-invoice-financing",
        term_count=60,
        frequency="monthly",
        invoice=_invoice(150_000_000, due),
    )
    decided = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key())
    assert decided.status_code == 200, decided.text
    assert decided.json()["application"]["status"] == "approved"
    assert decided.json()["decision"]["limit_minor"] >= 120_000_000

    offers = client.get(f"/v1/applications/{draft['id']}/offers", headers=DEMO_AUTH).json()
    assert len(offers) >= 2  # priced by each lender that funds the grade
    assert {o["lender_code"] for o in offers} <= {"harbour-capital", "kora-finance", "sahel-microcredit"}
    for offer in offers:
        assert offer["amount_minor"] == 120_000_000  # 80% of the invoice, below the approved limit
        assert (offer["term_count"], offer["amortization"], offer["maturity_date"]) == (
            1,
            "bullet",
            due.isoformat(),
        )
    best = offers[0]
    preview = client.get(f"/v1/offers/{best['id']}/schedule", headers=DEMO_AUTH).json()["instalments"]
    assert len(preview) == 1 and preview[0]["due_date"] == due.isoformat()

    paid = _signed_and_disbursed(client, best)
    loan_id = paid["loan_id"]
    fee = sum(f["amount_minor"] for f in best["fees"])
    assert paid["amount"]["amount_minor"] == 120_000_000 - fee
    rows = client.get(f"/v1/loans/{loan_id}/schedule", headers=DEMO_AUTH).json()["instalments"]
    assert len(rows) == 1 and rows[0]["due_date"] == due.isoformat()
    days = (due - date.today()).days
    expected_interest = (Decimal(120_000_000) * Decimal(best["annual_rate"]) * days / 365).quantize(
        Decimal(1)
    )
    owed = books_agree(client, loan_id)
    assert owed == {"principal": 120_000_000, "interest": int(expected_interest), "fees": 0}

    closed = _repay(client, loan_id, 120_000_000 + int(expected_interest), due)
    assert closed["loan_status"] == "closed"
    assert books_agree(client, loan_id) == {"principal": 0, "interest": 0, "fees": 0}


def test_invoice_financing_refuses_a_missing_or_past_due_invoice(client, migrated) -> None:
    customer_id = a_customer(client)
    fields = {"product_code": "ngn-invoice-financing", "term_count": 30, "frequency": "monthly"}
    bare = a_draft(client, customer_id, 50_000_000, **fields)
    refused = client.post(f"/v1/applications/{bare['id']}/submit", json={}, headers=_key())
    assert refused.status_code == 422 and refused.json()["field"] == "invoice"

    late = a_draft(client, customer_id, 50_000_000, invoice=_invoice(60_000_000, date.today()), **fields)
    refused = client.post(f"/v1/applications/{late['id']}/submit", json={}, headers=_key())
    assert refused.status_code == 422 and refused.json()["field"] == "invoice.due_date"
