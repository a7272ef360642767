"""The sandbox payout provider: the default, so that disbursement runs end to end with no account.

It behaves like the real rails in the two ways the service depends on: the reference is a pure
function of the idempotency key (a retried instruction gets the first payout back, as Paystack's
and Flutterwave's transfer references do), and a payout instructed on a weekend is expected on the
next business day (NIP is instant, but settlement reporting follows banking days)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from backend.lending.money import Money
from backend.services.servicing.ports import Payout, PayoutOutcome

# A flat transfer charge in minor units, shaped like NIP transfer fees (₦10-₦50 per transfer).
SANDBOX_FEE_MINOR = 1_000


# Sandbox rule for payout outcomes: a destination account number ending in this fails (as NIP
# answers a closed or unknown account); every other payout succeeds and is charged the flat fee.
FAILING_ACCOUNT_SUFFIX = "0000"


class SandboxPayouts:
    name = "sandbox"

    def outcome(self, *, reference: str, amount: Money, destination: dict[str, Any]) -> PayoutOutcome:
        """What the sandbox "bank" did with the payout: deterministic from the destination, so a
        test (or a demo) picks the outcome by the account number it pays out to."""
        account = str(destination.get("account_number", ""))
        if account.endswith(FAILING_ACCOUNT_SUFFIX):
            return PayoutOutcome("failed", Money.zero(amount.currency), "beneficiary account not found")
        return PayoutOutcome("succeeded", Money(SANDBOX_FEE_MINOR, amount.currency))

    def payout(self, *, idempotency_key: str, amount: Money, destination: dict[str, Any], on: date) -> Payout:
        if amount.minor <= 0:
            raise ValueError("a payout must be positive")
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return Payout(
            provider=self.name,
            reference=f"sbx_po_{digest}",
            fee=Money(SANDBOX_FEE_MINOR, amount.currency),
            expected_arrival=_next_business_day(on),
            status="pending",
        )


def _next_business_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
