"""SLA due times in support hours (default Mon-Fri 08:00-18:00 Africa/Lagos, UTC+1 all year)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.services.agents.auth import csrf_ok, hash_password, password_matches
from backend.services.agents.sla import InvalidPolicy, SlaPolicy, SupportHours, sla_state

LAGOS_OFFSET = timedelta(hours=1)


def lagos(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """A Lagos wall-clock time as UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - LAGOS_OFFSET


# 2026-12-04 is a Friday, 2026-12-07 the Monday after.


def test_a_normal_request_in_hours_is_due_fifteen_minutes_later() -> None:
    first, resolution = SlaPolicy().due_times("normal", lagos(2026, 12, 2, 10, 0))
    assert first == lagos(2026, 12, 2, 10, 15)
    # 24 support hours = 2.4 days of 10 hours: Wed 10:00 + 8h (Wed) + 10h (Thu) + 6h -> Fri 14:00
    assert resolution == lagos(2026, 12, 4, 14, 0)


def test_a_high_priority_request_is_due_in_five_minutes_and_four_hours() -> None:
    first, resolution = SlaPolicy().due_times("high", lagos(2026, 12, 2, 9, 0))
    assert (first, resolution) == (lagos(2026, 12, 2, 9, 5), lagos(2026, 12, 2, 13, 0))


def test_friday_evening_minutes_carry_into_monday_morning() -> None:
    first, _ = SlaPolicy().due_times("normal", lagos(2026, 12, 4, 17, 55))
    assert first == lagos(2026, 12, 7, 8, 10)


def test_a_request_on_saturday_starts_its_clock_on_monday_at_opening() -> None:
    first, resolution = SlaPolicy().due_times("high", lagos(2026, 12, 5, 11, 0))
    assert first == lagos(2026, 12, 7, 8, 5)
    assert resolution == lagos(2026, 12, 7, 12, 0)


def test_before_opening_the_clock_starts_at_eight() -> None:
    first, _ = SlaPolicy().due_times("normal", lagos(2026, 12, 2, 6, 30))
    assert first == lagos(2026, 12, 2, 8, 15)


def test_next_open_at_is_none_in_hours_and_monday_eight_at_the_weekend() -> None:
    hours = SupportHours()
    assert hours.next_open_at(lagos(2026, 12, 2, 12, 0)) is None
    assert hours.next_open_at(lagos(2026, 12, 4, 18, 0)) == lagos(2026, 12, 7, 8, 0)
    assert hours.next_open_at(lagos(2026, 12, 6, 23, 0)) == lagos(2026, 12, 7, 8, 0)


def test_a_tenant_policy_changes_minutes_hours_and_days() -> None:
    policy = SlaPolicy.from_data(
        {
            "timezone": "UTC",
            "days": [5],
            "opens": "10:00",
            "closes": "12:00",
            "first_response_minutes": {"normal": 30},
        }
    )
    first, _ = policy.due_times("normal", datetime(2026, 12, 2, 9, 0, tzinfo=UTC))  # Wednesday
    assert first == datetime(2026, 12, 5, 10, 30, tzinfo=UTC)  # the Saturday after
    assert policy.first_response_minutes["high"] == 5  # the default kept


# Christmas 2026 in Nigeria: Friday 25 (Christmas Day), Saturday 26 (Boxing Day), observed on
# Monday 28; support reopens on Tuesday 29.


def test_public_holidays_are_closed_and_the_clock_waits_for_the_next_working_day() -> None:
    first, _ = SlaPolicy().due_times("normal", lagos(2026, 12, 24, 17, 55))
    assert first == lagos(2026, 12, 29, 8, 10)
    hours = SupportHours()
    assert not hours.is_open(lagos(2026, 12, 25, 12, 0))
    assert hours.next_open_at(lagos(2026, 12, 25, 12, 0)) == lagos(2026, 12, 29, 8, 0)
    assert hours.next_open_at(lagos(2026, 10, 1, 9, 0)) == lagos(2026, 10, 2, 8, 0)  # National Day


def test_a_tenant_can_stay_open_on_holidays_or_close_on_days_of_its_own() -> None:
    open_all_year = SlaPolicy.from_data({"holidays": None})
    assert open_all_year.hours.is_open(lagos(2026, 12, 25, 12, 0))
    closing_early = SlaPolicy.from_data({"closed_dates": ["2026-12-24"]})
    first, _ = closing_early.due_times("high", lagos(2026, 12, 23, 17, 58))
    assert first == lagos(2026, 12, 29, 8, 3)  # 2 minutes on Wednesday, 3 after the holidays


def test_another_countrys_holidays_apply_to_a_tenant_there() -> None:
    kenya = SlaPolicy.from_data({"timezone": "Africa/Nairobi", "holidays": "ke"})
    madaraka_day = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # a Monday, Kenya's Madaraka Day
    assert not kenya.hours.is_open(madaraka_day)
    assert SupportHours().is_open(madaraka_day)  # an ordinary Monday in Lagos


@pytest.mark.parametrize(
    "data",
    [
        {"timezone": "Mars/Olympus"},
        {"opens": "18:00", "closes": "08:00"},
        {"days": []},
        {"holidays": "XX"},
        {"closed_dates": ["24/12/2026"]},
    ],
)
def test_an_impossible_policy_is_refused(data: dict) -> None:
    with pytest.raises(InvalidPolicy):
        SlaPolicy.from_data(data)


def test_breach_flags_are_computed_on_read() -> None:
    due = lagos(2026, 12, 2, 10, 15)
    late = lagos(2026, 12, 2, 10, 16)
    assert sla_state(due, due, None, None, late).first_response_breached
    assert not sla_state(due, due, lagos(2026, 12, 2, 10, 10), None, late).first_response_breached
    assert sla_state(due, due, late, None, lagos(2026, 12, 2, 9, 0)).first_response_breached  # answered late
    assert not sla_state(None, None, None, None, late).resolution_breached


def test_passwords_verify_only_themselves_and_are_not_stored_plainly() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert password_matches(hashed, "correct horse battery")
    assert not password_matches(hashed, "correct horse battery!")
    assert not password_matches("not-a-hash", "anything")


def test_csrf_needs_both_values_equal() -> None:
    assert csrf_ok("abc", "abc")
    assert not csrf_ok("abc", "abd")
    assert not csrf_ok(None, "abc")
    assert not csrf_ok("abc", "")
