"""Cron matching computed from the fields: the same days and times as croniter's 5-field semantics, and
EventBridge's day tokens and years as EventBridge defines them, month after month."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from serverless_jobs.domain.schedules.expressions import parse_schedule
from serverless_jobs.domain.schedules.timing import Timing

START = datetime(2026, 11, 28, 9, 0, 30, tzinfo=UTC)


def upcoming(expression: str, count: int, start: datetime = START) -> list[datetime]:
    timing = Timing(parse_schedule(expression), ZoneInfo("UTC"), None, None, start)
    first = timing.next_at_or_after(start)
    return [] if first is None else timing.upcoming(first, count)


@pytest.mark.parametrize(
    "expression",
    [
        "0 0 * * 7",  # 7 is Sunday too
        "30 6 * * sun",
        "15 */4 * jan,jul mon-fri",
        "0 0 1-31 * 1",  # both day fields restricted: either matches
        "0 0 */2 * 1",
        "0 12 13 * 5",
        "0 0 29 2 *",
        "0 0 L * *",  # croniter's own day tokens
        "0 0 1,L * *",
        "0 0 * * 5#2",
        "0 0 15W * *",
        "*/20 22-23 28-31 12 *",
    ],
)
def test_five_field_cron_runs_when_croniter_would(expression: str) -> None:
    walker = croniter(expression, START.replace(tzinfo=None))
    expected = [walker.get_next(datetime).replace(tzinfo=UTC) for _ in range(40)]
    assert upcoming(expression, 40) == expected


def days_of(year: int, month: int) -> list[date]:
    return [date(year, month, day) for day in range(1, calendar.monthrange(year, month)[1] + 1)]


def last_friday(days: list[date]) -> date:
    return max(day for day in days if day.weekday() == 4)


def last_weekday(days: list[date]) -> date:
    return max(day for day in days if day.weekday() < 5)


def nearest_weekday(days: list[date], wanted: int) -> date:
    """The weekday nearest the `wanted` day, never leaving the month (EventBridge's `W`)."""
    target = days[min(wanted, len(days)) - 1]
    weekdays = [day for day in days if day.weekday() < 5]
    return min(weekdays, key=lambda day: (abs((day - target).days), day))


@pytest.mark.parametrize(
    ("expression", "day_of_month"),
    [
        ("cron(0 9 ? * 6L *)", last_friday),
        ("cron(0 9 LW * ? *)", last_weekday),
        ("cron(0 9 L * ? *)", lambda days: days[-1]),
        ("cron(0 9 15W * ? *)", lambda days: nearest_weekday(days, 15)),
        ("cron(0 9 1W * ? *)", lambda days: nearest_weekday(days, 1)),
        ("cron(0 9 ? * 2#1 *)", lambda days: next(day for day in days if day.weekday() == 0)),
    ],
)
def test_eventbridge_day_tokens_pick_their_day_every_month(
    expression: str, day_of_month: Callable[[list[date]], date]
) -> None:
    months = [(2026 + (11 + n) // 12, (11 + n) % 12 + 1) for n in range(30)]  # December 2026 onwards
    expected = [datetime.combine(day_of_month(days_of(*month)), datetime.min.time(), UTC) for month in months]
    assert upcoming(expression, 30, start=datetime(2026, 12, 1, tzinfo=UTC)) == [
        day + timedelta(hours=9) for day in expected
    ]


def test_eventbridge_years_bound_a_schedule() -> None:
    assert upcoming("cron(0 0 1 1 ? 2030-2032)", 5) == [datetime(year, 1, 1, tzinfo=UTC) for year in (2030, 2031, 2032)]
    assert [run.year for run in upcoming("cron(30 2 ? * 1 2027/3)", 60)] == [2027] * 52 + [2030] * 8


@pytest.mark.parametrize("expression", ["0 0 30 2 *", "cron(0 0 31 4 ? *)", "0 0 31 2 5#5"])
def test_a_day_that_never_comes_means_no_occurrence(expression: str) -> None:
    assert upcoming(expression, 1) == []
