"""Schedules: parsing with messages a user can act on, and the next occurrence of a job's timing.

Occurrences are anchored (an interval runs at anchor + k * interval, whatever the runs took) and windowed
(none before `runAt`, none after `endAt`), so the same rule serves create, update, resume and every run.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from serverless_jobs.errors import InvalidInput


class ScheduleError(InvalidInput):
    """A schedule, time zone or window that cannot run; the message says what to change."""


class Schedule(Protocol):
    expression: str

    def at_or_after(self, moment: datetime, first: datetime, zone: ZoneInfo) -> datetime | None:
        """The earliest occurrence at or after `moment`; `first` anchors schedules that need an anchor."""
        ...

    def first_occurrence(self, start: datetime | None, created: datetime) -> datetime:
        """Where the occurrence sequence starts: `runAt` inclusive when given, else just after creation."""
        ...


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL_SHAPE = re.compile(r"^\s*([+-]?\d+)\s*([A-Za-z]*)\s*$")


@dataclass(frozen=True)
class Interval:
    expression: str
    seconds: int

    def first_occurrence(self, start: datetime | None, created: datetime) -> datetime:
        return start if start is not None else created + timedelta(seconds=self.seconds)

    def at_or_after(self, moment: datetime, first: datetime, zone: ZoneInfo) -> datetime | None:
        if moment <= first:
            return first
        steps = math.ceil((moment - first).total_seconds() / self.seconds)
        return first + timedelta(seconds=steps * self.seconds)


_CRON_FIELDS = (
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day-of-month", "1-31"),
    ("month", "1-12 or JAN-DEC"),
    ("day-of-week", "0-6 or SUN-SAT"),
)
CRON_MACROS = ("@hourly", "@daily", "@weekly", "@monthly", "@yearly")


@dataclass(frozen=True)
class Cron:
    expression: str

    def first_occurrence(self, start: datetime | None, created: datetime) -> datetime:
        return start if start is not None else created

    def at_or_after(self, moment: datetime, first: datetime, zone: ZoneInfo) -> datetime | None:
        # croniter returns occurrences strictly after its start, so start just before `moment`.
        start = max(moment, first) - timedelta(seconds=1)
        iterator = croniter(self.expression, start.astimezone(zone))
        try:
            occurrence: datetime = iterator.get_next(datetime)
            while occurrence < moment:
                occurrence = iterator.get_next(datetime)
        except CroniterBadDateError:
            return None
        return occurrence


def parse_schedule(expression: str) -> Interval | Cron:
    """An interval (`30s`, `5m`, `1h`, `1d`) or a 5-field cron expression; ScheduleError says what is off."""
    text = expression.strip()
    if not text:
        raise ScheduleError("schedule", "must not be empty; use an interval such as '5m' or a cron expression")
    interval = _INTERVAL_SHAPE.match(text)
    if interval:
        return _parse_interval(expression, int(interval.group(1)), interval.group(2))
    return _parse_cron(expression, text)


def _parse_interval(expression: str, count: int, unit: str) -> Interval:
    if unit not in _UNITS:
        raise ScheduleError(
            "schedule", f"interval '{expression}' has unit '{unit}'; use s, m, h or d (e.g. 30s, 5m, 1h, 1d)"
        )
    if count < 1:
        raise ScheduleError("schedule", f"interval '{expression}' must be at least 1{unit}")
    return Interval(expression, count * _UNITS[unit])


def _parse_cron(expression: str, text: str) -> Cron:
    if text.startswith("@"):
        if text.lower() not in CRON_MACROS:
            raise ScheduleError("schedule", f"unknown macro '{text}'; use one of {', '.join(CRON_MACROS)}")
        return Cron(text.lower())
    fields = text.split()
    if len(fields) != len(_CRON_FIELDS):
        raise ScheduleError(
            "schedule",
            f"'{expression}' is neither an interval (30s, 5m, 1h, 1d) nor a cron expression "
            f"with 5 fields (minute hour day-of-month month day-of-week); it has {len(fields)} fields",
        )
    for position, (name, allowed) in enumerate(_CRON_FIELDS):
        probe = ["*"] * len(_CRON_FIELDS)
        probe[position] = fields[position]
        if not croniter.is_valid(" ".join(probe)):
            raise ScheduleError(
                "schedule",
                f"cron {name} field '{fields[position]}' is not valid; allowed: {allowed}, "
                "with lists (1,2), ranges (1-5) and steps (*/15)",
            )
    if not croniter.is_valid(text):
        raise ScheduleError("schedule", f"cron expression '{expression}' is not valid")
    return Cron(" ".join(fields))


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            "timezone", f"'{name}' is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)"
        ) from None


@dataclass(frozen=True)
class Timing:
    """When a job runs: its schedule (None for one-time), time zone and window."""

    schedule: Interval | Cron | None
    zone: ZoneInfo
    run_at: datetime | None
    end_at: datetime | None
    created_at: datetime

    def next_at_or_after(self, moment: datetime) -> datetime | None:
        """The next occurrence not before `moment` inside the window, or None when the job has no more."""
        occurrence: datetime | None
        if self.schedule is None:
            # A one-time job that is overdue (created for the past, or missed in an outage) runs once, now.
            occurrence = max(self.run_at or moment, moment)
        else:
            first = self.schedule.first_occurrence(self.run_at, self.created_at)
            occurrence = self.schedule.at_or_after(moment, first, self.zone)
        if occurrence is not None and self.end_at is not None and occurrence > self.end_at:
            return None
        return occurrence

    def upcoming(self, first: datetime, count: int) -> list[datetime]:
        """`first` and the occurrences after it, at most `count`, stopping where the window closes."""
        occurrences = [first]
        while len(occurrences) < count and self.schedule is not None:
            following = self.next_at_or_after(occurrences[-1] + timedelta(milliseconds=1))
            if following is None:
                break
            occurrences.append(following)
        return occurrences
