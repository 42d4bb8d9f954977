"""A job's state transitions, each a change to a `Job` in memory; the use cases write the result.

`set_due` is the one writer of the sparse `due` index's fields (`next_run_at`, `due_shard`): a job the tick
must serve carries both, and every other job carries neither, so the tick never reads an idle job (it was
`look_at`; "look" is now only the tick's look-ahead, a read). `moved_on` (was `finished`) is a job moved on
past its ended run; "finish" is the write of it (usecases.close_run).
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import datetime

from serverless_jobs.domain.errors import Conflict
from serverless_jobs.domain.flow import start_at
from serverless_jobs.domain.job import TERMINAL_STATUSES, Job, JobStatus, Trigger
from serverless_jobs.domain.outcome import NextState
from serverless_jobs.domain.timefmt import from_millis, to_millis, to_millis_or_none

# The most `due` shards a deployment can have: template.yaml's DueShards MaxValue. Shards from the live count
# up to this may still hold jobs written before DueShards was lowered (the tick sweeps them).
MAX_DUE_SHARDS = 64


def shard_for(job_id: str, shards: int) -> str:
    """A stable shard of the `due` index, so due jobs spread over several GSI partitions."""
    return str(zlib.crc32(job_id.encode()) % shards)


def set_due(job: Job, at: int | None, shards: int) -> None:
    """Put `job` on the `due` index at `at` (epoch ms), for the tick to serve then; off it while `at` is None."""
    job.next_run_at = at
    job.due_shard = None if at is None else shard_for(job.id, shards)


def arm(job: Job, first: datetime, shards: int) -> None:
    """Make `job` pending at its occurrence `first`, visible to the tick at that occurrence's start."""
    job.status = JobStatus.PENDING
    job.next_occurrence_at = to_millis(first)
    job.run_id = None
    job.run_started_at = None
    job.lease_until = None
    set_due(job, to_millis(start_at(job, first)), shards)


def holds_detached_run(job: Job) -> bool:
    """A paused or cancelled job still holding the run its pause or cancel detached (until its lease ends)."""
    return job.status in (JobStatus.PAUSED, JobStatus.CANCELLED) and job.run_id is not None


def lease_ahead(job: Job, now_millis: int) -> bool:
    """Whether the run `job` holds is still within its lease by `leaseUntil`: not lost yet, whatever its
    `due` key says (the claim leaves that key at the occurrence; decision "The claim is the start").

    A `leaseUntil` not after the run's claim (`last_run_at`) is an earlier run's, left by a release that
    does not know the attribute (0.3.0 claimed and finished around it): then the `due` key is the lease.
    """
    lease, claimed_at = job.lease_until, job.last_run_at
    if job.run_id is None or lease is None or (claimed_at is not None and lease <= claimed_at):
        return False
    return lease > now_millis


def disarm(job: Job, status: JobStatus) -> None:
    """Leave the schedule and detach any running run: no longer `running`, its finish changes nothing.

    A claimed run is held (its id, claim time and lease stay, and the job stays on the `due` index) so that
    the tick can close its history entry if its executor never does (decision "A detached run is held until
    its lease ends"). Its executor begins only a `running` job's run: one that finds its run detached
    before it began lets go of it (usecases.execute.begin), as the pause itself did while the executor
    marked the start on the job (decision "The claim is the start").
    """
    job.status = status
    job.next_occurrence_at = None
    if job.run_id is not None:
        return
    release(job)


def release(job: Job) -> None:
    """Let go of the run a pause or cancel detached, and leave the tick's sight."""
    job.run_id = None
    job.run_started_at = None
    job.lease_until = None
    set_due(job, None, 0)


def pause(job: Job) -> None:
    if job.status in TERMINAL_STATUSES:
        raise Conflict(f"job '{job.id}' is {job.status}; only pending or running jobs can be paused")
    disarm(job, JobStatus.PAUSED)


def resume(job: Job, now: datetime, shards: int) -> bool:
    """Schedule again from now: occurrences missed while paused are skipped, not replayed.

    A job still holding the run its pause detached takes that run back (True) instead of starting another
    beside it (one run of a job at a time): it is `running` again under the run's own lease, and the run's
    outcome moves it on; its next occurrence is the first from now after the run's own (resumed within the
    instant that occurrence fell due, the run is still that occurrence's: the finish must not run it again).
    """
    if job.status != JobStatus.PAUSED:
        raise Conflict(f"job '{job.id}' is {job.status}; only paused jobs can be resumed")
    timing = job.timing()
    if holds_detached_run(job):
        job.status = JobStatus.RUNNING
        after_own = now if job.scheduled_at is None else max(now, from_millis(job.scheduled_at + 1))
        job.next_occurrence_at = to_millis_or_none(timing.next_at_or_after(after_own) if timing.recurring else None)
        return True
    first = timing.next_at_or_after(now)
    job.attempts = 0
    if first is None:
        disarm(job, JobStatus.COMPLETED)
    else:
        arm(job, first, shards)
    return False


def cancel(job: Job) -> None:
    if job.status in TERMINAL_STATUSES:
        raise Conflict(f"job '{job.id}' is {job.status}; it has already ended")
    disarm(job, JobStatus.CANCELLED)


def check_triggerable(job: Job) -> None:
    """A pending, completed or failed job may run now; a running, paused or cancelled one may not."""
    if job.status in (JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.CANCELLED):
        raise Conflict(f"job '{job.id}' is {job.status}; it cannot be triggered now")


def claimed(
    job: Job,
    *,
    run_id: str,
    now: datetime,
    trigger: Trigger,
    attempt: int,
    scheduled_at: datetime | None,
    next_occurrence: datetime | None,
    lease_expiry: datetime,
    shards: int,
) -> Job:
    """`job` running `run_id` until `lease_expiry` (`lease_until`): the tick passes over it until then.

    The `due` key stays where it is, at the occurrence's start, due by now: moving it cost two index writes
    a run (decision "The claim is the start"). A job off the index (a manual run of an ended job), or due
    only after the lease (a manual run of a pending job), is put at the lease's end, so the tick finds the
    run by then if it is lost.
    """
    running = replace(job)
    running.status = JobStatus.RUNNING
    running.run_id = run_id
    # The claim is the start: 0.4.0's executor, after a rollback, then refuses to start the run again.
    running.run_started_at = to_millis(now)
    running.attempt = attempt
    running.attempts = attempt
    running.trigger = trigger
    running.scheduled_at = to_millis_or_none(scheduled_at)
    running.next_occurrence_at = to_millis_or_none(next_occurrence)
    running.last_run_at = to_millis(now)
    running.updated_at = to_millis(now)
    running.lease_until = to_millis(lease_expiry)
    if running.next_run_at is None or running.next_run_at > running.lease_until:
        set_due(running, running.lease_until, shards)
    return running


def moved_on(job: Job, state: NextState, now: datetime, shards: int) -> Job:
    """`job` moved on past its current run, which ended in `state`; the run is detached."""
    moved = replace(job)
    moved.status = state.status
    moved.next_occurrence_at = to_millis_or_none(state.next_occurrence_at)
    moved.attempts = state.attempts
    moved.last_error = state.last_error
    moved.successful_runs = state.successful_runs
    moved.run_id = None
    moved.run_started_at = None
    moved.lease_until = None
    moved.updated_at = to_millis(now)
    set_due(moved, to_millis_or_none(state.next_run_at) if state.status == JobStatus.PENDING else None, shards)
    return moved
