"""Property: the next occurrences of random cron expressions in random zones equal a brute-force oracle's.

The oracle shares nothing with the implementation: it walks real time minute by minute, reads the local wall
clock, matches fields as plain sets, and applies DESIGN §4's DST rules directly: the project's for 5-field
cron, EventBridge Scheduler's for `cron()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.fuzz import fuzz_examples
from harness.zones import ZONES, transitions
from serverless_jobs.domain.schedules.expressions import parse_schedule
from serverless_jobs.domain.schedules.timing import Timing

HORIZON = timedelta(days=8)
WANTED = 4


@dataclass(frozen=True)
class Field:
    text: str
    values: frozenset[int]
    wildcard: bool  # written as '*' (or a step over it): "any"


def field(low: int, high: int, allow_step: bool) -> st.SearchStrategy[Field]:
    every = st.just(Field("*", frozenset(range(low, high + 1)), True))
    single = st.integers(low, high).map(lambda n: Field(str(n), frozenset({n}), False))
    listed = st.lists(st.integers(low, high), min_size=2, max_size=4, unique=True).map(
        lambda ns: Field(",".join(map(str, ns)), frozenset(ns), False)
    )
    ranged = (
        st.tuples(st.integers(low, high), st.integers(low, high))
        .map(sorted)
        .map(lambda ab: Field(f"{ab[0]}-{ab[1]}", frozenset(range(ab[0], ab[1] + 1)), False))
    )
    # a > b wraps round the field (decision "Cron ranges"): `22-3` is 22, 23, 0, 1, 2, 3
    wrapped = (
        st.tuples(st.integers(low + 1, high), st.integers(low, high - 1))
        .filter(lambda ab: ab[0] > ab[1])
        .map(
            lambda ab: Field(
                f"{ab[0]}-{ab[1]}", frozenset(range(ab[0], high + 1)) | frozenset(range(low, ab[1] + 1)), False
            )
        )
    )
    options = [every, single, listed, ranged, wrapped]
    if allow_step:
        step = st.integers(2, max(2, (high - low) // 2)).map(
            lambda n: Field(f"*/{n}", frozenset(range(low, high + 1, n)), True)
        )
        options.append(step)
    return st.one_of(*options)


@dataclass(frozen=True)
class CronCase:
    minute: Field
    hour: Field
    day: Field
    weekday: Field
    eventbridge: bool = False  # written as cron(...): 1-7 = SUN-SAT, `?` in the day field left open

    @property
    def expression(self) -> str:
        if not self.eventbridge:
            return f"{self.minute.text} {self.hour.text} {self.day.text} * {self.weekday.text}"
        if self.weekday.text == "*":
            return f"cron({self.minute.text} {self.hour.text} {self.day.text} * ? *)"
        weekday = re.sub(r"\d+", lambda number: str(int(number.group()) + 1), self.weekday.text)
        return f"cron({self.minute.text} {self.hour.text} ? * {weekday} *)"

    @property
    def follows_elapsed(self) -> bool:
        return self.hour.wildcard

    def matches(self, wall: datetime) -> bool:
        if wall.minute not in self.minute.values or wall.hour not in self.hour.values:
            return False
        day_ok = wall.day in self.day.values
        weekday_ok = (wall.isoweekday() % 7) in self.weekday.values
        if self.day.text == "*" or self.weekday.text == "*":
            return day_ok and weekday_ok
        return day_ok or weekday_ok  # both restricted: standard cron matches either


cron_cases = st.builds(
    CronCase,
    minute=field(0, 59, allow_step=True),
    hour=field(0, 23, allow_step=True),
    day=st.one_of(st.just(Field("*", frozenset(range(1, 32)), True)), field(1, 31, allow_step=False)),
    weekday=st.one_of(st.just(Field("*", frozenset(range(7)), True)), field(0, 6, allow_step=False)),
)


EVERY_DAY = st.just(Field("*", frozenset(range(1, 32)), True))
EVERY_WEEKDAY = st.just(Field("*", frozenset(range(7)), True))
eventbridge_cases = st.one_of(
    st.builds(
        CronCase,
        minute=field(0, 59, allow_step=True),
        hour=field(0, 23, allow_step=True),
        day=st.one_of(EVERY_DAY, field(1, 31, allow_step=False)),
        weekday=EVERY_WEEKDAY,
        eventbridge=st.just(True),
    ),
    st.builds(
        CronCase,
        minute=field(0, 59, allow_step=True),
        hour=field(0, 23, allow_step=True),
        day=EVERY_DAY,
        weekday=field(0, 6, allow_step=False),
        eventbridge=st.just(True),
    ),
)


_TRANSITIONS = {name: [change - timedelta(hours=1) for change in transitions(ZoneInfo(name))] for name in ZONES}


def oracle(case: CronCase, zone: ZoneInfo, start: datetime, wanted: int) -> list[datetime]:
    found: list[datetime] = []
    moment = start
    previous_wall = (moment - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
    while len(found) < wanted and moment < start + HORIZON:
        local = moment.astimezone(zone)
        wall = local.replace(tzinfo=None, fold=0)
        if case.eventbridge:  # EventBridge Scheduler: a missing local time is skipped, a repeated one runs once
            due = case.matches(wall) and local.fold == 0
        elif case.follows_elapsed:
            due = case.matches(wall)
        else:
            due = case.matches(wall) and local.fold == 0
            skipped = previous_wall + timedelta(minutes=1)
            while not due and skipped < wall:  # the first instant after a gap takes the gap's times
                due = case.matches(skipped)
                skipped += timedelta(minutes=1)
        if due:
            found.append(moment)
        previous_wall = wall
        moment += timedelta(minutes=1)
    return found


def implementation(case: CronCase, zone: ZoneInfo, start: datetime, wanted: int) -> list[datetime]:
    timing = Timing(parse_schedule(case.expression), zone, None, None, start)
    first = timing.next_at_or_after(start)
    if first is None:
        return []
    return [moment for moment in timing.upcoming(first, wanted) if moment < start + HORIZON]


@st.composite
def starts(draw: st.DrawFn) -> tuple[str, datetime]:
    name = draw(st.sampled_from(ZONES))
    near = _TRANSITIONS[name]
    around_a_change: bool = draw(st.booleans())
    if near and around_a_change:
        base = draw(st.sampled_from(near))
        offset = draw(st.integers(-48 * 60, 12 * 60))
    else:
        base = datetime(2020, 1, 1, tzinfo=UTC)
        offset = draw(st.integers(0, 16 * 365 * 24 * 60))
    return name, base + timedelta(minutes=offset)


@settings(max_examples=fuzz_examples(200), deadline=None)
@given(case=st.one_of(cron_cases, eventbridge_cases), where=starts())
def test_next_occurrences_match_the_brute_force_oracle(case: CronCase, where: tuple[str, datetime]) -> None:
    name, start = where
    zone = ZoneInfo(name)
    expected = oracle(case, zone, start, WANTED)
    assert implementation(case, zone, start, WANTED)[: len(expected)] == expected, (case.expression, name)
