"""Twilio and Meta webhooks on real PostgreSQL: signatures, dedupe, opt-out keywords, delivery
reports, and the worker's in-order answering when Rasa is down (it is, in these tests: the
four-process journey is in tests/e2e/test_twilio_journey.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import text
from twilio.request_validator import RequestValidator

from backend.adapters.rasa import RasaClient, RasaUnavailable
from backend.api.routes.channel_webhooks import (
    SANDBOX_META_APP_SECRET,
    SANDBOX_META_VERIFY_TOKEN,
    SANDBOX_TWILIO_AUTH_TOKEN,
)
from backend.components import Components
from backend.gateway import channels, pipeline

INBOUND = "/channels/twilio/inbound"
STATUS = "/channels/twilio/status"
META = "/channels/whatsapp/webhook"


def twilio_post(
    client, settings, path: str, params: dict[str, str], *, token: str = SANDBOX_TWILIO_AUTH_TOKEN
):
    url = settings.public_base_url.rstrip("/") + path
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def an_sms(body: str = "hi", sid: str | None = None, phone: str = "+2348031234567") -> dict[str, str]:
    return {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC" + "0" * 32,
        "From": phone,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
    }


def stored(db, sid: str) -> int:
    return db.execute(
        text("SELECT count(*) FROM messages WHERE provider_message_id = :s"), {"s": sid}
    ).scalar()


def test_a_signed_twilio_message_is_stored_once_and_acknowledged_with_empty_twiml(client, settings, db):
    params = an_sms("hello", phone="+2348030000001")
    response = twilio_post(client, settings, INBOUND, params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert "<Response></Response>" in response.text
    assert stored(db, params["MessageSid"]) == 1


def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_stored(client, settings, db):
    params = an_sms("hello")
    assert client.post(INBOUND, data=params).status_code == 403
    wrong = twilio_post(client, settings, INBOUND, params, token="not-the-token")
    assert wrong.status_code == 403
    assert wrong.json()["type"].endswith("invalid-signature")
    tampered_url = settings.public_base_url.rstrip("/") + INBOUND
    signature = RequestValidator(SANDBOX_TWILIO_AUTH_TOKEN).compute_signature(tampered_url, params)
    tampered = client.post(
        INBOUND, data={**params, "Body": "send me money"}, headers={"X-Twilio-Signature": signature}
    )
    assert tampered.status_code == 403
    assert stored(db, params["MessageSid"]) == 0


def test_a_webhook_delivered_ten_times_at_once_is_stored_once(client, settings, db):
    params = an_sms("apply", phone="+2348030000002")
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(
            pool.map(lambda _: twilio_post(client, settings, INBOUND, params).status_code, range(10))
        )
    assert codes == [200] * 10
    assert stored(db, params["MessageSid"]) == 1


def test_a_known_customers_button_tap_delivered_ten_times_at_once_is_stored_once_as_tapped(
    client, settings, db
):
    # a known customer: the conversation lookup finds it, and the unique key keeps one row
    phone = "+2348030000012"
    assert twilio_post(client, settings, INBOUND, an_sms("hi", phone=phone)).status_code == 200
    params = {**an_sms("Apply for credit", phone=phone), "ButtonPayload": "/start_application"}
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(
            pool.map(lambda _: twilio_post(client, settings, INBOUND, params).status_code, range(10))
        )
    assert codes == [200] * 10
    row = db.execute(
        text(
            "SELECT m.text, m.payload, m.status, m.direction, m.author, m.envelope, m.request_id,"
            " c.channel_identity FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE m.provider_message_id = :s"
        ),
        {"s": params["MessageSid"]},
    ).one()  # exactly one row
    assert (row.text, row.payload) == ("Apply for credit", "/start_application")
    assert (row.direction, row.author, row.channel_identity) == ("inbound", "customer", phone)
    assert row.status in ("received", "processing", "answered", "failed")
    assert row.envelope is not None and row.request_id


def test_whatsapp_and_sms_from_one_number_are_one_customer(client, settings, db):
    phone = "+2348030000003"
    twilio_post(client, settings, INBOUND, an_sms("hi", phone=phone))
    twilio_post(
        client,
        settings,
        INBOUND,
        {**an_sms("hi"), "From": f"whatsapp:{phone}", "To": "whatsapp:+14155238886"},
    )
    rows = db.execute(
        text("SELECT channel, customer_id FROM conversations WHERE channel_identity = :p ORDER BY channel"),
        {"p": phone},
    ).all()
    assert [r.channel for r in rows] == ["sms", "whatsapp"]
    assert rows[0].customer_id == rows[1].customer_id
    phone_of = db.execute(
        text("SELECT phone_e164 FROM customers WHERE id = :c"), {"c": rows[0].customer_id}
    ).scalar()
    assert phone_of == phone


def test_stop_opts_out_and_start_opts_back_in_without_the_bot(client, settings, db):
    phone = "+2348030000004"
    assert twilio_post(client, settings, INBOUND, an_sms("STOP", phone=phone)).status_code == 200
    opted = db.execute(
        text("SELECT id, opted_out_at FROM conversations WHERE channel_identity = :p AND channel = 'sms'"),
        {"p": phone},
    ).one()
    assert opted.opted_out_at is not None
    replies = db.execute(
        text("SELECT author, text FROM messages WHERE conversation_id = :c AND direction = 'outbound'"),
        {"c": opted.id},
    ).all()
    assert [(r.author, "unsubscribed" in r.text) for r in replies] == [("system", True)]
    twilio_post(client, settings, INBOUND, an_sms("start", phone=phone))
    again = db.execute(text("SELECT opted_out_at FROM conversations WHERE id = :c"), {"c": opted.id}).scalar()
    assert again is None


def test_delivery_reports_move_a_message_forward_only(client, settings, db):
    conversation = db.execute(text("SELECT id FROM conversations LIMIT 1")).scalar()
    sid = f"SM{uuid.uuid4().hex}"
    db.execute(
        text(
            "INSERT INTO messages (conversation_id, direction, author, text, provider_message_id, status,"
            " created_at) VALUES (:c, 'outbound', 'bot', 'x', :s, 'sent', now())"
        ),
        {"c": conversation, "s": sid},
    )
    db.commit()
    report = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    assert twilio_post(client, settings, STATUS, report).status_code == 204
    assert twilio_post(client, settings, STATUS, {**report, "MessageStatus": "sent"}).status_code == 204
    status = db.execute(
        text("SELECT status FROM messages WHERE provider_message_id = :s"), {"s": sid}
    ).scalar()
    assert status == "delivered"
    failed = {**report, "MessageStatus": "undelivered", "ErrorCode": "30003", "ErrorMessage": "Unreachable"}
    twilio_post(client, settings, STATUS, failed)
    row = db.execute(
        text("SELECT status, envelope FROM messages WHERE provider_message_id = :s"), {"s": sid}
    ).one()
    assert row.status == "undelivered" and row.envelope["error"]["code"] == "30003"


def test_the_meta_handshake_echoes_the_challenge_only_for_our_token(client):
    ok = client.get(
        META,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": SANDBOX_META_VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = client.get(
        META, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert bad.status_code == 403


def meta_payload(wamid: str, text_body: str, wa_id: str = "2348030000005") -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550783881",
                                    "phone_number_id": "106540352242922",
                                },
                                "contacts": [{"profile": {"name": "Amaka"}, "wa_id": wa_id}],
                                "messages": [
                                    {
                                        "from": wa_id,
                                        "id": wamid,
                                        "timestamp": "1749416383",
                                        "type": "text",
                                        "text": {"body": text_body},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def meta_post(client, raw: bytes, secret: str = SANDBOX_META_APP_SECRET):
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        META, content=raw, headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    )


def test_a_signed_meta_message_is_stored_once_and_a_forged_one_refused(client, db):
    wamid = f"wamid.{uuid.uuid4().hex}"
    raw = meta_payload(wamid, "hello")
    assert meta_post(client, raw).status_code == 200
    assert meta_post(client, raw).status_code == 200  # Meta redelivers
    assert stored(db, wamid) == 1
    channel = db.execute(
        text(
            "SELECT c.channel FROM conversations c JOIN messages m ON m.conversation_id = c.id"
            " WHERE m.provider_message_id = :w"
        ),
        {"w": wamid},
    ).scalar()
    assert channel == "whatsapp_cloud"
    forged = meta_payload(f"wamid.{uuid.uuid4().hex}", "transfer everything")
    assert meta_post(client, forged, secret="wrong").status_code == 403
    assert client.post(META, content=forged, headers={"Content-Type": "application/json"}).status_code == 403


def test_rasa_down_stores_the_message_and_says_we_will_be_right_back_once(client, settings, db):
    params = an_sms("hello there", phone="+2348030000006")
    twilio_post(client, settings, INBOUND, params)
    conversation_id = db.execute(
        text("SELECT conversation_id FROM messages WHERE provider_message_id = :s"),
        {"s": params["MessageSid"]},
    ).scalar()

    components = Components.build(settings)
    try:
        for _ in range(3):  # the worker retrying while Rasa is down
            with pytest.raises(RasaUnavailable):
                pipeline.process_conversation(
                    components.sessions, RasaClient("http://127.0.0.1:9"), conversation_id
                )
    finally:
        components.close()
    rows = db.execute(
        text("SELECT direction, author, status, text FROM messages WHERE conversation_id = :c ORDER BY id"),
        {"c": conversation_id},
    ).all()
    assert [(r.direction, r.status) for r in rows if r.direction == "inbound"] == [("inbound", "failed")]
    apologies = [r for r in rows if r.direction == "outbound"]
    assert len(apologies) == 1 and "as soon as it's back" in apologies[0].text


def test_a_whatsapp_message_failed_for_the_closed_window_is_queued_again_for_the_fallback(
    client, settings, db
):
    conversation = db.execute(
        text("SELECT id FROM conversations WHERE channel = 'whatsapp' LIMIT 1")
    ).scalar()
    assert conversation is not None, "an earlier test created a WhatsApp conversation"
    sid = f"SM{uuid.uuid4().hex}"
    db.execute(
        text(
            "INSERT INTO messages (conversation_id, direction, author, text, provider_message_id, status,"
            " created_at) VALUES (:c, 'outbound', 'bot', 'Your payment is due', :s, 'sent', now())"
        ),
        {"c": conversation, "s": sid},
    )
    db.commit()
    report = {
        "MessageSid": sid,
        "MessageStatus": "failed",
        "ErrorCode": "63016",
        "AccountSid": "AC" + "0" * 32,
    }
    assert twilio_post(client, settings, STATUS, report).status_code == 204
    row = db.execute(
        text("SELECT status, envelope FROM messages WHERE provider_message_id = :s"), {"s": sid}
    ).one()
    assert row.status in ("queued", "sent")  # queued again; the eager test worker may already have sent it
    assert row.envelope["window_closed"] is True


@pytest.mark.parametrize("meta_status", [200, 500], ids=["meta-up", "meta-failing"])
def test_a_whatsapp_cloud_message_is_marked_read_with_typing_before_it_is_answered(
    client, settings, db, meta_status
):
    """Blue ticks and "typing..." go to Meta's Graph API (the outside world, served here by
    httpx.MockTransport) before the answer; Meta failing changes nothing about the answer."""
    wamid = f"wamid.{uuid.uuid4().hex}"
    wa_id = f"23480{uuid.uuid4().int % 10**8:08d}"  # a customer of this test alone
    assert meta_post(client, meta_payload(wamid, "hello", wa_id=wa_id)).status_code == 200
    conversation_id = db.execute(
        text("SELECT conversation_id FROM messages WHERE provider_message_id = :w"), {"w": wamid}
    ).scalar()
    graph: list[dict] = []

    def meta(request: httpx.Request) -> httpx.Response:
        graph.append({"path": request.url.path, **json.loads(request.content)})
        return httpx.Response(meta_status, json={"success": True} if meta_status == 200 else {})

    live = settings.model_copy(
        update={"meta_access_token": "EAAJB-test", "meta_phone_number_id": "106540352242922"}
    )
    mark_seen = channels.seen_marker(live, transport=httpx.MockTransport(meta))
    components = Components.build(settings)
    try:
        with pytest.raises(RasaUnavailable):  # Rasa is down here: the apology is the answer
            pipeline.process_conversation(
                components.sessions, RasaClient("http://127.0.0.1:9"), conversation_id, mark_seen=mark_seen
            )
    finally:
        components.close()
    assert graph == [
        {
            "path": "/v21.0/106540352242922/messages",
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
            "typing_indicator": {"type": "text"},
        }
    ]
    apology = db.execute(
        text("SELECT text FROM messages WHERE conversation_id = :c AND direction = 'outbound'"),
        {"c": conversation_id},
    ).scalar_one()
    assert "as soon as it's back" in apology


def test_without_provider_credentials_nothing_is_marked_read(settings):
    assert channels.seen_marker(settings) is None  # the sandbox: no provider to tell


@pytest.mark.parametrize("on_whatsapp", [True, False], ids=["twilio-whatsapp", "sms"])
def test_twilio_shows_typing_on_whatsapp_and_nothing_on_sms(client, settings, db, on_whatsapp):
    phone = f"+23480{uuid.uuid4().int % 10**8:08d}"
    params = an_sms("hello", phone=phone)
    if on_whatsapp:
        params.update({"From": f"whatsapp:{phone}", "To": "whatsapp:+14155238886"})
    assert twilio_post(client, settings, INBOUND, params).status_code == 200
    conversation_id = db.execute(
        text("SELECT conversation_id FROM messages WHERE provider_message_id = :s"),
        {"s": params["MessageSid"]},
    ).scalar()
    twilio: list[tuple[str, dict]] = []

    def api(request: httpx.Request) -> httpx.Response:
        twilio.append((str(request.url), parse_qs(request.content.decode())))
        return httpx.Response(200, json={"success": True})

    live = settings.model_copy(update={"twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": "secret"})
    components = Components.build(settings)
    try:
        with pytest.raises(RasaUnavailable):
            pipeline.process_conversation(
                components.sessions,
                RasaClient("http://127.0.0.1:9"),
                conversation_id,
                mark_seen=channels.seen_marker(live, transport=httpx.MockTransport(api)),
            )
    finally:
        components.close()
    expected = [
        (
            "https://messaging.twilio.com/v2/Indicators/Typing.json",
            {"channel": ["whatsapp"], "messageId": [params["MessageSid"]]},
        )
    ]
    assert twilio == (expected if on_whatsapp else [])
