"""One range rule for names and numbers, in 5-field cron and EventBridge's `cron()` alike: `a-a` is that one
value, `a-b` with a > b wraps round the field's cycle, a step counts along the range across the wrap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from serverless_jobs.domain.errors import ScheduleError
from serverless_jobs.domain.schedules.expressions import parse_schedule
from serverless_jobs.domain.schedules.timing import Timing

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # a Saturday
MON, TUE, WED, THU, FRI, SAT, SUN = "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
EVERY_DAY = {MON, TUE, WED, THU, FRI, SAT, SUN}


def weekday(moment: datetime) -> str:
    return moment.strftime("%a")


def hour(moment: datetime) -> int:
    return moment.hour


def minute(moment: datetime) -> int:
    return moment.minute


def month(moment: datetime) -> int:
    return moment.month


def day(moment: datetime) -> int:
    return moment.day


def seen(expression: str, unit: Callable[[datetime], object]) -> set[object]:
    """What `unit` of the first 50 occurrences takes: the values the field under test matches."""
    timing = Timing(parse_schedule(expression), ZoneInfo("UTC"), None, None, START)
    first = timing.next_at_or_after(START)
    assert first is not None
    return {unit(moment) for moment in timing.upcoming(first, 50)}


@pytest.mark.parametrize(
    ("expression", "unit", "expected"),
    [
        # a-a: that one value, written as a name or a number
        ("0 0 * * MON-MON", weekday, {MON}),
        ("0 0 * * 1-1", weekday, {MON}),
        ("0 0 * * 7-7", weekday, {SUN}),
        ("0 0 * * 7-0", weekday, {SUN}),  # 7 and 0 are both Sunday
        ("0 0 1 FEB-FEB *", month, {2}),
        ("0 0 1 2-2 *", month, {2}),
        ("0 3-3 * * *", hour, {3}),
        ("cron(0 0 ? * MON-MON *)", weekday, {MON}),
        ("cron(0 0 ? * 2-2 *)", weekday, {MON}),
        ("cron(0 0 1 FEB-FEB ? *)", month, {2}),
        # a-b with a < b: as always
        ("0 0 * * MON-FRI", weekday, {MON, TUE, WED, THU, FRI}),
        ("0 0 * * 5-7", weekday, {FRI, SAT, SUN}),
        ("0 0 * * 0-7", weekday, EVERY_DAY),
        ("cron(0 0 ? * 2-6 *)", weekday, {MON, TUE, WED, THU, FRI}),
        # a-b with a > b: wraps round, names and numbers alike
        ("0 0 * * FRI-MON", weekday, {FRI, SAT, SUN, MON}),
        ("0 0 * * 5-1", weekday, {FRI, SAT, SUN, MON}),
        ("0 0 * * 7-2", weekday, {SUN, MON, TUE}),
        ("0 0 1 NOV-MAR *", month, {11, 12, 1, 2, 3}),
        ("0 0 1 11-3 *", month, {11, 12, 1, 2, 3}),
        ("0 20-2 * * *", hour, {20, 21, 22, 23, 0, 1, 2}),
        ("50-10 0 * * *", minute, {50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
        ("0 0 28-3 * *", day, {28, 29, 30, 31, 1, 2, 3}),
        ("cron(0 0 ? * FRI-MON *)", weekday, {FRI, SAT, SUN, MON}),
        ("cron(0 0 ? * 6-2 *)", weekday, {FRI, SAT, SUN, MON}),
        ("cron(0 0 ? * SAT-SUN *)", weekday, {SAT, SUN}),
        ("cron(0 0 1 NOV-MAR ? *)", month, {11, 12, 1, 2, 3}),
        ("cron(0/30 20-2 ? * MON-FRI *)", hour, {20, 21, 22, 23, 0, 1, 2}),  # AWS's own example
        # a step counts along the range, across the wrap
        ("0 0 * * THU-TUE/2", weekday, {THU, SAT, MON}),
        ("0 0 * * 4-2/2", weekday, {THU, SAT, MON}),
        ("0 20-2/2 * * *", hour, {20, 22, 0, 2}),
        ("0 0 1 NOV-MAR/2 *", month, {11, 1, 3}),
        ("cron(0 20-2/3 * * ? *)", hour, {20, 23, 2}),
        # bare L in EventBridge's day-of-week: the last day of the week
        ("cron(0 0 ? * L *)", weekday, {SAT}),
    ],
)
def test_one_range_rule(expression: str, unit: Callable[[datetime], object], expected: set[object]) -> None:
    assert seen(expression, unit) == expected


def test_a_wrapped_hour_range_runs_on_the_listed_days_only() -> None:
    """AWS: `0/30 20-2 ? * MON-FRI` also runs 00:00-02:30 on Monday morning, and not on Saturday morning."""
    timing = Timing(parse_schedule("cron(0/30 20-2 ? * MON-FRI *)"), ZoneInfo("UTC"), None, None, START)
    first = timing.next_at_or_after(START)
    assert first is not None
    runs = timing.upcoming(first, 16)
    assert [run.strftime("%a %H:%M") for run in runs[:6]] == [
        "Mon 00:00", "Mon 00:30", "Mon 01:00", "Mon 01:30", "Mon 02:00", "Mon 02:30",
    ]  # fmt: skip
    assert [run.strftime("%a %H:%M") for run in runs[6:9]] == ["Mon 20:00", "Mon 20:30", "Mon 21:00"]


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 0 * * 8-1", "day-of-week field '8-1'"),
        ("0 0 * * MON-XYZ", "day-of-week field 'MON-XYZ'"),
        ("0 70-5 * * *", "hour field '70-5'"),
        ("0 0 * * 1-3/0", "day-of-week field '1-3/0'"),
        ("0 0 0-5 * *", "day-of-month field '0-5'"),
        ("0 0 1 13-2 *", "month field '13-2'"),
        ("cron(0 0 ? * 0-3 *)", "day-of-week field '0-3'"),
        ("cron(0 0 ? * 8-2 *)", "day-of-week field '8-2'"),
        ("cron(0 25-2 * * ? *)", "hour field '25-2'"),
        ("cron(0 0 ? * THU-TUE/2 *)", "day-of-week field 'THU-TUE/2'"),  # AWS allows no step there
    ],
)
def test_a_range_off_the_fields_values_is_refused_naming_the_field(expression: str, words: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(expression)
    assert words in str(raised.value)
