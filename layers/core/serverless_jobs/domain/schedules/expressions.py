"""Schedule expressions: parsing with messages a user can act on, and each kind's next occurrence.

Occurrences are anchored: an interval runs at anchor + k * interval, whatever the runs took.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from serverless_jobs.domain.errors import ScheduleError
from serverless_jobs.domain.schedules.cron import Cron, parse_cron, parse_eventbridge_cron
from serverless_jobs.domain.schedules.wallclock import DstRule, instants

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The longest interval or rate: ten years, far beyond any job's use and far from datetime's year 9999.
MAX_INTERVAL_DAYS = 3650
_INTERVAL_SHAPE = re.compile(r"^\s*([+-]?\d+)\s*([A-Za-z]*)\s*$")


@dataclass(frozen=True)
class Interval:
    """Every `seconds` of elapsed time, anchored: occurrences never drift with how long runs take.

    Without a start, an interval (`5m`) first runs one interval after creation; EventBridge's `rate()` runs at
    once, as EventBridge Scheduler documents for a rate-based schedule without a StartDate.
    """

    expression: str
    seconds: int
    recurring: bool = True
    starts_at_once: bool = False

    def first_occurrence(self, start: datetime | None, created: datetime) -> datetime:
        if start is not None:
            return start
        return created if self.starts_at_once else created + timedelta(seconds=self.seconds)

    def at_or_after(self, moment: datetime, first: datetime, zone: ZoneInfo) -> datetime | None:
        if moment <= first:
            return first
        steps = math.ceil((moment - first).total_seconds() / self.seconds)
        return first + timedelta(seconds=steps * self.seconds)


@dataclass(frozen=True)
class At:
    """EventBridge's `at(yyyy-mm-ddThh:mm:ss)`: one run at a local time in the job's zone."""

    expression: str
    wall: datetime
    recurring: bool = False

    def first_occurrence(self, start: datetime | None, created: datetime) -> datetime:
        return start if start is not None else created

    def at_or_after(self, moment: datetime, first: datetime, zone: ZoneInfo) -> datetime | None:
        # AWS documents no DST rule for at(): a time in a gap runs at the gap's end rather than never.
        [instant] = instants(self.wall, zone, DstRule.LOCAL_TIME)
        return instant if instant >= max(moment, first) else None


Schedule = Interval | Cron | At


@lru_cache(maxsize=4096)
def parse_schedule(expression: str, *, stored: bool = False) -> Schedule:
    """Any schedule a job may have; ScheduleError says which part is wrong and what is allowed.

    Intervals (`30s`, `5m`), 5-field cron and its macros, and EventBridge's `rate()`, `cron()` and `at()`
    with EventBridge's own semantics, so schedules move here from EventBridge Scheduler unchanged.
    Parsed once per text and kept (schedules are immutable): a herd of jobs mostly shares a few texts,
    and parsing a cron costs several times what finding its next occurrence does.
    """
    text = expression.strip()
    if not text:
        raise ScheduleError("schedule", "must not be empty; use an interval such as '5m' or a cron expression")
    interval = _INTERVAL_SHAPE.match(text)
    if interval:
        return _parse_interval(expression, int(interval.group(1)), interval.group(2))
    wrapped = _EVENTBRIDGE_SHAPE.match(text)
    if wrapped:
        kind, inner = wrapped.group(1), wrapped.group(2).strip()
        if kind == "rate":
            return _parse_rate(expression, inner)
        if kind == "at":
            return _parse_at(expression, inner)
        return parse_eventbridge_cron(expression, inner)
    return parse_cron(expression, stored)


_EVENTBRIDGE_SHAPE = re.compile(r"^(rate|cron|at)\((.*)\)$")
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


def _parse_interval(expression: str, count: int, unit: str) -> Interval:
    if unit not in _UNITS:
        raise ScheduleError(
            "schedule", f"interval '{expression}' has unit '{unit}'; use s, m, h or d (e.g. 30s, 5m, 1h, 1d)"
        )
    if count < 1:
        raise ScheduleError("schedule", f"interval '{expression}' must be at least 1{unit}")
    return Interval(expression, _bounded_seconds(expression, count * _UNITS[unit]))


def _bounded_seconds(expression: str, seconds: int) -> int:
    if seconds > MAX_INTERVAL_DAYS * 86400:
        raise ScheduleError("schedule", f"'{expression}' is longer than {MAX_INTERVAL_DAYS} days (ten years)")
    return seconds


def _parse_rate(expression: str, inner: str) -> Interval:
    match = re.fullmatch(r"(\d+)\s+([a-z]+)", inner)
    unit = match.group(2).rstrip("s") if match else ""
    if match is None or unit not in _RATE_UNITS:
        raise ScheduleError(
            "schedule", f"'{expression}' is not a rate; write rate(5 minutes), rate(1 hour), rate(2 days)"
        )
    count = int(match.group(1))
    if count < 1:
        raise ScheduleError("schedule", f"'{expression}': the rate's value must be at least 1")
    if (count == 1) != (match.group(2) == unit):
        wanted = unit if count == 1 else unit + "s"
        raise ScheduleError("schedule", f"'{expression}': EventBridge writes rate({count} {wanted})")
    return Interval(expression, _bounded_seconds(expression, count * _RATE_UNITS[unit]), starts_at_once=True)


def _parse_at(expression: str, inner: str) -> At:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", inner):
            raise ValueError
        wall = datetime.fromisoformat(inner)
    except ValueError:
        raise ScheduleError(
            "schedule", f"'{expression}' is not a valid at(); write at(yyyy-mm-ddThh:mm:ss), local to timezone"
        ) from None
    return At(expression, wall)


@lru_cache(maxsize=1024)
def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            "timezone", f"'{name}' is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)"
        ) from None
