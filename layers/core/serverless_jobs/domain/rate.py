"""A rate limit (decision "Rate limits"): at most `limit` run starts of the jobs sharing `key` in any
`period_seconds`, across the whole fleet, as a sliding window, never fixed buckets.

The key's window is `limit` places, each holding the time of the last start made on it. A start takes a
place whose last start is at least a period old (or that was never used), and writes its own time there.
So two starts on one place are a period apart or more, no half-open interval of one period holds two
starts on the same place, and none holds more than `limit` starts: the limit holds for every window,
whatever its phase. Each place is claimed by a conditional write on that place alone, so claimers that
take different places never undo each other.

Plain rules over the places read; the store writes a `Take` in the claim's own transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Place -> the epoch milliseconds of the last start made on it, as read from the key's window item.
Window = Mapping[int, int]

MAX_LIMIT = 1000
MAX_PERIOD_SECONDS = 86_400


@dataclass(frozen=True)
class RateLimit:
    key: str
    limit: int
    period_seconds: int

    @property
    def period_ms(self) -> int:
        return self.period_seconds * 1000

    def to_api(self) -> dict[str, Any]:
        """The API's (and the table's) shape."""
        return {"key": self.key, "limit": self.limit, "periodSeconds": self.period_seconds}

    @classmethod
    def from_api(cls, value: Mapping[str, Any]) -> RateLimit:
        """The inverse of `to_api`, for a value the API validated (or the table stored)."""
        return cls(key=str(value["key"]), limit=int(value["limit"]), period_seconds=int(value["periodSeconds"]))


@dataclass(frozen=True)
class Take:
    """One start written into a key's window: `at` on `place`, only if the place's last start is at least
    `period_ms` before `at` (or absent) when the write lands."""

    key: str
    place: int
    at: int
    period_ms: int


def free_places(window: Window, rate: RateLimit, now_ms: int) -> list[int]:
    """The places of the first `limit` whose last start has left the window by `now_ms`, lowest first."""
    return [place for place in range(rate.limit) if is_free(window.get(place), rate, now_ms)]


def is_free(last_start: int | None, rate: RateLimit, now_ms: int) -> bool:
    """A place is free once its last start is a whole period old: a start at exactly last + period is a
    start of the next window, not of the one `last` opened."""
    return last_start is None or last_start + rate.period_ms <= now_ms


def frees_at(window: Window, rate: RateLimit) -> int:
    """When the first place of a full window frees: its oldest start plus one period (epoch ms)."""
    return min(window[place] for place in range(rate.limit)) + rate.period_ms


def take(window: Window, rate: RateLimit, now_ms: int, spread: int) -> Take | int:
    """A start at `now_ms` on one free place (chosen by `spread`, so concurrent claimers of one key mostly
    pick different places), or, when the window is full, the epoch ms at which a place frees."""
    free = free_places(window, rate, now_ms)
    if not free:
        return frees_at(window, rate)
    return Take(rate.key, free[spread % len(free)], now_ms, rate.period_ms)
