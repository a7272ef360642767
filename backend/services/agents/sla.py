"""Support hours and SLA due times for handoff requests.

The rule (documented in docs/agents.md): SLA clocks run only during the tenant's support hours
(default Monday to Friday, 08:00-18:00 Africa/Lagos, closed on Nigeria's public holidays). A
request created outside hours starts its clocks at the next opening; a due time that does not fit
in what is left of the day carries into the next open day. Defaults: first response within 5
minutes (high priority: disputes, hardship) or 15 minutes (normal); resolution within 4 hours
(high) or 24 hours (normal) of support time.

Public holidays come from the `holidays` package for the policy's country (and subdivision, for
a state's own holidays); the Islamic holidays' dates are the package's estimates until announced,
so a tenant adds the announced day, or any other day it closes, to `closed_dates`. A customer who
asks for a person on Christmas Day is told when the team is back, not promised a reply in minutes.

A tenant's policy is data (care_policies kind "handoff"):
`{"timezone": "Africa/Lagos", "days": [0, 1, 2, 3, 4], "opens": "08:00", "closes": "18:00",
"holidays": "NG", "holiday_subdivision": null, "closed_dates": ["2026-12-24"],
"first_response_minutes": {"high": 5, "normal": 15}, "resolution_minutes": {"high": 240,
"normal": 1440}, "max_open_per_agent": 5}` (days: Monday is 0, as `date.weekday()`; `"holidays":
null` keeps support open on public holidays).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DEFAULT_FIRST_RESPONSE = {"high": 5, "normal": 15}
DEFAULT_RESOLUTION = {"high": 240, "normal": 1440}
DEFAULT_HOLIDAYS = "NG"
# How far ahead the next opening is looked for: a year of closed days is a broken policy.
SEARCH_DAYS = 366


class InvalidPolicy(ValueError):
    pass


@lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The country's (and subdivision's) public holidays in `year`, observed days included.
    Raises InvalidPolicy for a country or subdivision the `holidays` package does not know."""
    try:
        return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))
    except NotImplementedError as exc:
        raise InvalidPolicy(f"no public holidays known for {country!r} {subdivision or ''}".strip()) from exc


@dataclass(frozen=True, slots=True)
class SupportHours:
    timezone: str = "Africa/Lagos"
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    opens: time = time(8, 0)
    closes: time = time(18, 0)
    holiday_country: str | None = DEFAULT_HOLIDAYS
    holiday_subdivision: str | None = None
    closed_dates: frozenset[date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_closed_day(self, day: date) -> bool:
        """Not a support day, a public holiday, or a day the tenant closes."""
        if day.weekday() not in self.days or day in self.closed_dates:
            return True
        return self.holiday_country is not None and day in public_holidays(
            self.holiday_country, self.holiday_subdivision, day.year
        )

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if self.is_closed_day(day):
            return None
        return (
            datetime.combine(day, self.opens, tzinfo=self.zone),
            datetime.combine(day, self.closes, tzinfo=self.zone),
        )

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        window = self._window(local.date())
        return window is not None and window[0] <= local < window[1]

    def open_from(self, at: datetime) -> tuple[datetime, datetime]:
        """The open period containing `at`, or the next one: (start, end), start >= `at`
        clipped to the opening time."""
        local = at.astimezone(self.zone)
        for offset in range(SEARCH_DAYS):
            window = self._window(local.date() + timedelta(days=offset))
            if window is None:
                continue
            start, end = window
            if offset == 0 and local >= end:
                continue
            return max(start, local), end
        raise InvalidPolicy(f"support hours have no open day in the {SEARCH_DAYS} days from {local.date()}")

    def next_open_at(self, at: datetime) -> datetime | None:
        """None while open; otherwise when support next opens (UTC)."""
        if self.is_open(at):
            return None
        return self.open_from(at)[0].astimezone(UTC)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """`start` plus `duration` of support time (UTC). Example: Friday 17:55 Lagos plus 15
        minutes is Monday 08:10 Lagos."""
        remaining = duration
        cursor = start
        while True:
            begin, end = self.open_from(cursor)
            if begin + remaining <= end:
                return (begin + remaining).astimezone(UTC)
            remaining -= end - begin
            cursor = end


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    hours: SupportHours = field(default_factory=SupportHours)
    first_response_minutes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_FIRST_RESPONSE))
    resolution_minutes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RESOLUTION))
    max_open_per_agent: int = 5

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> SlaPolicy:
        """The policy stored for a tenant; missing keys take the defaults."""
        if not data:
            return cls()
        try:
            zone = str(data.get("timezone", "Africa/Lagos"))
            ZoneInfo(zone)
            country = data.get("holidays", DEFAULT_HOLIDAYS)
            subdivision = data.get("holiday_subdivision")
            hours = SupportHours(
                timezone=zone,
                days=frozenset(int(d) for d in data.get("days", (0, 1, 2, 3, 4))),
                opens=time.fromisoformat(str(data.get("opens", "08:00"))),
                closes=time.fromisoformat(str(data.get("closes", "18:00"))),
                holiday_country=None if country is None else str(country).upper(),
                holiday_subdivision=None if subdivision is None else str(subdivision).upper(),
                closed_dates=frozenset(date.fromisoformat(str(d)) for d in data.get("closed_dates", ())),
            )
            if hours.holiday_country is not None:
                public_holidays(hours.holiday_country, hours.holiday_subdivision, date.today().year)
            first = {
                **DEFAULT_FIRST_RESPONSE,
                **{k: int(v) for k, v in data.get("first_response_minutes", {}).items()},
            }
            resolution = {
                **DEFAULT_RESOLUTION,
                **{k: int(v) for k, v in data.get("resolution_minutes", {}).items()},
            }
            max_open = int(data.get("max_open_per_agent", 5))
        except (ValueError, TypeError, AttributeError, ZoneInfoNotFoundError) as exc:
            raise InvalidPolicy(f"handoff policy: {exc}") from exc
        if hours.opens >= hours.closes or not hours.days or not all(0 <= d <= 6 for d in hours.days):
            raise InvalidPolicy("handoff policy: support hours must open before they close on some day")
        return cls(hours, first, resolution, max_open)

    def due_times(self, priority: str, created_at: datetime) -> tuple[datetime, datetime]:
        """(first response due, resolution due) of a request created at `created_at`."""
        first = self.first_response_minutes.get(priority, DEFAULT_FIRST_RESPONSE["normal"])
        resolution = self.resolution_minutes.get(priority, DEFAULT_RESOLUTION["normal"])
        return (
            self.hours.add(created_at, timedelta(minutes=first)),
            self.hours.add(created_at, timedelta(minutes=resolution)),
        )


@dataclass(frozen=True, slots=True)
class SlaState:
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_breached: bool
    resolution_breached: bool


def sla_state(
    first_due: datetime | None,
    resolution_due: datetime | None,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    now: datetime,
) -> SlaState:
    """Breached: done after the due time, or not done and the due time has passed."""

    def breached(due: datetime | None, done: datetime | None) -> bool:
        if due is None:
            return False
        return (done or now) > due

    return SlaState(
        first_due,
        resolution_due,
        breached(first_due, first_response_at),
        breached(resolution_due, resolved_at),
    )
