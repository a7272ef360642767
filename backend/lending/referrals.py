"""A referred application comes back with the documents it was asked for: which documents answer
which request, and which referral rules the new evidence clears.

A referral rule either reads the evidence itself (`kyc == "needs_review"`, `bank_months_covered <
3`) or asks for evidence its condition cannot see (`months_in_business < 6` wants a statement and
a registration certificate). The first kind is simply evaluated again on the new evidence: a short
statement replaced by a short statement must refer again. The second kind can never stop firing,
since no document changes a business's age, so receiving every document it named is what clears
it, like a credit officer ticking "documents seen". Clearing is recorded with the decision, so the
redecision is replayable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from backend.lending.underwriting import Decision, UnderwritingInput, decide
from backend.lending.underwriting_config import Outcome, RuleSet

# What kind of customer document answers each document name a rule set may ask for.
_KIND_FOR_PREFIX: tuple[tuple[str, str], ...] = (
    ("bank_statement", "bank_statement"),
    ("business_registration", "registration_document"),
    ("registration", "registration_document"),
    ("id_document", "id_document"),
    ("selfie", "selfie"),
    ("invoice", "invoice"),
)

_EVIDENCE_SYMBOLS = re.compile(r"\b(kyc|has_bank_statement|bank_[a-z_]+|inflow_to_revenue_ratio)\b")


def document_kind_for(required: str) -> str:
    """The kind of stored document that satisfies a requested document ("bank_statement_6m" ->
    "bank_statement"); names a rule set invents map to "other" so a person can still send them."""
    for prefix, kind in _KIND_FOR_PREFIX:
        if required.startswith(prefix):
            return kind
    return "other"


def reads_evidence(condition: str) -> bool:
    return _EVIDENCE_SYMBOLS.search(condition) is not None


def cleared_knockouts(ruleset: RuleSet, received: Iterable[str]) -> tuple[str, ...]:
    """Ids of refer rules whose condition does not read the evidence and whose every requested
    document has been received."""
    have = set(received)
    return tuple(
        k.id
        for k in ruleset.knockouts
        if k.outcome is Outcome.REFER
        and k.documents
        and set(k.documents) <= have
        and not reads_evidence(k.when)
    )


def decide_with_cleared(request: UnderwritingInput, ruleset: RuleSet, cleared: Iterable[str]) -> Decision:
    """`decide` with the cleared refer rules left out; decline rules are never cleared."""
    skip = set(cleared)
    kept = tuple(k for k in ruleset.knockouts if not (k.id in skip and k.outcome is Outcome.REFER))
    return decide(request, replace(ruleset, knockouts=kept))
