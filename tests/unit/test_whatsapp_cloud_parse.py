"""Meta's documented webhook payloads (tests/fixtures/meta) become our channel-neutral messages."""

import json
from pathlib import Path

import pytest

from channels.messages import InboundMessage, InvalidInbound, StatusUpdate
from channels.whatsapp_cloud import parse, to_e164

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "meta"
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def only_message(name: str, tenant: str | None = None) -> InboundMessage:
    (item,) = parse(load(name), tenant=tenant)
    assert isinstance(item, InboundMessage)
    return item


def test_a_text_message_is_keyed_on_the_wa_id_in_e164_with_the_profile_name():
    message = only_message("webhook_text.json", tenant="acme")
    assert message.channel == "whatsapp"
    assert message.sender == "+16505551234"
    assert message.text == "Does it come in another color?"
    assert not message.is_payload
    assert message.provider_message_id == WAMID
    assert message.tenant == "acme"
    assert message.metadata["profile_name"] == "Sheena Nelson"
    assert message.metadata["wa_id"] == "16505551234"
    assert message.metadata["phone_number_id"] == "106540352242922"
    assert "user_id" not in message.metadata


def test_a_tapped_reply_button_sends_its_payload_and_shows_its_title():
    message = only_message("webhook_interactive_button_reply.json")
    assert message.is_payload
    assert message.text == '/choose_product{"product":"salary_advance"}'
    assert message.display_text == "Salary advance"
    assert message.metadata["in_reply_to"].startswith("wamid.")


def test_a_list_row_whose_id_is_not_our_payload_reads_as_its_title_typed():
    message = only_message("webhook_interactive_list_reply.json")
    assert not message.is_payload
    assert message.text == "Priority Mail Express"
    assert message.display_text is None


def test_a_template_quick_reply_sends_the_payload_set_on_the_template():
    message = only_message("webhook_button_template_reply.json")
    assert (message.text, message.is_payload, message.display_text) == ("/affirm", True, "Yes, remind me")


def test_an_image_with_a_caption_carries_the_media_id_for_the_gateway_to_fetch():
    message = only_message("webhook_image.json")
    (attachment,) = message.attachments
    assert attachment.content_type == "image/jpeg"
    assert attachment.url is None and attachment.content is None
    assert attachment.filename == "image-1003383421387256.jpg"
    assert message.metadata["media_id"] == "1003383421387256"
    assert message.text == "Black jacket" and not message.is_payload


def test_a_photo_without_words_tells_the_bot_a_file_arrived():
    message = only_message("webhook_image_no_caption.json")
    assert (message.text, message.is_payload) == ("/send_attachment", True)
    assert message.display_text == "📎 image-1003383421387256.jpg"


def test_a_document_keeps_its_filename_and_mime_type():
    message = only_message("webhook_document.json")
    (attachment,) = message.attachments
    assert (attachment.filename, attachment.content_type) == ("bank-statement-march.pdf", "application/pdf")
    assert message.metadata["media_id"] == "1102431341549484"
    assert message.text == "/send_attachment"


def test_a_shared_location_is_in_metadata_and_described_in_the_text():
    message = only_message("webhook_location.json")
    assert message.metadata["location"]["latitude"] == 37.483307
    assert message.metadata["location"]["longitude"] == -122.148981
    assert message.metadata["location"]["name"] == "Meta Headquarters"
    assert message.text == "📍 Meta Headquarters, 1 Hacker Way, Menlo Park, CA 94025"


def test_an_unsupported_message_carries_a_polite_note_and_no_text_for_the_bot():
    message = only_message("webhook_unsupported.json")
    assert message.text == ""
    assert message.metadata["unsupported"] == "unsupported"
    assert "Sorry" in message.metadata["note"]


def test_a_reaction_is_unsupported_too():
    payload = load("webhook_text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["messages"][0] = {**value["messages"][0], "type": "reaction", "reaction": {"emoji": "👍"}}
    del value["messages"][0]["text"]
    (message,) = parse(payload)
    assert message.metadata["unsupported"] == "reaction"


def test_the_business_scoped_user_id_is_kept_next_to_the_phone_number():
    message = only_message("webhook_bsuid_text.json")
    assert message.sender == "+16505551234"
    assert message.metadata["user_id"] == "US.13491208655302741918"


def test_a_customer_whose_number_is_withheld_is_keyed_on_the_bsuid():
    message = only_message("webhook_bsuid_only.json")
    assert message.sender == "US.13491208655302741918"
    assert "wa_id" not in message.metadata
    assert message.metadata["profile_name"] == "Sheena Nelson"


def test_delivery_statuses_become_status_updates_keyed_on_the_wamid():
    (sent,) = parse(load("webhook_status_sent.json"))
    (read,) = parse(load("webhook_status_read.json"))
    assert isinstance(sent, StatusUpdate) and isinstance(read, StatusUpdate)
    assert sent.provider_message_id == "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"
    assert (sent.status, read.status) == ("sent", "read")
    assert sent.recipient == "+16505551234"
    assert sent.error_code is None


def test_a_failed_status_carries_metas_error_code_and_title():
    (failed,) = parse(load("webhook_status_failed.json"))
    assert failed.status == "failed"
    assert (failed.error_code, failed.error_message) == ("131047", "Re-engagement message")


def test_a_batched_post_yields_every_message_and_status_in_order():
    payload = load("webhook_text.json")
    second = load("webhook_status_read.json")["entry"][0]
    payload["entry"].append(second)
    payload["entry"][0]["changes"][0]["value"]["messages"].append(
        {
            **payload["entry"][0]["changes"][0]["value"]["messages"][0],
            "id": "wamid.second",
            "text": {"body": "hi"},
        }
    )
    items = parse(payload)
    assert [type(i).__name__ for i in items] == ["InboundMessage", "InboundMessage", "StatusUpdate"]
    assert [i.provider_message_id for i in items[:2]] == [WAMID, "wamid.second"]


def test_other_webhook_fields_and_malformed_bodies_yield_nothing():
    template_review = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [{"field": "message_template_status_update", "value": {"event": "APPROVED"}}],
            }
        ],
    }
    assert parse(template_review) == []
    assert parse({}) == []
    assert parse({"entry": "nonsense"}) == []
    assert parse({"entry": [{"changes": [{"value": {"messages": [{"type": "text"}]}}]}]}) == []


def test_wa_ids_become_e164_so_whatsapp_and_sms_are_one_customer():
    assert to_e164("2348031234567") == "+2348031234567"
    assert to_e164("+44 7700 900123") == "+447700900123"


def test_a_body_that_is_not_a_json_object_is_invalid():
    with pytest.raises(InvalidInbound):
        parse([{"entry": []}])  # type: ignore[arg-type]
