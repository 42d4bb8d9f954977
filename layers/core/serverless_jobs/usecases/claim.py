"""The run protocol's first step, shared by the API (trigger, immediate work) and the tick: the claim.

A claim is one conditional write: it succeeds only if the job still has the version, status and
`next_run_at` it was seen with, so of any number of concurrent claimers exactly one wins and only the
winner dispatches.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from serverless_jobs.domain import flow, lifecycle
from serverless_jobs.domain.job import Job, JobStatus, RunRequest, Trigger
from serverless_jobs.domain.timefmt import from_millis, from_millis_or_none, iso_z, to_millis
from serverless_jobs.usecases.catchup import skip_missed
from serverless_jobs.usecases.deps import Deps


def claim(
    deps: Deps,
    job: Job,
    *,
    now: datetime,
    trigger: Trigger,
    attempt: int,
    scheduled_at: datetime | None,
    next_occurrence: datetime | None,
) -> RunRequest | None:
    """Mark `job` running under a new run id if nobody else has; the RunRequest to dispatch, or None."""
    run_id = uuid.uuid4().hex
    # A run not finished by then counts as lost: its timeout plus a margin for start-up and writes.
    lease = now + timedelta(seconds=job.timeout_seconds + deps.settings.lease_margin_seconds)
    running = lifecycle.claimed(
        job,
        run_id=run_id,
        now=now,
        trigger=trigger,
        attempt=attempt,
        scheduled_at=scheduled_at,
        next_occurrence=next_occurrence,
        lease_expiry=lease,
        shards=deps.settings.due_shards,
    )
    if not deps.jobs.update(job, running, expect={"status": job.status, "next_run_at": job.next_run_at}):
        return None
    return RunRequest(
        jobId=job.id,
        runId=run_id,
        attempt=attempt,
        scheduledAt=None if scheduled_at is None else iso_z(scheduled_at),
        trigger=trigger,
    )


def claim_due(deps: Deps, job: Job, now: datetime) -> RunRequest | None:
    """Claim a due pending job: a retry of its current occurrence, or its next scheduled occurrence (one found
    past the job's catch-up window is skipped instead, and the first inside it claimed if due)."""
    if job.attempts:  # attempts used on this occurrence: the job waits for a retry
        return claim(
            deps,
            job,
            now=now,
            trigger="retry",
            attempt=job.attempts + 1,
            scheduled_at=from_millis_or_none(job.scheduled_at),
            next_occurrence=from_millis_or_none(job.next_occurrence_at),
        )
    due = from_millis(job.next_run_at or to_millis(now))
    # The nominal occurrence (history's scheduledAt); `due` is its jittered start (domain/flow.py).
    occurrence = from_millis(job.next_occurrence_at or to_millis(due))
    if flow.missed(job, due, now):  # past its catch-up window: recorded skipped, not run
        moved = skip_missed(deps, job, occurrence, due, now)
        if moved is None or moved.status != JobStatus.PENDING or not due_by(moved, now):
            return None
        return claim_due(deps, moved, now)  # its first occurrence inside the window is due already
    # Occurrences missed while the tick was late are coalesced into this run; the jitter is no lateness.
    late = max(now - due, timedelta(0))
    timing = job.timing()
    following = timing.next_at_or_after(occurrence + late + timedelta(milliseconds=1)) if timing.recurring else None
    return claim(deps, job, now=now, trigger="schedule", attempt=1, scheduled_at=occurrence, next_occurrence=following)


def due_by(job: Job, now: datetime) -> bool:
    """Whether the tick must look at `job` by `now`."""
    return job.next_run_at is not None and job.next_run_at <= to_millis(now)


def claim_manual(deps: Deps, job: Job, now: datetime) -> RunRequest | None:
    """Claim an out-of-schedule run; a pending job keeps its next occurrence for afterwards."""
    keeps = job.next_occurrence_at if job.status == JobStatus.PENDING else None
    return claim(
        deps,
        job,
        now=now,
        trigger="manual",
        attempt=1,
        scheduled_at=now,
        next_occurrence=from_millis_or_none(keeps),
    )
