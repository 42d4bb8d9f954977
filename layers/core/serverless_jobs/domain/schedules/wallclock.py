"""Local wall-clock times to real instants, across DST, by the three rules schedules need.

`LOCAL_TIME` (a 5-field cron with a fixed hour, `at()`): a schedule at a fixed local time (a daily 02:30)
runs once per calendar day: a time that does not exist (spring forward) runs at the first instant after the
gap; a time that occurs twice (fall back) runs once, the first time.
`ELAPSED` (a 5-field cron whose hour is a wildcard or step: hourly, every 15 minutes) follows elapsed time:
times in the gap are skipped (no real time passes there) and repeated times run twice (real time passes
twice), so no hour of real time is skipped or doubled.
`EVENTBRIDGE` (EventBridge's `cron()`) does what EventBridge Scheduler documents: a local time that does not
exist is skipped, and a repeated one runs once, the first time, whatever the expression's fields.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo


class DstRule(Enum):
    LOCAL_TIME = "local time"
    ELAPSED = "elapsed"
    EVENTBRIDGE = "eventbridge"


def _instant(wall: datetime, zone: ZoneInfo, fold: int) -> datetime:
    return wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def _exists(wall: datetime, instant: datetime, zone: ZoneInfo) -> bool:
    return instant.astimezone(zone).replace(tzinfo=None) == wall


def _transition_between(earlier: datetime, later: datetime, zone: ZoneInfo) -> datetime:
    """The instant the zone's offset changes between two instants that have different offsets."""
    offset = earlier.astimezone(zone).utcoffset()
    while later - earlier > timedelta(seconds=1):
        middle = earlier + (later - earlier) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            earlier = middle
        else:
            later = middle
    return later.replace(microsecond=0)


def instants(wall: datetime, zone: ZoneInfo, rule: DstRule) -> list[datetime]:
    """The real instants (UTC, ascending) at which the naive local time `wall` runs."""
    first, second = _instant(wall, zone, 0), _instant(wall, zone, 1)
    if not _exists(wall, first, zone):  # in a gap: fold 0 and 1 lie on either side of the transition
        if rule is not DstRule.LOCAL_TIME:
            return []
        return [_transition_between(min(first, second), max(first, second), zone)]
    if first != second and rule is DstRule.ELAPSED:  # occurs twice
        return sorted((first, second))
    return [min(first, second)]
