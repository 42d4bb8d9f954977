"""Flow control a job sets for itself (DESIGN §9 "Flow control"): when each occurrence really starts
(`jitterSeconds`), when one is found too late to run (`catchupWindowSeconds`), when the job has run
enough (`maxRuns`), and which fields come together (`concurrencyKey` with `concurrencyLimit`). The slot
counting itself needs storage: usecases.claim and the job store.

Plain rules over a Job; lifecycle and outcome apply them, so every path that arms an occurrence agrees.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.job import Job
from serverless_jobs.domain.timefmt import to_millis


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


def check_flow(job: Job) -> None:
    """Refuse flow-control fields that mean nothing for this job, naming the field (400)."""
    check_concurrency(job.concurrency_key, job.concurrency_limit)
    recurring = job.timing().recurring
    if job.jitter_seconds and not recurring:
        raise InvalidInput("jitterSeconds", "applies to recurring jobs only; this job has no recurring schedule")
    if job.catchup_window_seconds is not None and not recurring:
        raise InvalidInput("catchupWindowSeconds", "applies to recurring jobs only; this job has no recurring schedule")


def check_concurrency(key: str | None, limit: int | None) -> None:
    """A concurrency key comes with its limit, and a limit with its key (the job as created or updated)."""
    if key is not None and limit is None:
        raise InvalidInput("concurrencyLimit", "is required with concurrencyKey")
    if limit is not None and key is None:
        raise InvalidInput("concurrencyKey", "is required with concurrencyLimit")
