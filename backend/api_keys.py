"""API key hashing, shared by the seed and the request authenticator."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "ck_"


def new_api_key() -> str:
    """A fresh 256-bit key; the prefix makes leaked keys easy to find in code scanners."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """What the admin UI shows to tell keys apart without revealing them."""
    return key[:10]
