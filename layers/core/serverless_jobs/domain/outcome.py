"""Where a finished run leaves its job (DESIGN §3 step 3): completed, retried with backoff, or rescheduled."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from serverless_jobs.domain.flow import Overlapped, overlapped, ran_enough, start_at
from serverless_jobs.domain.job import Job, JobStatus

MAX_BACKOFF_SECONDS = 3600
# A run's error is "<type>: <text>" (`KeyError: ...`, `FunctionError (Unhandled): ...`) or a webhook's
# "HTTP 503 ...": the type is what a log may always carry; the text can hold job data (the `fail` handler
# raises with `data["message"]`, a function's error payload echoes its input).
_ERROR_TYPE = re.compile(r"HTTP \d{3}|[A-Za-z_][\w.]{0,100}(?: \([\w.-]{1,40}\))?(?=:|$)")


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    error: str | None = None
    # False for a failure that another attempt cannot mend (a webhook's 404, a target AWS refuses for
    # good): the run fails for good at once, as if it were the last attempt.
    retryable: bool = True


@dataclass(frozen=True)
class NextState:
    status: JobStatus
    next_run_at: datetime | None
    next_occurrence_at: datetime | None
    attempts: int
    last_error: str | None
    successful_runs: int
    # With `overlap: skip`, the occurrences that fell due during the run, to record as one skipped entry.
    skipped: Overlapped | None = None


def backoff_seconds(attempt: int, base_seconds: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
    ceiling = min(MAX_BACKOFF_SECONDS, base_seconds * 2 ** (attempt - 1))
    return (rng or random).uniform(0, ceiling)


def next_state(job: Job, outcome: Outcome, now: datetime, rng: random.Random | None = None) -> NextState:
    """The job's state after its current run ended with `outcome`, from the job as stored.

    A next occurrence is due at its jittered start (`flow.start_at`); a job with `maxRuns` successful runs
    done completes whatever its schedule has left. Occurrences that fell due during the run follow the
    job's `overlap`: `buffer` makes the latest of them the next one (it runs once, at once, and a retry
    waits for it no longer than for any occurrence); `skip` passes them over to the first occurrence after
    `now` and hands them back as `skipped` for one history entry.
    """
    attempt = int(job.attempt or 1)
    timing = job.timing()
    recurring = timing.recurring
    following = timing.next_at_or_after(now + timedelta(milliseconds=1)) if recurring else None
    during = overlapped(job, timing, now)
    skipped = during if job.overlap == "skip" else None
    if during is not None and job.overlap == "buffer":
        following = during.last
    runs = job.successful_runs
    if outcome.succeeded:
        runs += 1
        if following is None or ran_enough(job, runs):
            return NextState(JobStatus.COMPLETED, None, None, attempt, None, runs, skipped)
        return NextState(JobStatus.PENDING, start_at(job, following), following, 0, None, runs, skipped)
    if outcome.retryable and attempt < job.max_attempts:
        retry_at = now + timedelta(seconds=backoff_seconds(attempt, job.retry_backoff_seconds, rng))
        return NextState(JobStatus.PENDING, retry_at, following, attempt, outcome.error, runs, skipped)
    if following is None:
        ended = JobStatus.COMPLETED if recurring else JobStatus.FAILED  # a recurring job's window ran out
        return NextState(ended, None, None, attempt, outcome.error, runs, skipped)
    return NextState(JobStatus.PENDING, start_at(job, following), following, 0, outcome.error, runs, skipped)


def missed_state(job: Job, now: datetime) -> NextState:
    """The job's state after its due occurrence was skipped (the catch-up window): at its first occurrence
    still inside the window (due now or later), with nothing about its runs changed; completed when its
    schedule's window ran out meanwhile."""
    following = job.timing().next_at_or_after(now - timedelta(seconds=job.catchup_window_seconds or 0))
    if following is None:
        return NextState(JobStatus.COMPLETED, None, None, 0, job.last_error, job.successful_runs)
    return NextState(JobStatus.PENDING, start_at(job, following), following, 0, job.last_error, job.successful_runs)


def error_type(error: str | None) -> str | None:
    """The kind of a run's error without its text (job data), or None when it has no recognisable kind."""
    if error is None:
        return None
    found = _ERROR_TYPE.match(error)
    return found.group(0) if found else None


def error_log_fields(error: str | None, *, with_data: bool) -> dict[str, str | None]:
    """What a log line says of a run's error: its type always, its text only where the stack logs job
    data (LogJobData)."""
    fields = {"errorType": error_type(error)}
    return {**fields, "error": error} if with_data else fields
