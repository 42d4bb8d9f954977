"""The jobs service: every API operation on jobs, as plain methods over the store and the run protocol.

Each change is a read-modify-write conditioned on the version read, retried when another writer (the tick,
an executor, another request) got in between, so no request overwrites a change it did not see.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from serverless_jobs import store
from serverless_jobs.clock import Clock
from serverless_jobs.dispatch import Dispatcher, RunRequest, Trigger
from serverless_jobs.errors import Conflict, InvalidInput, NotFound
from serverless_jobs.models import JobModel, RunModel
from serverless_jobs.pagination import decode_token, encode_token
from serverless_jobs.runs import claim_due, claim_manual
from serverless_jobs.schedules import Timing, parse_schedule, parse_zone
from serverless_jobs.schemas import TERMINAL_STATUSES, JobCreate, JobStatus, JobUpdate, SchedulePreview
from serverless_jobs.timefmt import from_millis, to_millis, to_millis_or_none
from serverless_jobs.unreported import fail_refused_runs

_WRITE_ATTEMPTS = 5
_MAX_ID_LENGTH = 128
_TIMING_FIELDS = frozenset({"schedule", "runAt", "endAt", "timezone"})


def first_occurrence(timing: Timing, now: datetime) -> datetime:
    """The first run not before `now`; a window that has closed is refused, never stored to linger."""
    if timing.end_at is not None and timing.end_at <= now:
        raise InvalidInput("endAt", "is in the past; no run could start")
    first = timing.next_at_or_after(now)
    if first is None and timing.end_at is None:
        raise InvalidInput("schedule", "has no occurrence at all: no date matches it")
    if first is None:
        raise InvalidInput("schedule", "has no occurrence before endAt")
    return first


class JobService:
    def __init__(self, clock: Clock, dispatcher: Dispatcher) -> None:
        self.clock = clock
        self.dispatcher = dispatcher

    # -- reads ---------------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobModel:
        job = store.get_job(job_id) if 0 < len(job_id) <= _MAX_ID_LENGTH else None
        if job is None:
            raise NotFound(job_id)
        return job

    def list_jobs(self, status: JobStatus | None, limit: int, token: str | None) -> tuple[list[JobModel], str | None]:
        query = f"jobs:{status or ''}"
        page = store.list_jobs(status and status.value, limit, decode_token(token, query))
        return page.items, encode_token(page.last_key, query)

    def history(self, job_id: str, limit: int, token: str | None) -> tuple[list[RunModel], str | None]:
        query = f"history:{job_id}"
        start = decode_token(token, query)
        self.get(job_id)
        page = store.list_runs(job_id, limit, start)
        return page.items, encode_token(page.last_key, query)

    def preview(self, request: SchedulePreview) -> list[datetime]:
        """The next `count` occurrences a job with these fields would run at, from now."""
        now = self.clock.now()
        timing = Timing(
            schedule=parse_schedule(request.schedule),
            zone=parse_zone(request.timezone),
            run_at=request.runAt,
            end_at=request.endAt,
            created_at=now,
        )
        first = first_occurrence(timing, now)
        return timing.upcoming(first, request.count)

    # -- writes --------------------------------------------------------------------------------------

    def create(self, request: JobCreate) -> JobModel:
        now = self.clock.now()
        millis = to_millis(now)
        job = JobModel(
            id=uuid.uuid4().hex,
            name=request.name,
            handler=request.handler,
            data=request.data,
            schedule=request.schedule,
            timezone=request.timezone,
            run_at=to_millis_or_none(request.runAt),
            end_at=to_millis_or_none(request.endAt),
            status=JobStatus.PENDING.value,
            attempts=0,
            max_attempts=request.maxAttempts,
            retry_backoff_seconds=request.retryBackoffSeconds,
            timeout_seconds=request.timeoutSeconds,
            created_at=millis,
            updated_at=millis,
        )
        first = first_occurrence(job.timing(), now)
        self._arm(job, first)
        store.insert_job(job)
        if first <= now:
            self._start_now(job, "schedule")
        return job

    def update(self, job_id: str, changes: JobUpdate) -> JobModel:
        def apply() -> JobModel:
            job = self.get(job_id)
            now = self.clock.now()
            fields = changes.model_fields_set
            for field in fields:
                value = getattr(changes, field)
                if isinstance(value, datetime):
                    value = to_millis(value)
                setattr(job, _ATTRIBUTE_OF[field], value)
            if job.run_at is not None and job.end_at is not None and job.end_at < job.run_at:
                raise InvalidInput("endAt", "is before runAt; no run could start")
            retimed = bool(fields & _TIMING_FIELDS)
            first = first_occurrence(job.timing(), now) if retimed and job.status not in TERMINAL_STATUSES else None
            if first is not None and job.status == JobStatus.PENDING:
                job.attempts = 0
                self._arm(job, first)
            elif first is not None and job.status == JobStatus.RUNNING:
                job.next_occurrence_at = to_millis(first) if job.timing().recurring else None
            job.updated_at = to_millis(now)
            store.save_job(job)
            if first is not None and job.status == JobStatus.PENDING and first <= now:
                self._start_now(job, "schedule")
            return job

        return store.retry_on_conflict(_WRITE_ATTEMPTS, apply)

    def delete(self, job_id: str, has_time: Callable[[], bool]) -> None:
        """Delete the job and as much of its history as `has_time()` allows; the rest expires by TTL."""
        store.retry_on_conflict(_WRITE_ATTEMPTS, lambda: store.delete_job(self.get(job_id), has_time))

    def trigger(self, job_id: str) -> str:
        """Run the job now, out of schedule; its schedule stays as it was."""
        job = self.get(job_id)
        if job.status in (JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.CANCELLED):
            raise Conflict(f"job '{job_id}' is {job.status}; it cannot be triggered now")
        run = self._start_now(job, "manual")
        if run is None:
            raise Conflict(f"job '{job_id}' started running meanwhile; it cannot be triggered now")
        return run.runId

    def pause(self, job_id: str) -> JobModel:
        return self._transition(job_id, {JobStatus.PAUSED}, self._pause)

    def resume(self, job_id: str) -> JobModel:
        job = self._transition(job_id, {JobStatus.PENDING, JobStatus.RUNNING}, self._resume)
        overdue = job.status == JobStatus.PENDING and job.next_run_at is not None
        if overdue and from_millis(job.next_run_at) <= self.clock.now():
            self._start_now(job, "schedule")
        return job

    def cancel(self, job_id: str) -> JobModel:
        return self._transition(job_id, {JobStatus.CANCELLED}, self._cancel)

    # -- rules ---------------------------------------------------------------------------------------

    @staticmethod
    def _arm(job: JobModel, first: datetime) -> None:
        """Make `job` pending at `first` and visible to the tick through the sparse `due` index."""
        job.status = JobStatus.PENDING.value
        job.next_run_at = to_millis(first)
        job.next_occurrence_at = to_millis(first)
        job.due_shard = store.shard_for(job.id)
        job.run_id = None
        job.run_started_at = None

    @staticmethod
    def _disarm(job: JobModel, status: JobStatus) -> None:
        """Leave the `due` index and detach any running run, whose finish then changes nothing."""
        job.status = status.value
        job.next_run_at = None
        job.next_occurrence_at = None
        job.due_shard = None
        job.run_id = None
        job.run_started_at = None

    def _start_now(self, job: JobModel, trigger: Trigger) -> RunRequest | None:
        """Claim a run of `job` at once and dispatch it (immediate work never waits for the tick).

        None when another claimer won; `job` is reloaded either way, so the caller shows what is stored.
        """
        now = self.clock.now()
        run = claim_manual(job, now) if trigger == "manual" else claim_due(job, now)
        if run is not None:
            fail_refused_runs(self.dispatcher.dispatch([run]), now)
        job.refresh(consistent_read=True)
        return run

    def _transition(self, job_id: str, already: set[JobStatus], rule: Callable[[JobModel, datetime], None]) -> JobModel:
        def apply() -> JobModel:
            job = self.get(job_id)
            if job.status in already:
                return job  # repeating a transition is harmless and changes nothing
            now = self.clock.now()
            rule(job, now)
            job.updated_at = to_millis(now)
            store.save_job(job)
            return job

        return store.retry_on_conflict(_WRITE_ATTEMPTS, apply)

    def _pause(self, job: JobModel, now: datetime) -> None:
        if job.status in TERMINAL_STATUSES:
            raise Conflict(f"job '{job.id}' is {job.status}; only pending or running jobs can be paused")
        self._disarm(job, JobStatus.PAUSED)

    def _resume(self, job: JobModel, now: datetime) -> None:
        if job.status != JobStatus.PAUSED:
            raise Conflict(f"job '{job.id}' is {job.status}; only paused jobs can be resumed")
        first = job.timing().next_at_or_after(now)
        job.attempts = 0
        if first is None:
            self._disarm(job, JobStatus.COMPLETED)
        else:
            self._arm(job, first)

    def _cancel(self, job: JobModel, now: datetime) -> None:
        if job.status in TERMINAL_STATUSES:
            raise Conflict(f"job '{job.id}' is {job.status}; it has already ended")
        self._disarm(job, JobStatus.CANCELLED)


_ATTRIBUTE_OF = {
    "name": "name",
    "handler": "handler",
    "data": "data",
    "schedule": "schedule",
    "runAt": "run_at",
    "endAt": "end_at",
    "timezone": "timezone",
    "maxAttempts": "max_attempts",
    "retryBackoffSeconds": "retry_backoff_seconds",
    "timeoutSeconds": "timeout_seconds",
}
