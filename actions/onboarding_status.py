"""What the backend already knows about the customer: the form asks only for the rest.

Read once per user turn (a form's validator asks for the required slots more than once per
turn); cached by ``<sender>:<message id>`` for a few seconds, never longer, so an answer saved
this turn is seen on the next one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from rasa_sdk import Tracker

from actions.backend_client import BackendClient, BackendError
from actions.context import customer_id_of, request_context

log = structlog.get_logger(__name__)

TURN_CACHE_SECONDS = 5.0
_CACHE: dict[str, tuple[float, OnboardingStatus]] = {}

ALL_FIELDS = (
    "consent",
    "full_name",
    "date_of_birth",
    "id_number",
    "id_document",
    "selfie",
    "business_name",
    "registration_number",
    "tin",
    "business_type",
    "months_in_business",
    "registration_document",
)


@dataclass(frozen=True, slots=True)
class OnboardingStatus:
    consented: bool
    consent_version: str | None
    missing: tuple[str, ...]
    current_policy_version: str | None = None
    has_revenue: bool = False  # a business profile with its monthly revenue exists
    kyc_status: str = "not_started"
    kyb_status: str = "not_started"
    profile: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def unknown(cls) -> OnboardingStatus:
        """No customer or no backend: assume nothing is known, so everything is asked."""
        return cls(consented=False, consent_version=None, missing=ALL_FIELDS)


async def onboarding_status(tracker: Tracker) -> OnboardingStatus:
    customer = customer_id_of(tracker)
    if not customer:
        return OnboardingStatus.unknown()
    ctx = request_context(tracker)
    key = ctx.idempotency_key
    now = time.monotonic()
    cached = _CACHE.get(key)
    if cached and now - cached[0] < TURN_CACHE_SECONDS:
        return cached[1]
    try:
        data = await BackendClient().get(f"/v1/customers/{customer}/onboarding", ctx)
    except BackendError as exc:
        log.warning("onboarding_status.unavailable", error=str(exc))
        return OnboardingStatus.unknown()
    status = OnboardingStatus(
        consented=bool(data.get("consented")),
        consent_version=data.get("consent_version"),
        current_policy_version=data.get("current_policy_version"),
        missing=tuple(data.get("missing") or ()),
        kyc_status=str(data.get("kyc_status") or "not_started"),
        kyb_status=str(data.get("kyb_status") or "not_started"),
        profile=dict(data.get("profile") or {}),
        has_revenue=bool(data.get("underwriting_profile")),
    )
    for stale in [k for k, (t, _) in _CACHE.items() if now - t >= TURN_CACHE_SECONDS]:
        _CACHE.pop(stale, None)
    _CACHE[key] = (now, status)
    return status
