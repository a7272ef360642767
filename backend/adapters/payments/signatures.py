"""Webhook signatures: HMAC-SHA512 of the raw request body, hex, as Paystack sends it in
`x-paystack-signature` (https://paystack.com/docs/payments/webhooks/#verify-event-origin). The
sandbox provider signs the same way with its own secret, so both go through one code path."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), raw_body, hashlib.sha512).hexdigest()


def valid(secret: str, raw_body: bytes, presented: str | None) -> bool:
    """Constant-time comparison, so the signature cannot be guessed byte by byte from timings."""
    if not secret or not presented:
        return False
    return hmac.compare_digest(sign(secret, raw_body), presented.strip().lower())
