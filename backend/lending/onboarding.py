"""What is still missing from a borrower's onboarding, in the order the assistant asks for it.

One ordered list drives the chat: the bot asks for `next` and nothing else, so a returning customer
is never asked twice and an onboarding left half-way resumes exactly where it stopped. Consent is
first because nothing else may be stored before it (NDPA 2023: lawful basis before collection).
Identity comes before documents because the ID photo is checked against the number typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ApplicantType(StrEnum):
    INDIVIDUAL = "individual"
    BUSINESS = "business"


PERSONAL_STEPS: tuple[str, ...] = (
    "consent",
    "full_name",
    "date_of_birth",
    "id_number",
    "id_document",
    "selfie",
)
BUSINESS_STEPS: tuple[str, ...] = (
    "business_name",
    "registration_number",
    "tin",
    "business_type",
    "months_in_business",
    "registration_document",
)
ALL_STEPS = PERSONAL_STEPS + BUSINESS_STEPS


@dataclass(frozen=True, slots=True)
class OnboardingFacts:
    """Which pieces are on record (True) for one customer."""

    consented: bool
    applicant_type: ApplicantType
    known: frozenset[str]


def missing(facts: OnboardingFacts) -> list[str]:
    """Every step not yet on record, in asking order; business steps only for a business
    applicant (an individual borrowing for themselves has no CAC number to give)."""
    steps = ALL_STEPS if facts.applicant_type is ApplicantType.BUSINESS else PERSONAL_STEPS
    have = set(facts.known) | ({"consent"} if facts.consented else set())
    return [step for step in steps if step not in have]
