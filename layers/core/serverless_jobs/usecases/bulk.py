"""Bulk operations: one job operation applied to every job of a label's group, page by page, in bounded time.

Each job goes through the JobService operation a single request would use, so every guarantee of that
operation holds (conditional writes, retries on a concurrent change, idempotent transitions). A request
stops while it can still answer (its time, its answer's size, or `MAX_JOBS_PER_REQUEST`) and says where to
go on; the next request resumes right after the last job it acted on, so no job is acted on twice by one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from serverless_jobs.domain.errors import Conflict, NotFound
from serverless_jobs.domain.job import Job, JobStatus
from serverless_jobs.domain.labels import Label
from serverless_jobs.usecases.conflicts import ConcurrentChange
from serverless_jobs.usecases.jobs import JobService

# Jobs read from the group at a time: one Query and one BatchGetItem per page. Each job then takes two calls
# or more (its read and write), so a larger page saves little, and reads ahead what a request out of time
# would not act on.
PAGE_SIZE = 25
# Jobs acted on by one request at most, so an answer (its conflicts included) stays small.
MAX_JOBS_PER_REQUEST = 1_000


class BulkAction(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    TRIGGER = "trigger"
    DELETE = "delete"


@dataclass
class BulkOutcome:
    """What one request did; `resume_at` is where the next request goes on (None: the group is done)."""

    matched: int = 0
    changed: int = 0
    unchanged: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    resume_at: dict[str, Any] | None = None


def run_bulk(
    service: JobService,
    action: BulkAction,
    label: Label,
    status: JobStatus | None,
    start: dict[str, Any] | None,
    has_time: Callable[[], bool],
    room: Callable[[BulkOutcome], bool] = lambda outcome: True,
) -> BulkOutcome:
    """Apply `action` to the jobs carrying `label` (and in `status`), from `start`, while `has_time()` and
    the answer has `room` for one more job's conflict.

    The first job a request comes to is acted on whatever the time: each request goes past one job at
    least, so a chain of requests ends even when each has hardly any time.
    """
    jobs = service.deps.jobs
    outcome = BulkOutcome()
    cursor = start
    while True:
        page = jobs.labelled(label, PAGE_SIZE, cursor)
        for job in page.items:
            # Out of time, jobs or room: stop, unless this request has passed no job yet (it always makes
            # progress).
            full = outcome.matched >= MAX_JOBS_PER_REQUEST or not room(outcome)
            if cursor is not start and (full or not has_time()):
                outcome.resume_at = cursor
                return outcome
            if status is None or job.status == status:
                _act(service, action, job, has_time, outcome)
            cursor = jobs.after(label, job)
        if page.last_key is None:
            return outcome
        cursor = page.last_key
        if not has_time():
            outcome.resume_at = cursor
            return outcome


def _act(service: JobService, action: BulkAction, job: Job, has_time: Callable[[], bool], outcome: BulkOutcome) -> None:
    """One job's operation, counted: changed, unchanged (already so), or a conflict with its message."""
    outcome.matched += 1
    try:
        changed = _apply(service, action, job.id, has_time)
    except (Conflict, NotFound) as refusal:
        outcome.conflicts.append((job.id, str(refusal)))
        return
    except ConcurrentChange:
        outcome.conflicts.append((job.id, f"job '{job.id}' kept changing while this request ran; send it again"))
        return
    if changed:
        outcome.changed += 1
    else:
        outcome.unchanged += 1


def _apply(service: JobService, action: BulkAction, job_id: str, has_time: Callable[[], bool]) -> bool:
    """Whether the operation changed the job (a transition already made changes nothing)."""
    if action == BulkAction.PAUSE:
        return service.pausing(job_id).changed
    if action == BulkAction.RESUME:
        return service.resuming(job_id).changed
    if action == BulkAction.CANCEL:
        return service.cancelling(job_id).changed
    if action == BulkAction.TRIGGER:
        service.trigger(job_id)
        return True
    try:
        service.delete(job_id, has_time)
    except NotFound:
        return False  # deleted meanwhile: what a repeat asks for is already so
    return True
