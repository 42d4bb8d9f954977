"""The catch-up window (DESIGN §9 "Flow control"): an occurrence found too long after its start is not run;
it is recorded `skipped` in history and the job moves on to its next occurrence.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from serverless_jobs.domain import lifecycle
from serverless_jobs.domain.job import Job, Run
from serverless_jobs.domain.outcome import missed_state
from serverless_jobs.domain.timefmt import to_millis
from serverless_jobs.usecases.deps import Deps

logger = Logger(child=True)


def skip_missed(deps: Deps, job: Job, occurrence: datetime, due: datetime, now: datetime) -> Job | None:
    """Record `occurrence` (and the ones after it that are missed too) skipped and arm the job's first
    occurrence still inside the window, in one transaction conditioned on the job as read: the job as
    written (it may be due now), or None when another writer changed it first (nothing written)."""
    late = (now - due).total_seconds()
    entry = Run(
        job_id=job.id,
        id=uuid.uuid4().hex,
        status="skipped",
        attempt=0,
        trigger="schedule",
        # keyed by when the occurrence was due, so history lists it where it belongs, before a run claimed now
        claimed_at=to_millis(due),
        started_at=to_millis(now),
        completed_at=to_millis(now),
        duration=0,
        scheduled_at=to_millis(occurrence),
        expires_at=int((now + timedelta(days=deps.settings.history_retention_days)).timestamp()),
        error=f"Missed: found {late:.0f} s after its start, past catchupWindowSeconds ({job.catchup_window_seconds})",
    )
    moved = lifecycle.finished(job, missed_state(job, now), now, deps.settings.due_shards)
    if not deps.jobs.finish_run(job, moved, entry):
        return None
    logger.info("occurrence skipped: past the catch-up window", extra={"jobId": job.id, "lateSeconds": late})
    return moved
