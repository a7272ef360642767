"""The sandbox payments provider for everything but the payout itself (see `sandbox.py`): name
enquiry, pay-now links and transfer accounts, signed payment webhooks, and the payout rail's
timing. Deterministic, so a demo or a test picks an outcome by the number it types.

- Name enquiry: an account number ending in 000 does not exist (as NIP answers an unknown
  account); any other resolves to the customer's name in capitals (as banks return it), or to a
  stable placeholder when we do not know the name yet.
- Pay now: a link under the backend's public URL and a transfer account that is a valid NUBAN of
  a real bank code, so the bot's rendering is exercised with realistic values. Nothing is ever
  paid by itself: `POST /v1/payment-instructions/{id}/simulate-payment` pays.
- Payout timing: NIP transfers are instant, but a lender's payout runs in banking hours: before
  17:00 Lagos time on a banking day it lands at once; otherwise at 09:00 on the next banking day.
  Banking days are weekdays that are not Nigerian public holidays (the `holidays` package).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from backend.adapters.payments.signatures import sign, valid
from backend.lending.money import Money
from backend.lending.nuban import check_digit
from backend.services.payments.ports import Arrival, Collection, Payer, PaymentEvent, VirtualAccount

LAGOS = ZoneInfo("Africa/Lagos")
NO_SUCH_ACCOUNT_SUFFIX = "000"
SIGNATURE_HEADER = "x-sandbox-signature"
CUTOFF = time(17, 0)
OPENING = time(9, 0)
LINK_TTL = timedelta(hours=24)
ACCOUNT_TTL = timedelta(hours=1)
VA_BANK_CODE, VA_BANK_NAME = "035", "Wema Bank"


class SandboxPayments:
    name = "sandbox"

    def __init__(self, secret: str, public_base_url: str = "http://127.0.0.1:8000") -> None:
        self._secret = secret
        self._base = public_base_url.rstrip("/")

    # name enquiry
    def resolve(self, *, bank_code: str, account_number: str, hint: str | None) -> str | None:
        if account_number.endswith(NO_SUCH_ACCOUNT_SUFFIX):
            return None
        return (hint or f"Sandbox Account {account_number[-4:]}").upper()

    # collections
    def collect(
        self, *, reference: str, amount: Money, method: str, payer: Payer, now: datetime
    ) -> Collection:
        if method == "link":
            return Collection(self.name, f"{self._base}/sandbox/pay/{reference}", None, now + LINK_TTL)
        serial = str(int(hashlib.sha256(reference.encode()).hexdigest(), 16))[-9:].rjust(9, "0")
        number = serial + str(check_digit(VA_BANK_CODE, serial))
        holder = (payer.full_name or "customer").upper()
        return Collection(
            self.name,
            None,
            VirtualAccount(VA_BANK_NAME, number, f"CREDIT ASSISTANT / {holder}"),
            now + ACCOUNT_TTL,
        )

    # webhooks
    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        return valid(self._secret, raw_body, headers.get(SIGNATURE_HEADER))

    def parse(self, raw_body: bytes) -> PaymentEvent | None:
        return parse_charge_success(raw_body)

    def signed_event(self, reference: str, amount: Money, paid_at: datetime) -> tuple[bytes, dict[str, str]]:
        """A `charge.success` event shaped like Paystack's, signed with the sandbox secret: what
        simulate-payment feeds into the webhook endpoint's own code path."""
        body = json.dumps(
            {
                "event": "charge.success",
                "data": {
                    "reference": reference,
                    "status": "success",
                    "amount": amount.minor,
                    "currency": amount.currency,
                    "paid_at": paid_at.isoformat(),
                    "channel": "sandbox",
                },
            },
            separators=(",", ":"),
        ).encode()
        return body, {SIGNATURE_HEADER: sign(self._secret, body)}

    # payout rail
    def arrival(self, now: datetime) -> Arrival:
        local = now.astimezone(LAGOS)
        if is_banking_day(local.date()) and local.time() < CUTOFF:
            return Arrival(local, instant=True)
        day = local.date() + timedelta(days=1)
        while not is_banking_day(day):
            day += timedelta(days=1)
        return Arrival(datetime.combine(day, OPENING, tzinfo=LAGOS), instant=False)


NIGERIAN_HOLIDAYS = holidays.country_holidays("NG")  # fills in each year as it is asked for


def is_banking_day(day: date) -> bool:
    return day.weekday() < 5 and day not in NIGERIAN_HOLIDAYS


def parse_charge_success(raw_body: bytes) -> PaymentEvent | None:
    """Paystack's `charge.success` shape (the sandbox speaks it too): the reference, the amount in
    kobo, its currency and when it was paid. Anything else (other events, failed charges) is None."""
    try:
        payload: Any = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or payload.get("event") != "charge.success":
        return None
    data = payload.get("data") or {}
    if data.get("status") != "success" or not data.get("reference"):
        return None
    paid = data.get("paid_at") or data.get("paidAt")
    try:
        amount = Money(int(data["amount"]), str(data.get("currency") or "NGN"))
        paid_at = datetime.fromisoformat(str(paid).replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return None
    if paid_at.tzinfo is None:
        paid_at = paid_at.replace(tzinfo=LAGOS)
    return PaymentEvent(str(data["reference"]), amount, paid_at)
