"""Agents, their passwords, login with lockout, sessions and the CSRF double-submit check.

Passwords: Argon2id through argon2-cffi's `PasswordHasher` (RFC 9106 parameters, the library's
defaults), whose `verify` compares in constant time. A login for an email nobody has still runs
one verification against a fixed dummy hash, so the time taken does not tell which emails exist.
Five failures for one email lock it for 15 minutes (OWASP Authentication Cheat Sheet, "Account
lockout"); the lock is per email, so a stranger cannot lock a whole tenant by guessing.

Sessions: a 256-bit random token in an HttpOnly cookie, stored only as its SHA-256; idle for 12
hours it expires (each use moves the expiry). The CSRF token is a second random value, sent as a
readable cookie and echoed by the page in `X-CSRF-Token` (OWASP CSRF Prevention Cheat Sheet,
"Double Submit Cookie", here tied to the server-side session so a planted cookie cannot match).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.services.agents.errors import Conflict, LockedOut, LoginFailed, NotFound, SessionInvalid
from backend.services.agents.ports import ROLES, AgentRecord, AgentUnitOfWork

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
IDLE_EXPIRY = timedelta(hours=12)
# Writing the expiry on every request would make each console poll a write; a minute is plenty.
EXTEND_AFTER = timedelta(minutes=1)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anybody has " + secrets.token_hex(8))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_ok(cookie: str | None, header: str | None) -> bool:
    """Both present and equal (constant-time)."""
    if not cookie or not header:
        return False
    return hmac.compare_digest(cookie.encode(), header.encode())


@dataclass(frozen=True, slots=True)
class CreateAgent:
    tenant_id: uuid.UUID
    email: str
    name: str
    role: str
    password: str
    actor: str = "api"


def create_agent(cmd: CreateAgent, uow: AgentUnitOfWork, now: datetime) -> AgentRecord:
    """Raises Conflict (409, agent-exists) when the email is taken in the tenant."""
    if cmd.role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    agent = AgentRecord(
        id=uuid.uuid4(),
        tenant_id=cmd.tenant_id,
        email=cmd.email.strip().lower(),
        name=cmd.name.strip(),
        role=cmd.role,
        password_hash=hash_password(cmd.password),
        created_at=now,
    )
    with uow:
        if not uow.agents.add(agent):
            raise Conflict(f"an agent with email {agent.email} exists", slug="agent-exists")
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action="agent.created",
            subject_type="agent",
            subject_id=str(agent.id),
            data={"email": agent.email, "role": agent.role},
        )
        uow.commit()
    return agent


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    csrf_token: str
    agent: AgentRecord
    expires_at: datetime


def login(tenant_slug: str, email: str, password: str, uow: AgentUnitOfWork, now: datetime) -> IssuedSession:
    """A new session for the right password. Raises LoginFailed (401) for any wrong part, and
    LockedOut (429) while the email is locked (even with the right password)."""
    with uow:
        agent = uow.agents.by_email(tenant_slug, email.strip().lower(), for_update=True)
        if agent is None:
            password_matches(_DUMMY_HASH, password)  # same work as a real check
            raise LoginFailed("Wrong email or password.")
        if agent.locked_until is not None and agent.locked_until > now:
            raise LockedOut(
                "Too many failed attempts; try again later.",
                int((agent.locked_until - now).total_seconds()) + 1,
            )
        if not password_matches(agent.password_hash, password):
            failures = agent.failed_logins + 1
            locked = now + LOCK_FOR if failures >= MAX_FAILURES else None
            uow.agents.save_login_state(agent.id, 0 if locked else failures, locked)
            if locked is not None:
                uow.audit.append(
                    agent.tenant_id,
                    actor=f"agent:{agent.id}",
                    action="agent.locked_out",
                    subject_type="agent",
                    subject_id=str(agent.id),
                    data={"until": locked.isoformat()},
                )
            uow.commit()
            raise LoginFailed("Wrong email or password.")
        uow.agents.save_login_state(agent.id, 0, None)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = now + IDLE_EXPIRY
        uow.sessions.add(token_hash(token), agent.id, csrf, expires)
        uow.audit.append(
            agent.tenant_id,
            actor=f"agent:{agent.id}",
            action="agent.logged_in",
            subject_type="agent",
            subject_id=str(agent.id),
            data={},
        )
        uow.commit()
        return IssuedSession(token, csrf, replace(agent, failed_logins=0, locked_until=None), expires)


@dataclass(frozen=True, slots=True)
class AgentContext:
    """Who is calling, from a valid session."""

    agent: AgentRecord
    csrf_token: str
    session_id: uuid.UUID

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.agent.tenant_id

    @property
    def actor(self) -> str:
        return f"agent:{self.agent.id}"


def authenticate(token: str | None, uow: AgentUnitOfWork, now: datetime) -> AgentContext:
    """The session's agent; raises SessionInvalid (401) for no, unknown or expired sessions.
    Each use moves the idle expiry to 12 hours from now."""
    if not token:
        raise SessionInvalid("Log in first.")
    with uow:
        found = uow.sessions.get(token_hash(token))
        if found is None:
            raise SessionInvalid("Log in first.")
        session, agent = found
        if session.expires_at <= now:
            uow.sessions.delete(token_hash(token))
            uow.commit()
            raise SessionInvalid("Your session expired; log in again.", slug="session-expired")
        if now + IDLE_EXPIRY - session.expires_at > EXTEND_AFTER:
            uow.sessions.extend(session.id, now + IDLE_EXPIRY)
            uow.commit()
        return AgentContext(agent, session.csrf_token, session.id)


def logout(token: str | None, uow: AgentUnitOfWork) -> None:
    if not token:
        return
    with uow:
        uow.sessions.delete(token_hash(token))
        uow.commit()


def agents_of(tenant_id: uuid.UUID, uow: AgentUnitOfWork) -> list[AgentRecord]:
    with uow:
        return uow.agents.of_tenant(tenant_id)


def agent_of(tenant_id: uuid.UUID, agent_id: uuid.UUID, uow: AgentUnitOfWork) -> AgentRecord:
    with uow:
        agent = uow.agents.get(tenant_id, agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} not found", slug="agent-not-found")
    return agent
