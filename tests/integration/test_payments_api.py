"""Journeys 6 and 7 over HTTP on PostgreSQL: a verified bank account, the payout preview, a payout
to that account and its "landed" message; pay now, the signed confirmation, the repayment under
the instruction's reference and the receipt, with redeliveries changing nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.audit import verify_chain
from backend.adapters.db.engine import build_engine
from backend.adapters.db.lending_models import Agreement, CreditApplication, Disbursement, Payment
from backend.adapters.db.models import Conversation, Customer, Message
from backend.adapters.db.payment_models import BankAccountRow, PaymentInstructionRow
from backend.adapters.payments.signatures import sign
from backend.api.routes.payments import clock
from backend.api.routes.servicing_schemas import business_date
from backend.lending.nuban import check_digit
from tests.integration.conftest import DATABASE_URL, DEMO_AUTH
from tests.integration.servicing_factories import a_signed_agreement, demo_tenant_id

pytestmark = pytest.mark.integration

FRIDAY = date(2026, 11, 27)
FRIDAY_EVENING = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 18:00 in Lagos: after the cut-off
GTB_OK = "0123456785"
PROBLEM = "https://docs.credit-assistant.dev/problems/"


def key() -> dict[str, str]:
    return {**DEMO_AUTH, "Idempotency-Key": uuid.uuid4().hex}


@pytest.fixture(scope="module")
def engine(migrated) -> Iterator[Engine]:
    engine = build_engine(DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture()
def sessions(engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture()
def pinned(client) -> Iterator[None]:
    """Friday evening in Lagos, for every endpoint: payouts wait for Monday morning."""
    client.app.dependency_overrides[clock] = lambda: FRIDAY_EVENING
    client.app.dependency_overrides[business_date] = lambda: FRIDAY
    yield
    client.app.dependency_overrides.pop(clock, None)
    client.app.dependency_overrides.pop(business_date, None)


@pytest.fixture()
def borrower(sessions) -> dict[str, str]:
    """A signed agreement whose borrower has a name and a WhatsApp conversation."""
    tenant_id = demo_tenant_id(sessions)
    agreement_id = a_signed_agreement(sessions, tenant_id, amount_minor=100_000_00, fee_minor=2_500_00)
    with sessions.begin() as session:
        customer_id = session.scalars(
            select(CreditApplication.customer_id)
            .join(Agreement, Agreement.application_id == CreditApplication.id)
            .where(Agreement.id == agreement_id)
        ).one()
        session.execute(update(Customer).where(Customer.id == customer_id).values(full_name="Ada Obi"))
        conversation = Conversation(
            tenant_id=tenant_id,
            customer_id=customer_id,
            channel="whatsapp",
            channel_identity=f"+23480{uuid.uuid4().int % 10**8:08d}",
        )
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    return {
        "tenant_id": str(tenant_id),
        "agreement_id": str(agreement_id),
        "customer_id": str(customer_id),
        "conversation_id": str(conversation_id),
    }


def bot_messages(sessions, conversation_id: str) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Message.text)
                .where(
                    Message.conversation_id == uuid.UUID(conversation_id),
                    Message.direction == "outbound",
                    Message.author == "bot",
                )
                .order_by(Message.id)
            )
        )


def add_account(client, customer_id: str, number: str = GTB_OK, bank: str = "058", headers=None):
    return client.post(
        f"/v1/customers/{customer_id}/bank-accounts",
        json={"bank_code": bank, "account_number": number},
        headers=headers or key(),
    )


# --- journey 6: bank account, preview, payout, landed ---------------------------------------


def test_a_mistyped_account_number_is_refused_in_plain_words(client, borrower) -> None:
    r = add_account(client, borrower["customer_id"], "0123456789")
    assert r.status_code == 422
    assert r.json()["type"] == PROBLEM + "invalid-account-number"
    assert "not a valid Guaranty Trust Bank account number" in r.json()["detail"]


def test_an_account_the_bank_does_not_know_is_refused(client, borrower) -> None:
    number = next(f"{n:07d}000" for n in range(1000) if check_digit("058", f"{n:07d}00") == 0)
    r = add_account(client, borrower["customer_id"], number)
    assert r.status_code == 422
    assert r.json()["type"] == PROBLEM + "account-not-found"


def test_a_verified_account_is_stored_masked_and_listed(client, borrower, sessions) -> None:
    headers = key()
    r = add_account(client, borrower["customer_id"], headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["bank_name"] == "Guaranty Trust Bank"
    assert body["account_number_masked"] == "******6785"
    assert body["account_name"] == "ADA OBI"
    assert add_account(client, borrower["customer_id"], headers=headers).json()["id"] == body["id"]

    listed = client.get(f"/v1/customers/{borrower['customer_id']}/bank-accounts", headers=DEMO_AUTH).json()
    assert [a["id"] for a in listed["items"]] == [body["id"]]
    with sessions() as session:
        row = session.get_one(BankAccountRow, uuid.UUID(body["id"]))
        assert (row.account_number, row.bank_code, row.verified_at is not None) == (GTB_OK, "058", True)


def test_bank_accounts_of_an_unknown_customer_are_not_found(client) -> None:
    r = client.get(f"/v1/customers/{uuid.uuid4()}/bank-accounts", headers=DEMO_AUTH)
    assert r.status_code == 404


def test_banks_are_listed_and_suggested_from_the_account_number(client) -> None:
    everything = client.get("/v1/banks", headers=DEMO_AUTH).json()["items"]
    assert {"058", "057", "011", "999992", "50515"} <= {b["code"] for b in everything}
    suggested = client.get("/v1/banks", params={"account_number": GTB_OK}, headers=DEMO_AUTH).json()["items"]
    assert "058" in {b["code"] for b in suggested}
    assert len(suggested) < len(everything)
    named = client.get("/v1/banks", params={"q": "gtb"}, headers=DEMO_AUTH).json()["items"]
    assert [b["code"] for b in named] == ["058"]
    assert client.get("/v1/banks").status_code == 401


def test_the_preview_shows_fees_what_arrives_and_when(client, borrower, pinned) -> None:
    account = add_account(client, borrower["customer_id"]).json()
    r = client.get(
        f"/v1/agreements/{borrower['agreement_id']}/payout-preview",
        params={"bank_account_id": account["id"]},
        headers=DEMO_AUTH,
    )
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["principal"]["amount_minor"] == 100_000_00
    assert [(f["name"], f["amount"]["amount_minor"], f["deducted_at_payout"]) for f in p["fees"]] == [
        ("Origination fee", 2_500_00, True)
    ]
    assert p["amount_received"]["amount_minor"] == 97_500_00
    assert p["amount_received"]["formatted"] == "₦97,500.00"
    assert p["currency"] == "NGN"
    assert p["instant"] is False
    assert p["expected_arrival"] == "2026-11-30T09:00:00+01:00"  # Monday morning in Lagos
    assert p["expected_arrival_text"] == "Mon 30 Nov, 09:00"
    assert (p["bank_name"], p["account_number_masked"]) == ("Guaranty Trust Bank", "******6785")


def test_paying_out_to_a_stored_account_and_its_landing_message(client, borrower, sessions, pinned) -> None:
    account = add_account(client, borrower["customer_id"]).json()
    r = client.post(
        "/v1/disbursements",
        json={"agreement_id": borrower["agreement_id"], "bank_account_id": account["id"]},
        headers=key(),
    )
    assert r.status_code == 201, r.text
    payout = r.json()
    assert payout["amount"]["amount_minor"] == 97_500_00
    with sessions() as session:
        destination = session.get_one(Disbursement, uuid.UUID(payout["id"])).destination
    assert destination["bank_account_id"] == account["id"]
    assert (destination["bank_code"], destination["account_number"]) == ("058", GTB_OK)
    assert bot_messages(sessions, borrower["conversation_id"]) == []  # pending: nothing landed yet

    report = {"provider_ref": payout["provider_ref"], "status": "succeeded"}
    assert (
        client.post(f"/v1/disbursements/{payout['id']}/status", json=report, headers=DEMO_AUTH).status_code
        == 200
    )
    again = client.post(f"/v1/disbursements/{payout['id']}/status", json=report, headers=DEMO_AUTH)
    assert again.json()["replayed"] is True
    messages = bot_messages(sessions, borrower["conversation_id"])
    assert len(messages) == 1
    assert messages[0].startswith(
        "Your money has landed: ₦97,500.00 is in your Guaranty Trust Bank account ******6785. First payment ₦"
    )


def test_a_payout_to_another_customers_account_is_refused(client, borrower, sessions) -> None:
    tenant_id = demo_tenant_id(sessions)
    other = a_signed_agreement(sessions, tenant_id)
    account = add_account(client, borrower["customer_id"]).json()
    r = client.post(
        "/v1/disbursements",
        json={"agreement_id": str(other), "bank_account_id": account["id"]},
        headers=key(),
    )
    assert r.status_code == 404
    assert r.json()["type"] == PROBLEM + "bank-account-not-found"


def test_a_disbursement_needs_exactly_one_destination(client, borrower) -> None:
    r = client.post("/v1/disbursements", json={"agreement_id": borrower["agreement_id"]}, headers=key())
    assert r.status_code == 422


# --- journey 7: pay now, confirmation, receipt ----------------------------------------------


@pytest.fixture()
def loan(client, borrower, pinned) -> dict[str, str]:
    r = client.post(
        "/v1/disbursements",
        json={
            "agreement_id": borrower["agreement_id"],
            "destination": {"bank_code": "058", "account_number": GTB_OK},
        },
        headers=key(),
    )
    assert r.status_code == 201, r.text
    return {**borrower, "loan_id": r.json()["loan_id"]}


def test_pay_now_by_link_defaults_to_the_next_instalment(client, loan) -> None:
    schedule = client.get(f"/v1/loans/{loan['loan_id']}/schedule", headers=DEMO_AUTH).json()
    first = schedule["instalments"][0]["outstanding"]["amount_minor"]
    r = client.post(
        f"/v1/loans/{loan['loan_id']}/payment-instructions", json={"method": "link"}, headers=key()
    )
    assert r.status_code == 201, r.text
    i = r.json()
    assert i["amount"]["amount_minor"] == first
    assert (i["method"], i["status"], i["provider"], i["currency"]) == ("link", "pending", "sandbox", "NGN")
    assert i["link_url"].endswith(f"/sandbox/pay/{i['reference']}")
    assert i["virtual_account"] is None


def test_pay_now_by_transfer_gives_account_details(client, loan) -> None:
    r = client.post(
        f"/v1/loans/{loan['loan_id']}/payment-instructions",
        json={"method": "virtual_account", "amount": {"amount_minor": 25_000_00, "currency": "NGN"}},
        headers=key(),
    )
    assert r.status_code == 201, r.text
    va = r.json()["virtual_account"]
    assert va["bank_name"] == "Wema Bank"
    assert len(va["account_number"]) == 10
    assert va["account_name"] == "CREDIT ASSISTANT / ADA OBI"


def test_pay_now_refusals(client, loan) -> None:
    path = f"/v1/loans/{loan['loan_id']}/payment-instructions"
    wrong = client.post(
        path, json={"method": "link", "amount": {"amount_minor": 100, "currency": "KES"}}, headers=key()
    )
    assert (wrong.status_code, wrong.json()["type"]) == (422, PROBLEM + "invalid-payment")
    missing = client.post(
        f"/v1/loans/{uuid.uuid4()}/payment-instructions", json={"method": "link"}, headers=key()
    )
    assert missing.status_code == 404
    assert client.post(path, json={"method": "cash"}, headers=key()).status_code == 422


def test_a_simulated_payment_is_recorded_once_and_receipted_once(client, loan, sessions) -> None:
    made = client.post(
        f"/v1/loans/{loan['loan_id']}/payment-instructions",
        json={"method": "link", "amount": {"amount_minor": 25_000_00, "currency": "NGN"}},
        headers=key(),
    ).json()
    r = client.post(f"/v1/payment-instructions/{made['id']}/simulate-payment", headers=key())
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["webhook"]["status"] == "recorded"
    assert out["instruction"]["status"] == "paid"
    assert out["instruction"]["paid_amount"]["amount_minor"] == 25_000_00
    balance = client.get(f"/v1/loans/{loan['loan_id']}/balance", headers=DEMO_AUTH).json()
    receipt = (
        f"We received ₦25,000.00 on 27 Nov. Balance left: {balance['total']['formatted']}."
        f" Next payment {balance['next_due']['formatted']} due"
    )
    assert bot_messages(sessions, loan["conversation_id"])[-1].startswith(receipt)

    again = client.post(f"/v1/payment-instructions/{made['id']}/simulate-payment", headers=key())
    assert again.json()["webhook"]["status"] == "replayed"
    with sessions() as session:
        payments = session.scalars(select(Payment).where(Payment.provider_ref == made["reference"])).all()
        assert [p.amount_minor for p in payments] == [25_000_00]
        assert session.get_one(PaymentInstructionRow, uuid.UUID(made["id"])).payment_id == payments[0].id
        assert verify_chain(session, uuid.UUID(loan["tenant_id"])).ok
    assert (
        len([m for m in bot_messages(sessions, loan["conversation_id"]) if m.startswith("We received")]) == 1
    )


def test_the_webhook_checks_the_signature_over_the_raw_body(client, loan, settings, sessions) -> None:
    made = client.post(
        f"/v1/loans/{loan['loan_id']}/payment-instructions", json={"method": "link"}, headers=key()
    ).json()
    body = json.dumps(
        {
            "event": "charge.success",
            "data": {
                "reference": made["reference"],
                "status": "success",
                "amount": made["amount"]["amount_minor"],
                "currency": "NGN",
                "paid_at": "2026-11-27T17:05:00Z",
            },
        }
    ).encode()
    good = sign(settings.payments_sandbox_secret, body)
    forged = client.post(
        "/v1/payments/webhooks/sandbox", content=body, headers={"x-sandbox-signature": "0" * 128}
    )
    assert (forged.status_code, forged.json()["type"]) == (401, PROBLEM + "invalid-signature")
    tampered = body.replace(b"17:05", b"17:06")
    assert (
        client.post(
            "/v1/payments/webhooks/sandbox", content=tampered, headers={"x-sandbox-signature": good}
        ).status_code
        == 401
    )
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Payment).where(Payment.provider_ref == made["reference"])
            )
            == 0
        )

    ok = client.post("/v1/payments/webhooks/sandbox", content=body, headers={"x-sandbox-signature": good})
    assert ok.status_code == 200 and ok.json()["status"] == "recorded"
    redelivered = client.post(
        "/v1/payments/webhooks/sandbox", content=body, headers={"x-sandbox-signature": good}
    )
    assert redelivered.json()["status"] == "replayed"
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Payment).where(Payment.provider_ref == made["reference"])
            )
            == 1
        )


def test_a_provider_we_are_not_configured_for_is_not_found(client) -> None:
    r = client.post("/v1/payments/webhooks/paystack", content=b"{}", headers={"x-paystack-signature": "x"})
    assert r.status_code == 404
    assert r.json()["type"] == PROBLEM + "unknown-provider"


def test_other_events_are_acknowledged_and_ignored(client, settings) -> None:
    body = b'{"event": "transfer.success", "data": {}}'
    headers = {"x-sandbox-signature": sign(settings.payments_sandbox_secret, body)}
    r = client.post("/v1/payments/webhooks/sandbox", content=body, headers=headers)
    assert (r.status_code, r.json()["status"]) == (200, "ignored")


def test_live_mode_refuses_simulated_payments_and_sandbox_webhooks(
    client, loan, settings, monkeypatch
) -> None:
    made = client.post(
        f"/v1/loans/{loan['loan_id']}/payment-instructions", json={"method": "link"}, headers=key()
    ).json()
    monkeypatch.setattr(client.app.state.components.settings, "sandbox_mode", False)
    r = client.post(f"/v1/payment-instructions/{made['id']}/simulate-payment", headers=key())
    assert (r.status_code, r.json()["type"]) == (403, PROBLEM + "sandbox-only")
    body = b'{"event": "charge.success", "data": {}}'
    headers = {"x-sandbox-signature": sign(settings.payments_sandbox_secret, body)}
    assert client.post("/v1/payments/webhooks/sandbox", content=body, headers=headers).status_code == 404
    assert (
        client.get(f"/v1/payment-instructions/{made['id']}", headers=DEMO_AUTH).json()["status"] == "pending"
    )
