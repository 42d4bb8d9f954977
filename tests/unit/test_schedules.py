"""Schedules as plain functions: parsing, anchoring, windows, time zones. No AWS here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from serverless_jobs.domain.errors import ScheduleError
from serverless_jobs.domain.schedules.cron import Cron
from serverless_jobs.domain.schedules.expressions import Interval, parse_schedule, parse_zone
from serverless_jobs.domain.schedules.timing import Timing

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h", 3600), ("1d", 86400), ("90m", 5400), (" 2h ", 7200)],
)
def test_intervals(text: str, seconds: int) -> None:
    parsed = parse_schedule(text)
    assert isinstance(parsed, Interval)
    assert parsed.seconds == seconds


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("0s", "at least 1"),
        ("-1m", "at least 1"),
        ("5x", "unit 'x'"),
        ("10", "unit ''"),
        ("61 * * * *", "minute field '61'"),
        ("* 25 * * *", "hour field '25'"),
        ("* * 0 * *", "day-of-month field '0'"),
        ("* * * JANUARY *", "month field 'JANUARY'"),
        ("* * * * 9", "day-of-week field '9'"),
        ("*/0 * * * *", "minute field '*/0'"),
        ("* * * *", "5 fields"),
        ("0 12 * * ? *", "5 fields"),
        ("@every", "unknown macro"),
        ("   ", "empty"),
    ],
)
def test_invalid_schedules_say_which_part_is_wrong(text: str, words: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(text)
    assert raised.value.field == "schedule"
    assert words in str(raised.value)


@pytest.mark.parametrize("text", ["*/15 * * * *", "0 9 * * MON-FRI", "0 0 1,15 * *", "30 2 * jan-mar sun", "@daily"])
def test_valid_cron(text: str) -> None:
    assert isinstance(parse_schedule(text), Cron)


def test_unknown_zone() -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_zone("Europe/Atlantis")
    assert raised.value.field == "timezone"


def timing(
    schedule: str | None, *, zone: str = "UTC", run_at: datetime | None = None, end_at: datetime | None = None
) -> Timing:
    return Timing(
        schedule=parse_schedule(schedule) if schedule else None,
        zone=ZoneInfo(zone),
        run_at=run_at,
        end_at=end_at,
        created_at=T0,
    )


def test_interval_without_run_at_is_anchored_at_creation_plus_one_interval() -> None:
    every_ten = timing("10m")
    assert every_ten.next_at_or_after(T0) == T0 + timedelta(minutes=10)
    # However late a check comes, occurrences stay on the anchor's grid: no drift.
    assert every_ten.next_at_or_after(T0 + timedelta(minutes=23, seconds=17)) == T0 + timedelta(minutes=30)
    assert every_ten.next_at_or_after(T0 + timedelta(minutes=30)) == T0 + timedelta(minutes=30)


def test_rate_without_run_at_runs_at_creation_then_every_interval() -> None:
    """EventBridge Scheduler: a rate-based schedule without a StartDate starts invoking its target at once."""
    every_ten = timing("rate(10 minutes)")
    assert every_ten.next_at_or_after(T0) == T0
    assert every_ten.next_at_or_after(T0 + timedelta(minutes=3)) == T0 + timedelta(minutes=10)
    assert timing("rate(10 minutes)", run_at=T0 + timedelta(hours=1)).next_at_or_after(T0) == T0 + timedelta(hours=1)


def test_interval_with_run_at_starts_at_run_at_inclusive() -> None:
    start = T0 + timedelta(hours=1, seconds=7)
    every_half_minute = timing("30s", run_at=start)
    assert every_half_minute.next_at_or_after(T0) == start
    assert every_half_minute.upcoming(start, 3) == [
        start,
        start + timedelta(seconds=30),
        start + timedelta(seconds=60),
    ]


def test_cron_in_a_zone() -> None:
    berlin_noon = timing("0 12 * * *", zone="Europe/Berlin")
    assert berlin_noon.next_at_or_after(T0) == datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    summer = datetime(2027, 7, 1, tzinfo=UTC)
    assert berlin_noon.next_at_or_after(summer) == datetime(2027, 7, 1, 10, 0, tzinfo=UTC)


def test_cron_at_or_after_is_inclusive() -> None:
    quarter_hours = timing("*/15 * * * *")
    assert quarter_hours.next_at_or_after(T0) == T0
    assert quarter_hours.next_at_or_after(T0 + timedelta(milliseconds=1)) == T0 + timedelta(minutes=15)


def test_cron_window_starts_at_run_at() -> None:
    hourly = timing("0 * * * *", run_at=datetime(2026, 12, 1, 5, 30, tzinfo=UTC))
    assert hourly.next_at_or_after(T0) == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def test_nothing_starts_after_end_at() -> None:
    daily = timing("1d", end_at=T0 + timedelta(days=2, hours=1))
    first = daily.next_at_or_after(T0)
    assert first is not None
    assert daily.upcoming(first, 10) == [T0 + timedelta(days=1), T0 + timedelta(days=2)]
    assert daily.next_at_or_after(T0 + timedelta(days=2, minutes=1)) is None


def test_impossible_cron_has_no_occurrence() -> None:
    assert timing("0 0 30 2 *").next_at_or_after(T0) is None


def test_one_time_runs_at_run_at_or_at_once_when_overdue() -> None:
    later = T0 + timedelta(hours=3)
    assert timing(None, run_at=later).next_at_or_after(T0) == later
    assert timing(None, run_at=T0 - timedelta(hours=3)).next_at_or_after(T0) == T0
    assert timing(None).next_at_or_after(T0) == T0
    assert timing(None, run_at=later).upcoming(later, 5) == [later]


@pytest.mark.parametrize("text", ["R R * * *", "0 R(1-3) * * *", "H * * * *"])
def test_croniter_random_and_hash_tokens_are_refused(text: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(text)
    assert "field" in str(raised.value)


def test_a_stored_random_cron_accepted_before_the_refusal_still_parses() -> None:
    """A job written when `R` was accepted keeps running rather than failing every later read of it."""
    assert isinstance(parse_schedule("0 R * * *", stored=True), Cron)
