"""A running job built directly, for the unit tests of the rules that move a job on (domain.outcome, flow)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from serverless_jobs.domain.job import Job, JobStatus
from serverless_jobs.domain.timefmt import to_millis

CREATED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def running_job(schedule: str | None, attempt: int = 1, max_attempts: int = 1, **fields: Any) -> Job:
    """A job created at CREATED, running attempt `attempt` of `max_attempts`; `fields` set the rest."""
    return Job(
        **{
            "id": "j",
            "name": "n",
            "handler": "echo",
            "schedule": schedule,
            "status": JobStatus.RUNNING,
            "attempt": attempt,
            "attempts": attempt,
            "max_attempts": max_attempts,
            "retry_backoff_seconds": 10,
            "timeout_seconds": 60,
            "created_at": to_millis(CREATED),
            "updated_at": to_millis(CREATED),
            **fields,
        }
    )
