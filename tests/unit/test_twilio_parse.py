import json
from pathlib import Path
from typing import Any

import pytest

from channels import twilio
from channels.messages import InvalidInbound

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "twilio"


def fixture(name: str) -> Any:
    """A documented Twilio payload from tests/fixtures/twilio (sources in its README)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_an_sms_is_the_sms_channel_keyed_on_the_e164_sender():
    inbound = twilio.parse_inbound(fixture("inbound_sms.json"), tenant="acme")
    assert (inbound.channel, inbound.sender, inbound.text) == ("sms", "+15558675310", "Hello there")
    assert inbound.provider_message_id == "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
    assert inbound.tenant == "acme"
    assert not inbound.is_payload and not inbound.attachments


def test_a_whatsapp_message_drops_the_prefix_and_keeps_the_profile():
    inbound = twilio.parse_inbound(fixture("inbound_whatsapp_text.json"))
    assert (inbound.channel, inbound.sender) == ("whatsapp", "+2348031234567")
    assert inbound.text == "Hi, I want a loan"
    assert inbound.metadata["profile_name"] == "Adaeze"
    assert inbound.metadata["wa_id"] == "2348031234567"


def test_the_same_number_on_whatsapp_and_sms_is_the_same_sender():
    wa = twilio.parse_inbound({"From": "whatsapp:+234 803 123 4567", "MessageSid": "SM1", "Body": "hi"})
    sms = twilio.parse_inbound({"From": "+2348031234567", "MessageSid": "SM2", "Body": "hi"})
    assert wa.sender == sms.sender == "+2348031234567"
    assert (wa.channel, sms.channel) == ("whatsapp", "sms")


def test_a_short_code_sender_is_kept_as_it_came():
    inbound = twilio.parse_inbound({"From": "32665", "MessageSid": "SM1", "Body": "hi"})
    assert inbound.sender == "32665"


def test_a_tapped_quick_reply_goes_to_rasa_as_its_payload_shown_as_its_text():
    inbound = twilio.parse_inbound(fixture("inbound_whatsapp_button.json"))
    assert inbound.is_payload and inbound.text == "/apply"
    assert inbound.display_text == "Apply for credit"
    assert inbound.metadata["in_reply_to"] == "MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX0"


def test_a_quick_reply_with_entities_keeps_the_json():
    params = {**fixture("inbound_whatsapp_button.json"), "ButtonPayload": '/choose{"product": "sme"}'}
    inbound = twilio.parse_inbound(params)
    assert inbound.text == '/choose{"product": "sme"}' and inbound.is_payload


def test_a_button_we_did_not_make_is_treated_as_typed_text():
    params = {
        **fixture("inbound_whatsapp_button.json"),
        "ButtonPayload": "MARKETING_OPT_OUT",
        "ButtonText": "Stop",
    }
    inbound = twilio.parse_inbound(params)
    assert not inbound.is_payload and inbound.text == "Stop"


def test_media_without_words_is_sent_to_the_bot_as_an_attachment():
    params = fixture("inbound_whatsapp_media.json")
    inbound = twilio.parse_inbound(params)
    assert inbound.is_payload and inbound.text == "/send_attachment"
    (attachment,) = inbound.attachments
    assert attachment.content_type == "image/jpeg"
    assert attachment.url == params["MediaUrl0"] and attachment.content is None
    assert attachment.filename == "MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX2-0.jpg"
    assert inbound.display_text == "📎 MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX2-0.jpg"


def test_media_with_a_caption_keeps_the_caption_as_text():
    params = {**fixture("inbound_whatsapp_media.json"), "Body": "My ID card"}
    inbound = twilio.parse_inbound(params)
    assert inbound.text == "My ID card" and not inbound.is_payload
    assert len(inbound.attachments) == 1


def test_every_mms_media_item_becomes_an_attachment():
    params = {
        "From": "+15558675310",
        "MessageSid": "MM1",
        "NumMedia": "2",
        "MediaUrl0": "https://api.twilio.com/a",
        "MediaContentType0": "image/png",
        "MediaUrl1": "https://api.twilio.com/b",
        "MediaContentType1": "application/pdf",
    }
    inbound = twilio.parse_inbound(params)
    assert [a.content_type for a in inbound.attachments] == ["image/png", "application/pdf"]
    assert [a.filename for a in inbound.attachments] == ["MM1-0.png", "MM1-1.pdf"]


def test_a_location_pin_goes_into_metadata_and_reads_as_its_place():
    inbound = twilio.parse_inbound(fixture("inbound_whatsapp_location.json"))
    assert inbound.metadata["location"] == {
        "latitude": "6.4281",
        "longitude": "3.4219",
        "address": "1 Adeola Odeku St, Victoria Island, Lagos",
        "label": "Our shop",
    }
    assert inbound.text == "📍 Our shop, 1 Adeola Odeku St, Victoria Island, Lagos"


def test_a_message_with_nothing_to_understand_is_flagged_for_the_gateway():
    inbound = twilio.parse_inbound({"From": "whatsapp:+2348031234567", "MessageSid": "SM1", "Body": "  "})
    assert inbound.text == ""
    assert "unsupported" in inbound.metadata and inbound.metadata["note"]


@pytest.mark.parametrize(
    "params",
    [{}, {"From": "+15558675310"}, {"MessageSid": "SM1"}, {"From": " ", "MessageSid": "SM1"}],
)
def test_a_request_without_from_or_message_sid_is_invalid(params):
    with pytest.raises(InvalidInbound):
        twilio.parse_inbound(params)


def test_a_delivery_report_is_parsed():
    update = twilio.parse_status(fixture("status_delivered.json"))
    assert (update.provider_message_id, update.status) == ("SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "delivered")
    assert update.error_code is None and update.recipient == "+15558675310"


def test_a_whatsapp_failure_outside_the_window_carries_63016():
    update = twilio.parse_status(fixture("status_whatsapp_failed_63016.json"))
    assert update.status == "failed" and update.error_code == "63016"
    assert update.recipient == "+2348031234567"


@pytest.mark.parametrize("status", ["queued", "sent", "delivered", "read", "undelivered", "failed"])
def test_every_documented_status_is_accepted(status):
    assert twilio.parse_status({"MessageSid": "SM1", "MessageStatus": status}).status == status


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"MessageSid": "SM1"},
        {"MessageStatus": "sent"},
        {"MessageSid": "SM1", "MessageStatus": "exploded"},
    ],
)
def test_a_status_callback_without_sid_or_known_status_is_invalid(params):
    with pytest.raises(InvalidInbound):
        twilio.parse_status(params)
