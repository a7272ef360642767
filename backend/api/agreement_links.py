"""Links a customer can open to read their full agreement, without an API key.

The link carries an HMAC of the tenant and agreement ids (keyed with the signing secret, with a
purpose prefix so it can never be confused with a code hash): unguessable, stable (the same link
in a reminder months later), and revealing nothing a customer does not already hold. It shows the
agreement exactly as rendered, with the SHA-256 that the signature binds to.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

PURPOSE = b"agreement-link:"


def signature(secret: str, tenant_slug: str, agreement_id: uuid.UUID) -> str:
    message = PURPOSE + f"{tenant_slug}:{agreement_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def verify(secret: str, tenant_slug: str, agreement_id: uuid.UUID, sig: str) -> bool:
    return hmac.compare_digest(signature(secret, tenant_slug, agreement_id), sig)


def url(base_url: str, secret: str, tenant_slug: str, agreement_id: uuid.UUID) -> str:
    sig = signature(secret, tenant_slug, agreement_id)
    return f"{base_url.rstrip('/')}/agreements/{tenant_slug}/{agreement_id}?sig={sig}"
