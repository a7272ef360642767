"""The Paystack adapter against Paystack's documented payloads (tests/fixtures/payments), served
by httpx.MockTransport: the requests it makes, and what it makes of the answers."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from backend.adapters.payments.paystack import PaystackPayments
from backend.lending.money import Money
from backend.services.payments.errors import ProviderUnavailable
from backend.services.payments.ports import Payer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payments"
SECRET = "sk_test_0123456789abcdef"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PAYER = Payer(uuid.uuid4(), "Ada Obi", "en_NG", "ada@example.com")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def client(status: int, body: bytes, seen: list[httpx.Request]) -> PaystackPayments:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    return PaystackPayments(SECRET, http=httpx.Client(transport=httpx.MockTransport(handler)))


def test_name_enquiry_asks_bank_resolve_with_the_secret_key_and_returns_the_name() -> None:
    seen: list[httpx.Request] = []
    name = client(200, fixture("paystack_resolve_ok.json"), seen).resolve(
        bank_code="058", account_number="0001234567", hint=None
    )
    assert name == "Doe Jane Loan"
    (request,) = seen
    assert request.method == "GET"
    assert request.url.path == "/bank/resolve"
    assert request.url.params["account_number"] == "0001234567"
    assert request.url.params["bank_code"] == "058"
    assert request.headers["Authorization"] == f"Bearer {SECRET}"


def test_an_account_the_bank_does_not_know_resolves_to_none() -> None:
    seen: list[httpx.Request] = []
    paystack = client(422, fixture("paystack_resolve_unknown.json"), seen)
    assert paystack.resolve(bank_code="058", account_number="0001234560", hint=None) is None


def test_a_provider_outage_is_reported_as_unavailable_not_as_no_such_account() -> None:
    seen: list[httpx.Request] = []
    paystack = client(500, b"<html>bad gateway</html>", seen)
    with pytest.raises(ProviderUnavailable):
        paystack.resolve(bank_code="058", account_number="0001234567", hint=None)


def test_a_payment_link_initialises_a_transaction_under_our_reference_in_kobo() -> None:
    seen: list[httpx.Request] = []
    got = client(200, fixture("paystack_initialize.json"), seen).collect(
        reference="cap123", amount=Money(2_500_000, "NGN"), method="link", payer=PAYER, now=NOW
    )
    assert got.link_url == "https://checkout.paystack.com/0peioxfhpn"
    assert got.virtual_account is None
    assert got.provider == "paystack"
    assert got.expires_at > NOW
    (request,) = seen
    assert request.url.path == "/transaction/initialize"
    sent = json.loads(request.content)
    assert sent == {"email": "ada@example.com", "amount": "2500000", "currency": "NGN", "reference": "cap123"}


def test_a_transfer_account_comes_from_a_bank_transfer_charge_with_its_expiry() -> None:
    seen: list[httpx.Request] = []
    got = client(200, fixture("paystack_charge_bank_transfer.json"), seen).collect(
        reference="cap456", amount=Money(10_000, "NGN"), method="virtual_account", payer=PAYER, now=NOW
    )
    assert got.virtual_account is not None
    assert got.virtual_account.account_number == "1260020473"
    assert got.virtual_account.bank_name == "Test Bank"
    assert got.virtual_account.account_name == "PAYSTACK CHECKOUT"
    assert got.expires_at == datetime(2025, 4, 24, 16, 40, 57, 954000, tzinfo=UTC)
    sent = json.loads(seen[0].content)
    assert seen[0].url.path == "/charge"
    assert sent["reference"] == "cap456"
    assert sent["bank_transfer"]["account_expires_at"] == "2026-11-27T11:00:00Z"


def test_a_refused_charge_is_unavailable() -> None:
    seen: list[httpx.Request] = []
    paystack = client(400, b'{"status": false, "message": "Invalid amount"}', seen)
    with pytest.raises(ProviderUnavailable):
        paystack.collect(reference="c", amount=Money(1, "NGN"), method="link", payer=PAYER, now=NOW)


def test_a_webhook_signed_with_the_secret_key_verifies_and_any_change_does_not() -> None:
    raw = fixture("paystack_charge_success.json")
    signature = hmac.new(SECRET.encode(), raw, hashlib.sha512).hexdigest()
    paystack = PaystackPayments(SECRET, http=httpx.Client())
    assert paystack.verify(raw, {"x-paystack-signature": signature})
    assert not paystack.verify(raw + b" ", {"x-paystack-signature": signature})
    assert not paystack.verify(raw, {"x-paystack-signature": "0" * 128})
    assert not paystack.verify(raw, {})


def test_charge_success_gives_the_reference_amount_in_kobo_and_payment_time() -> None:
    event = PaystackPayments(SECRET, http=httpx.Client()).parse(fixture("paystack_charge_success.json"))
    assert event is not None
    assert event.reference == "qTPrJoy9Bx"
    assert event.amount == Money(10_000, "NGN")
    assert event.paid_at == datetime(2016, 9, 30, 21, 10, 19, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        b'{"event": "transfer.success", "data": {"reference": "x", "amount": 1, "status": "success"}}',
        b'{"event": "charge.success", "data": {"reference": "x", "amount": 1, "status": "failed"}}',
        b"not json",
    ],
)
def test_other_events_and_garbage_are_not_payments(body: bytes) -> None:
    assert PaystackPayments(SECRET, http=httpx.Client()).parse(body) is None
