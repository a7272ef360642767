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


def test_a_file_on_its_own_reaches_the_bot_as_send_attachment_with_its_bytes():
    import base64

    message = web.parse(
        {
            "session_id": "session-123",
            "attachments": [
                {
                    "filename": "id.jpg",
                    "content_type": "IMAGE/JPEG",
                    "content_base64": base64.b64encode(b"\xff\xd8\xffx").decode(),
                }
            ],
        }
    )
    assert message.text == "/send_attachment" and message.is_payload
    assert message.display_text == "📎 id.jpg"
    [attachment] = message.attachments
    assert (attachment.content_type, attachment.filename, attachment.content) == (
        "image/jpeg",
        "id.jpg",
        b"\xff\xd8\xffx",
    )


def test_a_file_with_words_keeps_the_words():
    message = web.parse(
        {
            "session_id": "session-123",
            "text": "here is my statement",
            "attachments": [{"filename": "s.csv", "content_type": "text/csv", "content_base64": "YSxiCg=="}],
        }
    )
    assert message.text == "here is my statement" and len(message.attachments) == 1


@pytest.mark.parametrize(
    "attachments",
    [
        "not a list",
        [{"filename": "a", "content_type": "image/png"}],
        [{"filename": "a", "content_type": "image/png", "content_base64": "!!!not base64"}],
        [{"filename": "a", "content_type": "image/png", "content_base64": ""}],
        [{"filename": "a", "content_type": "image/png", "content_base64": "YQ=="}] * 4,
    ],
)
def test_bad_attachments_are_refused_with_a_reason(attachments):
    with pytest.raises(InvalidInbound):
        web.parse({"session_id": "session-123", "attachments": attachments})
