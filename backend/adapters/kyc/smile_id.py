"""Smile ID Enhanced KYC (job type 5): the customer's BVN or NIN looked up at the issuing authority
and compared with the name and date of birth they gave.

Request: `POST {base}/v1/id_verification`, JSON with `partner_id`, `timestamp` (ISO 8601) and
`signature` = base64(HMAC-SHA256(api_key, timestamp + partner_id + "sid_request")), `country`
"NG", `id_type` "BVN" or "NIN_V2", `id_number`, names, `dob`, and `partner_params` (our
`job_id`, `user_id`, `job_type` 5). Response: `ResultCode` / `ResultText`, `SmileJobID` (the
provider's reference), and `Actions` with `Verify_ID_Number`, `Names` and `DOB` ("Exact Match",
"Partial Match", "No Match", ...). Documented at docs.usesmileid.com (Enhanced KYC, Signing your
API request, Result codes); the fixtures in tests/fixtures/kyc/ follow those pages.

Enhanced KYC takes no images: the ID photo and selfie the customer sent are kept as evidence for
a person reviewing a `needs_review` result (Biometric KYC, which compares the selfie, uploads a
zip in a separate job flow and is not wired yet). KYB has no live adapter yet: this class
delegates it to the sandbox rules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from backend.adapters.kyc.sandbox import SandboxVerifier
from backend.services.onboarding.errors import ProviderUnavailable
from backend.services.onboarding.ports import CheckResult, KybRequest, KycRequest

NAME = "smile_id"
ID_TYPES = {"bvn": "BVN", "nin": "NIN_V2"}
VALIDATED = "1012"  # ID Number Validated
NOT_FOUND = "1013"  # ID Number Not Found
UNAVAILABLE = {"1015", "1016"}  # ID authority unavailable / not enabled: try again later
MATCH = {"Exact Match", "Transposed"}
CLOSE = {"Partial Match"}


def signature(api_key: str, partner_id: str, timestamp: str) -> str:
    mac = hmac.new(api_key.encode(), digestmod=hashlib.sha256)
    for part in (timestamp, partner_id, "sid_request"):
        mac.update(part.encode())
    return base64.b64encode(mac.digest()).decode()


def _names(full_name: str) -> tuple[str, str]:
    first, _, rest = full_name.partition(" ")
    return first, rest.rsplit(" ", 1)[-1] if rest else ""


def interpret(body: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """Smile ID's result code and field matches -> our status and the customer's reasons."""
    code = str(body.get("ResultCode", ""))
    actions = body.get("Actions") or {}
    if code in UNAVAILABLE:
        raise ProviderUnavailable("The identity register is not answering; try again in a few minutes.")
    if code == NOT_FOUND or actions.get("Verify_ID_Number") == "Not Verified":
        return "failed", ("We could not find this identity number at the issuing authority.",)
    if code != VALIDATED:
        return "needs_review", (f"The identity check was inconclusive ({body.get('ResultText', code)}).",)
    names, dob = actions.get("Names", ""), actions.get("DOB", "")
    if names == "No Match" or dob == "No Match":
        field = "name" if names == "No Match" else "date of birth"
        return "failed", (f"The {field} you gave does not match the one registered with this number.",)
    reasons = []
    if names in CLOSE:
        reasons.append("Your name is spelled differently from the one registered; a person will check it.")
    if dob not in MATCH and dob not in {"", "Not Provided"}:
        reasons.append("Your date of birth could not be matched exactly; a person will check it.")
    if names not in MATCH and names not in CLOSE:
        reasons.append("Your name could not be compared with the register; a person will check it.")
    return ("needs_review", tuple(reasons)) if reasons else ("verified", ())


class SmileIdVerifier:
    name = NAME

    def __init__(
        self,
        partner_id: str,
        api_key: str,
        base_url: str,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._partner_id, self._api_key = partner_id, api_key
        self._client = client or httpx.Client(base_url=base_url, timeout=30.0)
        self._clock = clock
        self._kyb = SandboxVerifier()

    def request_body(self, request: KycRequest) -> dict[str, Any]:
        timestamp = self._clock().isoformat()
        first, last = _names(request.full_name)
        return {
            "source_sdk": "rest_api",
            "source_sdk_version": "1.0.0",
            "partner_id": self._partner_id,
            "timestamp": timestamp,
            "signature": signature(self._api_key, self._partner_id, timestamp),
            "country": "NG",
            "id_type": ID_TYPES[request.id_type],
            "id_number": request.id_number,
            "first_name": first,
            "last_name": last,
            "dob": request.date_of_birth.isoformat(),
            "phone_number": request.phone_e164 or "",
            "partner_params": {"job_id": request.reference, "user_id": request.reference, "job_type": 5},
        }

    def verify_person(self, request: KycRequest) -> CheckResult:
        try:
            response = self._client.post("/v1/id_verification", json=self.request_body(request))
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(
                "The identity check service did not answer; try again shortly."
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderUnavailable("The identity check service is busy; try again shortly.")
        body = response.json()
        if response.status_code >= 400:
            # 4xx is our mistake (signature, partner id, payload): fail loudly, do not blame the customer
            raise RuntimeError(
                f"Smile ID refused the request ({response.status_code}): {body.get('error', body)}"
            )
        status, reasons = interpret(body)
        return CheckResult(status, reasons, NAME, str(body.get("SmileJobID") or "") or None)

    def verify_business(self, request: KybRequest) -> CheckResult:
        return self._kyb.verify_business(request)


LiveKyc = SmileIdVerifier  # the live KYC adapter the settings select with KYC_PROVIDER=smile_id
