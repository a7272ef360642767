"""Refusals specific to onboarding; the rest (NotFound, Invalid, Conflict) are origination's."""

from __future__ import annotations

from backend.services.origination.errors import Conflict, OriginationError


class ConsentRequired(Conflict):
    """Nothing about a customer may be stored before they accept the current privacy notice."""


class ProviderUnavailable(OriginationError):
    """The verification provider did not answer; nothing was stored and the check can be retried."""


class StatementNeedsReview(Conflict):
    """A PDF statement cannot be read by the parser: a person reads it before the redecision."""


class DuplicateIdentity(Conflict):
    """The identity number is registered to another customer of the tenant (one person, one
    customer: a second account with the same BVN is how loan stacking fraud starts)."""


class IncompleteForCheck(Conflict):
    """A verification was asked for before the data it verifies was given; `missing` lists it."""


class OutdatedConsentVersion(Conflict):
    """An acceptance named a version of the notice that is not the current one."""


class DocumentsMissing(Conflict):
    """A redecision was asked for before every document the referral named was attached."""
