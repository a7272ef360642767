"""Consent to the privacy and data-use notice, versioned per tenant.

Nigeria's Data Protection Act 2023 makes consent the lawful basis for what we collect during
onboarding, so consent comes before anything else is stored, and it must be specific to the text
the customer saw: a consent is for one version, and a new version of the notice asks again.
Withdrawal is a new row, never an update: the history of what the customer agreed to, and when,
is evidence we may have to show.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml

from backend.services.onboarding.errors import ConsentRequired, OutdatedConsentVersion
from backend.services.onboarding.ports import ConsentRec, OnboardingUnitOfWork, PolicyRec
from backend.services.origination.errors import Conflict, Invalid, NotFound

DEFAULT_POLICY_FILE = Path(__file__).with_name("consent_policy.md")
CHANNELS = ("whatsapp", "sms", "web", "api", "agent")


@lru_cache(maxsize=1)
def default_policy() -> PolicyRec:
    """The notice a tenant gets until it publishes its own: YAML front matter with the version."""
    raw = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    _, front, body = raw.split("---\n", 2)
    meta = yaml.safe_load(front)
    return PolicyRec(version=str(meta["version"]), text=body.strip())


def current_policy(uow: OnboardingUnitOfWork) -> PolicyRec:
    return uow.onboarding.policy() or default_policy()


def publish_policy(rec: PolicyRec, uow: OnboardingUnitOfWork) -> PolicyRec:
    """A tenant's own notice; a version once published is never edited (consents point at it)."""
    if not rec.version.strip() or not rec.text.strip():
        raise Invalid("A policy needs a version and a text.")
    with uow:
        existing = uow.onboarding.policy()
        if existing is not None and existing.version == rec.version:
            raise Conflict(f"Version {rec.version} is already published; use a new version.")
        uow.onboarding.add_policy(rec)
        uow.audit.append(
            actor="api",
            action="consent_policy.published",
            subject_type="tenant",
            subject_id=str(uow.tenant_id),
            data={"version": rec.version},
        )
        uow.commit()
        return rec


def consent_state(uow: OnboardingUnitOfWork, customer_id: uuid.UUID) -> tuple[bool, str | None]:
    """(consented to the current notice, version of the latest acceptance still in force)."""
    latest = uow.onboarding.latest_consent(customer_id)
    if latest is None or not latest.accepted:
        return False, None
    return latest.policy_version == current_policy(uow).version, latest.policy_version


def require_consent(uow: OnboardingUnitOfWork, customer_id: uuid.UUID) -> None:
    """Inside an open unit of work: 404 for an unknown customer, 409 consent-required without consent."""
    if uow.repo.customer(customer_id) is None:
        raise NotFound("No such customer.")
    consented, version = consent_state(uow, customer_id)
    if not consented:
        current = current_policy(uow).version
        detail = (
            "The customer has not accepted the privacy notice yet."
            if version is None
            else f"The privacy notice changed (version {current}); the customer must accept it again."
        )
        raise ConsentRequired(detail, policy_version=current)


def record_consent(
    customer_id: uuid.UUID,
    version: str,
    channel: str,
    accepted: bool,
    uow: OnboardingUnitOfWork,
    now: datetime,
) -> ConsentRec:
    """Accepting names the version the customer was shown, which must be the current one (an old
    text may have said less than we now do); withdrawing works whatever version is named."""
    if channel not in CHANNELS:
        raise Invalid(f"channel must be one of {', '.join(CHANNELS)}.", field="channel")
    with uow:
        if uow.repo.customer(customer_id) is None:
            raise NotFound("No such customer.")
        current = current_policy(uow).version
        if accepted and version != current:
            raise OutdatedConsentVersion(
                f"Version {version} is not the current privacy notice; show version {current}.",
                current_version=current,
            )
        rec = ConsentRec(
            id=uuid.uuid4(),
            customer_id=customer_id,
            policy_version=version,
            channel=channel,
            accepted=accepted,
            created_at=now,
        )
        uow.onboarding.add_consent(rec)
        uow.onboarding.set_consented_at(customer_id, now if accepted else None)
        uow.audit.append(
            actor="api",
            action="consent.given" if accepted else "consent.withdrawn",
            subject_type="customer",
            subject_id=str(customer_id),
            data={"version": version, "channel": channel},
        )
        uow.commit()
        return rec
