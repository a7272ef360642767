"""The WhatsApp Cloud API sender against Meta's documented responses (tests/fixtures/meta), served
by httpx.MockTransport: the requests it makes, its retries, and what it raises."""

import json
from pathlib import Path

import httpx
import pytest

from backend.adapters.messaging.base import OutsideServiceWindow, SendError
from backend.adapters.messaging.meta import MetaSender

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "meta"
TOKEN = "EAAJB-test-token"
PHONE_NUMBER_ID = "106540352242922"
TEXT = {"type": "text", "text": {"body": "Hello", "preview_url": False}}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sender(responses: list, seen: list[httpx.Request], sleeps: list[float] | None = None) -> MetaSender:
    """A sender whose transport answers with `responses` in turn (a Response, or an exception)."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return MetaSender(
        PHONE_NUMBER_ID,
        TOKEN,
        transport=httpx.MockTransport(handler),
        sleep=(sleeps.append if sleeps is not None else lambda _: None),
    )


def ok(name: str = "send_success.json") -> httpx.Response:
    return httpx.Response(200, content=fixture(name), headers={"Content-Type": "application/json"})


def error(status: int, name: str) -> httpx.Response:
    return httpx.Response(status, content=fixture(name), headers={"Content-Type": "application/json"})


def test_send_posts_the_message_object_with_bearer_auth_and_returns_the_wamid():
    seen: list[httpx.Request] = []
    result = sender([ok()], seen).send("+16505551234", TEXT, idempotency_key="msg-1")
    assert result.provider == "meta"
    assert result.provider_message_id == "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
    assert result.status == "accepted"
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == f"https://graph.facebook.com/v21.0/{PHONE_NUMBER_ID}/messages"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "16505551234",
        **TEXT,
    }


def test_the_api_version_and_base_url_are_configurable():
    seen: list[httpx.Request] = []
    queue = [ok()]
    client = MetaSender(
        "42",
        TOKEN,
        api_version="v23.0",
        base_url="https://graph.example.test/",
        transport=httpx.MockTransport(lambda r: (seen.append(r), queue.pop(0))[1]),
    )
    client.send("+2348031234567", TEXT, idempotency_key="k")
    assert str(seen[0].url) == "https://graph.example.test/v23.0/42/messages"
    assert json.loads(seen[0].content)["to"] == "2348031234567"


def test_re_engagement_error_131047_raises_outside_service_window_without_retrying():
    seen: list[httpx.Request] = []
    with pytest.raises(OutsideServiceWindow) as raised:
        sender([error(400, "error_131047_reengagement.json")], seen).send("+1", TEXT, idempotency_key="k")
    assert raised.value.code == "131047"
    assert "24 hours" in str(raised.value)
    assert len(seen) == 1


def test_throughput_limit_130429_is_retried_with_backoff_then_succeeds():
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    result = sender(
        [error(400, "error_130429_throughput.json"), error(400, "error_130429_throughput.json"), ok()],
        seen,
        sleeps,
    ).send("+16505551234", TEXT, idempotency_key="k")
    assert result.provider_message_id.startswith("wamid.")
    assert len(seen) == 3
    assert len(sleeps) == 2 and all(s > 0 for s in sleeps)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(429, json={"error": {"message": "(#4) Application request limit reached", "code": 4}}),
        httpx.Response(503, text="Service Unavailable"),
        httpx.Response(400, json={"error": {"message": "(#80007) Rate limit issues", "code": 80007}}),
        httpx.Response(400, json={"error": {"message": "(#131056) Pair rate limit hit", "code": 131056}}),
    ],
)
def test_http_429_5xx_and_metas_throttling_codes_are_retried(response):
    seen: list[httpx.Request] = []
    sender([response, ok()], seen).send("+16505551234", TEXT, idempotency_key="k")
    assert len(seen) == 2


def test_a_persistent_server_error_gives_up_after_the_attempts_as_a_retryable_send_error():
    seen: list[httpx.Request] = []
    with pytest.raises(SendError) as raised:
        sender([error(500, "error_131000_server.json")] * 4, seen).send("+1", TEXT, idempotency_key="k")
    assert (raised.value.code, raised.value.retryable) == ("131000", True)
    assert len(seen) == 4


def test_a_connection_that_never_opened_is_retried():
    seen: list[httpx.Request] = []
    result = sender([httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), ok()], seen).send(
        "+16505551234", TEXT, idempotency_key="k"
    )
    assert result.provider_message_id.startswith("wamid.")
    assert len(seen) == 3


def test_a_lost_answer_is_not_resent_because_the_message_may_have_gone():
    seen: list[httpx.Request] = []
    with pytest.raises(SendError) as raised:
        sender([httpx.ReadTimeout("no answer"), ok()], seen).send("+1", TEXT, idempotency_key="k")
    assert (raised.value.code, raised.value.retryable) == ("timeout", False)
    assert len(seen) == 1


def test_other_errors_are_final_send_errors_with_metas_code():
    seen: list[httpx.Request] = []
    with pytest.raises(SendError) as raised:
        sender([error(400, "error_131026_undeliverable.json")], seen).send("+1", TEXT, idempotency_key="k")
    assert not isinstance(raised.value, OutsideServiceWindow)
    assert (raised.value.code, raised.value.retryable) == ("131026", False)
    assert len(seen) == 1


def test_an_answer_without_a_message_id_is_an_error():
    with pytest.raises(SendError):
        sender([httpx.Response(200, json={"messaging_product": "whatsapp"})], []).send(
            "+1", TEXT, idempotency_key="k"
        )


def test_fetch_media_resolves_the_id_then_downloads_with_the_token():
    seen: list[httpx.Request] = []
    image = b"\xff\xd8\xff\xe0fake-jpeg"
    content, content_type = sender(
        [ok("media_url.json"), httpx.Response(200, content=image, headers={"Content-Type": "image/jpeg"})],
        seen,
    ).fetch_media("1003383421387256")
    assert (content, content_type) == (image, "image/jpeg")
    lookup, download = seen
    assert str(lookup.url) == "https://graph.facebook.com/v21.0/1003383421387256"
    assert download.url.host == "lookaside.fbsbx.com"
    assert download.headers["Authorization"] == f"Bearer {TOKEN}"


def test_fetch_media_refuses_a_file_over_10_mb_while_streaming():
    info = json.loads(fixture("media_url.json"))
    del info["file_size"]
    with pytest.raises(SendError) as raised:
        sender(
            [httpx.Response(200, json=info), httpx.Response(200, content=b"x" * (10 * 1024 * 1024 + 1))], []
        ).fetch_media("1003383421387256")
    assert raised.value.code == "media_too_large"


def test_fetch_media_refuses_a_declared_size_over_10_mb_without_downloading():
    seen: list[httpx.Request] = []
    info = {**json.loads(fixture("media_url.json")), "file_size": str(11 * 1024 * 1024)}
    with pytest.raises(SendError) as raised:
        sender([httpx.Response(200, json=info)], seen).fetch_media("1003383421387256")
    assert raised.value.code == "media_too_large"
    assert len(seen) == 1


def test_fetch_media_retries_a_dropped_download():
    seen: list[httpx.Request] = []
    content, _ = sender(
        [ok("media_url.json"), httpx.ReadError("reset"), httpx.Response(200, content=b"pdf")], seen
    ).fetch_media("1003383421387256")
    assert content == b"pdf"
    assert len(seen) == 3


def test_mark_read_posts_the_read_status_for_the_customers_message():
    seen: list[httpx.Request] = []
    sender([ok("mark_read_success.json")], seen).mark_read("wamid.ABC")
    (request,) = seen
    assert request.url.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.ABC",
    }


def test_mark_read_with_typing_shows_the_typing_indicator_until_the_reply():
    seen: list[httpx.Request] = []
    sender([ok("mark_read_success.json")], seen).mark_read("wamid.ABC", typing=True)
    (request,) = seen
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.ABC",
        "typing_indicator": {"type": "text"},
    }


@pytest.mark.parametrize(
    "answer", [error(500, "error_131000_server.json"), httpx.ConnectError("refused")], ids=["5xx", "down"]
)
def test_a_read_receipt_is_tried_once_so_it_never_delays_the_answer(answer):
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    with pytest.raises(SendError):
        sender([answer], seen, sleeps).mark_read("wamid.ABC", typing=True)
    assert len(seen) == 1 and sleeps == []
