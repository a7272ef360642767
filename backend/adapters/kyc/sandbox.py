"""The sandbox verification provider: no network, outcomes chosen by the data.

So that tests and demos can pick the path they want to show:

- KYC: an identity number ending in 0 -> failed, ending in 9 -> needs_review, else verified.
- KYB: a CAC registration number ending in 0 -> failed, ending in 9 -> needs_review, else verified.

The reasons are the plain-language sentences a live provider's codes map to.
"""

from __future__ import annotations

import hashlib

from backend.services.onboarding.ports import CheckResult, KybRequest, KycRequest

NAME = "sandbox"


def _reference(kind: str, reference: str) -> str:
    return f"sbx-{kind}-{hashlib.sha256(reference.encode()).hexdigest()[:16]}"


class SandboxVerifier:
    name = NAME

    def verify_person(self, request: KycRequest) -> CheckResult:
        last = request.id_number[-1:]
        if last == "0":
            status, reasons = (
                "failed",
                ("The identity number does not match the name and date of birth given.",),
            )
        elif last == "9":
            status, reasons = (
                "needs_review",
                ("The photo on the ID document is not clear enough; a person will check it.",),
            )
        else:
            status, reasons = "verified", ()
        return CheckResult(status, reasons, NAME, _reference("kyc", request.reference))

    def verify_business(self, request: KybRequest) -> CheckResult:
        last = request.registration_number[-1:]
        if last == "0":
            status, reasons = "failed", ("The CAC register has no business with this number and name.",)
        elif last == "9":
            status, reasons = (
                "needs_review",
                ("The business name differs from the CAC register; a person will check it.",),
            )
        else:
            status, reasons = "verified", ()
        return CheckResult(status, reasons, NAME, _reference("kyb", request.reference))
