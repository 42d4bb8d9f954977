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
from serverless_jobs.domain.notify import Notify
from serverless_jobs.domain.rate import RateLimit
from serverless_jobs.domain.targets import Target
from serverless_jobs.domain.timefmt import from_millis, from_millis_or_none, iso_z, iso_z_millis, to_millis
from serverless_jobs.http.answer_size import PageBody
from serverless_jobs.http.schemas import (
    BulkConflict,
    BulkResult,
    BulkSelector,
    JobCreate,
    JobUpdate,
    JobView,
    NotifySpec,
    RateLimitSpec,
    RunView,
)
from serverless_jobs.usecases.bulk import BulkAction, BulkOutcome
from serverless_jobs.usecases.jobs import JobSpec
from serverless_jobs.usecases.listing import JobQuery

# Room kept in a bulk answer for the next job's conflict: a conflict's message is a sentence naming a job
# and a key or two (a few hundred bytes), so this is many times more than one takes.
_CONFLICT_RESERVE = 16_384

# API field -> Job attribute, for the fields a request may change.
_ATTRIBUTE_OF = {
    "name": "name",
    "handler": "handler",
    "target": "target",
    "notify": "notify",
    "data": "data",
    "labels": "labels",
    "schedule": "schedule",
    "runAt": "run_at",
    "endAt": "end_at",
    "timezone": "timezone",
    "maxAttempts": "max_attempts",
    "retryBackoffSeconds": "retry_backoff_seconds",
    "timeoutSeconds": "timeout_seconds",
    "jitterSeconds": "jitter_seconds",
    "maxRuns": "max_runs",
    "catchupWindowSeconds": "catchup_window_seconds",
    "overlap": "overlap",
    "concurrencyKey": "concurrency_key",
    "concurrencyLimit": "concurrency_limit",
    "rateLimit": "rate_limit",
    "key": "key",
}


def job_spec(request: JobCreate) -> JobSpec:
    return JobSpec(
        name=request.name,
        handler=request.handler,
        target=None if request.target is None else Target.from_api(request.target.model_dump()),
        notify=_notify(request.notify),
        data=request.data,
        labels=request.labels,
        schedule=request.schedule,
        timezone=request.timezone,
        run_at=request.runAt,
        end_at=request.endAt,
        max_attempts=request.maxAttempts,
        retry_backoff_seconds=request.retryBackoffSeconds,
        timeout_seconds=request.timeoutSeconds,
        jitter_seconds=request.jitterSeconds,
        max_runs=request.maxRuns,
        catchup_window_seconds=request.catchupWindowSeconds,
        overlap=request.overlap,
        concurrency_key=request.concurrencyKey,
        concurrency_limit=request.concurrencyLimit,
        rate_limit=_rate_limit(request.rateLimit),
        key=request.key,
    )


def job_changes(request: JobUpdate) -> dict[str, Any]:
    """The fields the request sent, as Job attributes in stored units."""
    changes: dict[str, Any] = {}
    for field in request.model_fields_set:
        value = getattr(request, field)
        changes[_ATTRIBUTE_OF[field]] = value if field not in ("runAt", "endAt") or value is None else to_millis(value)
    # A job has a handler or a target: setting one drops the other.
    if request.target is not None:
        changes.update(target=Target.from_api(request.target.model_dump()), handler=None)
    elif request.handler is not None:
        changes["target"] = None
    if "notify" in request.model_fields_set:
        changes["notify"] = _notify(request.notify)
    if "rateLimit" in request.model_fields_set:
        changes["rate_limit"] = _rate_limit(request.rateLimit)
    return changes


def _notify(request: NotifySpec | None) -> Notify | None:
    return None if request is None else Notify.from_api(request.model_dump())


def _rate_limit(request: RateLimitSpec | None) -> RateLimit | None:
    return None if request is None else RateLimit.from_api(request.model_dump())


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
    return JobView(
        id=job.id,
        name=job.name,
        handler=job.handler,
        target=None if job.target is None else job.target.to_api(),  # type: ignore[arg-type]
        notify=None if job.notify is None else job.notify.to_api(),  # type: ignore[arg-type]
        data=job.data,
        labels=job.labels,
        schedule=job.schedule,
        timezone=job.timezone,
        runAt=iso_z_millis(job.run_at),
        endAt=iso_z_millis(job.end_at),
        status=job.status,
        attempts=job.attempts,
        maxAttempts=job.max_attempts,
        retryBackoffSeconds=job.retry_backoff_seconds,
        timeoutSeconds=job.timeout_seconds,
        jitterSeconds=job.jitter_seconds,
        maxRuns=job.max_runs,
        successfulRuns=job.successful_runs,
        catchupWindowSeconds=job.catchup_window_seconds,
        overlap=job.overlap,
        concurrencyKey=job.concurrency_key,
        concurrencyLimit=job.concurrency_limit,
        rateLimit=None if job.rate_limit is None else job.rate_limit.to_api(),  # type: ignore[arg-type]
        key=job.key,
        lastRunAt=iso_z_millis(job.last_run_at),
        nextRunAt=iso_z_millis(shown_next_run(job)),
        lastError=job.last_error,
        createdAt=iso_z(from_millis(job.created_at)),
        updatedAt=iso_z(from_millis(job.updated_at)),
    )


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
