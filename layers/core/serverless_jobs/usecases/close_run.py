"""The one protocol that closes a run, shared by the executor (a run that ended), the tick (a run lost or
refused, usecases.recover) and the API (a resumed job whose run ended while it was paused).

A run is closed in two steps, in this order, each its own write: its history entry is closed (written as it
ended, once, by whoever comes first), then its job is moved on as that entry says (the finish, a conditional
write on the job). So a run never counts twice, and a job never moves on past an entry still `running`. A
finish that fails after the entry closed (the write failed, the function died) is applied by the tick from
the closed entry when the lease expires (usecases.recover). Not one transaction: that doubled the units of
both items (decision 0058, "Write-unit cuts").

Verbs, one meaning each across the core:
- `end_entry`: fill in how a run ended on its entry, in memory (status, time, duration, error).
- `close_run`: write the ended entry, once, and move its job on (was `execute.settle`).
- `finish`: move a job on past its ended run if it still holds it (with `overlap: skip`, in one transaction
  with the run's `skipped` entry: the store's `finish_run`).
- `follow_entry`: finish a job as its closed entry says.
- `finish_writes`: what a finish writes, the job moved on and any `skipped` entry (was `moved_on`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from serverless_jobs.domain import lifecycle
from serverless_jobs.domain.job import Job, JobStatus, Run, RunStatus
from serverless_jobs.domain.outcome import Outcome, next_state
from serverless_jobs.domain.timefmt import to_millis
from serverless_jobs.usecases.conflicts import ConcurrentChange, retry_on_conflict
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.skipped import overlap_entry
from serverless_jobs.usecases.wake import wake_for_freed_slot, wake_if_due_soon


def history_entry(job: Job, run_id: str, started: datetime, retention_days: int) -> Run:
    """A run's history entry as it starts; keyed by the claim time, which the executor and tick both know."""
    return Run(
        job_id=job.id,
        id=run_id,
        status="running",
        attempt=job.attempt or 1,
        trigger=job.trigger or "schedule",
        claimed_at=job.last_run_at if job.last_run_at is not None else to_millis(started),
        scheduled_at=job.scheduled_at,
        started_at=to_millis(started),
        expires_at=int((started + timedelta(days=retention_days)).timestamp()),
    )


def has_begun(deps: Deps, job: Job, run_id: str) -> bool:
    """Whether `job`'s run `run_id` has a history entry: an executor began it (or the tick closed it); a
    claimed run without one never began (decision "The claim is the start")."""
    return deps.history.get(job.id, job.last_run_at or 0, run_id) is not None


def end_entry(run: Run, status: RunStatus, ended: datetime, error: str | None) -> None:
    """Fill in how a run ended on its history entry (not written yet): the status, when, how long it took."""
    run.status = status
    run.completed_at = to_millis(ended)
    run.duration = run.completed_at - run.started_at
    run.error = error


def close_run(deps: Deps, run: Run, now: datetime, job: Job | None = None) -> bool:
    """Close `run`'s history entry as it stands, then move its job on as the stored entry says.

    The entry is closed once: by the executor, or by the tick for a run it takes for lost, whichever
    comes first, and the job's finish never precedes the entry's close. So a run never counts twice, and a
    job never moves on past an entry still `running` (a finish that fails is applied again by the tick,
    from the entry, when the lease expires). True when `run` is how the run ended; False when another
    closed it first.

    `job`, the job as the caller last read or wrote it (the executor's read as the run began), spares the
    finish its read when this call's entry is the one that stands; if the job changed since (an API edit, a
    pause), the finish reads it and applies the outcome on top (`finish`).
    """
    if deps.history.record(run):
        stored: Run | None = run
    else:  # closed already: by the tick, or by this very write (botocore retried it after a lost answer)
        stored = deps.history.get(run.job_id, run.claimed_at, run.id)
        job = None  # the stored close may not be this one: the finish follows it as read
    if stored is None or stored.status == "running":
        return False  # the job and its history were deleted meanwhile
    follow_entry(deps, stored, now, job)
    return (stored.status, stored.completed_at, stored.error) == (run.status, run.completed_at, run.error)


def follow_entry(deps: Deps, entry: Run, now: datetime, known: Job | None = None) -> bool:
    """Move the job on as its closed history entry says; False if the job no longer holds that run.
    `known`: the job as last written, if the caller knows it (no read then, unless it changed since)."""
    return finish(deps, entry.job_id, entry.id, outcome_of(entry), now, known)


def outcome_of(entry: Run) -> Outcome:
    """How a closed run ended, as its job's finish reads it."""
    return Outcome(entry.status == "completed", entry.error, entry.retryable)


def finish_writes(deps: Deps, job: Job, outcome: Outcome, now: datetime) -> tuple[Job, tuple[Run, ...]]:
    """What a finish writes: `job` after its current run ended with `outcome`, and the entry to write with it:
    with `overlap: skip`, the one `skipped` entry of the occurrences that fell due during the run (none
    otherwise)."""
    state = next_state(job, outcome, now, deps.rng)
    after = lifecycle.moved_on(job, state, now, deps.settings.due_shards)
    return after, () if state.skipped is None else (overlap_entry(job, state.skipped, now, deps.settings),)


def finish(deps: Deps, job_id: str, run_id: str, outcome: Outcome, now: datetime, known: Job | None = None) -> bool:
    """Move the job on if it still holds `run_id`; False when the run was detached or superseded.

    One conditional write on the job as read (or as `known`, first), on its version and run id; with a
    `skipped` entry for `overlap: skip`, that entry goes in the same transaction, so it is written exactly
    once with the finish. A conflict is an API update that landed meanwhile: it is kept, and the outcome
    applied on top of the job read again.
    """
    unread = known

    def try_once() -> bool:
        nonlocal unread
        job, unread = unread or deps.jobs.get(job_id), None  # `known` for the first try only
        if job is None or job.run_id != run_id or job.status != JobStatus.RUNNING:
            return False
        after, skipped = finish_writes(deps, job, outcome, now)
        # the job as read holds the run: its version stands for the run id when a skipped entry goes with it
        written = (
            deps.jobs.finish_run(job, after, *skipped)
            if skipped
            else deps.jobs.update(job, after, expect={"run_id": run_id})
        )
        if not written:
            raise ConcurrentChange(job_id)
        wake_if_due_soon(deps, after)
        wake_for_freed_slot(deps, job)
        return True

    try:
        return retry_on_conflict(try_once)
    except ConcurrentChange:
        return False
