"""Underwriting: knock-outs before the score, grades from points, limits, refer documents, replay."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.lending.eligibility import BusinessType
from backend.lending.money import CurrencyMismatch, Money
from backend.lending.underwriting import (
    BankStatementFeatures,
    Decision,
    KycResult,
    Outcome,
    ReplayMismatch,
    UnderwritingInput,
    decide,
    replay,
)
from backend.lending.underwriting_config import InvalidRuleSet, RuleSet, build_ruleset, parse_ruleset
from backend.lending.underwriting_default import DEFAULT_RULESET_YAML

RULESET = parse_ruleset(DEFAULT_RULESET_YAML)


def ngn(major: str | int) -> Money:
    return Money.of(major, "NGN")


def a_statement(inflow: str | int = "600000", bounced: int = 0, months: int = 6) -> BankStatementFeatures:
    return BankStatementFeatures(ngn(inflow), bounced, months)


def an_application(**overrides: Any) -> UnderwritingInput:
    """A clean 2-year retail applicant asking for NGN 1m of working capital, no statement, no debt."""
    fields: dict[str, Any] = {
        "requested_amount": ngn("1000000"),
        "product_kind": "working_capital",
        "business_type": BusinessType.RETAIL,
        "months_in_business": 24,
        "monthly_revenue": ngn("600000"),
        "kyc": KycResult.VERIFIED,
        "bank_statement": None,
        "existing_debt_service": None,
    }
    fields.update(overrides)
    for key in ("requested_amount", "monthly_revenue", "existing_debt_service"):
        if isinstance(fields[key], (str, int)):
            fields[key] = ngn(fields[key])
    return UnderwritingInput(**fields)


def raw_ruleset() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_RULESET_YAML)


def codes(decision: Decision) -> list[str]:
    return [r.code for r in decision.reasons]


# --- knock-outs -------------------------------------------------------------------------------


def test_failed_kyc_declines_whatever_else_looks_good():
    decision = decide(an_application(kyc=KycResult.FAILED, bank_statement=a_statement()), RULESET)
    assert decision.outcome is Outcome.DECLINE
    assert codes(decision) == ["kyc_failed"]
    assert decision.limit is None and decision.grade is None and decision.documents == ()


def test_kyc_needing_review_refers_for_an_id_document():
    decision = decide(an_application(kyc=KycResult.NEEDS_REVIEW), RULESET)
    assert decision.outcome is Outcome.REFER
    assert decision.documents == ("id_document",)
    assert decision.limit is None


def test_a_business_under_three_months_is_declined():
    decision = decide(an_application(months_in_business=2), RULESET)
    assert (decision.outcome, codes(decision)) == (Outcome.DECLINE, ["business_too_new"])


def test_a_business_between_three_and_six_months_is_referred_for_statement_and_registration():
    decision = decide(an_application(months_in_business=5), RULESET)
    assert decision.outcome is Outcome.REFER
    assert decision.documents == ("bank_statement_3m", "business_registration")


def test_a_large_request_without_a_bank_statement_is_referred_for_six_months_of_statements():
    decision = decide(an_application(requested_amount="2500000"), RULESET)
    assert decision.outcome is Outcome.REFER
    assert decision.documents == ("bank_statement_6m",)
    assert codes(decision) == ["large_request_without_statement"]


def test_the_same_large_request_with_a_statement_is_scored():
    decision = decide(an_application(requested_amount="2500000", bank_statement=a_statement()), RULESET)
    assert decision.outcome is Outcome.APPROVE


def test_refer_lists_exactly_the_documents_of_every_refer_rule_once():
    decision = decide(
        an_application(kyc=KycResult.NEEDS_REVIEW, requested_amount="2500000", months_in_business=4), RULESET
    )
    assert decision.outcome is Outcome.REFER
    assert decision.documents == (
        "id_document",
        "bank_statement_3m",
        "business_registration",
        "bank_statement_6m",
    )
    assert codes(decision) == ["kyc_needs_review", "business_young", "large_request_without_statement"]


def test_a_decline_outranks_a_refer_and_asks_for_no_documents():
    decision = decide(an_application(kyc=KycResult.NEEDS_REVIEW, months_in_business=1), RULESET)
    assert decision.outcome is Outcome.DECLINE
    assert decision.documents == ()
    assert codes(decision) == ["business_too_new"]


def test_many_bounced_payments_decline():
    decision = decide(an_application(bank_statement=a_statement(bounced=7)), RULESET)
    assert codes(decision) == ["many_bounced_payments"]


def test_debt_service_above_half_of_revenue_declines():
    decision = decide(an_application(existing_debt_service="300001"), RULESET)
    assert codes(decision) == ["debt_burden"]
    assert decide(an_application(existing_debt_service="300000"), RULESET).outcome is not Outcome.DECLINE


def test_revenue_below_the_floor_declines():
    assert codes(decide(an_application(monthly_revenue="99999"), RULESET)) == ["revenue_too_low"]


def test_a_product_the_tenant_does_not_offer_is_declined_in_plain_words():
    decision = decide(an_application(product_kind="mortgage"), RULESET)
    assert decision.outcome is Outcome.DECLINE
    assert codes(decision) == ["product_unavailable"]


def test_an_application_in_another_currency_is_refused():
    with pytest.raises(CurrencyMismatch):
        decide(an_application(requested_amount=Money.of(1000, "KES")), RULESET)


# --- scorecard and grades ---------------------------------------------------------------------


def test_points_are_base_plus_each_characteristic_and_the_band_gives_the_grade():
    decision = decide(an_application(), RULESET)
    # 100 base + 45 (24 months) + 15 (no statement) + 0 (no evidence) + 30 (no debt) + 20 (retail)
    assert decision.points == 210
    assert dict(decision.score_lines) == {
        "time_in_business": 45,
        "bank_conduct": 15,
        "revenue_evidence": 0,
        "debt_burden": 30,
        "sector": 20,
    }
    assert decision.grade == "C"


@pytest.mark.parametrize(
    ("overrides", "grade"),
    [
        ({"months_in_business": 40, "bank_statement": a_statement()}, "A"),  # 100+60+50+40+30+20 = 300
        ({"months_in_business": 12, "bank_statement": a_statement("500000", bounced=2)}, "B"),  # 230
        ({"months_in_business": 12}, "C"),  # 100+30+15+0+30+20 = 195
        ({"months_in_business": 8, "business_type": BusinessType.TRANSPORT}, "D"),  # 100+10+15+0+30+5 = 160
    ],
)
def test_grade_follows_the_points_bands(overrides, grade):
    decision = decide(an_application(**overrides), RULESET)
    assert (decision.outcome, decision.grade) == (Outcome.APPROVE, grade)


def test_grade_e_declines_with_the_bands_reason():
    decision = decide(
        an_application(
            months_in_business=8,
            business_type=BusinessType.TRANSPORT,
            existing_debt_service="250000",
            bank_statement=a_statement(inflow="300000", bounced=5),
        ),
        RULESET,
    )
    assert (decision.outcome, decision.grade) == (Outcome.DECLINE, "E")
    assert codes(decision) == ["grade_E"]
    assert decision.limit is None


def test_band_boundaries_are_inclusive():
    assert RULESET.band_for(250).grade == "A"
    assert RULESET.band_for(249).grade == "B"
    assert RULESET.band_for(160).grade == "D"
    assert RULESET.band_for(159).grade == "E"


# --- limits -----------------------------------------------------------------------------------


def test_limit_is_revenue_times_the_grade_multiple_rounded_down_to_the_step():
    # grade C, multiple 2: 2 x 456,789 = 913,578 -> 910,000
    decision = decide(an_application(months_in_business=12, monthly_revenue="456789"), RULESET)
    assert decision.grade == "C"
    assert decision.limit == ngn("910000")
    assert codes(decision) == ["limited_by_revenue"]


def test_a_bank_statement_lowers_the_revenue_we_lend_on_but_never_raises_it():
    low = a_statement(inflow="200000")
    high = a_statement(inflow="900000")
    base = {"months_in_business": 40, "requested_amount": "5000000"}
    assert decide(an_application(**base, bank_statement=low), RULESET).limit == ngn("600000")  # A: 3 x 200k
    assert decide(an_application(**base, bank_statement=high), RULESET).limit == ngn("1800000")  # A: 3 x 600k


def test_the_request_caps_the_limit_exactly():
    decision = decide(an_application(requested_amount="123457"), RULESET)
    assert decision.limit == ngn("123457")
    assert decision.reasons == ()


def test_the_product_maximum_caps_the_limit():
    decision = decide(
        an_application(
            requested_amount="15000000",
            monthly_revenue="9000000",
            months_in_business=40,
            bank_statement=a_statement(inflow="9000000"),
        ),
        RULESET,
    )
    assert decision.limit == ngn("10000000")
    assert codes(decision) == ["limited_by_product"]


def test_a_limit_below_the_product_minimum_declines():
    grade_d = {
        "product_kind": "invoice_financing",
        "months_in_business": 8,
        "business_type": BusinessType.TRANSPORT,
    }
    at_minimum = decide(an_application(**grade_d, monthly_revenue="100000"), RULESET)
    assert (at_minimum.grade, at_minimum.limit) == ("D", ngn("100000"))  # 1 x 100,000: the minimum is fine
    # 100 + 10 + 10 (3 bounced) + 20 (inflow 80 % of declared) + 30 + 5 = 175: D, 1 x 80,000 < 100,000
    below = decide(
        an_application(**grade_d, monthly_revenue="100000", bank_statement=a_statement("80000", bounced=3)),
        RULESET,
    )
    assert (below.outcome, below.grade, below.limit) == (Outcome.DECLINE, "D", None)
    assert codes(below) == ["below_product_minimum"]


# --- reasons read like plain language ---------------------------------------------------------

_CODE = re.compile(r"==|!=|<|>|\b\w+_\w+\b|null|\bkyc\b")


@pytest.mark.parametrize(
    "application",
    [
        an_application(kyc=KycResult.FAILED),
        an_application(kyc=KycResult.NEEDS_REVIEW, requested_amount="2500000", months_in_business=4),
        an_application(months_in_business=1),
        an_application(existing_debt_service="400000"),
        an_application(months_in_business=12, monthly_revenue="456789"),
        an_application(product_kind="mortgage"),
    ],
)
def test_every_reason_and_hint_is_a_plain_sentence(application):
    decision = decide(application, RULESET)
    assert decision.reasons
    for reason in decision.reasons:
        for text in (reason.text, reason.hint):
            assert text[0].isupper() and text.endswith("."), text
            assert not _CODE.search(text), text
            assert len(text) <= 300


# --- invalid rule sets ------------------------------------------------------------------------


def broken(mutate) -> dict[str, Any]:
    data = raw_ruleset()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda d: d.pop("id"), "id", "missing"),
        (lambda d: d.update(currency="XYZ"), "currency", "unknown"),
        (lambda d: d["knockouts"][0].update(when="kyc = 'failed' and"), "knockouts[0].when", "cannot parse"),
        (
            lambda d: d["knockouts"][2].update(when="monthly_revenu < 1"),
            "knockouts[2].when",
            "monthly_revenu",
        ),
        (lambda d: d["knockouts"][6].update(when="bank_months_covered < 3"), "knockouts[6].when", "guard"),
        (lambda d: d["knockouts"][1].update(documents=[]), "knockouts[1].documents", "documents"),
        (lambda d: d["knockouts"][0].update(outcome="approve"), "knockouts[0].outcome", "decline"),
        (lambda d: d["knockouts"][0].update(reason="kyc == failed"), "knockouts[0].reason", "code"),
        (lambda d: d["knockouts"][0].pop("hint"), "knockouts[0].hint", "missing"),
        (lambda d: d["grades"][1].update(grade="Z"), "grades[1].grade", "one of"),
        (lambda d: d["grades"][1].update(min_points=300), "grades", "falling"),
        (lambda d: d["grades"][0].update(revenue_multiple=2.5), "grades[0].revenue_multiple", "float"),
        (
            lambda d: d["products"]["working_capital"].update(max_amount="1"),
            "products.working_capital",
            "min_amount",
        ),
        (
            lambda d: d["scorecard"]["characteristics"][0]["bins"][0].update(points="x"),
            "scorecard.characteristics[0].bins[0].points",
            "whole number",
        ),
        (lambda d: d["knockouts"].append(copy.deepcopy(d["knockouts"][0])), "knockouts", "duplicate"),
    ],
)
def test_an_invalid_rule_set_is_refused_naming_the_field(mutate, field, words):
    with pytest.raises(InvalidRuleSet) as error:
        build_ruleset(broken(mutate))
    assert error.value.field == field
    assert words in str(error.value)


def test_text_that_is_not_yaml_is_refused():
    with pytest.raises(InvalidRuleSet, match="not valid YAML"):
        parse_ruleset("id: [unclosed")


def test_json_text_parses_to_the_same_rule_set():
    assert parse_ruleset(json.dumps(raw_ruleset())).digest == RULESET.digest


# --- replay -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "application",
    [
        an_application(),
        an_application(kyc=KycResult.NEEDS_REVIEW),
        an_application(
            months_in_business=40, bank_statement=a_statement(bounced=1), existing_debt_service="1000"
        ),
        an_application(kyc=KycResult.FAILED),
    ],
)
def test_replaying_a_stored_record_gives_the_same_decision(application):
    decision = decide(application, RULESET)
    stored = json.loads(json.dumps(decision.to_record()))
    assert replay(stored, parse_ruleset(DEFAULT_RULESET_YAML)) == decision


def test_replay_under_an_edited_rule_set_with_the_same_version_is_refused():
    record = decide(an_application(), RULESET).to_record()
    edited = raw_ruleset()
    edited["grades"][0]["revenue_multiple"] = "4"
    with pytest.raises(ReplayMismatch):
        replay(record, build_ruleset(edited))


# --- properties -------------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=50_000_000_00)


@st.composite
def applications(draw) -> UnderwritingInput:
    has_statement = draw(st.booleans())
    return UnderwritingInput(
        requested_amount=Money(draw(amounts), "NGN"),
        product_kind=draw(st.sampled_from(["working_capital", "invoice_financing"])),
        business_type=draw(st.sampled_from(list(BusinessType))),
        months_in_business=draw(st.integers(0, 240)),
        monthly_revenue=Money(draw(st.integers(0, 20_000_000_00)), "NGN"),
        kyc=draw(st.sampled_from(list(KycResult))),
        bank_statement=BankStatementFeatures(
            Money(draw(st.integers(0, 20_000_000_00)), "NGN"),
            draw(st.integers(0, 12)),
            draw(st.integers(0, 12)),
        )
        if has_statement
        else None,
        existing_debt_service=draw(
            st.none() | st.builds(Money, st.integers(0, 5_000_000_00), st.just("NGN"))
        ),
    )


def _check_limit(decision: Decision, ruleset: RuleSet) -> None:
    request = decision.inputs
    if decision.outcome is Outcome.APPROVE:
        assert decision.limit is not None
        product = ruleset.products[request.product_kind]
        assert decision.limit <= request.requested_amount
        assert decision.limit <= product.max_amount
        assert product.min_amount <= decision.limit
        assert decision.documents == ()
    else:
        assert decision.limit is None
    if decision.outcome is Outcome.REFER:
        assert decision.documents
    if decision.outcome is Outcome.DECLINE:
        assert decision.reasons and decision.documents == ()


@settings(max_examples=400, deadline=None)
@given(applications())
def test_the_limit_never_exceeds_the_request_or_the_product_max_and_a_decline_has_none(application):
    decision = decide(application, RULESET)
    _check_limit(decision, RULESET)
    assert replay(decision.to_record(), RULESET) == decision
