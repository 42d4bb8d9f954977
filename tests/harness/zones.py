"""The time zones schedules are proven in, and where their offsets change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

# Whole-hour DST on both hemispheres, a 30-minute shift (Lord Howe), a change at midnight (Santiago),
# one at 02:45 (Chatham), a zone that dropped DST (Apia) and zones without it.
ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Pacific/Apia",
    "UTC",
]


@cache
def transitions(zone: ZoneInfo) -> list[datetime]:
    """The first whole hour after each offset change in 2020-2035."""
    found = []
    moment = datetime(2020, 1, 1, tzinfo=UTC)
    while moment.year < 2036:
        following = moment + timedelta(hours=1)
        if moment.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            found.append(following)
        moment = following
    return found
