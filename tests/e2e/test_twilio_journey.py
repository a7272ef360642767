"""The Twilio path end to end: signed webhooks into the backend, a real Celery worker on Redis
answering through Rasa and the action server, replies rendered for SMS into the sandbox outbox;
numbered menus, duplicates and ordering, and a photo fetched and stored as a document."""

from __future__ import annotations

import http.server
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text
from twilio.request_validator import RequestValidator

from backend.api.routes.channel_webhooks import SANDBOX_TWILIO_AUTH_TOKEN
from backend.launcher.stack import free_port
from channels import sms

pytestmark = pytest.mark.e2e

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 8


class Phone:
    """A customer's phone on SMS: each message is a signed Twilio webhook."""

    def __init__(self, backend: httpx.Client, base_url: str, number: str) -> None:
        self.backend, self.base_url, self.number = backend, base_url, number

    def send(self, body: str = "", sid: str | None = None, media: str | None = None) -> str:
        sid = sid or f"SM{uuid.uuid4().hex}"
        params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": self.number, "To": "+15005550006",
                  "Body": body, "NumMedia": "1" if media else "0"}  # fmt: skip
        if media:
            params |= {"MediaUrl0": media, "MediaContentType0": "image/jpeg"}
        url = self.base_url + "/channels/twilio/inbound"
        signature = RequestValidator(SANDBOX_TWILIO_AUTH_TOKEN).compute_signature(url, params)
        started = time.perf_counter()
        response = self.backend.post(
            "/channels/twilio/inbound", data=params, headers={"X-Twilio-Signature": signature}
        )
        self.last_ack = time.perf_counter() - started
        assert response.status_code == 200, response.text
        return sid


def replies_to(db, sid: str, timeout: float = 60) -> list[str]:
    """The SMS bodies the worker sent (outbox parts) in answer to one inbound message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.rollback()
        rows = db.execute(
            text(
                """SELECT o.body FROM outbox o JOIN messages r ON r.id = o.message_id
                   JOIN messages m ON m.id = r.in_reply_to_id
                   WHERE m.provider_message_id = :s ORDER BY r.id"""
            ),
            {"s": sid},
        ).all()
        status = db.execute(
            text("SELECT status FROM messages WHERE provider_message_id = :s"), {"s": sid}
        ).scalar()
        if rows and status == "answered":
            time.sleep(0.3)  # the rest of the reply's parts
            rows = db.execute(
                text(
                    """SELECT o.body FROM outbox o JOIN messages r ON r.id = o.message_id
                       JOIN messages m ON m.id = r.in_reply_to_id
                       WHERE m.provider_message_id = :s ORDER BY r.id"""
                ),
                {"s": sid},
            ).all()
            return [part["Body"] for row in rows for part in row.body.get("parts", [])]
        time.sleep(0.2)
    raise AssertionError(f"no reply to {sid} within {timeout}s")


@pytest.fixture()
def phone(backend: httpx.Client, stack) -> Phone:
    return Phone(backend, stack.backend_url, f"+23480{uuid.uuid4().int % 10**8:08d}")


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.wfile.write(JPEG)

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/media/id.jpg"
    server.shutdown()


def test_an_sms_journey_with_numbered_menus_and_a_photo(phone: Phone, db, media_server: str) -> None:
    greeting = replies_to(db, phone.send("hi"))
    menu = "\n".join(greeting)
    assert "Reply 1" in menu and "Apply for credit" in menu, greeting
    assert all(sms.fits(part) for part in greeting), greeting  # one SMS each: 160 GSM-7 or 70 UCS-2
    consent = "\n".join(replies_to(db, phone.send("1")))
    assert "Do you agree?" in consent, consent
    product = "\n".join(replies_to(db, phone.send("1")))
    assert "Which kind of credit" in product, product
    assert "full name" in "\n".join(replies_to(db, phone.send("4")))
    assert "date of birth" in "\n".join(replies_to(db, phone.send("Amaka Okafor")))
    assert "BVN" in "\n".join(replies_to(db, phone.send("12/03/1990")))
    bvn = f"222{uuid.uuid4().int % 10**7:07d}1"  # a BVN no other test customer holds
    assert "photo of your ID" in "\n".join(replies_to(db, phone.send(bvn)))
    assert "selfie" in "\n".join(replies_to(db, phone.send(media=media_server)))
    kinds = (
        db.execute(
            text(
                """SELECT d.kind FROM documents d JOIN customers c ON c.id = d.customer_id
               WHERE c.phone_e164 = :p"""
            ),
            {"p": phone.number},
        )
        .scalars()
        .all()
    )
    assert kinds == ["id_document"]


def test_duplicates_get_one_reply_and_messages_are_answered_in_order(phone: Phone, db) -> None:
    sid = f"SM{uuid.uuid4().hex}"
    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(lambda _: phone.send("hi", sid=sid), range(5)))
    assert len([p for p in replies_to(db, sid) if "What would you like to do" in p]) == 1
    first = phone.send("how does it work")
    second = phone.send("what is APR")
    replies_to(db, second)
    order = (
        db.execute(
            text(
                """SELECT m.provider_message_id FROM messages r JOIN messages m ON m.id = r.in_reply_to_id
               WHERE m.provider_message_id IN (:a, :b) ORDER BY r.id"""
            ),
            {"a": first, "b": second},
        )
        .scalars()
        .all()
    )
    assert order[0] == first and order[-1] == second


def test_stop_silences_proactive_messages_until_start(phone: Phone, db, backend, stack) -> None:
    replies_to(db, phone.send("hi"))
    stopped = phone.send("STOP")
    assert any("unsubscribed" in p for p in replies_to(db, stopped))
    conversation = db.execute(
        text("SELECT id FROM conversations WHERE channel_identity = :p"), {"p": phone.number}
    ).scalar()
    from tests.e2e.conftest import API_KEY

    sent = backend.post(
        f"/v1/conversations/{conversation}/messages",
        json={"text": "Reminder: your payment is due tomorrow"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert sent.status_code == 202
    message_id = sent.json()["message_id"]
    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline and status in (None, "queued"):
        db.rollback()
        status = db.execute(text("SELECT status FROM messages WHERE id = :m"), {"m": message_id}).scalar()
        time.sleep(0.2)
    assert status == "suppressed"
