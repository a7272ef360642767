"""E-signature with a one-time code: issue, then sign.

Only the code's keyed hash is stored on the agreement (`agreements.otp_challenge`). The code goes
to the customer's conversation through the messaging outbox; a customer with no conversation
(created over the API) gets it back in the response only in sandbox mode, so an integrator can
complete the flow without a phone. A new code cannot be issued while signing is locked, or the
lockout would be bypassed by asking again.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from backend.services import otp
from backend.services.origination.errors import Conflict, NotFound, SigningLocked
from backend.services.origination.ports import AgreementRec, OriginationUnitOfWork


@dataclass(frozen=True, slots=True)
class Issued:
    challenge_id: str
    expires_at: datetime
    delivered: bool
    sandbox_code: str | None


def _challenge_out(challenge: otp.Challenge) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(challenge).items()}


def _challenge_in(data: dict[str, Any]) -> otp.Challenge:
    def when(key: str) -> datetime | None:
        value = data.get(key)
        return datetime.fromisoformat(value) if value else None

    expires_at = when("expires_at")
    assert expires_at is not None
    return otp.Challenge(
        id=data["id"],
        code_hash=data["code_hash"],
        expires_at=expires_at,
        attempts=int(data.get("attempts", 0)),
        locked_until=when("locked_until"),
        used_at=when("used_at"),
    )


def _pending(uow: OriginationUnitOfWork, agreement_id: uuid.UUID) -> AgreementRec:
    agreement = uow.repo.agreement(agreement_id, for_update=True)
    if agreement is None:
        raise NotFound("No such agreement.")
    if agreement.status != "pending":
        raise Conflict(f"This agreement is already {agreement.status}.", current_status=agreement.status)
    return agreement


def issue_code(
    agreement_id: uuid.UUID, uow: OriginationUnitOfWork, secret: bytes, now: datetime, *, sandbox: bool
) -> Issued:
    with uow:
        agreement = _pending(uow, agreement_id)
        if agreement.otp_challenge:
            previous = _challenge_in(agreement.otp_challenge)
            if previous.locked_until is not None and now < previous.locked_until:
                raise SigningLocked("Too many wrong codes; signing is locked.", previous.locked_until)
        challenge, code = otp.issue(secret, now)
        agreement.otp_challenge = _challenge_out(challenge)
        uow.repo.save_agreement(agreement)
        app = uow.repo.application(agreement.application_id)
        assert app is not None
        delivered = uow.notifier.send_to_customer(
            app.customer_id,
            f"Your code to sign your loan agreement is {code}. It expires in "
            f"{int(otp.CODE_TTL.total_seconds() // 60)} minutes. Never share it with anyone.",
        )
        uow.audit.append(
            actor="api",
            action="agreement.otp_issued",
            subject_type="agreement",
            subject_id=str(agreement.id),
            data={"challenge_id": challenge.id, "delivered": delivered},
        )
        uow.commit()
    return Issued(challenge.id, challenge.expires_at, delivered, None if delivered or not sandbox else code)


@dataclass(frozen=True, slots=True)
class SignAttempt:
    code: str
    signer: str
    channel: str
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class SignResult:
    outcome: otp.Outcome
    attempts_left: int
    agreement: AgreementRec
    unlocks_at: datetime | None = None


def sign(
    agreement_id: uuid.UUID, attempt: SignAttempt, uow: OriginationUnitOfWork, secret: bytes, now: datetime
) -> SignResult:
    """Judge the code and keep the attempt count either way (a wrong code is committed too, or
    the lockout could be beaten by failing fast). Only ACCEPTED signs."""
    with uow:
        agreement = _pending(uow, agreement_id)
        if not agreement.otp_challenge:
            raise Conflict("Ask for a signing code first (POST /v1/agreements/{id}/otp).")
        result = otp.check(secret, _challenge_in(agreement.otp_challenge), attempt.code, now)
        agreement.otp_challenge = _challenge_out(result.challenge)
        if result.outcome is otp.Outcome.ACCEPTED:
            agreement.status = "signed"
            agreement.signed_at = now
            agreement.signer = attempt.signer
            agreement.channel = attempt.channel
            agreement.evidence = {
                "challenge_id": result.challenge.id,
                "sha256": agreement.sha256,
                "ip": attempt.ip,
                "user_agent": attempt.user_agent,
                "signed_at": now.isoformat(),
            }
        uow.repo.save_agreement(agreement)
        uow.audit.append(
            actor=attempt.signer,
            action="agreement.signed" if agreement.status == "signed" else "agreement.sign_failed",
            subject_type="agreement",
            subject_id=str(agreement.id),
            data={
                "outcome": result.outcome.value,
                "challenge_id": result.challenge.id,
                "sha256": agreement.sha256,
            },
        )
        uow.commit()
    return SignResult(result.outcome, result.attempts_left, agreement, result.challenge.locked_until)
