"""A job's timing: its schedule, zone and window, and the next occurrence inside that window.

Occurrences are windowed (none before `runAt`, none after `endAt`), so the same rule serves create, update,
resume and every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.schedules.expressions import Schedule
from serverless_jobs.domain.timefmt import LATEST, in_range


@dataclass(frozen=True)
class Timing:
    """When a job runs: its schedule (None for one-time), time zone and window."""

    schedule: Schedule | None
    zone: ZoneInfo
    run_at: datetime | None
    end_at: datetime | None
    created_at: datetime

    @property
    def recurring(self) -> bool:
        return self.schedule is not None and self.schedule.recurring

    def next_at_or_after(self, moment: datetime) -> datetime | None:
        """The next occurrence not before `moment` inside the window, or None when the job has no more.

        An occurrence after year 9999 (UTC) is none: it could not be stored, and no job will wait for it.
        """
        occurrence: datetime | None
        if self.schedule is None:
            # A one-time job that is overdue (created for the past, or missed in an outage) runs once, now.
            occurrence = max(self.run_at or moment, moment)
        else:
            try:
                first = self.schedule.first_occurrence(self.run_at, self.created_at)
                occurrence = self.schedule.at_or_after(moment, first, self.zone)
            except OverflowError:
                return None
        if occurrence is None or not in_range(occurrence):
            return None
        if self.end_at is not None and occurrence > self.end_at:
            return None
        return occurrence

    def upcoming(self, first: datetime, count: int) -> list[datetime]:
        """`first` and the occurrences after it, at most `count`, stopping where the window closes."""
        occurrences = [first]
        while len(occurrences) < count and self.recurring and occurrences[-1] < LATEST:
            following = self.next_at_or_after(occurrences[-1] + timedelta(milliseconds=1))
            if following is None:
                break
            occurrences.append(following)
        return occurrences


def first_occurrence(timing: Timing, now: datetime) -> datetime:
    """The first run not before `now`; a window that has closed is refused, never stored to linger."""
    if timing.end_at is not None and timing.end_at <= now:
        raise InvalidInput("endAt", "is in the past; no run could start")
    first = timing.next_at_or_after(now)
    if first is None and timing.end_at is None:
        raise InvalidInput("schedule", "has no occurrence at all: no date up to year 9999 matches it")
    if first is None:
        raise InvalidInput("schedule", "has no occurrence before endAt")
    return first
