"""A tenant's underwriting rule set: data parsed from YAML or JSON, validated, then compiled.

Credit policy changes more often than code and is owned by credit officers, not engineers, so it is
data: knock-out rules, a points scorecard and grade bands, each rule an expression in rule-engine's
small language (never Python `eval`, so a rule set can read the applicant's figures and nothing
else). Validation is strict and names the offending field, because a typo in a live rule set
silently approves or declines real people. Every rule also carries the text the customer reads and
a hint of what would change the outcome: a decision we cannot explain in plain words is one we
should not make.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import rule_engine
import yaml

from backend.lending.money import Money, UnknownCurrency, exponent_of


class InvalidRuleSet(ValueError):
    """The rule set cannot be used; the message names the field (`knockouts[2].when`) and why."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class Outcome(StrEnum):
    APPROVE = "approve"
    REFER = "refer"
    DECLINE = "decline"


GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E")

T = rule_engine.DataType
# Every name a rule may use. Amounts are in MAJOR units of the rule set's currency as exact
# Decimals (rule-engine's FLOAT is a Decimal), because credit officers write "2000000", not kobo.
# Names that can be null are listed in NULLABLE: rules must guard them (`has_bank_statement and
# ...`); validation runs every rule against applicants without them to prove it.
SYMBOL_TYPES: dict[str, Any] = {
    "requested_amount": T.FLOAT,
    "product_kind": T.STRING,
    "business_type": T.STRING,
    "months_in_business": T.FLOAT,
    "monthly_revenue": T.FLOAT,
    "kyc": T.STRING,
    "has_bank_statement": T.BOOLEAN,
    "bank_average_monthly_inflow": T.FLOAT,
    "bank_bounced_payments": T.FLOAT,
    "bank_months_covered": T.FLOAT,
    "existing_debt_service": T.FLOAT,
    "debt_service_ratio": T.FLOAT,
    "inflow_to_revenue_ratio": T.FLOAT,
}
NULLABLE: frozenset[str] = frozenset(
    {
        "bank_average_monthly_inflow",
        "bank_bounced_payments",
        "bank_months_covered",
        "debt_service_ratio",
        "inflow_to_revenue_ratio",
    }
)

_CONTEXT = rule_engine.Context(type_resolver=rule_engine.type_resolver_from_dict(SYMBOL_TYPES))
_DOCUMENT = re.compile(r"^[a-z][a-z0-9_]*$")
# Customer-facing text must not read like code: an expression leaking into a WhatsApp message
# ("months_in_business < 6") is a complaint, and a sign the author swapped two fields.
_CODE_LIKE = re.compile(r"==|!=|<=|>=|[<>{}\[\]]|\b[a-z]+_[a-z_]+\b")
MAX_TEXT = 300


@dataclass(frozen=True, slots=True)
class Knockout:
    """A rule that stops the application before scoring: decline, or refer for documents."""

    id: str
    when: str
    outcome: Outcome
    reason: str
    hint: str
    documents: tuple[str, ...]
    rule: rule_engine.Rule


@dataclass(frozen=True, slots=True)
class Bin:
    when: str
    points: int
    rule: rule_engine.Rule


@dataclass(frozen=True, slots=True)
class Characteristic:
    """One scorecard line: the first matching bin gives the points, else `default`."""

    id: str
    bins: tuple[Bin, ...]
    default: int


@dataclass(frozen=True, slots=True)
class GradeBand:
    """Points at or above `min_points` earn the grade; `revenue_multiple` sizes its limit.

    A band with `approve: false` declines: the scorecard says the risk is beyond what the tenant's
    lenders price, and the band's reason tells the customer so.
    """

    grade: str
    min_points: int
    revenue_multiple: Decimal
    approve: bool
    reason: str
    hint: str


@dataclass(frozen=True, slots=True)
class ProductLimits:
    min_amount: Money
    max_amount: Money


@dataclass(frozen=True, slots=True)
class RuleSet:
    id: str
    version: int
    currency: str
    digest: str
    rounding_step: Money
    knockouts: tuple[Knockout, ...]
    base_points: int
    characteristics: tuple[Characteristic, ...]
    grades: tuple[GradeBand, ...]
    products: Mapping[str, ProductLimits]

    def band_for(self, points: int) -> GradeBand:
        """Bands are sorted by `min_points` descending and the last one starts at or below any score."""
        for band in self.grades:
            if points >= band.min_points:
                return band
        return self.grades[-1]


def parse_ruleset(text: str) -> RuleSet:
    """Parse YAML (JSON is YAML too) with `safe_load`: no object tags, no code in configuration."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidRuleSet("<document>", f"not valid YAML or JSON ({exc})") from None
    return build_ruleset(data)


def digest_of(data: Mapping[str, Any]) -> str:
    """A fingerprint of the rule set's content: a replay under an edited-but-same-version rule set
    is caught instead of quietly giving a different answer."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_ruleset(data: Any) -> RuleSet:
    """Validate a parsed rule set and compile its expressions once, so evaluation is cheap."""
    root = _mapping(data, "<document>")
    ruleset_id = _text(root, "id", "")
    version = _int(root, "version", "", minimum=1)
    currency = _text(root, "currency", "")
    try:
        exponent_of(currency)
    except UnknownCurrency:
        raise InvalidRuleSet("currency", f"unknown ISO 4217 currency {currency!r}") from None
    step = _money(root, "rounding_step", "", currency)
    if step.minor <= 0:
        raise InvalidRuleSet("rounding_step", "must be positive")
    knockouts = tuple(
        _knockout(item, f"knockouts[{i}]") for i, item in enumerate(_list(root, "knockouts", ""))
    )
    _unique([k.id for k in knockouts], "knockouts")
    scorecard = _mapping(root.get("scorecard"), "scorecard")
    characteristics = tuple(
        _characteristic(item, f"scorecard.characteristics[{i}]")
        for i, item in enumerate(_list(scorecard, "characteristics", "scorecard."))
    )
    _unique([c.id for c in characteristics], "scorecard.characteristics")
    grades = _grades(_list(root, "grades", ""))
    products = {
        name: _product(spec, f"products.{name}", currency)
        for name, spec in _mapping(root.get("products"), "products").items()
    }
    if not products:
        raise InvalidRuleSet("products", "at least one product is needed")
    return RuleSet(
        id=ruleset_id,
        version=version,
        currency=currency,
        digest=digest_of(root),
        rounding_step=step,
        knockouts=knockouts,
        base_points=_int(scorecard, "base_points", "scorecard.", default=0),
        characteristics=characteristics,
        grades=grades,
        products=products,
    )


def _knockout(data: Any, where: str) -> Knockout:
    item = _mapping(data, where)
    outcome_text = _text(item, "outcome", f"{where}.")
    if outcome_text not in (Outcome.DECLINE, Outcome.REFER):
        raise InvalidRuleSet(f"{where}.outcome", f"must be 'decline' or 'refer', not {outcome_text!r}")
    outcome = Outcome(outcome_text)
    documents = tuple(item.get("documents") or ())
    for i, doc in enumerate(documents):
        if not isinstance(doc, str) or not _DOCUMENT.match(doc):
            raise InvalidRuleSet(
                f"{where}.documents[{i}]", f"{doc!r} is not a document code like 'id_document'"
            )
    if outcome is Outcome.REFER and not documents:
        raise InvalidRuleSet(f"{where}.documents", "a refer must name the documents it needs")
    if outcome is Outcome.DECLINE and documents:
        raise InvalidRuleSet(f"{where}.documents", "a decline asks for no documents")
    when = _text(item, "when", f"{where}.")
    return Knockout(
        id=_text(item, "id", f"{where}."),
        when=when,
        outcome=outcome,
        reason=_customer_text(item, "reason", where),
        hint=_customer_text(item, "hint", where),
        documents=documents,
        rule=compile_rule(when, f"{where}.when"),
    )


def _characteristic(data: Any, where: str) -> Characteristic:
    item = _mapping(data, where)
    bins = []
    for i, raw in enumerate(_list(item, "bins", f"{where}.")):
        b = _mapping(raw, f"{where}.bins[{i}]")
        when = _text(b, "when", f"{where}.bins[{i}].")
        bins.append(
            Bin(when, _int(b, "points", f"{where}.bins[{i}]."), compile_rule(when, f"{where}.bins[{i}].when"))
        )
    return Characteristic(
        _text(item, "id", f"{where}."), tuple(bins), _int(item, "default", f"{where}.", default=0)
    )


def _grades(items: list[Any]) -> tuple[GradeBand, ...]:
    bands = []
    for i, raw in enumerate(items):
        where = f"grades[{i}]"
        item = _mapping(raw, where)
        grade = _text(item, "grade", f"{where}.")
        if grade not in GRADES:
            raise InvalidRuleSet(f"{where}.grade", f"must be one of {', '.join(GRADES)}, not {grade!r}")
        approve = item.get("approve", True)
        if not isinstance(approve, bool):
            raise InvalidRuleSet(f"{where}.approve", "must be true or false")
        multiple = _decimal(item, "revenue_multiple", f"{where}.", default="0")
        if approve and multiple <= 0:
            raise InvalidRuleSet(f"{where}.revenue_multiple", "an approving grade needs a positive multiple")
        bands.append(
            GradeBand(
                grade=grade,
                min_points=_int(item, "min_points", f"{where}."),
                revenue_multiple=multiple,
                approve=approve,
                reason="" if approve else _customer_text(item, "reason", where),
                hint="" if approve else _customer_text(item, "hint", where),
            )
        )
    if not bands:
        raise InvalidRuleSet("grades", "at least one grade band is needed")
    _unique([b.grade for b in bands], "grades")
    ordered = [b.min_points for b in bands]
    if ordered != sorted(ordered, reverse=True) or len(set(ordered)) != len(ordered):
        raise InvalidRuleSet("grades", "list bands from best to worst with strictly falling min_points")
    if [b.grade for b in bands] != sorted(b.grade for b in bands):
        raise InvalidRuleSet("grades", "grades must run in order A, B, C, ... as points fall")
    return tuple(bands)


def _product(data: Any, where: str, currency: str) -> ProductLimits:
    item = _mapping(data, where)
    limits = ProductLimits(
        _money(item, "min_amount", f"{where}.", currency), _money(item, "max_amount", f"{where}.", currency)
    )
    if not (0 < limits.min_amount.minor <= limits.max_amount.minor):
        raise InvalidRuleSet(where, "need 0 < min_amount <= max_amount")
    return limits


def compile_rule(text: str, where: str) -> rule_engine.Rule:
    """Compile against the known symbols (a misspelt name fails here, not at 2 a.m. in production),
    then dry-run on probe applicants so a rule that breaks on a missing bank statement is refused."""
    try:
        rule = rule_engine.Rule(text, context=_CONTEXT)
    except rule_engine.SymbolResolutionError as exc:
        raise InvalidRuleSet(
            where, f"unknown name {exc.symbol_name!r}; known: {', '.join(SYMBOL_TYPES)}"
        ) from None
    except rule_engine.EngineError as exc:
        raise InvalidRuleSet(where, f"cannot parse {text!r} ({exc.message})") from None
    for probe in _PROBES:
        try:
            rule.evaluate(probe)
        except rule_engine.EngineError as exc:
            raise InvalidRuleSet(
                where,
                f"{text!r} fails for an applicant with {probe['_label']} ({exc.message}); "
                "guard nullable names, e.g. 'has_bank_statement and bank_bounced_payments > 3'",
            ) from None
    return rule


_FULL: dict[str, Any] = {
    "requested_amount": Decimal(1),
    "product_kind": "p",
    "business_type": "retail",
    "months_in_business": Decimal(12),
    "monthly_revenue": Decimal(1),
    "kyc": "verified",
    "has_bank_statement": True,
    "bank_average_monthly_inflow": Decimal(1),
    "bank_bounced_payments": Decimal(0),
    "bank_months_covered": Decimal(6),
    "existing_debt_service": Decimal(0),
    "debt_service_ratio": Decimal(0),
    "inflow_to_revenue_ratio": Decimal(1),
}
_PROBES: tuple[dict[str, Any], ...] = (
    {**_FULL, "_label": "every figure present"},
    {
        **_FULL,
        **dict.fromkeys(NULLABLE),
        "has_bank_statement": False,
        "monthly_revenue": Decimal(0),
        "_label": "no bank statement and zero revenue",
    },
)


def _mapping(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidRuleSet(where, f"expected a mapping, got {type(data).__name__}")
    return data


def _list(data: Mapping[str, Any], key: str, prefix: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InvalidRuleSet(f"{prefix}{key}", f"expected a list, got {type(value).__name__}")
    return value


def _text(data: Mapping[str, Any], key: str, prefix: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRuleSet(f"{prefix}{key}", "required text is missing or empty")
    return value.strip()


def _customer_text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = _text(data, key, f"{where}.")
    if len(value) > MAX_TEXT:
        raise InvalidRuleSet(
            f"{where}.{key}", f"customer text is {len(value)} characters; keep it under {MAX_TEXT}"
        )
    if _CODE_LIKE.search(value):
        raise InvalidRuleSet(f"{where}.{key}", f"customer text reads like code: {value!r}")
    return value


def _int(
    data: Mapping[str, Any], key: str, prefix: str, *, default: int | None = None, minimum: int | None = None
) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRuleSet(f"{prefix}{key}", f"expected a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidRuleSet(f"{prefix}{key}", f"must be at least {minimum}")
    return value


def _decimal(data: Mapping[str, Any], key: str, prefix: str, *, default: str | None = None) -> Decimal:
    value = data.get(key, default)
    if isinstance(value, float):
        raise InvalidRuleSet(f"{prefix}{key}", f"write {value!r} as a quoted string: floats lose precision")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if value is None or isinstance(value, bool) or not number.is_finite():
        raise InvalidRuleSet(f"{prefix}{key}", f"expected a number, got {value!r}")
    return number


def _money(data: Mapping[str, Any], key: str, prefix: str, currency: str) -> Money:
    """Amounts are major units written as text or an integer ("5000000.00"), never a float."""
    amount = _decimal(data, key, prefix)
    money = Money.of(amount, currency)
    if money.major != amount:
        raise InvalidRuleSet(f"{prefix}{key}", f"{amount} has more decimals than {currency} allows")
    return money


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise InvalidRuleSet(where, f"duplicate id/grade {value!r}")
        seen.add(value)
