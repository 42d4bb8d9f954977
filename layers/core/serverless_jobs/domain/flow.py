"""Flow control a job sets for itself (the flow-control decisions): when each occurrence really starts
(`jitterSeconds`), when one is found too late to run (`catchupWindowSeconds`), which occurrences fell due
while a run ran (`overlap`), when the job has run enough (`maxRuns`), and which fields come together
(`concurrencyKey` with `concurrencyLimit`). The slot counting itself needs storage: usecases.claim and the
job store.

Plain rules over a Job; lifecycle and outcome apply them, so every path that arms an occurrence agrees.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.job import Job
from serverless_jobs.domain.schedules.timing import Timing
from serverless_jobs.domain.timefmt import from_millis, to_millis

# Occurrences counted one by one for an `overlap: skip` entry's message; past this it says "or more" (a run
# lost while the runner was stopped for days may hold back that many of a `1s` schedule).
MOST_COUNTED = 1000
_MS = timedelta(milliseconds=1)


def jitter_offset_ms(job_id: str, occurrence_ms: int, jitter_seconds: int) -> int:
    """A stable offset in [0, jitter) for one occurrence of one job: a hash of both, so a retry, a re-read
    or another tick computes the same start, while a herd sharing one occurrence spreads out evenly."""
    if jitter_seconds <= 0:
        return 0
    digest = hashlib.sha256(f"{job_id}@{occurrence_ms}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (jitter_seconds * 1000)


def start_at(job: Job, occurrence: datetime) -> datetime:
    """When the run of the nominal `occurrence` starts: the occurrence plus the job's jitter offset."""
    offset = jitter_offset_ms(job.id, to_millis(occurrence), job.jitter_seconds)
    return occurrence + timedelta(milliseconds=offset)


def ran_enough(job: Job, successful_runs: int) -> bool:
    """True when `maxRuns` successful runs are done: the job completes instead of scheduling another."""
    return job.max_runs is not None and successful_runs >= job.max_runs


def missed(job: Job, due: datetime, now: datetime) -> bool:
    """True when an occurrence due (started, with its jitter) at `due` is found past the catch-up window."""
    window = job.catchup_window_seconds
    return window is not None and now - due > timedelta(seconds=window)


@dataclass(frozen=True)
class Overlapped:
    """The occurrences that fell due while a run ran: `first` to `last`; with `overlap: skip`, whose entry says
    how many, `count` of them (MOST_COUNTED at most; None with `buffer`, which needs only `last`)."""

    first: datetime
    last: datetime
    count: int | None


def overlapped(job: Job, timing: Timing, now: datetime) -> Overlapped | None:
    """The occurrences of `job` that fell due while its run ran, as the run finishes at `now`: from the first
    one the run's claim left for later (`next_occurrence_at`) up to `now`. None when none did.

    Due means the nominal occurrence is at or before `now`, as the next occurrence after a finish always
    was: jitter moves when an occurrence starts, not which one is next.
    """
    if job.next_occurrence_at is None or not timing.recurring:
        return None
    first = timing.next_at_or_after(from_millis(job.next_occurrence_at))  # the schedule may have changed since
    if first is None or first > now:
        return None
    last = latest_up_to(timing, first, now)
    return Overlapped(first, last, counted(timing, first, last) if job.overlap == "skip" else None)


def counted(timing: Timing, first: datetime, last: datetime) -> int:
    """How many occurrences from `first` to `last`, both occurrences, stepping at most MOST_COUNTED times."""
    count, at = 1, first
    while at < last and count < MOST_COUNTED:
        at = timing.next_at_or_after(at + _MS) or last
        count += 1
    return count


def latest_up_to(timing: Timing, first: datetime, now: datetime) -> datetime:
    """The last occurrence in [first, now], `first` being one: found from `now` backwards over doubling
    spans, so a run lost for days costs a few dozen schedule steps, not one per occurrence."""
    span = timedelta(seconds=1)
    while True:
        start = max(now - span, first)
        found = timing.next_at_or_after(start)
        if found is not None and found <= now:
            break
        if start == first:
            return first
        span *= 2
    while (following := timing.next_at_or_after(found + _MS)) is not None and following <= now:
        found = following
    return found


def check_flow(job: Job) -> None:
    """Refuse flow-control fields that mean nothing for this job, naming the field (400)."""
    check_concurrency(job.concurrency_key, job.concurrency_limit)
    recurring = job.timing().recurring
    if job.jitter_seconds and not recurring:
        raise InvalidInput("jitterSeconds", "applies to recurring jobs only; this job has no recurring schedule")
    if job.catchup_window_seconds is not None and not recurring:
        raise InvalidInput("catchupWindowSeconds", "applies to recurring jobs only; this job has no recurring schedule")
    if job.overlap != "buffer" and not recurring:
        raise InvalidInput("overlap", "applies to recurring jobs only; this job has no recurring schedule")


def check_concurrency(key: str | None, limit: int | None) -> None:
    """A concurrency key comes with its limit, and a limit with its key (the job as created or updated)."""
    if key is not None and limit is None:
        raise InvalidInput("concurrencyLimit", "is required with concurrencyKey")
    if limit is not None and key is None:
        raise InvalidInput("concurrencyKey", "is required with concurrencyLimit")
