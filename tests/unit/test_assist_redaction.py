"""Nothing that identifies a customer or their money reaches a hosted model."""

from __future__ import annotations

import pytest

from backend.services.assist.redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my bvn is 22212345678", "my bvn is [BVN]"),
        ("NIN: 12345678901", "NIN: [NIN]"),
        ("send it to 0123456789 GTB", "send it to [ACCOUNT] GTB"),
        ("call 08031234567", "call [PHONE]"),
        ("or +234 803 123 4567", "or [PHONE]"),
        ("ada.obi+loans@example.com.ng wrote", "[EMAIL] wrote"),
        ("card 4084 0840 8408 4081", "card [CARD]"),
        ("bvn 2221-2345-678", "bvn [BVN]"),
    ],
)
def test_identity_account_phone_card_and_email_are_replaced_by_labels(text, expected) -> None:
    assert redact(text) == expected


def test_amounts_and_dates_are_kept_because_a_summary_is_about_them() -> None:
    assert redact("I paid ₦50,000 and 20000 on 2026-11-29") == "I paid ₦50,000 and 20000 on 2026-11-29"
