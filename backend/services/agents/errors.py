"""What the agent services refuse, as exceptions the API maps to problem responses (`slug`, `status`)."""

from __future__ import annotations


class AgentError(ValueError):
    slug = "agent-refused"
    status = 422

    def __init__(self, detail: str, slug: str | None = None, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if slug is not None:
            self.slug = slug
        if status is not None:
            self.status = status


class NotFound(AgentError):
    """No such conversation or agent in the caller's tenant (another tenant's looks like none)."""

    status = 404
    slug = "not-found"


class Conflict(AgentError):
    """The state forbids it now: another agent holds the conversation, the email is taken."""

    status = 409
    slug = "conflict"


class Forbidden(AgentError):
    """The role does not allow it (an agent resolving a colleague's conversation)."""

    status = 403
    slug = "forbidden"


class LoginFailed(AgentError):
    """Wrong tenant, email or password: one message for all three, so nothing is revealed."""

    status = 401
    slug = "invalid-credentials"


class LockedOut(AgentError):
    """Too many failures for this email: refused until `retry_after_seconds` have passed."""

    status = 429
    slug = "login-locked"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class SessionInvalid(AgentError):
    """No session, an unknown token, or one idle longer than the expiry."""

    status = 401
    slug = "unauthorized"
