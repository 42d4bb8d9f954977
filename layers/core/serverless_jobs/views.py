"""Stored items as the API shows them: ISO times, and `nextRunAt` as the user means it."""

from __future__ import annotations

from serverless_jobs.models import JobModel, RunModel
from serverless_jobs.schemas import JobStatus, JobView, RunView
from serverless_jobs.timefmt import from_millis, iso_z, iso_z_millis


def shown_next_run(job: JobModel) -> int | None:
    """While running, `nextRunAt` holds the lease; the user wants the next occurrence instead."""
    if job.status == JobStatus.RUNNING:
        return job.next_occurrence_at
    if job.status == JobStatus.PENDING:
        return job.next_run_at
    return None


def job_view(job: JobModel) -> JobView:
    return JobView(
        id=job.id,
        name=job.name,
        handler=job.handler,
        data=job.data,
        schedule=job.schedule,
        timezone=job.timezone,
        runAt=iso_z_millis(job.run_at),
        endAt=iso_z_millis(job.end_at),
        status=JobStatus(job.status),
        attempts=int(job.attempts),
        maxAttempts=int(job.max_attempts),
        retryBackoffSeconds=int(job.retry_backoff_seconds),
        timeoutSeconds=int(job.timeout_seconds),
        lastRunAt=iso_z_millis(job.last_run_at),
        nextRunAt=iso_z_millis(shown_next_run(job)),
        lastError=job.last_error,
        createdAt=iso_z(from_millis(job.created_at)),
        updatedAt=iso_z(from_millis(job.updated_at)),
    )


def run_view(run: RunModel) -> RunView:
    return RunView(
        id=run.id,
        jobId=run.job_id,
        status=run.status,
        attempt=int(run.attempt),
        trigger=run.trigger,
        scheduledAt=iso_z_millis(run.scheduled_at),
        startedAt=iso_z(from_millis(run.started_at)),
        completedAt=iso_z_millis(run.completed_at),
        duration=None if run.duration is None else int(run.duration),
        result=run.result,
        resultTruncated=bool(run.result_truncated),
        error=run.error,
    )
