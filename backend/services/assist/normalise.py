"""How customers write, turned into the words our pages use, for the ranker.

Customers type on phones, in Nigerian Pidgin and English mixed, with abbreviations and typos
("wetin be the late fee", "hw do i pay early"). BM25 only matches exact tokens, so queries and
passages go through the same light normalisation: lowercase, Pidgin and texting words mapped to
English, a crude suffix strip so "fees"/"fee" and "paying"/"pay" meet, stop words dropped (they
would let "what is the ..." match every passage), and a typo mapped to the closest word of the
knowledge base's own vocabulary.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9₦]+")

# Pidgin and texting words -> the English our pages are written in. One word may expand to
# several ("apr" is written out in full on the fees page).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "wetin": ("what",),
    "wat": ("what",),
    "wht": ("what",),
    "una": ("you",),
    "u": ("you",),
    "ur": ("your",),
    "hw": ("how",),
    "pls": ("please",),
    "plz": ("please",),
    "abeg": ("please",),
    "dey": ("is",),
    "na": ("is",),
    "fit": ("can",),
    "wan": ("want",),
    "go": ("will",),
    "don": ("already",),
    "wey": ("that",),
    "comot": ("remove",),
    "owe": ("owe", "balance"),
    "apr": ("apr", "annual", "percentage", "rate"),
    "bvn": ("bvn", "identity"),
    "nin": ("nin", "identity"),
    "kobo": ("money",),
    "naira": ("money",),
    "charge": ("fee",),
    "charges": ("fee",),
    "penalty": ("late", "fee"),
    "fine": ("late", "fee"),
    "loan": ("loan", "credit"),
    "borrow": ("borrow", "credit"),
    "refund": ("dispute", "charge"),
    "complain": ("problem", "dispute"),
    "complaint": ("problem", "dispute"),
    "sees": ("see",),
    "data": ("details", "data"),
    "info": ("details",),
    "repay": ("pay",),
    "repayment": ("pay",),
    "payoff": ("pay", "off"),
    "bnpl": ("pay", "4"),
    "sell": ("sold",),
    "sells": ("sold",),
    "reduce": ("smaller", "reduce"),
    "lower": ("smaller",),
    "cant": ("cannot",),
    "unable": ("cannot",),
    "wait": ("long",),
}

# Phrases read before the words: Pidgin negation and contractions that a word map would break up.
PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b{pattern}\b"), replacement)
    for pattern, replacement in (
        (r"no fit", "cannot"),
        (r"can'?t", "cannot"),
        (r"can not", "cannot"),
        (r"how far", ""),
        (r"pay in four", "bnpl"),
    )
)

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "did",
        "for",
        "from",
        "get",
        "got",
        "have",
        "has",
        "how",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "this",
        "to",
        "us",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "am",
        "any",
        "about",
        "much",
        "many",
        "more",
        "know",
        "tell",
        "want",
        "need",
        "should",
        "shall",
        "may",
        "just",
        "also",
        "very",
        "than",
        "too",
        "already",
    ]
)


def _stem(word: str) -> str:
    """Crude suffix strip: enough for "fees"/"fee", "paying"/"pay", "charged"/"charge"."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    """Lowercased words after the synonym map, stop words kept (sentences are scored on them too)."""
    text = text.lower().replace("’", "'")
    for pattern, replacement in PHRASES:
        text = pattern.sub(replacement, text)
    out: list[str] = []
    for raw in _WORD.findall(text):
        out.extend(SYNONYMS.get(raw, (raw,)))
    return out


def tokens(text: str) -> list[str]:
    """Index tokens: words without stop words, stemmed. Long numbers (an account number typed in
    passing) say nothing about which passage answers and are dropped."""
    return [_stem(w) for w in words(text) if w not in STOP_WORDS and not (w.isdigit() and len(w) > 5)]


def correct(query_tokens: Iterable[str], vocabulary: frozenset[str]) -> list[str]:
    """Map a token the knowledge base never uses to its closest word (difflib ratio >= 0.8), so
    "pament" finds "payment"; tokens that are close to nothing are kept and simply match nothing."""
    fixed = []
    for token in query_tokens:
        if token in vocabulary or len(token) < 4:
            fixed.append(token)
            continue
        close = difflib.get_close_matches(token, vocabulary, n=1, cutoff=0.8)
        fixed.append(close[0] if close else token)
    return fixed
