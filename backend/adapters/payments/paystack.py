"""Paystack (https://paystack.com/docs/api/): the live payments provider for Nigeria.

- Name enquiry: `GET /bank/resolve?account_number=&bank_code=` (422 with `status: false` when the
  bank knows no such account).
- Pay by link: `POST /transaction/initialize` with our reference; the customer pays on the
  returned `authorization_url`.
- Pay by transfer: `POST /charge` with `bank_transfer.account_expires_at` ("Pay with Transfer"):
  Paystack opens a temporary account for exactly this reference and amount.
- Webhooks: `charge.success`, signed in `x-paystack-signature` with HMAC-SHA512 of the raw body
  keyed by the secret key.

Amounts go to Paystack in kobo (the minor unit), the same integers we store. Every request carries
`Authorization: Bearer sk_...`. Paystack requires an e-mail address for a charge; customers who
never gave one get a stable per-customer address under our domain (see `Payer.email`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog

from backend.adapters.payments.sandbox_collections import parse_charge_success
from backend.adapters.payments.signatures import valid
from backend.lending.money import Money
from backend.services.payments.errors import ProviderUnavailable
from backend.services.payments.ports import Collection, Payer, PaymentEvent, VirtualAccount

log = structlog.get_logger(__name__)

BASE_URL = "https://api.paystack.co"
SIGNATURE_HEADER = "x-paystack-signature"
LINK_TTL = timedelta(hours=24)
ACCOUNT_TTL = timedelta(hours=1)


class PaystackPayments:
    name = "paystack"

    def __init__(self, secret_key: str, http: httpx.Client | None = None, base_url: str = BASE_URL) -> None:
        self._secret = secret_key
        self._http = http or httpx.Client(timeout=15.0)
        self._base = base_url.rstrip("/")

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(
                method,
                f"{self._base}{path}",
                headers={"Authorization": f"Bearer {self._secret}"},
                **kwargs,
            )
        except httpx.HTTPError as exc:
            log.warning("paystack_unreachable", path=path, error=type(exc).__name__)
            raise ProviderUnavailable(
                "The payment provider is not answering; please try again shortly."
            ) from exc

    def _data(self, response: httpx.Response, path: str) -> dict[str, Any]:
        body = _json(response)
        if response.status_code >= 400 or not body.get("status"):
            log.warning(
                "paystack_refused", path=path, status=response.status_code, message=body.get("message")
            )
            raise ProviderUnavailable("The payment provider could not set this payment up; please try again.")
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def resolve(self, *, bank_code: str, account_number: str, hint: str | None) -> str | None:
        response = self._call(
            "GET", "/bank/resolve", params={"account_number": account_number, "bank_code": bank_code}
        )
        body = _json(response)
        if response.status_code in (400, 404, 422) and body.get("status") is False:
            return None  # "Could not resolve account name. Check parameters or try again."
        name = self._data(response, "/bank/resolve").get("account_name")
        return str(name) if name else None

    def collect(
        self, *, reference: str, amount: Money, method: str, payer: Payer, now: datetime
    ) -> Collection:
        common = {
            "email": payer.email,
            "amount": str(amount.minor),
            "currency": amount.currency,
            "reference": reference,
        }
        if method == "link":
            data = self._data(
                self._call("POST", "/transaction/initialize", json=common), "/transaction/initialize"
            )
            return Collection(self.name, str(data["authorization_url"]), None, now + LINK_TTL)
        expires = now + ACCOUNT_TTL
        body = {**common, "bank_transfer": {"account_expires_at": expires.isoformat().replace("+00:00", "Z")}}
        data = self._data(self._call("POST", "/charge", json=body), "/charge")
        bank = data.get("bank") or {}
        account = VirtualAccount(
            bank_name=str(bank.get("name", "")),
            account_number=str(data["account_number"]),
            account_name=str(data.get("account_name", "")),
        )
        if raw := data.get("account_expires_at"):
            expires = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        return Collection(self.name, None, account, expires)

    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        return valid(self._secret, raw_body, headers.get(SIGNATURE_HEADER))

    def parse(self, raw_body: bytes) -> PaymentEvent | None:
        return parse_charge_success(raw_body)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
