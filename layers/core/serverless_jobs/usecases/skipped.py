"""History entries for occurrences that flow control did not run (status `skipped`, DESIGN §5 Run): one
entry for a stretch of them, so a stopped runner or a long run does not write one per missed occurrence."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from serverless_jobs.domain.flow import MOST_COUNTED, Overlapped, start_at
from serverless_jobs.domain.job import Job, Run
from serverless_jobs.domain.timefmt import iso_z, to_millis
from serverless_jobs.settings import Settings


def skipped_entry(job: Job, occurrence: datetime, now: datetime, error: str, settings: Settings) -> Run:
    """A closed `skipped` entry for `occurrence` (the first of those not run), written at `now`."""
    return Run(
        job_id=job.id,
        id=uuid.uuid4().hex,
        status="skipped",
        attempt=0,
        trigger="schedule",
        # keyed by when the occurrence was due, so history lists it where it belongs, before a run claimed now
        claimed_at=to_millis(start_at(job, occurrence)),
        started_at=to_millis(now),
        completed_at=to_millis(now),
        duration=0,
        scheduled_at=to_millis(occurrence),
        expires_at=int((now + timedelta(days=settings.history_retention_days)).timestamp()),
        error=error,
    )


def overlap_entry(job: Job, during: Overlapped, now: datetime, settings: Settings) -> Run:
    """The entry of the occurrences that fell due while `job`'s run ran, with `overlap: skip`."""
    many = f"{during.count} or more" if (during.count or 0) >= MOST_COUNTED else str(during.count)
    which = iso_z(during.first) if during.count == 1 else f"{iso_z(during.first)} to {iso_z(during.last)}"
    error = f"Overlap: {many} occurrence(s) ({which}) fell due while run {job.run_id} ran; overlap is skip"
    return skipped_entry(job, during.first, now, error, settings)
