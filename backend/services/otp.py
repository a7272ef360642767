"""One-time codes for e-signature: issue, check, lock after repeated failures.

Only a keyed hash of the code is stored (HMAC-SHA256 with the server's secret and the challenge
id), so a database read does not reveal a live code. Three wrong codes lock signing for a while,
because six digits are guessable by brute force without a limit; the lock, the expiry and the
single use are what make a typed-back code evidence of the customer's intent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 3
LOCKOUT = timedelta(minutes=30)


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    ALREADY_USED = "already_used"


@dataclass(frozen=True, slots=True)
class Challenge:
    id: str
    code_hash: str
    expires_at: datetime
    attempts: int = 0
    locked_until: datetime | None = None
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    outcome: Outcome
    challenge: Challenge
    attempts_left: int


def hash_code(secret: bytes, challenge_id: str, code: str) -> str:
    return hmac.new(secret, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def issue(secret: bytes, now: datetime, challenge_id: str | None = None) -> tuple[Challenge, str]:
    """A new challenge and the plain code to send to the customer (never stored)."""
    challenge_id = challenge_id or secrets.token_hex(16)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    return Challenge(challenge_id, hash_code(secret, challenge_id, code), now + CODE_TTL), code


def check(secret: bytes, challenge: Challenge, typed: str, now: datetime) -> CheckResult:
    """Judge a typed code; the returned challenge carries the new attempt count or lock."""
    if challenge.used_at is not None:
        return CheckResult(Outcome.ALREADY_USED, challenge, 0)
    if challenge.locked_until is not None and now < challenge.locked_until:
        return CheckResult(Outcome.LOCKED, challenge, 0)
    if now >= challenge.expires_at:
        return CheckResult(Outcome.EXPIRED, challenge, 0)
    candidate = hash_code(secret, challenge.id, "".join(ch for ch in typed if ch.isdigit()))
    if hmac.compare_digest(candidate, challenge.code_hash):
        return CheckResult(Outcome.ACCEPTED, replace(challenge, used_at=now), 0)
    attempts = challenge.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        return CheckResult(
            Outcome.LOCKED, replace(challenge, attempts=attempts, locked_until=now + LOCKOUT), 0
        )
    return CheckResult(Outcome.WRONG, replace(challenge, attempts=attempts), MAX_ATTEMPTS - attempts)
