"""SMS rules that do not depend on the provider: character sets, segments, menus and keywords.

An SMS carries 140 octets: 160 characters of the GSM 03.38 7-bit alphabet, or 70 UTF-16 code
units (UCS-2) as soon as one character is outside that alphabet. A longer text is sent as a
concatenated message whose parts each lose a 6-octet header (UDH): 153 GSM-7 / 67 UCS-2 characters
per part, each part billed as one message (Twilio's `num_segments`). Characters of the GSM
extension table (`€ [ ] { } ~ ^ \\ |` and form feed) are sent as an escape plus a character, so
they count twice. See 3GPP TS 23.038 and https://www.twilio.com/docs/glossary/what-sms-character-limit.

Splitting a long reply ourselves, at sentence ends, rather than letting the carrier cut a
concatenated message, means a customer whose phone shows parts separately (or drops one) still
reads whole sentences, and never a word cut in two.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Literal

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec: GSM 03.38 basic + extension table)

from channels.messages import Button

Encoding = Literal["GSM-7", "UCS-2"]
Keyword = Literal["stop", "start", "help"]

GSM_CODEC = "gsm03.38"
SINGLE = {"GSM-7": 160, "UCS-2": 70}
CONCATENATED_PART = {"GSM-7": 153, "UCS-2": 67}

# What Twilio's "Smart Encoding" substitutes for look-alike Unicode punctuation
# (https://www.twilio.com/docs/messaging/services/smart-encoding-char-list): one curly quote
# copied from a word processor would otherwise switch the whole message to UCS-2 and more
# than double its cost. Only punctuation is replaced; letters and symbols (₦, emoji) are kept.
GSM_LOOKALIKES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": "",
        "\u2022": "-",
    }
)

# Twilio's default keyword handling on long codes and Messaging Services
# (help.twilio.com "Twilio support for opt-out keywords (SMS STOP filtering)" and
# https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out): Twilio itself blocks
# further messages to a number that sent an opt-out keyword (later sends fail with error 21610)
# until it sends an opt-in keyword, so we must honour the same words or our records would
# disagree with what Twilio delivers. REVOKE and OPTOUT were added in 2025 (FCC consent rules).
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})

# "1", "1.", "1)", " 2 ", "#2", "option 2", "no. 2", "number 2"
MENU_CHOICE = re.compile(r"^\s*(?:(?:option|opt|no\.?|number|choice)\s*|#\s*)?(\d{1,2})\s*[.)]?\s*$", re.I)
# A sentence ends at . ! ? or … (with closing quotes/brackets) followed by space, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"')\]]*[ \t]+|[ \t]*\n+[ \t]*")
_WORD = re.compile(r"\S+\s*")


def to_gsm(text: str) -> str:
    """`text` with typographic punctuation replaced by its GSM-7 look-alike (see GSM_LOOKALIKES)."""
    return text.translate(GSM_LOOKALIKES)


def encoding(text: str) -> Encoding:
    """GSM-7 when every character is in the GSM 03.38 basic or extension table, else UCS-2."""
    try:
        text.encode(GSM_CODEC)
    except UnicodeEncodeError:
        return "UCS-2"
    return "GSM-7"


def length(text: str) -> int:
    """Characters as the network counts them: GSM-7 septets (an extension character is two), or
    UTF-16 code units in UCS-2 (an emoji outside the Basic Multilingual Plane is two)."""
    if encoding(text) == "GSM-7":
        return len(text.encode(GSM_CODEC))
    return len(text.encode("utf-16-le")) // 2


def segment_count(text: str) -> int:
    """How many SMS a body is billed as: 1 up to 160 GSM-7 / 70 UCS-2 characters, else one per
    153 / 67 (the concatenation header takes the rest). Matches Twilio's `num_segments`."""
    enc, size = encoding(text), length(text)
    if size <= SINGLE[enc]:
        return 1
    return math.ceil(size / CONCATENATED_PART[enc])


def capacity(enc: Encoding, max_segments: int = 1) -> int:
    """The most characters one message may hold when it may be sent as `max_segments` parts."""
    if max_segments <= 1:
        return SINGLE[enc]
    return max(SINGLE[enc], CONCATENATED_PART[enc] * max_segments)


def fits(text: str, max_segments: int = 1) -> bool:
    return length(text) <= capacity(encoding(text), max_segments)


def _units(text: str) -> list[str]:
    """Sentences (and lines), each with the separator that followed it."""
    units, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        units.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        units.append(text[start:])
    return [u for u in units if u.strip()]


def _hard_split(word: str, ok: Callable[[str], bool]) -> list[str]:
    """A 'word' longer than a whole message (a long URL): cut at the last character that fits."""
    pieces = []
    while word and not ok(word):
        cut = min(len(word) - 1, 1600)  # no SMS or Twilio body is longer
        while cut > 1 and not ok(word[:cut]):
            cut -= 1
        pieces.append(word[:cut])
        word = word[cut:]
    if word:
        pieces.append(word)
    return pieces


def _pack(units: list[str], ok: Callable[[str], bool], finer: Callable[[str], list[str]]) -> list[str]:
    """Greedily join units while the result fits; a unit that fits nowhere is broken by `finer`."""
    parts: list[str] = []
    current = ""
    for unit in units:
        if ok((current + unit).strip()):
            current += unit
            continue
        if current.strip():
            parts.append(current.strip())
        current = ""
        if ok(unit.strip()):
            current = unit
            continue
        pieces = finer(unit)
        parts.extend(p.strip() for p in pieces[:-1] if p.strip())
        separator = unit[len(unit.rstrip()) :] or " "
        current = pieces[-1] + separator if pieces else ""
    if current.strip():
        parts.append(current.strip())
    return parts


def split_text(text: str, ok: Callable[[str], bool]) -> list[str]:
    """Parts of `text` that each satisfy `ok`, broken at sentence or line ends; a sentence too long
    for one part at word boundaries; a word too long for one part (only then) inside the word."""

    def words(sentence: str) -> list[str]:
        return _pack(_WORD.findall(sentence), ok, lambda w: _hard_split(w.strip(), ok) if w.strip() else [])

    return _pack(_units(text.strip()), ok, words)


def split(text: str, *, max_segments: int = 1) -> list[str]:
    """`text` as SMS bodies that each go as at most `max_segments` segments (1: a single SMS of
    160 GSM-7 / 70 UCS-2 characters), broken at sentence ends. Each part is sized by its own
    encoding, so one emoji makes only its own part UCS-2."""
    return split_text(text, lambda part: fits(part, max_segments))


def menu(buttons: Sequence[Button], start: int = 1) -> str:
    """Buttons as the numbered menu SMS customers answer with a digit ("Reply 1 for ...")."""
    return "\n".join(f"Reply {n} for {b.title.strip()}" for n, b in enumerate(buttons, start=start))


def menu_choice(text: str, last_buttons: Sequence[Button]) -> Button | None:
    """The button a reply like "1", "1.", " 2 " or "option 2" picks from the last menu the customer
    was shown; None for anything else (including a number the menu does not have), so the text
    goes to the bot as typed."""
    match = MENU_CHOICE.match(text)
    if match is None:
        return None
    index = int(match.group(1)) - 1
    if 0 <= index < len(last_buttons):
        return last_buttons[index]
    return None


def keyword(text: str) -> Keyword | None:
    """ "stop", "start" or "help" when the whole message is one of the keywords Twilio and carriers
    act on (case-insensitive; surrounding spaces and a final . or ! ignored), else None.

    Twilio matches only a message that is the keyword alone ("STOP please" is not an opt-out), so
    we do too. "YES" is an opt-in keyword: it only changes anything for a number that is opted
    out; for everyone else it is an ordinary answer for the bot."""
    word = text.strip().rstrip(".!").strip().upper()
    if word in OPT_OUT:
        return "stop"
    if word in OPT_IN:
        return "start"
    if word in HELP:
        return "help"
    return None
