"""The run protocol after the claim: how a run's outcome moves its job on. Rules first, then the write.

Every finish is conditioned on the job still holding the run's id: a run detached by pause, cancel or a
lease expiry, or a duplicate event, changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from serverless_jobs import store
from serverless_jobs.models import JobModel
from serverless_jobs.schemas import JobStatus
from serverless_jobs.timefmt import to_millis, to_millis_or_none

MAX_BACKOFF_SECONDS = 3600
_WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    error: str | None = None


@dataclass(frozen=True)
class NextState:
    status: JobStatus
    next_run_at: datetime | None
    next_occurrence_at: datetime | None
    attempts: int
    last_error: str | None


def backoff_seconds(attempt: int, base_seconds: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]."""
    ceiling = min(MAX_BACKOFF_SECONDS, base_seconds * 2 ** (attempt - 1))
    return (rng or random).uniform(0, ceiling)


def next_state(job: JobModel, outcome: Outcome, now: datetime, rng: random.Random | None = None) -> NextState:
    """Where a finished run leaves its job (DESIGN §3 step 3), from the job as stored and the outcome."""
    attempt = int(job.attempt or 1)
    timing = job.timing()
    recurring = timing.recurring
    following = timing.next_at_or_after(now + timedelta(milliseconds=1)) if recurring else None
    if outcome.succeeded:
        if following is None:
            return NextState(JobStatus.COMPLETED, None, None, attempt, None)
        return NextState(JobStatus.PENDING, following, following, 0, None)
    if attempt < job.max_attempts:
        retry_at = now + timedelta(seconds=backoff_seconds(attempt, job.retry_backoff_seconds, rng))
        return NextState(JobStatus.PENDING, retry_at, following, attempt, outcome.error)
    if following is None:
        ended = JobStatus.COMPLETED if recurring else JobStatus.FAILED  # a recurring job's window ran out
        return NextState(ended, None, None, attempt, outcome.error)
    return NextState(JobStatus.PENDING, following, following, 0, outcome.error)


def begin(job_id: str, run_id: str, now: datetime) -> JobModel | None:
    """Mark the claimed run started, once: the job to run, or None for a stale or duplicate event."""
    for _ in range(_WRITE_ATTEMPTS):
        job = store.get_job(job_id)
        if job is None or job.run_id != run_id or job.status != JobStatus.RUNNING or job.run_started_at:
            return None
        started = JobModel.run_started_at.set(to_millis(now))
        if store.update_job(job, [started], (JobModel.run_id == run_id) & JobModel.run_started_at.does_not_exist()):
            return job
    return None


def finish(job_id: str, run_id: str, outcome: Outcome, now: datetime) -> bool:
    """Move the job on if it still holds `run_id`; False when the run was detached or superseded."""
    for _ in range(_WRITE_ATTEMPTS):
        job = store.get_job(job_id)
        if job is None or job.run_id != run_id or job.status != JobStatus.RUNNING:
            return False
        state = next_state(job, outcome, now)
        active = state.status == JobStatus.PENDING
        job.status = state.status.value
        job.next_run_at = to_millis_or_none(state.next_run_at)
        job.next_occurrence_at = to_millis_or_none(state.next_occurrence_at)
        job.attempts = state.attempts
        job.last_error = state.last_error
        job.due_shard = store.shard_for(job.id) if active else None
        job.run_id = None
        job.run_started_at = None
        job.updated_at = to_millis(now)
        try:
            store.save_job(job)
        except store.ConcurrentChange:
            continue  # an API update landed meanwhile: keep it, and apply the outcome on top
        return True
    return False
