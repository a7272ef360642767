"""Dispute references, service levels in business days, and the status rules."""

import re
from datetime import UTC, date, datetime

import pytest

from backend.lending.business_days import add_business_days, is_business_day
from backend.services.care.disputes import (
    TRANSITIONS,
    Category,
    DisputePolicy,
    DisputeStatus,
    new_reference,
    normalise_reference,
    sla_text,
)
from backend.services.care.errors import Invalid
from backend.services.care.handoff import HandoffReason, priority_of

FRIDAY = date(2026, 11, 27)


def test_business_days_skip_the_weekend_and_never_count_the_day_itself():
    assert add_business_days(FRIDAY, 1) == date(2026, 11, 30)  # Monday
    assert add_business_days(FRIDAY, 2) == date(2026, 12, 1)
    assert add_business_days(date(2026, 11, 23), 5) == date(2026, 11, 30)  # Monday + 5 = Monday
    assert add_business_days(date(2026, 11, 29), 0) == date(2026, 11, 30)  # Sunday: same day is Monday


def test_the_tenants_holidays_do_not_count():
    christmas = {date(2026, 12, 25), date(2026, 12, 28)}  # Friday and the Monday after Boxing Day
    assert add_business_days(date(2026, 12, 24), 1, christmas) == date(2026, 12, 29)
    assert not is_business_day(date(2026, 12, 25), christmas)


def test_a_payment_not_reflected_opened_on_friday_evening_in_lagos_is_due_tuesday_at_five():
    opened = datetime(2026, 11, 27, 19, 30, tzinfo=UTC)  # 20:30 in Lagos
    due = DisputePolicy().due_at(Category.PAYMENT_NOT_REFLECTED, opened)
    assert due == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 17:00 WAT
    assert sla_text(DisputePolicy(), due, "en_NG") == "We'll reply by Tuesday 1 December"
    assert DisputePolicy().due_at(Category.CHARGE, opened).date() == date(2026, 12, 4)


def test_a_late_utc_evening_is_already_the_next_day_in_lagos():
    opened = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # Friday 00:30 in Lagos
    assert DisputePolicy().due_at(Category.PAYMENT_NOT_REFLECTED, opened).date() == date(2026, 12, 1)


def test_a_tenant_policy_overrides_some_categories_and_is_validated():
    policy = DisputePolicy.from_dict({"sla_business_days": {"other": 1}, "holidays": ["2026-11-30"]})
    assert policy.sla_business_days[Category.OTHER] == 1
    assert policy.sla_business_days[Category.PAYMENT_NOT_REFLECTED] == 2
    assert policy.due_at(Category.OTHER, datetime(2026, 11, 27, 9, tzinfo=UTC)).date() == date(2026, 12, 1)
    for bad in (
        {"sla_business_days": {"fraud": 1}},
        {"sla_business_days": {"other": -1}},
        {"timezone": "Mars/Olympus"},
        {"holidays": ["25 December"]},
    ):
        with pytest.raises(Invalid):
            DisputePolicy.from_dict(bad)


def test_references_are_dsp_and_six_crockford_characters():
    refs = {new_reference() for _ in range(200)}
    assert len(refs) == 200
    assert all(re.fullmatch(r"DSP-[0-9A-HJKMNP-TV-Z]{6}", r) for r in refs)


@pytest.mark.parametrize("typed", ["DSP-7K2M9Q", "dsp-7k2m9q", "dsp 7k2m9q", "7k2m9q", "dsp7k2m9q"])
def test_a_reference_is_found_however_the_customer_types_it(typed):
    assert normalise_reference(typed) == "DSP-7K2M9Q"


def test_letters_that_read_as_digits_are_read_as_digits():
    assert normalise_reference("dsp-1o0il5") == "DSP-100115"
    assert normalise_reference("DSP-12345") is None
    assert normalise_reference("DSP-12345U") is None  # U is not in Crockford's alphabet


def test_a_dispute_is_reviewed_before_it_is_answered_and_an_answer_is_final():
    assert TRANSITIONS[DisputeStatus.OPEN] == {DisputeStatus.IN_REVIEW}
    assert TRANSITIONS[DisputeStatus.IN_REVIEW] == {DisputeStatus.RESOLVED, DisputeStatus.REJECTED}
    assert not TRANSITIONS[DisputeStatus.RESOLVED] and not TRANSITIONS[DisputeStatus.REJECTED]


def test_disputes_and_hardship_go_to_the_front_of_the_queue():
    assert [priority_of(r) for r in HandoffReason] == ["normal", "normal", "high", "high"]
    assert sorted(["normal", "high"]) == ["high", "normal"]  # the queue index sorts them as text
