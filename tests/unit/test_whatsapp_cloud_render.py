"""Bot replies rendered as Graph API message objects within WhatsApp's documented limits."""

from channels.messages import BotReply, Button
from channels.whatsapp_cloud import render, shorten, split_text, template


def buttons(*titles: str) -> tuple[Button, ...]:
    return tuple(Button(title=t, payload=f'/choose{{"option": {i}}}') for i, t in enumerate(titles))


def test_plain_text_is_a_text_message_with_link_previews_only_when_there_is_a_link():
    plain, linked = render([BotReply(text="Hello Ada"), BotReply(text="Pay at https://pay.example.com/x")])
    assert plain.channel == "whatsapp"
    assert plain.body == {"type": "text", "text": {"body": "Hello Ada", "preview_url": False}}
    assert linked.body["text"]["preview_url"] is True
    assert "to" not in plain.body and "messaging_product" not in plain.body
    assert plain.text_for_transcript == "Hello Ada"


def test_a_text_longer_than_4096_characters_is_split_at_sentence_ends():
    text = ("This is a sentence about your loan. " * 200).strip()
    outs = render([BotReply(text=text)])
    assert len(outs) == 2
    assert all(len(o.body["text"]["body"]) <= 4096 for o in outs)
    assert outs[0].body["text"]["body"].endswith(".")
    assert " ".join(o.body["text"]["body"] for o in outs) == text


def test_up_to_three_buttons_are_reply_buttons_whose_ids_are_the_payloads():
    (out,) = render([BotReply(text="Which loan?", buttons=buttons("Salary advance", "SME loan"))])
    interactive = out.body["interactive"]
    assert out.body["type"] == "interactive" and interactive["type"] == "button"
    assert interactive["body"] == {"text": "Which loan?"}
    assert interactive["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": '/choose{"option": 0}', "title": "Salary advance"}},
        {"type": "reply", "reply": {"id": '/choose{"option": 1}', "title": "SME loan"}},
    ]
    assert out.text_for_transcript == "Which loan?\n[Salary advance] | [SME loan]"


def test_long_button_titles_are_shortened_to_20_characters_and_kept_unique():
    (out,) = render(
        [
            BotReply(
                text="Pick one",
                buttons=buttons("Pay the full balance today", "Pay the full balance next week", "No"),
            )
        ]
    )
    titles = [b["reply"]["title"] for b in out.body["interactive"]["action"]["buttons"]]
    assert all(len(t) <= 20 for t in titles)
    assert titles[0] == "Pay the full…"
    assert len(set(titles)) == 3
    assert titles[2] == "No"


def test_a_payload_too_long_for_a_button_id_comes_back_as_its_title():
    long_payload = "/choose" + '{"x": "' + "a" * 300 + '"}'
    (out,) = render([BotReply(text="?", buttons=(Button(title="Yes", payload=long_payload),))])
    assert out.body["interactive"]["action"]["buttons"][0]["reply"]["id"] == "Yes"


def test_four_to_ten_buttons_become_one_list_section_with_short_rows():
    titles = [f"Option number {i}" for i in range(4)] + ["A very long option title that must be shortened"]
    (out,) = render([BotReply(text="Choose a product", buttons=buttons(*titles))])
    interactive = out.body["interactive"]
    assert interactive["type"] == "list"
    assert len(interactive["action"]["button"]) <= 20
    (section,) = interactive["action"]["sections"]
    rows = section["rows"]
    assert len(rows) == 5
    assert all(len(r["title"]) <= 24 for r in rows)
    assert rows[0] == {"id": '/choose{"option": 0}', "title": "Option number 0"}
    assert rows[4]["description"] == "A very long option title that must be shortened"
    assert rows[4]["title"].endswith("…")


def test_more_than_ten_buttons_list_the_first_ten_and_number_the_rest_as_text():
    outs = render([BotReply(text="Which bank?", buttons=buttons(*[f"Bank {i}" for i in range(1, 13)]))])
    assert [o.body["type"] for o in outs] == ["interactive", "text"]
    assert len(outs[0].body["interactive"]["action"]["sections"][0]["rows"]) == 10
    assert outs[1].body["text"]["body"] == "11. Bank 11\n12. Bank 12"


def test_a_body_over_1024_characters_goes_first_as_text_then_the_buttons():
    text = "Your repayment schedule. " + "Instalment details follow here. " * 60
    outs = render([BotReply(text=text, buttons=buttons("OK", "Change"))])
    assert [o.body["type"] for o in outs] == ["text", "interactive"]
    assert len(outs[1].body["interactive"]["body"]["text"]) <= 1024
    joined = outs[0].body["text"]["body"] + " " + outs[1].body["interactive"]["body"]["text"]
    assert joined == text.strip()


def test_buttons_without_text_get_a_body_because_meta_requires_one():
    (out,) = render([BotReply(text=None, buttons=buttons("Yes", "No"))])
    assert out.body["interactive"]["body"]["text"]


def test_an_image_goes_by_link_with_the_text_as_its_caption():
    (out,) = render([BotReply(text="Your card", image="https://cdn.example.com/card.png")])
    assert out.body == {
        "type": "image",
        "image": {"link": "https://cdn.example.com/card.png", "caption": "Your card"},
    }


def test_an_image_with_buttons_is_sent_before_the_interactive_message():
    outs = render([BotReply(text="Like it?", image="https://cdn.example.com/a.png", buttons=buttons("Yes"))])
    assert [o.body["type"] for o in outs] == ["image", "interactive"]
    assert "caption" not in outs[0].body["image"]


def test_a_ready_graph_object_in_custom_is_sent_as_it_is():
    location_request = {"type": "interactive", "interactive": {"type": "location_request_message"}}
    (out,) = render([BotReply(text="Share", custom={"whatsapp": location_request})])
    assert out.body == location_request


def test_replies_render_in_order():
    outs = render([BotReply(text="one"), BotReply(text="two")])
    assert [o.text_for_transcript for o in outs] == ["one", "two"]


def test_shorten_prefers_word_boundaries_and_hard_cuts_a_single_long_word():
    assert shorten("Salary advance", 20) == "Salary advance"
    assert shorten("Supercalifragilisticexpialidocious", 10) == "Supercali…"
    assert len(shorten("Pay the full balance today", 20)) <= 20


def test_split_text_never_exceeds_the_limit():
    pieces = split_text("word " * 500, 100)
    assert all(0 < len(p) <= 100 for p in pieces)


def test_a_template_fills_the_body_parameters_in_order():
    assert template("payment_reminder", "en", ["Ada", "₦25,000.00"]) == {
        "type": "template",
        "template": {
            "name": "payment_reminder",
            "language": {"code": "en"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Ada"}, {"type": "text", "text": "₦25,000.00"}],
                }
            ],
        },
    }


def test_a_template_without_variables_has_no_components():
    assert template("hello_world", "en_US", []) == {
        "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}},
    }
