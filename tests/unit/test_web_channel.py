import pytest

from channels import web
from channels.messages import BotReply, Button, InvalidInbound


def test_text_message_is_stripped_and_keeps_the_client_message_id():
    inbound = web.parse({"session_id": "web-12345678", "text": "  hello ", "message_id": "m-1"})
    assert (inbound.channel, inbound.sender, inbound.text) == ("web", "web-12345678", "hello")
    assert inbound.provider_message_id == "m-1"
    assert not inbound.is_payload


def test_payload_is_passed_to_rasa_verbatim_and_keeps_the_button_title_for_the_transcript():
    inbound = web.parse(
        {
            "session_id": "web-12345678",
            "payload": '/choose{"business_type": "retail"}',
            "title": "Retail/shop",
        }
    )
    assert inbound.is_payload and inbound.text == '/choose{"business_type": "retail"}'
    assert inbound.display_text == "Retail/shop"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"session_id": "short", "text": "hi"},
        {"session_id": "web-12345678"},
        {"session_id": "web-12345678", "text": "hi", "payload": "/greet"},
        {"session_id": "web-12345678", "text": "   "},
        {"session_id": "web-12345678", "text": "x" * 5000},
        {"session_id": "web-12345678", "payload": "greet"},
        {"session_id": "web-12345678", "text": 5},
        {"session_id": "web-12345678", "text": "hi", "message_id": "has spaces"},
        {"session_id": "web 12345678", "text": "hi"},
        {"session_id": "web-12345678", "payload": "/greet", "title": "x" * 300},
    ],
)
def test_malformed_requests_are_refused_with_a_reason(body):
    with pytest.raises(InvalidInbound):
        web.parse(body)


def test_render_keeps_buttons_in_order():
    rendered = web.render([BotReply("Pick one", (Button("Retail", "/retail"), Button("Other", "/other")))])
    assert rendered == {
        "messages": [
            {
                "text": "Pick one",
                "buttons": [
                    {"title": "Retail", "payload": "/retail"},
                    {"title": "Other", "payload": "/other"},
                ],
            }
        ]
    }


def test_rasa_reply_is_normalised():
    reply = BotReply.from_rasa(
        {"recipient_id": "x", "text": "Hi", "buttons": [{"title": "A", "payload": "/a"}]}
    )
    assert reply == BotReply("Hi", (Button("A", "/a"),))
