import pytest

from channels import sms

MENU_INTRO = "Welcome to Credit Assistant. "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, how can I help?", "GSM-7"),
        ("Pay €50 [now] {ok} ~ ^ \\ |", "GSM-7"),  # the extension table is still GSM-7
        ("Ça va? Ñoño, Øre, Δ, ß, é, ü, à", "GSM-7"),  # accented letters of the basic table
        ("Pay ₦5,000 today", "UCS-2"),  # the naira sign is not in GSM 03.38
        ("Thanks 🙏", "UCS-2"),
        ("façade", "UCS-2"),  # lower-case ç is not in the basic table (only Ç)
        ("It’s due", "UCS-2"),  # a curly apostrophe
    ],
)
def test_the_encoding_is_gsm7_only_when_every_character_is_in_gsm_03_38(text, expected):
    assert sms.encoding(text) == expected


def test_extension_characters_count_twice():
    assert sms.length("{}") == 4
    assert sms.length("€" * 80) == 160
    assert sms.segment_count("€" * 80) == 1
    assert sms.segment_count("€" * 80 + "a") == 2


def test_ucs2_counts_utf16_units_so_an_emoji_counts_twice():
    assert sms.length("😀") == 2
    assert sms.length("₦") == 1


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),  # 2 x 153
        ("a" * 307, 3),
        ("₦" * 70, 1),
        ("₦" * 71, 2),
        ("₦" * 134, 2),  # 2 x 67
        ("₦" * 135, 3),
    ],
)
def test_segment_count_follows_160_153_and_70_67(text, segments):
    assert sms.segment_count(text) == segments


def test_a_short_text_is_one_part():
    assert sms.split("Your loan is approved.") == ["Your loan is approved."]


def test_a_long_text_is_split_at_sentence_ends_into_single_sms():
    sentences = [f"Sentence number {n} is here and it says something useful." for n in range(8)]
    parts = sms.split(" ".join(sentences))
    assert len(parts) > 1
    for part in parts:
        assert sms.length(part) <= 160
        assert part.endswith("useful.")  # never cut inside a sentence when sentences fit
    assert " ".join(parts) == " ".join(sentences)


def test_a_ucs2_text_is_split_at_70_characters():
    text = "Your balance is ₦12,500. " * 6
    parts = sms.split(text)
    assert all(sms.encoding(p) == "UCS-2" and sms.length(p) <= 70 for p in parts)
    assert all(p.endswith("₦12,500.") for p in parts)


def test_each_part_is_sized_by_its_own_encoding():
    gsm = "Plain sentence that needs no unicode at all and is rather long indeed. " * 2
    parts = sms.split(gsm + "Thanks 🙏.")
    assert sms.encoding(parts[0]) == "GSM-7" and sms.length(parts[0]) > 70
    assert sms.encoding(parts[-1]) == "UCS-2"


def test_a_sentence_longer_than_one_sms_is_split_between_words():
    words = [f"word{n:02d}" for n in range(60)]
    parts = sms.split(" ".join(words))
    assert all(sms.length(p) <= 160 for p in parts)
    assert [w for p in parts for w in p.split(" ")] == words  # no word cut


def test_only_a_word_longer_than_one_sms_is_cut():
    url = "https://example.com/" + "x" * 300  # 320 characters
    parts = sms.split(f"Open {url} now.")
    assert all(sms.length(p) <= 160 for p in parts)
    assert parts == ["Open", url[:160], url[160:], "now."]  # the words around it are not cut


def test_line_breaks_are_boundaries_and_are_kept_inside_a_part():
    text = "Choose one:\nReply 1 for Apply\nReply 2 for Balance"
    assert sms.split(text) == [text]
    long_menu = "\n".join(f"Reply {n} for option number {n} of the menu" for n in range(1, 9))
    parts = sms.split(long_menu)
    assert len(parts) > 1
    assert all(line.startswith("Reply ") for p in parts for line in p.split("\n"))


def test_concatenated_parts_may_hold_more_segments():
    text = " ".join(f"Sentence {n} of a long explanation of the loan terms." for n in range(20))
    single = sms.split(text)
    triple = sms.split(text, max_segments=3)
    assert len(triple) < len(single)
    assert all(sms.segment_count(p) <= 3 and sms.length(p) <= 3 * 153 for p in triple)


def test_gsm_lookalikes_keep_a_message_in_gsm7():
    text = "It’s “ready” – see you… soon"
    assert sms.encoding(text) == "UCS-2"
    converted = sms.to_gsm(text)
    assert converted == 'It\'s "ready" - see you... soon'
    assert sms.encoding(converted) == "GSM-7"


def test_to_gsm_keeps_the_naira_sign_and_emoji():
    assert sms.to_gsm("₦500 🙏") == "₦500 🙏"
