"""The jobs service: every API operation on jobs, over the stores and the run protocol.

Each change is a read-modify-write conditioned on the version read, retried when another writer (the tick,
an executor, another request) got in between, so no request overwrites a change it did not see.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from serverless_jobs.domain import lifecycle
from serverless_jobs.domain.errors import Conflict, InvalidInput, NotFound
from serverless_jobs.domain.flow import check_flow
from serverless_jobs.domain.job import TERMINAL_STATUSES, Job, JobStatus, Overlap, Run, RunRequest, Trigger
from serverless_jobs.domain.notify import Notify
from serverless_jobs.domain.rate import RateLimit
from serverless_jobs.domain.schedules.expressions import parse_schedule, parse_zone
from serverless_jobs.domain.schedules.timing import Timing, first_occurrence
from serverless_jobs.domain.targets import Target, check_reachable
from serverless_jobs.domain.timefmt import from_millis, iso_z, to_millis
from serverless_jobs.ports import Dispatcher, Page
from serverless_jobs.usecases.claim import (
    Claimed,
    Refused,
    Waiting,
    claim_due,
    claim_manual,
    claimed_at_create,
    wait_for_slot,
)
from serverless_jobs.usecases.conflicts import ConcurrentChange, retry_on_conflict
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.listing import Cursor, Fits, JobQuery, list_jobs, list_runs
from serverless_jobs.usecases.recover import fail_refused_runs, follow_if_closed
from serverless_jobs.usecases.wake import wake_if_due_soon, wake_if_soon

logger = Logger(child=True)


# Ids this API issues are uuid4 hex; anything outside this shape (a `/`, unicode, 10,000 characters) is no
# job, and is not sent to DynamoDB, whose keys must be valid UTF-8 of at most 2,048 bytes.
_ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,128}")
# Changing any of these re-times a job: its next occurrence is computed again.
_TIMING_FIELDS = frozenset({"schedule", "run_at", "end_at", "timezone", "jitter_seconds"})


@dataclass(frozen=True)
class JobSpec:
    """What a new job is made of, as the caller asked for it: Job attributes, in the Job's units."""

    name: str
    handler: str | None  # a registered handler, or None for a job with a target
    max_attempts: int
    retry_backoff_seconds: int
    timeout_seconds: int
    data: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    schedule: str | None = None
    timezone: str = "UTC"
    run_at: int | None = None
    end_at: int | None = None
    target: Target | None = None
    notify: Notify | None = None
    jitter_seconds: int = 0
    max_runs: int | None = None
    catchup_window_seconds: int | None = None
    overlap: Overlap = "buffer"
    concurrency_key: str | None = None
    concurrency_limit: int | None = None
    rate_limit: RateLimit | None = None
    key: str | None = None


@dataclass(frozen=True)
class Transitioned:
    """A job after a pause, resume or cancel, and whether the request changed it (a repeat does not)."""

    job: Job
    changed: bool


def preview(
    schedule: str, timezone: str, run_at: datetime | None, end_at: datetime | None, count: int, now: datetime
) -> list[datetime]:
    """The next `count` occurrences a job with these fields would run at, from `now`."""
    timing = Timing(parse_schedule(schedule), parse_zone(timezone), run_at, end_at, created_at=now)
    return timing.upcoming(first_occurrence(timing, now), count)


class JobService:
    def __init__(self, deps: Deps, dispatcher: Dispatcher) -> None:
        self.deps = deps
        self.dispatcher = dispatcher

    # -- reads ---------------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        job = self.deps.jobs.get(job_id) if _ID_SHAPE.fullmatch(job_id) else None
        if job is None:
            raise NotFound(job_id)
        return job

    def list_jobs(self, query: JobQuery, limit: int, start: Cursor | None, fits: Fits[Job]) -> Page[Job]:
        """A page of the jobs `query` selects, newest first (usecases/listing.py)."""
        return list_jobs(self.deps.jobs, query, limit, start, fits)

    def by_key(self, key: str, query: JobQuery) -> Page[Job]:
        """The job holding `key` as a page of one, or none (no such key, or a job `query` leaves out)."""
        job = self.deps.jobs.keyed(key)
        return Page([job] if job is not None and query.shows(job) else [], None)

    def history(self, job_id: str, limit: int, start: Cursor | None, fits: Fits[Run]) -> Page[Run]:
        """A page of the job's runs, newest first; NotFound when there is no such job."""
        self.get(job_id)
        return list_runs(self.deps.history, job_id, limit, start, fits)

    # -- writes --------------------------------------------------------------------------------------

    def create(self, spec: JobSpec, job_id: str | None = None) -> Job:
        """A new job; with `job_id` (derived from the request), a repeat of a create that stored it
        already (its answer lost to a timeout) returns that job instead of making a second one."""
        job = self.validate(spec, job_id or uuid.uuid4().hex)
        now = self.deps.clock.now()  # after the job's own: an immediate job is due by then
        started = claimed_at_create(self.deps, job, now)
        if started is not None:
            return self._insert_started(*started)
        if not self.deps.jobs.insert(job):
            return self.get(job.id)  # stored by the earlier attempt; the tick starts it if it is due
        if from_millis(job.next_run_at or 0) <= now:
            return self._start_soon(job)
        wake_if_due_soon(self.deps, job)
        return job

    def _insert_started(self, running: Job, run: RunRequest) -> Job:
        """Store a new job already claimed (`claimed_at_create`) and dispatch its run; an earlier attempt of
        the same create stored it already: that job as it is now. Once stored, the run is the request's
        answer whatever happens to its dispatch: a run that never starts is recovered when its lease ends."""
        if not self.deps.jobs.insert(running) or self._dispatch(run, self.deps.clock.now()):
            return self.get(running.id)  # stored by an earlier attempt, or its run refused and failed: as it is
        return running

    def validate(self, spec: JobSpec, job_id: str = "") -> Job:
        """The job `spec` makes, checked by every rule a create applies (InvalidInput naming the field),
        armed for its first run, and not stored: what a create would store now."""
        self._check_reachable(spec.target)
        self._check_notify(spec.notify)
        now = self.deps.clock.now()
        given = {spec_field.name: getattr(spec, spec_field.name) for spec_field in fields(spec)}
        created = to_millis(now)
        job = Job(id=job_id, status=JobStatus.PENDING, created_at=created, updated_at=created, **given)
        check_flow(job)
        # From the instant stored as its creation (cut to the millisecond), not the clock's finer `now`: an
        # occurrence at creation (a `rate()` without `runAt`) is then the job's first, as the preview shows.
        first = first_occurrence(job.timing(), from_millis(created))
        lifecycle.arm(job, first, self.deps.settings.due_shards)
        return job

    def update(self, job_id: str, changes: Mapping[str, Any]) -> Job:
        """Change fields (Job attribute names, stored units); changing the timing re-times a pending job."""
        self._check_reachable(changes.get("target"))
        self._check_notify(changes.get("notify"))

        def apply() -> Job:
            before = self.get(job_id)
            now = self.deps.clock.now()
            job = replace(before, **changes, updated_at=to_millis(now))
            if job.run_at is not None and job.end_at is not None and job.end_at < job.run_at:
                raise InvalidInput("endAt", "is before runAt; no run could start")
            check_flow(job)
            retimed = bool(changes.keys() & _TIMING_FIELDS) and job.status not in TERMINAL_STATUSES
            first = first_occurrence(job.timing(), now) if retimed else None
            if first is not None and job.status == JobStatus.PENDING:
                job.attempts = 0
                lifecycle.arm(job, first, self.deps.settings.due_shards)
            elif first is not None and job.status == JobStatus.RUNNING:
                job.next_occurrence_at = to_millis(first) if job.timing().recurring else None
            self._write(before, job)
            due = job.status == JobStatus.PENDING and from_millis(job.next_run_at or 0) <= now
            if first is not None and due:
                return self._start_soon(job)
            if first is not None or (job.status == JobStatus.PENDING and not due):  # wake.alarmed_by_write
                wake_if_due_soon(self.deps, job)
            return job

        return retry_on_conflict(apply)

    def delete(self, job_id: str, has_time: Callable[[], bool]) -> None:
        """Delete the job and as much of its history as `has_time()` allows; the rest expires by TTL."""

        def apply() -> None:
            job = self.get(job_id)
            if not self.deps.jobs.delete(job):
                raise ConcurrentChange(job_id)
            self.deps.history.delete_all(job_id, has_time)

        retry_on_conflict(apply)

    def trigger(self, job_id: str) -> str:
        """Run the job now, out of schedule; its schedule stays as it was."""
        job = self.get(job_id)
        lifecycle.check_triggerable(job)
        run = self._start_now(job, "manual")
        if isinstance(run, Waiting):
            raise Conflict(
                f"job '{job_id}' cannot be triggered now: its rateLimit key '{run.key}' has no start left; "
                f"the next one frees at {iso_z(run.until)}"
            )
        if isinstance(run, Refused):
            raise Conflict(_not_triggered(job, run))
        return run.runId

    def pause(self, job_id: str) -> Job:
        return self.pausing(job_id).job

    def resume(self, job_id: str) -> Job:
        return self.resuming(job_id).job

    def cancel(self, job_id: str) -> Job:
        return self.cancelling(job_id).job

    def pausing(self, job_id: str) -> Transitioned:
        return self._transition(job_id, {JobStatus.PAUSED}, lambda job, now: lifecycle.pause(job))

    def cancelling(self, job_id: str) -> Transitioned:
        return self._transition(job_id, {JobStatus.CANCELLED}, lambda job, now: lifecycle.cancel(job))

    def resuming(self, job_id: str) -> Transitioned:
        shards = self.deps.settings.due_shards
        unchanged = {JobStatus.PENDING, JobStatus.RUNNING}
        took_back = False

        def rule(paused: Job, now: datetime) -> None:
            nonlocal took_back
            took_back = lifecycle.resume(paused, now, shards)

        resumed = self._transition(job_id, unchanged, rule)
        job = resumed.job
        if took_back:
            return replace(resumed, job=self._follow_ended_run(job))
        overdue = job.status == JobStatus.PENDING and job.next_run_at is not None
        if overdue and from_millis(job.next_run_at or 0) <= self.deps.clock.now():
            return replace(resumed, job=self._start_soon(job))
        wake_if_due_soon(self.deps, job)
        return resumed

    # -- steps ---------------------------------------------------------------------------------------

    def _check_reachable(self, target: Target | None, where: str = "target") -> None:
        """Refuse a target this stack's executor may not reach (its role, its network rules), naming the
        parameter to change, before anything is written."""
        if target is not None:
            settings = self.deps.settings
            check_reachable(
                target,
                settings.target_arn_patterns,
                local=settings.local_stack,
                webhook_secret=settings.webhook_secret_parameter,
                where=where,
                own=settings.own_resources,
            )

    def _check_notify(self, notify: Notify | None) -> None:
        """The same refusal for a job's notification targets: the executor sends them too."""
        if notify is not None:
            self._check_reachable(notify.on_failure, "notify.onFailure")
            self._check_reachable(notify.on_success, "notify.onSuccess")

    def _write(self, before: Job, after: Job) -> None:
        if not self.deps.jobs.update(before, after):
            raise ConcurrentChange(before.id)

    def _start_now(self, job: Job, trigger: Trigger) -> Claimed:
        """Claim a run of `job` at once and dispatch it (immediate work never waits for the tick).

        Waiting when its rate limit has no start left, Refused with the reason otherwise. Once claimed, the run
        is the request's answer whatever happens to its dispatch: a run that never starts is recovered when
        its lease expires.
        """
        now = self.deps.clock.now()
        if trigger == "manual":  # an explicit run out of schedule: it takes a free slot at once
            run = claim_manual(self.deps, job, now)
        else:
            run = claim_due(self.deps, job, now, after_waiters=True)
        if isinstance(run, RunRequest):
            self._dispatch(run, now)
        return run

    def _dispatch(self, run: RunRequest, now: datetime) -> bool:
        """Hand a claimed run to the executor; one Lambda refuses fails its attempt at once. Whether it was
        refused."""
        try:
            refused = self.dispatcher.dispatch([run])
            fail_refused_runs(self.deps, refused, now)
        except Exception:
            logger.exception("a refused run could not be failed; its lease covers it", extra=run.log_keys())
            return False
        return bool(refused)

    def _start_soon(self, job: Job) -> Job:
        """Start a stored job that is due now, and show it as stored then.

        The job is already stored whole and due, so if starting it fails (AWS failing meanwhile) the request
        still succeeded: the tick, woken for it, starts the job.
        """
        try:
            run = self._start_now(job, "schedule")
            if isinstance(run, Waiting):  # stays due: the tick claims it when its rate limit frees a start
                wake_if_soon(self.deps, run.until)
            elif isinstance(run, Refused) and wait_for_slot(self.deps, job, self.deps.clock.now()):
                wake_if_soon(self.deps, self.deps.clock.now())  # others wait for a free slot: a pass, in order
            return self.get(job.id)
        except Exception:
            logger.exception("a due job could not be started at once; the tick starts it", extra={"jobId": job.id})
            wake_if_due_soon(self.deps, job)
            return job

    def _follow_ended_run(self, job: Job) -> Job:
        """A job that took back the run its pause detached, moved on at once if that run has ended.

        Its executor's finish was refused while the job was paused; otherwise the job would wait for the
        lease. The resume is stored already, so a failure here is logged and left to the lease (the tick).
        """
        try:
            if follow_if_closed(self.deps, job, self.deps.clock.now()):
                return self.get(job.id)
        except Exception:
            logger.exception("a resumed job's ended run could not be followed; the tick does", extra={"jobId": job.id})
        return job

    def _transition(self, job_id: str, already: set[JobStatus], rule: Callable[[Job, datetime], None]) -> Transitioned:
        def apply() -> Transitioned:
            before = self.get(job_id)
            if before.status in already:
                return Transitioned(before, changed=False)  # repeating a transition is harmless, changes nothing
            now = self.deps.clock.now()
            job = replace(before, updated_at=to_millis(now))
            rule(job, now)
            self._write(before, job)
            return Transitioned(job, changed=True)

        return retry_on_conflict(apply)


def _not_triggered(job: Job, reason: Refused) -> str:
    """The 409's message for a trigger whose claim was refused, saying which reason it was."""
    key, limit = job.concurrency_key, job.concurrency_limit
    why = {
        Refused.SLOT_FULL: f"its concurrencyKey has no free slot (all {limit} of key '{key}' are held); "
        "trigger it again once a run of the key ends",
        Refused.SLOT_QUEUED: f"its concurrencyKey has no free slot for it: a job of key '{key}' due first "
        "waits for one",
        Refused.LOST_RACE: "it changed while the trigger claimed it (it started running, or another request "
        "changed it); read it and trigger it again if it is still pending",
        Refused.NOT_DUE: "it has no occurrence to run",
    }
    return f"job '{job.id}' cannot be triggered now: {why[reason]}"
