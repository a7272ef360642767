"""The widget's own words: every language has every key, with the same slots as English."""

from __future__ import annotations

import re

import pytest

from backend.api.widget_strings import CATALOG, EN, widget_language, widget_strings

SLOT = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("language", sorted(CATALOG))
def test_every_language_says_everything_with_the_same_slots(language: str) -> None:
    words = CATALOG[language]
    assert set(words) == set(EN)
    for key, english in EN.items():
        assert sorted(SLOT.findall(words[key])) == sorted(SLOT.findall(english)), (language, key)
        assert words[key].strip()


@pytest.mark.parametrize(
    ("locale", "language"),
    [("ar_EG", "ar"), ("fr_CI", "fr"), ("pt_BR", "pt"), ("es_MX", "es"), ("en_NG", "en"), ("yo_NG", "en")],
)
def test_a_locale_gets_its_language_or_english(locale: str, language: str) -> None:
    assert widget_language(locale) == language
    assert widget_strings(locale)["send"] == CATALOG[language]["send"]
