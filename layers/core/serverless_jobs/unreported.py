"""Runs that will never report back, each counted as a failed attempt so the job retries or fails.

Two ways to get here: the executor died (its lease expired; the tick finds the job due while `running`), or
Lambda refused the dispatch (`Invoke` answered with an error, so no executor will ever start the run).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aws_lambda_powertools import Logger

from serverless_jobs import protocol, store
from serverless_jobs.dispatch import RunRequest, run_log_keys
from serverless_jobs.executor import close_entry, history_entry
from serverless_jobs.metrics import Metric, count
from serverless_jobs.models import JobModel
from serverless_jobs.timefmt import from_millis, to_millis

logger = Logger(child=True)

LEASE_EXPIRED = "LeaseExpired: the run did not finish within its timeout; it is counted as a failure"
DISPATCH_REFUSED = "DispatchRefused: Lambda refused to start the run; the dispatching function's log has its reason"


def fail_unreported_run(job: JobModel, status: str, error: str, now: datetime) -> bool:
    """Fail `job`'s current run and record it in history; False if the job has moved on meanwhile."""
    if job.run_id is None or not protocol.finish(job.id, job.run_id, protocol.Outcome(False, error), now):
        return False
    run = history_entry(job, job.run_id, from_millis(job.last_run_at or to_millis(now)))
    close_entry(run, status, now, error)
    store.record_run(run)
    keys = run_log_keys(job.id, run.id, int(run.attempt), run.trigger)
    logger.warning(
        "run failed without reporting", extra={**keys, "handler": job.handler, "status": status, "error": error}
    )
    return True


def fail_refused_runs(runs: Sequence[RunRequest], now: datetime) -> None:
    """Runs Lambda would not start fail at once instead of waiting out their lease."""
    if runs:
        count(Metric.DISPATCH_REFUSED, len(runs))
    for run in runs:
        job = store.get_job(run.jobId)
        if job is not None and job.run_id == run.runId:
            fail_unreported_run(job, "failed", DISPATCH_REFUSED, now)
