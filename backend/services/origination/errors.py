"""What an origination use case can refuse, in words an entrypoint maps to its own protocol."""

from __future__ import annotations

from datetime import datetime


class OriginationError(Exception):
    """Base: `detail` is safe to show a client."""

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(OriginationError):
    """No such resource for this tenant (another tenant's id is reported the same way)."""


class Invalid(OriginationError):
    """The request breaks a rule of the product, the customer or the data (422)."""


class Conflict(OriginationError):
    """The resource is not in a state where this can happen, or it changed under the caller (409)."""


class SigningLocked(OriginationError):
    """Too many wrong codes: signing is locked until `until` (a brute-force brake)."""

    def __init__(self, detail: str, until: datetime) -> None:
        super().__init__(detail, unlocks_at=until.isoformat())
        self.until = until
