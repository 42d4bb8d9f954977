"""Cron schedules: standard 5-field cron and EventBridge's six-field `cron(...)`, in any zone.

croniter validates and expands the fields once; `cronfields` finds the matching local wall-clock times and
`wallclock` turns each into real instants with the DST rules. EventBridge's day tokens (`L`, `LW`, `15W`,
`6L`, `6#3`), its 1-7 = SUN-SAT week and its year field have no croniter form that behaves, so each day
token picks its one day a month here, and the years bound the search.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from serverless_jobs.domain.errors import ScheduleError
from serverless_jobs.domain.schedules.cronfields import CronFields, DayPick
from serverless_jobs.domain.schedules.cronranges import (
    DAYS_OF_MONTH,
    HOURS,
    MINUTES,
    MONTHS,
    WEEKDAYS_FROM_ONE,
    WEEKDAYS_FROM_ZERO,
    Cycle,
    expand_ranges,
)
from serverless_jobs.domain.schedules.wallclock import DstRule, instants


def _invalid(problem: str) -> ScheduleError:
    return ScheduleError("schedule", problem)


# How far wall time may run ahead of or behind real time across one DST change: the search looks this
# far back and ahead so occurrences in a repeated hour are found in real-time order.
_DST_REACH = timedelta(hours=3)
_MAX_CANDIDATES = 200_000
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Cron:
    """A cron schedule: `fields` match local wall times, `dst` says how they become real instants."""

    expression: str
    dst: DstRule
    fields: CronFields = field(compare=False)
    recurring: bool = True

    def first_occurrence(self, start: datetime | None, created: datetime) -> datetime:
        return start if start is not None else created

    def at_or_after(self, moment: datetime, first: datetime, zone: ZoneInfo) -> datetime | None:
        """The first occurrence at or after `moment`, in real time.

        Wall times are enumerated from a little before `moment` when a DST change is near (a repeated hour
        maps earlier wall times to later instants) and stop as soon as an occurrence with no change near
        it is found, which is the common case: one matching wall time.
        """
        moment = max(moment, first)
        best: datetime | None = None
        wall = moment.astimezone(zone).replace(tzinfo=None)
        if not _steady(zone, moment - _DST_REACH, moment + _DST_REACH):  # a repeated hour may lie just ahead
            wall -= _DST_REACH
        candidate = self.fields.at_or_after(wall)
        for _ in range(_MAX_CANDIDATES):
            if candidate is None:
                return best
            if best is not None and candidate > best.astimezone(zone).replace(tzinfo=None) + _DST_REACH:
                return best
            for instant in instants(candidate, zone, self.dst):
                if instant >= moment and (best is None or instant < best):
                    best = instant
            if best is not None and _steady(zone, best - _DST_REACH, best + _DST_REACH):
                return best
            candidate = self.fields.at_or_after(candidate + _MINUTE)
        return best


def _steady(zone: ZoneInfo, earlier: datetime, later: datetime) -> bool:
    """No DST change between two instants (a change and its reversal are months apart)."""
    return earlier.astimezone(zone).utcoffset() == later.astimezone(zone).utcoffset()


# -- standard 5-field cron -----------------------------------------------------------------------------

FIVE_FIELDS = (
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day-of-month", "1-31"),
    ("month", "1-12 or JAN-DEC"),
    ("day-of-week", "0-6 or SUN-SAT"),
)
MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
}
_SYNTAX = "with lists (1,2), ranges (1-5) and steps (*/15)"


def _five_field_dst(hour_field: str) -> DstRule:
    return DstRule.ELAPSED if hour_field == "*" or "/" in hour_field else DstRule.LOCAL_TIME


_FIVE_FIELD_CYCLES = (MINUTES, HOURS, DAYS_OF_MONTH, MONTHS, WEEKDAYS_FROM_ZERO)


def _croniter_accepts(text: str) -> bool:
    # croniter is imported by the first cron parsed, not by every function's cold start (~10 ms): most
    # first requests parse no cron, and every import of a job's module would otherwise pay for it.
    from croniter import croniter

    return bool(croniter.is_valid(text))


# croniter's `R` (a random value, drawn anew by every process that parses the text) and `H` (a hash of an id
# the API has no field for) are not cron: a schedule would mean something else on every cold start.
_CRONITER_ONLY = re.compile(r"(^|[,/-])[RrHh](\(|[,/-]|$)")


def _check_fields(
    fields: list[str],
    shown: list[str],
    names: tuple[tuple[str, str], ...],
    cycles: tuple[Cycle, ...],
    stored: bool = False,
) -> list[str]:
    """Probe each field alone, so the message names the field, its value as written and what is allowed.

    Returns the fields as croniter should read them: every range rewritten by the one range rule (cronranges).
    """
    checked: list[str] = []
    for position, (value, original, (name, allowed), cycle) in enumerate(
        zip(fields, shown, names, cycles, strict=True)
    ):
        problem = _invalid(f"cron {name} field '{original}' is not valid; allowed: {allowed}, {_SYNTAX}")
        if _CRONITER_ONLY.search(value) and not stored:
            raise problem
        try:
            expanded = expand_ranges(value, cycle)
        except ValueError:
            raise problem from None
        probe = ["*"] * 5
        probe[position] = expanded
        if not _croniter_accepts(" ".join(probe)):
            raise problem
        checked.append(expanded)
    return checked


def parse_cron(expression: str, stored: bool = False) -> Cron:
    """`stored`: a job's own expression, accepted when it was written, which must go on parsing (croniter's
    `R` was accepted before it was refused for new schedules)."""
    text = expression.strip()
    if text.startswith("@"):
        if text.lower() not in MACROS:
            raise _invalid(f"unknown macro '{text}'; use one of {', '.join(MACROS)}")
        standard = MACROS[text.lower()]
        return Cron(expression, _five_field_dst(standard.split()[1]), CronFields.expand(standard, None, None))
    fields = text.split()
    if len(fields) != 5:
        hint = (
            "; EventBridge's six-field form is written cron(min hour day month weekday year)"
            if len(fields) == 6
            else ""
        )
        raise _invalid(
            f"'{expression}' is neither an interval (30s, 5m, 1h, 1d) nor a cron expression with 5 fields "
            f"(minute hour day-of-month month day-of-week); it has {len(fields)} fields{hint}",
        )
    joined = " ".join(_check_fields(fields, fields, FIVE_FIELDS, _FIVE_FIELD_CYCLES, stored))
    if not _croniter_accepts(joined):
        raise _invalid(f"cron expression '{expression}' is not valid")
    return Cron(expression, _five_field_dst(fields[1]), CronFields.expand(joined, None, None))


# -- EventBridge cron(min hour day-of-month month day-of-week year) ------------------------------------

_NEAREST_WEEKDAY = re.compile(r"^(\d{1,2})W$")
_LAST_WEEKDAY_OF_MONTH = re.compile(r"^([1-7])L$")
_NTH_WEEKDAY = re.compile(r"^([1-7])#([1-5])$")
_WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_YEAR_RANGE = (1970, 2199)


def _month(year: int, month: int) -> tuple[int, int]:
    """The month's length and the EventBridge weekday (1-7 from Sunday) of its first day."""
    first_weekday, length = calendar.monthrange(year, month)  # 0 = Monday
    return length, (first_weekday + 1) % 7 + 1


def _last_day(year: int, month: int) -> int:
    return _month(year, month)[0]


def _last_weekday(year: int, month: int) -> int:
    """The last Monday-to-Friday of the month."""
    length, first = _month(year, month)
    last = (first + length - 2) % 7 + 1
    return length - 1 if last == 7 else length - 2 if last == 1 else length  # Saturday, Sunday


def _nearest_weekday(target: int) -> DayPick:
    def pick(year: int, month: int) -> int | None:
        length, first = _month(year, month)
        if target > length:
            return None
        weekday = (first + target - 2) % 7 + 1
        if weekday == 7:  # Saturday: the Friday before, or Monday when that leaves the month
            return target - 1 if target > 1 else target + 2
        if weekday == 1:  # Sunday: the Monday after, or Friday when that leaves the month
            return target + 1 if target < length else target - 2
        return target

    return pick


def _last_of_weekday(weekday: int) -> DayPick:
    def pick(year: int, month: int) -> int:
        length, first = _month(year, month)
        return length - (first + length - 1 - weekday) % 7

    return pick


def _nth_weekday(weekday: int, week: int) -> DayPick:
    def pick(year: int, month: int) -> int | None:
        length, first = _month(year, month)
        day = 1 + (weekday - first) % 7 + 7 * (week - 1)
        return day if day <= length else None

    return pick


def _day_of_month(token: str) -> tuple[str, DayPick | None]:
    """The croniter day-of-month field and the day EventBridge's own tokens pick each month."""
    if token == "?":
        return "*", None
    if token == "L":
        return "*", _last_day
    if token == "LW":
        return "*", _last_weekday
    nearest = _NEAREST_WEEKDAY.match(token)
    if nearest:
        target = int(nearest.group(1))
        if not 1 <= target <= 31:
            raise _invalid(f"cron day-of-month field '{token}' is not valid; W needs a day 1-31 (e.g. 15W)")
        return "*", _nearest_weekday(target)
    if "L" in token or "W" in token or "#" in token:
        raise _invalid(f"cron day-of-month field '{token}' is not valid; allowed: 1-31, L, LW, 15W, ?, {_SYNTAX}")
    return token, None


_WEEKDAY_PROBLEM = "allowed: 1-7 or SUN-SAT (1 = SUN), L, 6L, 6#3, ?, with lists and ranges"


def _day_of_week(token: str) -> tuple[str, DayPick | None]:
    if token == "?":
        return "*", None
    if token == "L":  # the last day of the week: Saturday
        return str(_WEEKDAY_NAMES.index("SAT")), None
    last = _LAST_WEEKDAY_OF_MONTH.match(token)
    if last:
        return "*", _last_of_weekday(int(last.group(1)))
    nth = _NTH_WEEKDAY.match(token)
    if nth:
        return "*", _nth_weekday(int(nth.group(1)), int(nth.group(2)))
    if re.search(r"[L#/]", token) or re.search(r"\b[89]\b|\b0\b|\d{2,}", token):
        raise _invalid(f"cron day-of-week field '{token}' is not valid; {_WEEKDAY_PROBLEM}")
    try:
        numbered = expand_ranges(token, WEEKDAYS_FROM_ONE)
    except ValueError:
        raise _invalid(f"cron day-of-week field '{token}' is not valid; {_WEEKDAY_PROBLEM}") from None
    # EventBridge counts 1-7 from Sunday, croniter 0-6: shift every number down by one.
    return re.sub(r"\d", lambda digit: str(int(digit.group()) - 1), numbered), None


def _years(token: str) -> frozenset[int] | None:
    if token == "*":
        return None
    low, high = _YEAR_RANGE
    years: set[int] = set()
    for part in token.split(","):
        match = re.fullmatch(r"(\*|\d{4})(?:-(\d{4}))?(?:/(\d+))?", part)
        if not match:
            raise _invalid(f"cron year field '{token}' is not valid; allowed: {low}-{high}, with lists, ranges, steps")
        start = low if match.group(1) == "*" else int(match.group(1))
        end = int(match.group(2)) if match.group(2) else (high if match.group(1) == "*" or match.group(3) else start)
        step = int(match.group(3) or 1)
        if not (low <= start <= end <= high) or step < 1:
            raise _invalid(f"cron year field '{token}' is not valid; allowed: {low}-{high}")
        years.update(range(start, end + 1, step))
    return frozenset(years)


_EVENTBRIDGE_FIELDS = (
    FIVE_FIELDS[0],
    FIVE_FIELDS[1],
    ("day-of-month", "1-31, L, LW, 15W, ?"),
    FIVE_FIELDS[3],
    ("day-of-week", "1-7 or SUN-SAT, L, 6L, 6#3, ?"),
)
# The day-of-week field reaches croniter already shifted to 0-6 with its ranges rewritten (_day_of_week).
_EVENTBRIDGE_CYCLES = (MINUTES, HOURS, DAYS_OF_MONTH, MONTHS, WEEKDAYS_FROM_ZERO)


def parse_eventbridge_cron(expression: str, inner: str) -> Cron:
    """`cron(0 12 * * ? *)` with EventBridge's semantics, so schedules move here unchanged."""
    fields = inner.split()
    if len(fields) != 6:
        raise _invalid(
            f"'{expression}' needs 6 fields (minute hour day-of-month month day-of-week year); it has {len(fields)}",
        )
    minute, hour, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise _invalid(
            f"'{expression}': exactly one of day-of-month and day-of-week must be '?' "
            "(EventBridge cannot match both; e.g. cron(0 12 * * ? *) or cron(0 12 ? * MON-FRI *))",
        )
    croniter_day, day_pick = _day_of_month(day_of_month)
    croniter_weekday, weekday_pick = _day_of_week(day_of_week)
    checked = _check_fields(
        [minute, hour, croniter_day, month, croniter_weekday],
        [minute, hour, day_of_month, month, day_of_week],
        _EVENTBRIDGE_FIELDS,
        _EVENTBRIDGE_CYCLES,
    )
    expanded = CronFields.expand(" ".join(checked), day_pick or weekday_pick, _years(year))
    return Cron(expression, DstRule.EVENTBRIDGE, expanded)
