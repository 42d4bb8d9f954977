"""Between the API's shapes and the domain's: requests into use-case input, jobs and runs into replies.

Times go out as ISO 8601 UTC with milliseconds; a running job shows its next occurrence as `nextRunAt`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.flow import start_at
from serverless_jobs.domain.job import Job, JobStatus, Run
from serverless_jobs.domain.keys import KEY_RULE, is_key
from serverless_jobs.domain.labels import Label, parse_selector
from serverless_jobs.domain.timefmt import from_millis, from_millis_or_none, iso_z, iso_z_millis, to_millis
from serverless_jobs.http.answer_size import PageBody
from serverless_jobs.http.job_fields import JOB_FIELDS, WRITABLE
from serverless_jobs.http.schemas import (
    BulkConflict,
    BulkResult,
    BulkSelector,
    JobCreate,
    JobUpdate,
    JobView,
    RunView,
)
from serverless_jobs.usecases.bulk import BulkAction, BulkOutcome
from serverless_jobs.usecases.jobs import JobSpec
from serverless_jobs.usecases.listing import JobQuery

# Room kept in a bulk answer for the next job's conflict: a conflict's message is a sentence naming a job
# and a key or two (a few hundred bytes), so this is many times more than one takes.
_CONFLICT_RESERVE = 16_384


def job_spec(request: JobCreate) -> JobSpec:
    """A create request's fields as the job's attributes (http/job_fields.py)."""
    return JobSpec(**{field.attribute: field.inward(getattr(request, api)) for api, field in WRITABLE.items()})


def job_changes(request: JobUpdate) -> dict[str, Any]:
    """The fields the request sent, as Job attributes in stored units."""
    changes = {WRITABLE[api].attribute: WRITABLE[api].inward(getattr(request, api)) for api in request.model_fields_set}
    # A job has a handler or a target: setting one drops the other.
    if request.target is not None:
        changes["handler"] = None
    elif request.handler is not None:
        changes["target"] = None
    return changes


def shown_next_run(job: Job) -> int | None:
    """While running, `next_run_at` holds the lease; the user wants the next occurrence's start instead
    (jittered, as a pending job's `next_run_at` is)."""
    if job.status == JobStatus.RUNNING:
        following = from_millis_or_none(job.next_occurrence_at)
        return None if following is None else to_millis(start_at(job, following))
    if job.status == JobStatus.PENDING:
        return job.next_run_at
    return None


def job_view(job: Job) -> JobView:
    """The job as a reply shows it: every field of the table, and a running job's next occurrence."""
    shown = {field.api: field.outward(getattr(job, field.attribute)) for field in JOB_FIELDS}
    return JobView(**shown, nextRunAt=iso_z_millis(shown_next_run(job)))


def run_view(run: Run) -> RunView:
    return RunView(
        id=run.id,
        jobId=run.job_id,
        status=run.status,
        attempt=run.attempt,
        trigger=run.trigger,
        scheduledAt=iso_z_millis(run.scheduled_at),
        startedAt=iso_z(from_millis(run.started_at)),
        completedAt=iso_z_millis(run.completed_at),
        duration=run.duration,
        notification=run.notification,
        result=run.result,
        resultTruncated=run.result_truncated,
        error=run.error,
    )


def listing_query(status: JobStatus | None, label: str | None, name: str | None) -> tuple[JobQuery, str]:
    """A listing's query (its label parsed: InvalidInput names `label`) and the text its page tokens are
    bound to: every parameter, and the listing's version (a token of another ordering is another query's)."""
    query = JobQuery(status, None if label is None else parse_selector(label), name)
    labelled = None if query.label is None else query.label.text()
    return query, "jobs/2:" + json.dumps([status, labelled, name])


def history_query(job_id: str) -> str:
    """The text a job's history page tokens are bound to."""
    return f"history:{job_id}"


def job_key(text: str) -> str:
    """A `key` query's text, if it is a job key: InvalidInput naming `key` otherwise."""
    if not is_key(text):
        raise InvalidInput("key", f"is not a job key; keys are {KEY_RULE}")
    return text


def bulk_query(action: BulkAction, request: BulkSelector) -> tuple[Label, str]:
    """A bulk request's label and the query its continuation tokens are bound to (action and selector)."""
    label = parse_selector(request.label)
    return label, f"bulk:{action}:{request.status or ''}:{label.text()}"


def bulk_room() -> Callable[[BulkOutcome], bool]:
    """Whether a bulk answer has room for one more job's conflict, measured as its conflicts come."""
    conflicts: PageBody[tuple[str, str]] = PageBody(lambda conflict: BulkConflict(id=conflict[0], message=conflict[1]))
    measured = 0

    def room(outcome: BulkOutcome) -> bool:
        nonlocal measured
        for conflict in outcome.conflicts[measured:]:
            conflicts.fits(conflict)
        measured = len(outcome.conflicts)
        return not conflicts.full(_CONFLICT_RESERVE)

    return room


def bulk_result(outcome: BulkOutcome, next_token: str | None) -> BulkResult:
    return BulkResult(
        matched=outcome.matched,
        changed=outcome.changed,
        unchanged=outcome.unchanged,
        conflicts=[BulkConflict(id=job_id, message=message) for job_id, message in outcome.conflicts],
        nextToken=next_token,
    )
