"""Every borrower journey through `/channels/web/messages` and the four real processes, with the
backend's state checked afterwards: onboarding and KYC/KYB, the application with a correction,
the decision and offers, signing with a one-time code, the payout to a checked bank account,
balance and schedule, a payment and its receipt, a hardship plan, early payoff, a dispute, a
person, and opting out."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import text

from tests.e2e.conftest import API_KEY

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {API_KEY}"}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Chat:
    client: httpx.Client
    session_id: str = field(default_factory=lambda: f"web-{uuid.uuid4().hex}")
    conversation_id: str | None = None
    said: list[str] = field(default_factory=list)

    def say(
        self, words: str | None = None, payload: str | None = None, files: list[tuple[str, str, bytes]] = ()
    ) -> str:
        body: dict = {"session_id": self.session_id, "message_id": uuid.uuid4().hex}
        if words is not None:
            body["text"] = words
        if payload is not None:
            body["payload"] = payload
        if files:
            body["attachments"] = [
                {"filename": n, "content_type": t, "content_base64": base64.b64encode(b).decode()}
                for n, t, b in files
            ]
        response = self.client.post("/channels/web/messages", json=body)
        assert response.status_code == 200, response.text
        data = response.json()
        self.conversation_id = data["conversation_id"]
        self.last = data["messages"]
        reply = "\n".join(m["text"] or "" for m in data["messages"])
        self.said.append(reply)
        return reply

    def buttons(self) -> list[str]:
        return [b["payload"] for m in self.last for b in m["buttons"]]

    def transcript(self) -> list[dict]:
        out = self.client.get(f"/v1/conversations/{self.conversation_id}/messages", headers=AUTH)
        assert out.status_code == 200, out.text
        return out.json()["messages"]


def one(db, sql: str, **params):
    return db.execute(text(sql), params).one()


@pytest.fixture(scope="module")
def funded(backend: httpx.Client, e2e_database: str) -> Iterator[Chat]:
    """A new business customer applies in chat, corrects the amount, is approved, signs with the
    code from the chat, and is paid out. Each step asserts what the customer reads."""
    chat = Chat(backend)
    assert "What would you like to do?" in chat.say("hi")
    assert "Do you agree?" in chat.say("I want to apply for a loan")
    assert "Which kind of credit" in chat.say(payload="/affirm")
    assert "full name" in chat.say(payload='/choose_product{"product":"working_capital"}')
    assert "date of birth" in chat.say("amaka okafor")
    assert "BVN" in chat.say("12/03/1990")
    bvn = f"222{uuid.uuid4().int % 10**7:07d}1"  # ends in 1: the sandbox KYC verifies it
    reply = chat.say(f"my bvn is {bvn}")
    assert f"*******{bvn[-4:]}" in reply and bvn not in reply
    assert "photo of your ID" in reply
    assert "selfie" in chat.say(files=[("id.jpg", "image/jpeg", JPEG)])
    reply = chat.say(files=[("me.jpg", "image/jpeg", JPEG)])
    assert "verified" in reply and "name of your business" in reply
    assert "CAC registration number" in chat.say("Mama Put Foods")
    assert "Tax Identification Number" in chat.say("rc 123451")
    assert "What kind of business" in chat.say("12345678-0001")
    assert "How long has the business" in chat.say(payload='/inform_business_type{"business_type":"retail"}')
    assert "monthly revenue" in chat.say("3 years")
    assert "CAC certificate" in chat.say("1.5m")
    reply = chat.say(files=[("cac.pdf", "application/pdf", PDF)])
    assert "Business details saved" in reply and "How much would you like" in reply
    assert "Over how long" in chat.say("500k")
    assert "How often" in chat.say(payload='/inform_term{"term":"6 months"}')
    assert "What will you use the money for" in chat.say(payload='/inform_term{"frequency":"monthly"}')
    summary = chat.say("restock my shop for december")
    assert "Amount: ₦500,000.00" in summary and "Shall I submit it?" in summary
    corrected = chat.say("change the amount to 600k")
    assert "Amount: ₦600,000.00" in corrected
    decision = chat.say(payload="/affirm")
    assert "Approved" in decision and "APR" in decision and "total to repay" in decision, decision
    assert '/choose_option{"option":"1"}' in chat.buttons()
    offer = chat.say(payload='/choose_option{"option":"1"}')
    assert "Accept this offer" in offer and re.search(r"1\. \d+ \w+ \d{4}: ₦", offer)
    terms = chat.say(payload="/affirm")
    assert "Key terms" in terms and "6-digit code" in terms
    link = re.search(r"Full agreement: (\S+)", terms)
    assert link is not None
    assert "SHA-256" in backend.get(link.group(1)).text
    code_message = [m for m in chat.transcript() if m["text"] and "code to sign" in m["text"]][-1]
    code = re.search(r"\b(\d{6})\b", code_message["text"]).group(1)
    wrong = "000000" if code != "000000" else "111111"
    assert "isn't right" in chat.say(wrong) and "attempts left" in chat.said[-1]
    signed = chat.say(code)
    assert "Signed ✅" in signed and "account number" in signed
    reply = chat.say("0123456785")
    if "Which bank" in reply:
        reply = chat.say(payload=chat.buttons()[0])
    assert "You receive" in reply and "Arrives" in reply, reply
    paid = chat.say(payload="/affirm")
    assert "💸" in paid, paid
    yield chat


def test_the_application_journey_leaves_the_books_and_records_right(funded: Chat, db) -> None:
    app = one(
        db,
        """SELECT a.status, a.requested_amount_minor FROM credit_applications a
           JOIN conversations c ON c.customer_id = a.customer_id WHERE c.id = :c""",
        c=funded.conversation_id,
    )
    assert app.requested_amount_minor == 600_000_00
    assert app.status in ("disbursed", "accepted")
    decision = one(
        db,
        """SELECT d.outcome FROM decisions d JOIN credit_applications a ON a.id = d.application_id
           JOIN conversations c ON c.customer_id = a.customer_id WHERE c.id = :c""",
        c=funded.conversation_id,
    )
    assert decision.outcome == "approve"
    agreement = one(
        db,
        """SELECT g.status, g.sha256 FROM agreements g JOIN credit_applications a ON a.id = g.application_id
           JOIN conversations c ON c.customer_id = a.customer_id WHERE c.id = :c""",
        c=funded.conversation_id,
    )
    assert agreement.status == "signed" and len(agreement.sha256) == 64
    disbursement = one(
        db,
        """SELECT count(*) AS n FROM disbursements d JOIN loans l ON l.id = d.loan_id
           JOIN conversations c ON c.customer_id = l.customer_id WHERE c.id = :c""",
        c=funded.conversation_id,
    )
    assert disbursement.n == 1
    consent = one(
        db,
        """SELECT count(*) AS n FROM consents k JOIN conversations c ON c.customer_id = k.customer_id
           WHERE c.id = :c AND k.accepted""",
        c=funded.conversation_id,
    )
    assert consent.n == 1
    kyc = one(
        db,
        """SELECT o.kyc_status FROM customer_onboarding o
           JOIN conversations c ON c.customer_id = o.customer_id WHERE c.id = :c""",
        c=funded.conversation_id,
    )
    assert kyc.kyc_status == "verified"
    trial = funded.client.get("/v1/ledger/trial-balance", headers=AUTH).json()
    assert all(total["amount_minor"] == 0 for total in trial["totals"]), trial


def test_balance_schedule_a_payment_and_its_receipt(funded: Chat, db) -> None:
    balance = funded.say("how much do I owe")
    assert "You owe" in balance and "Next payment" in balance
    schedule = funded.say("show me my schedule")
    assert "Your repayment schedule" in schedule and "6." in schedule
    pay = funded.say(payload='/pay_now{"amount":"20000"}')
    assert "To pay ₦20,000.00" in pay and "Reference:" in pay
    reference = re.search(r"Reference: (\S+)\.", pay).group(1)
    instruction = one(db, "SELECT id FROM payment_instructions WHERE reference = :r", r=reference)
    paid = funded.client.post(
        f"/v1/payment-instructions/{instruction.id}/simulate-payment",
        headers={**AUTH, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert paid.status_code == 200, paid.text
    assert any("We received ₦20,000.00" in (m["text"] or "") for m in funded.transcript())
    payments = one(db, "SELECT count(*) AS n FROM payments WHERE provider_ref = :r", r=reference)
    assert payments.n == 1


def test_a_hardship_plan_reschedules_the_loan(funded: Chat, db) -> None:
    options = funded.say("I can't pay this month")
    assert "Here is what we can do" in options, options
    assert '/report_hardship{"option":"extend_term"}' in funded.buttons()
    detail = funded.say(payload='/report_hardship{"option":"extend_term"}')
    assert "Apply this plan" in detail
    done = funded.say(payload="/affirm")
    assert "new plan is in place" in done
    plan = one(
        db,
        """SELECT p.option_code FROM hardship_plans p JOIN loans l ON l.id = p.loan_id
           JOIN conversations c ON c.customer_id = l.customer_id WHERE c.id = :c""",
        c=funded.conversation_id,
    )
    assert plan.option_code == "extend_term"


def test_a_dispute_gets_a_reference_and_its_status(funded: Chat, db) -> None:
    assert "What is the problem about" in funded.say("you charged me wrongly")
    assert "describe what happened" in funded.say(payload='/open_dispute{"option":"charge"}')
    assert "receipt or screenshot" in funded.say("I was charged a fee twice on 3 December, 2,000 naira")
    opened = funded.say(payload="/deny")
    reference = re.search(r"DSP-[0-9A-Z]{6}", opened).group(0)
    assert "We'll reply by" in opened
    assert reference in funded.say(f"status of my dispute {reference}")
    dispute = one(db, "SELECT category, status FROM disputes WHERE reference = :r", r=reference)
    assert (dispute.category, dispute.status) == ("charge", "open")


def test_early_payoff_closes_the_loan(funded: Chat, db) -> None:
    quote = funded.say("I want to pay off my loan")
    assert "To clear your loan today" in quote
    pay = funded.say(payload='/pay_now{"amount":"payoff"}')
    reference = re.search(r"Reference: (\S+)\.", pay).group(1)
    instruction = one(db, "SELECT id FROM payment_instructions WHERE reference = :r", r=reference)
    paid = funded.client.post(
        f"/v1/payment-instructions/{instruction.id}/simulate-payment",
        headers={**AUTH, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert paid.status_code == 200, paid.text
    loan = one(
        db,
        "SELECT l.status FROM loans l JOIN conversations c ON c.customer_id = l.customer_id WHERE c.id = :c",
        c=funded.conversation_id,
    )
    assert loan.status == "closed"
    assert "don't have an active loan" in funded.say("how much do I owe")


def test_a_question_inside_the_form_is_answered_and_the_form_resumes(backend: httpx.Client) -> None:
    chat = Chat(backend)
    chat.say("I want to apply")
    chat.say(payload="/affirm")
    chat.say(payload='/choose_product{"product":"bnpl"}')
    chat.say("Tunde Bakare")
    chat.say("1 january 1988")
    reply = chat.say("why do you need my bvn")
    assert "The law requires" in reply and "BVN" in reply.split("The law requires")[1], reply
    assert "11-digit BVN" in reply  # the same question again


def test_stop_pauses_and_apply_resumes_where_it_stopped(backend: httpx.Client) -> None:
    chat = Chat(backend)
    chat.say("I want to apply")
    chat.say(payload="/affirm")
    chat.say(payload='/choose_product{"product":"working_capital"}')
    chat.say("Ngozi Eze")
    assert "paused your application" in chat.say("stop")
    resumed = chat.say(payload="/start_application")
    assert "Do you agree?" not in resumed and "Which kind of credit" not in resumed  # nothing asked twice
    assert "date of birth" in resumed  # the first thing still missing


def test_start_over_restarts_the_chat_and_keeps_what_the_backend_saved(backend: httpx.Client) -> None:
    chat = Chat(backend)
    chat.say("I want to apply")
    chat.say(payload="/affirm")
    chat.say(payload='/choose_product{"product":"working_capital"}')
    assert "date of birth" in chat.say("Chidi Okeke")
    # typed, then as a button would send it: both leave the form and start the chat afresh
    assert "start over" in chat.say("start over")
    assert "date of birth" not in chat.say("hello")
    again = chat.say("I want to apply")
    assert "Do you agree?" not in again and "Which kind of credit" in again  # consent is kept
    # the answers not yet sent to the backend (the name goes with the date of birth and BVN) start afresh
    assert "full name" in chat.say(payload='/choose_product{"product":"working_capital"}')
    restarted = chat.say(payload="/start_over")
    assert "start over" in restarted and "date of birth" not in restarted


def test_declined_consent_stores_nothing(backend: httpx.Client, db) -> None:
    chat = Chat(backend)
    chat.say("I want to apply")
    assert "haven't stored anything" in chat.say(payload="/deny")
    customer = one(db, "SELECT customer_id FROM conversations WHERE id = :c", c=chat.conversation_id)
    stored = one(
        db, "SELECT count(*) AS n FROM customer_onboarding WHERE customer_id = :c", c=customer.customer_id
    )
    assert stored.n == 0


def test_a_person_and_opting_out_are_recorded(backend: httpx.Client, db) -> None:
    chat = Chat(backend)
    chat.say("hi")
    assert "won't send you reminders" in chat.say("stop sending me messages")
    opted = one(db, "SELECT opted_out_at FROM conversations WHERE id = :c", c=chat.conversation_id)
    assert opted.opted_out_at is not None
    assert "a person from our team" in chat.say("I want to talk to a human")
    handoff = one(
        db, "SELECT reason, status FROM handoff_requests WHERE conversation_id = :c", c=chat.conversation_id
    )
    # an online agent may already have been given it (round-robin)
    assert handoff.reason == "customer_request" and handoff.status in ("waiting", "assigned")


def test_two_misunderstood_messages_bring_a_person_and_cancel_brings_the_bot_back(
    backend: httpx.Client,
) -> None:
    chat = Chat(backend)
    chat.say("zzkq vvxp")
    second = chat.say("qqwx blorp")
    assert "asked a person from our team" in second, second
    # now a person holds the conversation: the bot stays silent, the customer hears the queue
    held = chat.say("hello?")
    assert ("in the queue" in held or "offline right now" in held) and "cancel" in held, held
    assert "back with the assistant" in chat.say("cancel")
