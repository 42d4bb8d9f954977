"""Runs that will never report back, each counted as a failed attempt so the job retries or fails.

Two ways to get here: the executor died (its lease expired; the tick finds the job due while `running`), or
Lambda refused the dispatch (`Invoke` answered with an error, so no executor will ever start the run).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aws_lambda_powertools import Logger

from serverless_jobs.domain.job import Job, RunRequest, RunStatus, run_log_keys
from serverless_jobs.domain.timefmt import from_millis, to_millis
from serverless_jobs.metrics import Metric, count
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.execute import close_entry, follow_entry, history_entry, settle

logger = Logger(child=True)

LEASE_EXPIRED = "LeaseExpired: the run did not finish within its timeout; it is counted as a failure"
DISPATCH_REFUSED = "DispatchRefused: Lambda refused to start the run; the dispatching function's log has its reason"


def fail_unreported_run(deps: Deps, job: Job, status: RunStatus, error: str, now: datetime) -> bool:
    """Close `job`'s current run as `status` and move the job on; False if it was closed or moved on already.

    An entry the executor closed but whose finish never landed (the write failed, the function died) is
    not failed: the job follows the entry, as the executor would have moved it.
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
    close_entry(run, status, now, error)
    if not settle(deps, run, now):
        return False
    keys = run_log_keys(job.id, run.id, run.attempt, run.trigger)
    logger.warning(
        "run failed without reporting", extra={**keys, "handler": job.handler, "status": status, "error": error}
    )
    return True


def fail_refused_runs(deps: Deps, runs: Sequence[RunRequest], now: datetime) -> None:
    """Runs Lambda would not start fail at once instead of waiting out their lease."""
    if runs:
        count(Metric.DISPATCH_REFUSED, len(runs))
    for run in runs:
        job = deps.jobs.get(run.jobId)
        if job is not None and job.run_id == run.runId:
            fail_unreported_run(deps, job, "failed", DISPATCH_REFUSED, now)
