"""Which payments provider serves this process, from settings: the sandbox by default, Paystack
when `PAYMENTS_PROVIDER=paystack` and its secret key is set. Webhooks are accepted from the
configured provider, and from the sandbox only in sandbox mode."""

from __future__ import annotations

from backend.adapters.payments.paystack import PaystackPayments
from backend.adapters.payments.sandbox_collections import SandboxPayments
from backend.settings import Settings


def sandbox(settings: Settings) -> SandboxPayments:
    return SandboxPayments(settings.payments_sandbox_secret, settings.public_base_url)


def payments(settings: Settings) -> SandboxPayments | PaystackPayments:
    if settings.payments_provider == "paystack":
        if not settings.paystack_secret_key:
            raise RuntimeError("PAYMENTS_PROVIDER=paystack needs PAYSTACK_SECRET_KEY")
        return PaystackPayments(settings.paystack_secret_key, base_url=settings.paystack_base_url)
    return sandbox(settings)


def webhook_provider(settings: Settings, name: str) -> SandboxPayments | PaystackPayments | None:
    """The provider whose webhook `name` is, if this process takes its webhooks."""
    if name == "sandbox" and settings.sandbox_mode:
        return sandbox(settings)
    if name == "paystack" and settings.paystack_secret_key:
        return PaystackPayments(settings.paystack_secret_key, base_url=settings.paystack_base_url)
    return None
