"""The one wire format for times (ISO 8601, UTC, milliseconds, `Z`) and the one storage format (epoch ms).

Every time lies within years 1..9999 in UTC, Python's own range: the API refuses one outside it (as UTC:
`0001-01-01T00:30:00+01:00` is year 0), so every stored time converts back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)


def to_millis(moment: datetime) -> int:
    """Exact (no float rounding at year 9999); microseconds are cut (floor), as `iso_z` cuts them.

    Never rounded up: a stored time is then never after the moment it stands for, so a moment that has
    come (a job due `now`, compared with the clock it was read from) has still come once stored.
    """
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return micros // 1000


def to_millis_or_none(moment: datetime | None) -> int | None:
    return None if moment is None else to_millis(moment)


def from_millis(millis: int) -> datetime:
    return _EPOCH + millis * _MILLISECOND


def from_millis_or_none(millis: int | None) -> datetime | None:
    return None if millis is None else from_millis(millis)


def in_range(moment: datetime) -> bool:
    """Whether `moment`, rounded to the millisecond as stored, lies within years 1..9999 in UTC."""
    return to_millis(EARLIEST) <= to_millis(moment) <= to_millis(LATEST)


def iso_z(moment: datetime) -> str:
    """`2026-11-28T09:45:39.123Z`: always UTC, a four-digit year, milliseconds, so clients can compare strings."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def iso_z_millis(millis: int | None) -> str | None:
    return None if millis is None else iso_z(from_millis(millis))
