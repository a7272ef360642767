import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from tenacity import wait_none

from backend.adapters.messaging.base import OutsideServiceWindow, SendError
from backend.adapters.messaging.twilio import MAX_MEDIA_BYTES, MediaFetchError, TwilioSender

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "twilio"


def fixture(name: str) -> Any:
    """A documented Twilio payload from tests/fixtures/twilio (sources in its README)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


SID = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
TOKEN = "auth-token"
MESSAGES = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
MEDIA = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"
CDN = "https://mms.twiliocdn.com/ACXX/abcdef"


class FakeTwilio:
    """Answers each request with the next canned response and records what was asked."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer

    def form(self, n: int = -1) -> dict[str, list[str]]:
        return parse_qs(self.requests[n].content.decode())


def created(status=201):
    return httpx.Response(status, json=fixture("message_created.json"))


def error(name):
    body = fixture(name)
    return httpx.Response(body["status"], json=body)


def a_sender(fake, **kwargs):
    kwargs.setdefault("from_number", "+15557122661")
    return TwilioSender(SID, TOKEN, transport=httpx.MockTransport(fake), wait=wait_none(), **kwargs)


def test_an_sms_is_posted_as_a_form_with_basic_auth_and_returns_the_sid():
    fake = FakeTwilio(created())
    result = a_sender(fake).send("+2348031234567", {"Body": "Hello"}, idempotency_key="msg-1-0")
    assert (result.provider, result.provider_message_id, result.status) == (
        "twilio",
        "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "queued",
    )
    request = fake.requests[0]
    assert request.method == "POST" and str(request.url) == MESSAGES
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert fake.form() == {"Body": ["Hello"], "To": ["+2348031234567"], "From": ["+15557122661"]}


def test_a_messaging_service_is_preferred_to_a_from_number():
    fake = FakeTwilio(created())
    a_sender(fake, messaging_service_sid="MGXXXX").send("+2348031234567", {"Body": "Hi"}, idempotency_key="k")
    form = fake.form()
    assert form["MessagingServiceSid"] == ["MGXXXX"] and "From" not in form


def test_whatsapp_prefixes_to_and_from():
    fake = FakeTwilio(created())
    sender = a_sender(fake, whatsapp_from="+14155238886")
    sender.send("+2348031234567", {"Body": "Hi"}, idempotency_key="k", channel="whatsapp")
    assert fake.form()["To"] == ["whatsapp:+2348031234567"]
    assert fake.form()["From"] == ["whatsapp:+14155238886"]


def test_a_prefixed_recipient_is_whatsapp_without_being_told():
    fake = FakeTwilio(created())
    a_sender(fake, whatsapp_from="whatsapp:+14155238886").send(
        "whatsapp:+2348031234567", {"Body": "Hi"}, idempotency_key="k"
    )
    assert fake.form()["To"] == ["whatsapp:+2348031234567"]
    assert fake.form()["From"] == ["whatsapp:+14155238886"]


def test_a_channel_bound_sender_decides_whatsapp_or_sms_for_a_bare_number():
    fake = FakeTwilio(created())
    sender = a_sender(fake, whatsapp_from="+14155238886")
    sender.for_channel("whatsapp").send("+2348031234567", {"Body": "Hi"}, idempotency_key="k")
    assert fake.form()["To"] == ["whatsapp:+2348031234567"]
    sender.for_channel("sms").send("whatsapp:+2348031234567", {"Body": "Hi"}, idempotency_key="k")
    assert fake.form()["To"] == ["+2348031234567"] and fake.form()["From"] == ["+15557122661"]
    assert sender.for_channel("sms").name == "twilio"


def test_media_urls_go_as_repeated_fields_and_the_status_callback_is_added():
    fake = FakeTwilio(created())
    sender = a_sender(fake, status_callback="https://bank.test/channels/twilio/status")
    sender.send(
        "+2348031234567",
        {"Body": "Pic", "MediaUrl": ["https://x/1.jpg", "https://x/2.jpg"]},
        idempotency_key="k",
    )
    form = fake.form()
    assert form["MediaUrl"] == ["https://x/1.jpg", "https://x/2.jpg"]
    assert form["StatusCallback"] == ["https://bank.test/channels/twilio/status"]


def test_63016_raises_outside_service_window_without_retrying():
    fake = FakeTwilio(error("error_63016.json"))
    with pytest.raises(OutsideServiceWindow) as caught:
        a_sender(fake, whatsapp_from="+14155238886").send(
            "+2348031234567", {"Body": "Late"}, idempotency_key="k", channel="whatsapp"
        )
    assert caught.value.code == "63016" and not caught.value.retryable
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("name", "code"),
    [("error_21211.json", "21211"), ("error_21610.json", "21610"), ("error_20003.json", "20003")],
)
def test_other_client_errors_are_final_with_twilios_code(name, code):
    fake = FakeTwilio(error(name))
    with pytest.raises(SendError) as caught:
        a_sender(fake).send("+2348031234567", {"Body": "Hi"}, idempotency_key="k")
    assert caught.value.code == code and not caught.value.retryable
    assert not isinstance(caught.value, OutsideServiceWindow)
    assert len(fake.requests) == 1


def test_too_many_requests_is_retried_until_accepted():
    fake = FakeTwilio(error("error_20429.json"), error("error_20429.json"), created())
    result = a_sender(fake).send("+2348031234567", {"Body": "Hi"}, idempotency_key="k")
    assert result.provider_message_id == "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
    assert len(fake.requests) == 3


def test_code_20429_is_retried_even_on_another_http_status():
    body = {**fixture("error_20429.json"), "status": 400}
    fake = FakeTwilio(httpx.Response(400, json=body), created())
    a_sender(fake).send("+2348031234567", {"Body": "Hi"}, idempotency_key="k")
    assert len(fake.requests) == 2


def test_server_errors_are_retried_then_reported_as_retryable():
    fake = FakeTwilio(error("error_20500.json"))
    with pytest.raises(SendError) as caught:
        a_sender(fake, max_attempts=3).send("+2348031234567", {"Body": "Hi"}, idempotency_key="k")
    assert caught.value.retryable and caught.value.code == "20500"
    assert len(fake.requests) == 3


def test_a_refused_connection_is_retried():
    fake = FakeTwilio(httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), created())
    a_sender(fake).send("+2348031234567", {"Body": "Hi"}, idempotency_key="k")
    assert len(fake.requests) == 3


def test_a_lost_answer_is_not_retried_because_the_message_may_have_gone():
    fake = FakeTwilio(httpx.ReadTimeout("no answer"), created())
    with pytest.raises(SendError) as caught:
        a_sender(fake).send("+2348031234567", {"Body": "Hi"}, idempotency_key="k")
    assert caught.value.code == "no_response" and not caught.value.retryable
    assert len(fake.requests) == 1


def test_without_a_sender_number_nothing_is_sent():
    fake = FakeTwilio(created())
    sender = TwilioSender(SID, TOKEN, transport=httpx.MockTransport(fake))
    with pytest.raises(SendError) as caught:
        sender.send("+2348031234567", {"Body": "Hi"}, idempotency_key="k")
    assert caught.value.code == "not_configured" and fake.requests == []
    with pytest.raises(SendError):
        sender.send("+2348031234567", {"Body": "Hi"}, idempotency_key="k", channel="whatsapp")


def test_a_template_goes_as_content_sid_and_json_variables_without_body():
    fake = FakeTwilio(created())
    a_sender(fake, whatsapp_from="+14155238886").send_template(
        "+2348031234567", "HXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", {1: "Adaeze", "2": 5000}, idempotency_key="k"
    )
    form = fake.form()
    assert form["ContentSid"] == ["HXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"]
    assert json.loads(form["ContentVariables"][0]) == {"1": "Adaeze", "2": "5000"}
    assert form["To"] == ["whatsapp:+2348031234567"] and "Body" not in form


def test_media_is_fetched_with_auth_and_the_redirect_is_followed_without_it():
    def answer(request):
        if request.url.host == "api.twilio.com":
            return httpx.Response(307, headers={"location": CDN})
        return httpx.Response(200, content=b"\xff\xd8jpeg", headers={"content-type": "image/jpeg; q=1"})

    fake = FakeTwilio(answer)
    content, content_type = a_sender(fake).fetch_media(MEDIA)
    assert (content, content_type) == (b"\xff\xd8jpeg", "image/jpeg")
    first, second = fake.requests
    assert first.headers["authorization"].startswith("Basic ")
    assert str(second.url) == CDN and "authorization" not in second.headers


def test_media_over_10_mb_is_refused_by_its_declared_length():
    fake = FakeTwilio(httpx.Response(200, content=b"", headers={"content-length": str(MAX_MEDIA_BYTES + 1)}))
    with pytest.raises(MediaFetchError):
        a_sender(fake).fetch_media(MEDIA)


def test_media_over_10_mb_is_refused_while_streaming():
    def chunks():
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    fake = FakeTwilio(lambda request: httpx.Response(200, content=chunks()))
    with pytest.raises(MediaFetchError) as caught:
        a_sender(fake).fetch_media(MEDIA)
    assert not caught.value.retryable


def test_media_from_elsewhere_is_not_fetched_so_our_credentials_stay_with_twilio():
    fake = FakeTwilio(httpx.Response(200, content=b"x"))
    for url in (
        "https://evil.example/a.jpg",
        "http://api.twilio.com/x",
        "https://api.twilio.com.evil.example/x",
    ):
        with pytest.raises(MediaFetchError):
            a_sender(fake).fetch_media(url)
    assert fake.requests == []


def test_media_server_errors_are_retried_and_missing_media_is_final():
    fake = FakeTwilio(
        httpx.Response(503), httpx.Response(200, content=b"pdf", headers={"content-type": "application/pdf"})
    )
    assert a_sender(fake).fetch_media(MEDIA) == (b"pdf", "application/pdf")
    fake = FakeTwilio(httpx.Response(404))
    with pytest.raises(MediaFetchError) as caught:
        a_sender(fake).fetch_media(MEDIA)
    assert not caught.value.retryable and len(fake.requests) == 1


def test_typing_on_whatsapp_posts_the_customers_message_sid_to_the_indicators_api():
    fake = FakeTwilio(httpx.Response(200, json=fixture("typing_indicator_created.json")))
    a_sender(fake).show_typing("SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    (request,) = fake.requests
    assert str(request.url) == "https://messaging.twilio.com/v2/Indicators/Typing.json"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert fake.form() == {"channel": ["whatsapp"], "messageId": ["SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"]}


@pytest.mark.parametrize(
    "answer", [error("error_20500.json"), error("error_20003.json"), httpx.ConnectError("refused")]
)
def test_a_typing_indicator_is_tried_once_and_a_refusal_is_a_send_error(answer):
    fake = FakeTwilio(answer)
    with pytest.raises(SendError):
        a_sender(fake).show_typing("SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    assert len(fake.requests) == 1
