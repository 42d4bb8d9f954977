"""The one wire format for times (ISO 8601, UTC, milliseconds, `Z`) and the one storage format (epoch ms)."""

from __future__ import annotations

from datetime import UTC, datetime


def to_millis(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def to_millis_or_none(moment: datetime | None) -> int | None:
    return None if moment is None else to_millis(moment)


def from_millis(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)


def from_millis_or_none(millis: int | None) -> datetime | None:
    return None if millis is None else from_millis(millis)


def iso_z(moment: datetime) -> str:
    """`2026-11-28T09:45:39.123Z`: always UTC, always milliseconds, so clients can compare strings."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def iso_z_millis(millis: int | None) -> str | None:
    return None if millis is None else iso_z(from_millis(millis))
