"""Runs that will never report back, each counted as a failed attempt so the job retries or fails.

Two ways to get here: the executor died (its lease expired; the tick finds the job due while `running`), or
Lambda refused the dispatch (`Invoke` answered with an error, so no executor will ever start the run).
A run that pause or cancel detached is closed the same way when its lease expires, but moves nothing:
the job only lets go of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from aws_lambda_powertools import Logger

from serverless_jobs.domain import lifecycle
from serverless_jobs.domain.job import Job, Run, RunRequest, RunStatus, run_log_keys
from serverless_jobs.domain.notify import mark_owed
from serverless_jobs.domain.outcome import error_log_fields
from serverless_jobs.domain.timefmt import from_millis, to_millis
from serverless_jobs.metrics import Metric, count
from serverless_jobs.usecases.close_run import close_run, end_entry, follow_entry, has_begun, history_entry
from serverless_jobs.usecases.deps import Deps

logger = Logger(child=True)

LEASE_EXPIRED = "LeaseExpired: the run did not finish within its timeout; it is counted as a failure"
DISPATCH_REFUSED = "DispatchRefused: Lambda refused to start the run; the dispatching function's log has its reason"


def fail_unreported_run(deps: Deps, job: Job, status: RunStatus, error: str, now: datetime) -> bool:
    """Close `job`'s current run as `status` and move the job on; False if it was closed or moved on already.

    An entry the executor closed but whose finish never landed (the write failed, the function died) is
    not failed: the job follows the entry, as the executor would have moved it. A paused or cancelled job
    holding the run is not moved (the finish takes only a `running` job on).
    """
    current = deps.jobs.get(job.id)  # the index is a candidate list: the run may have ended meanwhile
    if current is None or job.run_id is None or current.run_id != job.run_id:
        return False
    claimed_at = job.last_run_at or to_millis(now)
    entry = deps.history.get(job.id, claimed_at, job.run_id)
    if entry is not None and entry.status != "running":
        follow_entry(deps, entry, now)
        return False
    run = entry or history_entry(job, job.run_id, from_millis(claimed_at), deps.settings.history_retention_days)
    end_entry(run, status, now, error)
    mark_owed(current, run, to_millis(now))
    if not close_run(deps, run, now):
        return False
    hand_off_notification(deps, run)
    keys = run_log_keys(job.id, run.id, run.attempt, run.trigger)
    fields = error_log_fields(error, with_data=deps.settings.log_job_data)  # the tick's own words, kept as one rule
    logger.warning("run failed without reporting", extra={**keys, "handler": job.runs_as, "status": status, **fields})
    return True


def hand_off_notification(deps: Deps, run: Run) -> None:
    """A run closed here owing a notification is sent by the executor (whose role reaches the targets). A
    hand-off Lambda refuses stays owed: the tick's passes hand it over again (usecases.notify.resend_owed)."""
    if run.notify_at is not None and deps.notifications is not None:
        deps.notifications.hand_off(run.job_id, run.id, run.claimed_at)


def close_detached_run(deps: Deps, job: Job, now: datetime) -> bool:
    """A paused or cancelled job's held run, its lease over: close its entry, then let the job go of it.

    The entry is closed `timed_out` as a lost run's is, with the same conditional write, unless the executor
    closed it (then it is left as it is); the job's finish refuses a job that is not `running`, so its status
    and attempts stay. A run with no entry never began (its executor never came, and now never begins it:
    the job is not `running`), so it gets none. Letting go is a write conditioned on the run id: one that
    loses a race (an edit, a resume taking the run back) leaves the job due, and the next pass looks again.
    True if this closed it.
    """
    begun = job.run_id is not None and has_begun(deps, job, job.run_id)
    closed = begun and fail_unreported_run(deps, job, "timed_out", LEASE_EXPIRED, now)
    current = deps.jobs.get(job.id)
    if current is not None and current.run_id == job.run_id and lifecycle.holds_detached_run(current):
        released = replace(current)
        lifecycle.release(released)
        deps.jobs.update(current, released, expect={"run_id": job.run_id})
    return closed


def follow_if_closed(deps: Deps, job: Job, now: datetime) -> bool:
    """Move `job` on from its current run's entry if that is closed already; True if it moved.

    For a job that took back the run its pause detached: that run may have finished meanwhile, its finish
    refused while the job was paused.
    """
    if job.run_id is None:
        return False
    entry = deps.history.get(job.id, job.last_run_at or to_millis(now), job.run_id)
    return entry is not None and entry.status != "running" and follow_entry(deps, entry, now)


def fail_refused_runs(deps: Deps, runs: Sequence[RunRequest], now: datetime) -> None:
    """Runs Lambda would not start fail at once instead of waiting out their lease."""
    if runs:
        count(Metric.DISPATCH_REFUSED, len(runs))
    for run in runs:
        job = deps.jobs.get(run.jobId)
        if job is not None and job.run_id == run.runId:
            fail_unreported_run(deps, job, "failed", DISPATCH_REFUSED, now)
