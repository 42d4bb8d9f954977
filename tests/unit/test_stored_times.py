"""Stored times (epoch ms) are cut, never rounded up: a stored time is never after the moment it stands for,
so a moment that has come is still come once stored, and the API shows exactly what is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from serverless_jobs.domain.timefmt import EARLIEST, LATEST, from_millis, iso_z, to_millis


@given(st.datetimes(min_value=EARLIEST.replace(tzinfo=None), max_value=LATEST.replace(tzinfo=None)))
def test_a_stored_time_is_never_after_its_moment_and_shows_as_the_api_shows_it(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC)
    stored = from_millis(to_millis(moment))

    assert stored <= moment < stored + timedelta(milliseconds=1)
    assert iso_z(stored) == iso_z(moment)


def test_half_a_millisecond_is_cut_not_rounded_up() -> None:
    moment = datetime(2026, 11, 28, 9, 0, 0, 500, tzinfo=UTC)  # 0.5 ms past the second
    assert to_millis(moment) == to_millis(moment.replace(microsecond=0))
