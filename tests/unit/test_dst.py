"""DESIGN §4's DST rules at every transition of 2020-2035 in ten zones, including 30-minute shifts
(Lord Howe), midnight changes (Santiago), 2:45 changes (Chatham) and a zone that stopped DST (Apia): the
project's own rules for 5-field cron, and EventBridge Scheduler's for `cron()`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from harness.zones import ZONES, transitions
from serverless_jobs.domain.schedules.expressions import parse_schedule
from serverless_jobs.domain.schedules.timing import Timing


def exists(wall: datetime, zone: ZoneInfo) -> bool:
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def offset(moment: datetime, zone: ZoneInfo) -> timedelta:
    local_offset = moment.astimezone(zone).utcoffset()
    assert local_offset is not None
    return local_offset


def occurrences(expression: str, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    timing = Timing(parse_schedule(expression), zone, None, None, start)
    found: list[datetime] = []
    moment = timing.next_at_or_after(start)
    while moment is not None and moment < end:
        found.append(moment)
        moment = timing.next_at_or_after(moment + timedelta(milliseconds=1))
    return found


def around_each_change(name: str) -> list[tuple[ZoneInfo, datetime, datetime]]:
    zone = ZoneInfo(name)
    changes = transitions(zone) or [datetime(2026, 3, 29, tzinfo=UTC)]  # zones without DST: any day
    return [(zone, change - timedelta(days=2), change + timedelta(days=2)) for change in changes]


@pytest.mark.parametrize("name", ZONES)
@pytest.mark.parametrize("expression", ["30 2 * * *", "0 0 * * *", "45 2 * * *", "15 1 * * *"])
def test_a_fixed_local_time_runs_exactly_once_every_calendar_day(name: str, expression: str) -> None:
    for zone, start, end in around_each_change(name):
        runs = occurrences(expression, zone, start, end)
        days = [run.astimezone(zone).date() for run in runs]
        first, last = days[0], days[-1]
        assert days == [first + timedelta(days=n) for n in range((last - first).days + 1)], (name, start)
        assert len(days) >= 3


@pytest.mark.parametrize("name", ZONES)
def test_a_time_in_the_gap_runs_at_the_first_instant_after_it(name: str) -> None:
    for zone, start, end in around_each_change(name):
        for run in occurrences("30 2 * * *", zone, start, end):
            local = run.astimezone(zone)
            wall_ok = (local.hour, local.minute) == (2, 30)
            just_after_gap = (
                run.astimezone(zone).utcoffset() != (run - timedelta(seconds=1)).astimezone(zone).utcoffset()
            )
            assert wall_ok or just_after_gap, (name, local)


@pytest.mark.parametrize("name", ZONES)
@pytest.mark.parametrize("expression", ["0 * * * *", "@hourly"])
def test_hourly_follows_elapsed_time_through_every_change(name: str, expression: str) -> None:
    for zone, start, end in around_each_change(name):
        runs = occurrences(expression, zone, start, end)
        gaps = {later - earlier for earlier, later in pairwise(runs)}
        if abs(offset(start, zone) - offset(end, zone)) in {timedelta(0), timedelta(hours=1)}:
            assert gaps == {timedelta(hours=1)}, (name, start, sorted(gaps))  # never skipped, never doubled
        else:  # a 30-minute shift moves the hour mark by half an hour once
            assert gaps <= {timedelta(minutes=30), timedelta(hours=1), timedelta(minutes=90)}, (name, start)
        hours = (runs[-1] - runs[0]) / timedelta(hours=1)
        assert abs(len(runs) - 1 - hours) <= 0.5


@pytest.mark.parametrize("start_minute", [0, 1])
def test_both_runs_in_a_repeated_hour_are_found_from_within_it(start_minute: int) -> None:
    new_york = ZoneInfo("America/New_York")  # 2026-11-01: 01:00-01:59 happens at 05:xx and 06:xx UTC
    start = datetime(2026, 11, 1, 5, start_minute, tzinfo=UTC) + timedelta(milliseconds=1)
    runs = occurrences("0-1 * * * *", new_york, start, datetime(2026, 11, 1, 7, 2, tzinfo=UTC))
    assert [run.strftime("%H:%M") for run in runs] == ["05:01", "06:00", "06:01", "07:00", "07:01"][start_minute:]


@pytest.mark.parametrize(
    ("expression", "zone", "local_day", "expected_utc"),
    [
        ("30 2 * * *", "America/New_York", date(2026, 3, 8), "2026-03-08T07:00:00+00:00"),  # 03:00 EDT
        ("30 1 * * *", "America/New_York", date(2026, 11, 1), "2026-11-01T05:30:00+00:00"),  # first 01:30
        ("0 0 * * *", "America/Santiago", date(2026, 9, 6), "2026-09-06T04:00:00+00:00"),  # 01:00 -03
        ("15 2 * * *", "Australia/Lord_Howe", date(2026, 10, 4), "2026-10-03T15:30:00+00:00"),  # 02:30 +11
        ("0 3 * * *", "Pacific/Chatham", date(2026, 9, 27), "2026-09-26T14:00:00+00:00"),  # 03:45 +13:45
        ("at(2026-03-08T02:30:00)", "America/New_York", date(2026, 3, 8), "2026-03-08T07:00:00+00:00"),
    ],
)
def test_known_transitions(expression: str, zone: str, local_day: date, expected_utc: str) -> None:
    tz = ZoneInfo(zone)
    start = datetime.combine(local_day, datetime.min.time(), tz).astimezone(UTC) - timedelta(hours=1)
    [run] = [
        moment
        for moment in occurrences(expression, tz, start, start + timedelta(hours=26))
        if moment.astimezone(tz).date() == local_day
    ]
    assert run == datetime.fromisoformat(expected_utc)


@pytest.mark.parametrize("name", ZONES)
@pytest.mark.parametrize(
    ("expression", "hour", "minute"), [("cron(30 2 * * ? *)", 2, 30), ("cron(15 1 * * ? *)", 1, 15)]
)
def test_an_eventbridge_cron_skips_a_time_that_does_not_exist_and_runs_a_repeated_one_once(
    name: str, expression: str, hour: int, minute: int
) -> None:
    for zone, start, end in around_each_change(name):
        runs = occurrences(expression, zone, start, end)
        walls = [run.astimezone(zone).replace(tzinfo=None) for run in runs]
        assert all((wall.hour, wall.minute) == (hour, minute) for wall in walls), (name, start)  # never moved
        first, last = walls[0].date(), walls[-1].date()
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        expected = [day for day in days if exists(datetime(day.year, day.month, day.day, hour, minute), zone)]
        assert [wall.date() for wall in walls] == expected, (name, start)  # once a day, none on a gap's day


@pytest.mark.parametrize("name", ZONES)
def test_an_hourly_eventbridge_cron_runs_each_local_hour_that_exists_once(name: str) -> None:
    for zone, start, end in around_each_change(name):
        runs = occurrences("cron(0 * * * ? *)", zone, start, end)
        walls = [run.astimezone(zone).replace(tzinfo=None) for run in runs]
        assert walls == sorted(set(walls)), (name, start)  # a repeated hour is not run again
        first, last = walls[0], walls[-1]
        hours = [first + timedelta(hours=n) for n in range(int((last - first) / timedelta(hours=1)) + 1)]
        assert walls == [wall for wall in hours if exists(wall, zone)], (name, start)


@pytest.mark.parametrize(
    ("expression", "local_day", "expected_utc"),
    [
        ("cron(30 2 * * ? *)", date(2026, 3, 8), []),  # 02:30 does not exist: skipped
        ("cron(30 2 * * ? *)", date(2026, 3, 9), ["2026-03-09T06:30:00+00:00"]),
        ("cron(30 1 * * ? *)", date(2026, 11, 1), ["2026-11-01T05:30:00+00:00"]),  # the first 01:30 only
        ("30 2 * * *", date(2026, 3, 8), ["2026-03-08T07:00:00+00:00"]),  # 5-field: 03:00 EDT, the gap's end
        ("0 1 * * *", date(2026, 11, 1), ["2026-11-01T05:00:00+00:00"]),
    ],
)
def test_the_two_rules_side_by_side_in_new_york(expression: str, local_day: date, expected_utc: list[str]) -> None:
    tz = ZoneInfo("America/New_York")
    start = datetime.combine(local_day, datetime.min.time(), tz).astimezone(UTC)
    runs = [
        run
        for run in occurrences(expression, tz, start, start + timedelta(hours=30))
        if run.astimezone(tz).date() == local_day
    ]
    assert runs == [datetime.fromisoformat(moment) for moment in expected_utc]


@pytest.mark.parametrize(
    ("expression", "expected_local"),
    [
        ("cron(0 * * * ? *)", ["00:00-04", "01:00-04", "02:00-05"]),  # 01:00 once: two hours to 02:00
        ("0 * * * *", ["00:00-04", "01:00-04", "01:00-05", "02:00-05"]),  # elapsed time: 01:00 twice
    ],
)
def test_hourly_on_the_fall_back_day(expression: str, expected_local: list[str]) -> None:
    tz = ZoneInfo("America/New_York")
    runs = occurrences(expression, tz, datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 1, 7, 1, tzinfo=UTC))
    assert [run.astimezone(tz).strftime("%H:%M%z")[:8] for run in runs] == expected_local
