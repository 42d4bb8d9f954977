"""The run protocol's first step, shared by the API (trigger, immediate work) and the tick: the claim.

A claim is one conditional UpdateItem: it succeeds only if the job still has the status and `nextRunAt` it
was seen with, so of any number of concurrent claimers exactly one wins and only the winner dispatches.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from serverless_jobs import store
from serverless_jobs.config import settings
from serverless_jobs.dispatch import RunRequest, Trigger
from serverless_jobs.models import JobModel
from serverless_jobs.schemas import JobStatus
from serverless_jobs.timefmt import from_millis, from_millis_or_none, iso_z, to_millis, to_millis_or_none


def lease_expiry(job: JobModel, now: datetime) -> datetime:
    """When a run that has not finished counts as lost: its timeout plus a margin for start-up and writes."""
    return now + timedelta(seconds=job.timeout_seconds + settings.lease_margin_seconds)


def set_or_remove(attribute: Any, value: Any) -> Any:
    """An update action that stores `value`, or removes the attribute when it is None."""
    return attribute.remove() if value is None else attribute.set(value)


def claim(
    job: JobModel,
    *,
    now: datetime,
    trigger: Trigger,
    attempt: int,
    scheduled_at: datetime | None,
    next_occurrence: datetime | None,
) -> RunRequest | None:
    """Mark `job` running under a new run id if nobody else has; the RunRequest to dispatch, or None."""
    run_id = uuid.uuid4().hex
    seen_next_run = (
        JobModel.next_run_at.does_not_exist() if job.next_run_at is None else JobModel.next_run_at == job.next_run_at
    )
    won = store.update_job(
        job,
        actions=[
            JobModel.status.set(JobStatus.RUNNING.value),
            JobModel.run_id.set(run_id),
            JobModel.run_started_at.remove(),
            JobModel.attempt.set(attempt),
            JobModel.attempts.set(attempt),
            JobModel.trigger.set(trigger),
            set_or_remove(JobModel.scheduled_at, to_millis_or_none(scheduled_at)),
            JobModel.next_run_at.set(to_millis(lease_expiry(job, now))),
            set_or_remove(JobModel.next_occurrence_at, to_millis_or_none(next_occurrence)),
            JobModel.due_shard.set(store.shard_for(job.id)),
            JobModel.last_run_at.set(to_millis(now)),
            JobModel.updated_at.set(to_millis(now)),
        ],
        condition=(JobModel.status == job.status) & seen_next_run,
    )
    if not won:
        return None
    return RunRequest(
        jobId=job.id,
        runId=run_id,
        attempt=attempt,
        scheduledAt=None if scheduled_at is None else iso_z(scheduled_at),
        trigger=trigger,
    )


def claim_due(job: JobModel, now: datetime) -> RunRequest | None:
    """Claim a due pending job: a retry of its current occurrence, or its next scheduled occurrence."""
    if job.attempts:  # attempts used on this occurrence: the job waits for a retry
        return claim(
            job,
            now=now,
            trigger="retry",
            attempt=int(job.attempts) + 1,
            scheduled_at=from_millis_or_none(job.scheduled_at),
            next_occurrence=from_millis_or_none(job.next_occurrence_at),
        )
    occurrence = from_millis(int(job.next_run_at or to_millis(now)))
    timing = job.timing()
    following = timing.next_at_or_after(max(occurrence, now) + timedelta(milliseconds=1)) if timing.recurring else None
    return claim(job, now=now, trigger="schedule", attempt=1, scheduled_at=occurrence, next_occurrence=following)


def claim_manual(job: JobModel, now: datetime) -> RunRequest | None:
    """Claim an out-of-schedule run; a pending job keeps its next occurrence for afterwards."""
    keeps = job.next_occurrence_at if job.status == JobStatus.PENDING else None
    return claim(
        job,
        now=now,
        trigger="manual",
        attempt=1,
        scheduled_at=now,
        next_occurrence=from_millis_or_none(keeps),
    )
