"""What care refuses, as exceptions the API maps to problem responses with a stable `type`."""

from __future__ import annotations


class CareError(ValueError):
    """Base: `slug` is the problem type the API returns, `status` its HTTP status."""

    slug = "care-refused"
    status = 422

    def __init__(self, detail: str, slug: str | None = None, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if slug is not None:
            self.slug = slug
        if status is not None:
            self.status = status


class NotFound(CareError):
    """No such loan, customer, dispute or conversation for this tenant (another tenant's looks the
    same as none)."""

    status = 404
    slug = "not-found"


class Refused(CareError):
    """A request the rules do not allow in the current state (409), e.g. a second active plan."""

    status = 409


class Invalid(CareError):
    """A request that can never succeed as written (422), e.g. a periods value out of bounds."""

    status = 422
