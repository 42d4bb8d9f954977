"""The catch-up window (decision "The catch-up window"): an occurrence found too long after its start is not run;
it is recorded `skipped` in history and the job moves on to its next occurrence.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger

from serverless_jobs.domain import lifecycle
from serverless_jobs.domain.job import Job
from serverless_jobs.domain.outcome import missed_state
from serverless_jobs.domain.timefmt import to_millis
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.skipped import skipped_entry
from serverless_jobs.usecases.wake import wake_if_due_soon

logger = Logger(child=True)


def skip_missed(deps: Deps, job: Job, occurrence: datetime, due: datetime, now: datetime) -> Job | None:
    """Record `occurrence` (and the ones after it that are missed too) skipped and arm the job's first
    occurrence still inside the window, in one transaction conditioned on the job as read: the job as
    written (it may be due now), or None when another writer changed it first (nothing written). A first
    occurrence due later within the minute gets its alarm, as any write's (usecases.wake)."""
    late = (now - due).total_seconds()
    error = f"Missed: found {late:.0f} s after its start, past catchupWindowSeconds ({job.catchup_window_seconds})"
    entry = skipped_entry(job, occurrence, now, error, deps.settings)
    moved = lifecycle.moved_on(job, missed_state(job, now), now, deps.settings.due_shards)
    if not deps.jobs.finish_run(job, moved, entry):
        return None
    if moved.next_run_at is not None and moved.next_run_at > to_millis(now):  # not claimed at once: alarmed
        wake_if_due_soon(deps, moved)
    logger.info("occurrence skipped: past the catch-up window", extra={"jobId": job.id, "lateSeconds": late})
    return moved
