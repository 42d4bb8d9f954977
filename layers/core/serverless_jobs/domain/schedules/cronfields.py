"""The next local wall time a cron expression matches, computed directly from its fields as tables.

croniter validates and expands an expression once, at parse time; stepping a croniter per call cost
100-900 µs (its setup, then a date search one field at a time), and the tick pays it for every due job.
Here a match is found by walking months and days over the expanded sets, and bisecting the hours and
minutes of the day found. Tokens with croniter-only day semantics (`L`, `15W`, `5#2` in a 5-field
expression) still ask croniter which day comes next; EventBridge's own tokens pick one day a month.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

# The one day of a month (year, month) that an EventBridge day token picks, None when the month has none.
DayPick = Callable[[int, int], int | None]

# The Gregorian calendar repeats every 400 years, weekdays included: a day not found within 400 years
# (and no year field to wait for) is never found.
_CALENDAR_CYCLE_YEARS = 400
_LAST_YEAR = 9999


def _values(expanded: Sequence[int | str], low: int, high: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1)) if expanded[0] == "*" else tuple(sorted({int(value) for value in expanded}))


@dataclass(frozen=True)
class CronFields:
    """An expanded expression: what matches, as sets a day or minute can be looked up in."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    days: frozenset[int] | None  # None: any day of the month
    weekdays: frozenset[int] | None  # 0-6 from Sunday; None: any weekday
    # croniter's rule: with both day fields restricted, a day matching either runs.
    either_day: bool
    # The day and month fields as croniter reads them, when they use its own tokens (`L`, `W`, `#`), which
    # only 5-field expressions do; else None.
    croniter_days: str | None
    day_pick: DayPick | None  # EventBridge's day tokens
    years: frozenset[int] | None  # EventBridge's year field; None: any year

    @classmethod
    def expand(cls, expression: str, day_pick: DayPick | None, years: frozenset[int] | None) -> CronFields:
        """`expression` is valid for croniter (the parser checked it); its fields are expanded once here."""
        from croniter import croniter  # on the first cron parsed, not at every cold start (cron._croniter_accepts)

        cron = croniter(expression)
        minute, hour, day, month, weekday = cron.expanded
        day_tokens = bool(cron.nth_weekday_of_month or cron.nearest_weekday) or "l" in day
        if day_tokens and (day_pick is not None or years is not None):  # EventBridge's parser never does this
            raise ValueError(f"croniter's day tokens in '{expression}' cannot take EventBridge's day tokens or years")
        _, _, day_text, month_text, weekday_text = expression.split()
        return cls(
            minutes=_values(minute, 0, 59),
            hours=_values(hour, 0, 23),
            months=frozenset(_values(month, 1, 12)),
            days=None if day[0] == "*" or day_tokens else frozenset(int(value) for value in day),
            weekdays=None if weekday[0] == "*" or day_tokens else frozenset(int(value) for value in weekday),
            either_day=day[0] != "*" and weekday[0] != "*",
            croniter_days=f"0 0 {day_text} {month_text} {weekday_text}" if day_tokens else None,
            day_pick=day_pick,
            years=years,
        )

    def at_or_after(self, wall: datetime) -> datetime | None:
        """The first matching whole minute not before the naive local time `wall`; None past year 9999."""
        start = wall.replace(second=0, microsecond=0)
        if start < wall:
            start += timedelta(minutes=1)
        day, earliest = start.date(), start.time()
        while True:
            found = self._day_at_or_after(day)
            if found is None:
                return None
            clock = self._time_at_or_after(earliest if found == day else time())
            if clock is not None:
                return datetime.combine(found, clock)
            if found == date.max:
                return None
            day, earliest = found + timedelta(days=1), time()

    def _time_at_or_after(self, earliest: time) -> time | None:
        hours, minutes = self.hours, self.minutes
        index = bisect_left(hours, earliest.hour)
        if index < len(hours) and hours[index] == earliest.hour:
            minute = bisect_left(minutes, earliest.minute)
            if minute < len(minutes):
                return time(earliest.hour, minutes[minute])
            index += 1
        return time(hours[index], minutes[0]) if index < len(hours) else None

    def _day_at_or_after(self, day: date) -> date | None:
        if self.croniter_days is not None:
            return self._croniter_day_at_or_after(self.croniter_days, day)
        year, month, first_day = day.year, day.month, day.day
        give_up = min(_LAST_YEAR, year + _CALENDAR_CYCLE_YEARS)
        while year <= give_up:
            if self.years is not None and year not in self.years:
                allowed = self._next_year(year)
                if allowed is None:
                    return None
                year, month, first_day, give_up = allowed, 1, 1, min(_LAST_YEAR, allowed + _CALENDAR_CYCLE_YEARS)
                continue
            if month in self.months:
                found = self._day_in_month(year, month, first_day)
                if found is not None:
                    return found
            year, month, first_day = (year + 1, 1, 1) if month == 12 else (year, month + 1, 1)
        return None

    def _day_in_month(self, year: int, month: int, first_day: int) -> date | None:
        first_weekday, length = calendar.monthrange(year, month)  # 0 = Monday
        days, weekdays, either_day = self.days, self.weekdays, self.either_day
        numbers = range(first_day, length + 1)
        if self.day_pick is not None:
            picked = self.day_pick(year, month)
            numbers = range(picked, picked + 1) if picked is not None and picked >= first_day else range(0)
        for number in numbers:
            day_ok = days is None or number in days
            weekday_ok = weekdays is None or (first_weekday + number) % 7 in weekdays  # cron's 0 = Sunday
            if (day_ok or weekday_ok) if either_day else (day_ok and weekday_ok):
                return date(year, month, number)
        return None

    def _next_year(self, year: int) -> int | None:
        later = [allowed for allowed in self.years or () if allowed > year]
        return min(later) if later else None

    @staticmethod
    def _croniter_day_at_or_after(days: str, day: date) -> date | None:
        """croniter's own search, for its day tokens; rare enough that its per-call cost does not matter."""
        from croniter import CroniterBadDateError, croniter

        try:
            found: datetime = croniter(days, datetime.combine(day, time()) - timedelta(seconds=1)).get_next(datetime)
        except (CroniterBadDateError, ValueError):  # ValueError: croniter's dates ran past year 9999
            return None
        return found.date()
