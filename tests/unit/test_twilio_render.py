from channels import sms, twilio
from channels.messages import BotReply, Button

BUTTONS = (
    Button("Apply for credit", "/apply"),
    Button("Check my loan", "/check_loan"),
    Button("Talk to an agent", "/human"),
)


def test_sms_buttons_become_a_numbered_menu():
    (out,) = twilio.render([BotReply(text="What would you like to do?", buttons=BUTTONS)], "sms")
    assert out.channel == "sms"
    assert out.body == {
        "Body": "What would you like to do?\n\nReply 1 for Apply for credit\n"
        "Reply 2 for Check my loan\nReply 3 for Talk to an agent"
    }
    assert out.text_for_transcript == out.body["Body"]


def test_sms_bodies_never_carry_the_recipient_or_sender():
    outs = twilio.render([BotReply(text="Hi")], "sms") + twilio.render([BotReply(text="Hi")], "whatsapp")
    assert all(not {"To", "From", "MessagingServiceSid"} & set(o.body) for o in outs)


def test_an_sms_turn_is_joined_then_split_into_single_sms_at_sentence_ends():
    replies = [
        BotReply(text="Thanks, Adaeze. Your application is in review and we will text you within a day."),
        BotReply(
            text="Meanwhile you can check your eligibility, see our rates, or talk to us.",
            buttons=BUTTONS,
        ),
    ]
    outs = twilio.render(replies, "sms")
    assert len(outs) >= 2
    assert all(sms.length(o.body["Body"]) <= sms.SINGLE[sms.encoding(o.body["Body"])] for o in outs)
    joined = "\n".join(o.body["Body"] for o in outs)
    assert "Reply 3 for Talk to an agent" in joined
    assert joined.index("Thanks, Adaeze.") < joined.index("Reply 1 for")


def test_sms_uses_gsm_lookalikes_for_typographic_punctuation():
    (out,) = twilio.render([BotReply(text="You’re approved – well done…")], "sms")
    assert out.body["Body"] == "You're approved - well done..."
    assert sms.encoding(out.body["Body"]) == "GSM-7"


def test_sms_sends_an_image_as_its_link():
    (out,) = twilio.render([BotReply(text="Your schedule:", image="https://x.test/s.png")], "sms")
    assert out.body == {"Body": "Your schedule:\nhttps://x.test/s.png"}


def test_sms_may_allow_concatenated_bodies():
    text = " ".join(f"Point {n} of the terms you agree to." for n in range(12))
    single = twilio.render([BotReply(text=text)], "sms")
    double = twilio.render([BotReply(text=text)], "sms", max_segments=2)
    assert len(double) < len(single)
    assert all(sms.segment_count(o.body["Body"]) <= 2 for o in double)


def test_whatsapp_text_with_buttons_is_one_message_with_a_numbered_menu():
    (out,) = twilio.render([BotReply(text="What would you like to do?", buttons=BUTTONS)], "whatsapp")
    assert out.channel == "whatsapp"
    assert out.body["Body"].endswith("Reply 3 for Talk to an agent")
    assert "MediaUrl" not in out.body


def test_whatsapp_keeps_unicode_and_one_message_per_reply():
    outs = twilio.render([BotReply(text="You’re approved 🎉"), BotReply(text="Second")], "whatsapp")
    assert [o.body["Body"] for o in outs] == ["You’re approved 🎉", "Second"]


def test_whatsapp_image_goes_as_media_url_with_the_text_as_caption():
    (out,) = twilio.render([BotReply(text="Your ID", image="https://x.test/id.jpg")], "whatsapp")
    assert out.body == {"Body": "Your ID", "MediaUrl": ["https://x.test/id.jpg"]}


def test_whatsapp_image_alone():
    (out,) = twilio.render([BotReply(text=None, image="https://x.test/id.jpg")], "whatsapp")
    assert out.body == {"MediaUrl": ["https://x.test/id.jpg"]}


def test_whatsapp_text_over_twilios_1600_limit_is_split():
    text = " ".join(f"Clause {n} says something about the agreement." for n in range(60))
    outs = twilio.render([BotReply(text=text)], "whatsapp")
    assert len(outs) > 1 and all(len(o.body["Body"]) <= 1600 for o in outs)


def test_a_ready_twilio_body_in_custom_is_sent_as_it_is():
    ready = {"ContentSid": "HXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "ContentVariables": '{"1": "Ada"}'}
    outs = twilio.render([BotReply(text="Hi", custom={"twilio": ready}), BotReply(text="Bye")], "sms")
    assert outs[0].body == ready
    assert outs[1].body == {"Body": "Bye"}


def test_an_empty_reply_renders_nothing():
    assert twilio.render([BotReply(text=None)], "sms") == []
    assert twilio.render([BotReply(text="  ")], "whatsapp") == []
