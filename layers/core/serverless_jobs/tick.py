"""The tick's work: find due jobs through the sparse index, claim each, dispatch the winners at once.

A due `running` job is a lost run (its lease expired): it is recorded `timed_out` and retried or failed
like any failure. Nothing here scans; each shard costs one Query over due items only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from serverless_jobs import protocol, store
from serverless_jobs.clock import Clock
from serverless_jobs.config import settings
from serverless_jobs.dispatch import Dispatcher, RunRequest
from serverless_jobs.executor import history_entry
from serverless_jobs.models import JobModel
from serverless_jobs.runs import claim_due
from serverless_jobs.schemas import JobStatus
from serverless_jobs.timefmt import from_millis, to_millis

logger = Logger(child=True)

LEASE_EXPIRED = "LeaseExpired: the run did not finish within its timeout; it is counted as a failure"


@dataclass(frozen=True)
class TickReport:
    examined: int
    dispatched: int
    recovered: int
    undelivered: int


def run_tick(clock: Clock, dispatcher: Dispatcher) -> TickReport:
    """One pass over every shard of the `due` index at `clock.now()`."""
    now = clock.now()
    examined = recovered = 0
    claimed: list[RunRequest] = []
    for shard in range(settings.due_shards):
        for job in store.due_candidates(str(shard), to_millis(now)):
            examined += 1
            if job.status == JobStatus.RUNNING:
                recovered += recover_lost_run(job, now)
            elif job.status == JobStatus.PENDING:
                run = claim_due(job, now)
                if run is not None:
                    claimed.append(run)
    undelivered = dispatcher.dispatch(claimed)
    return TickReport(examined, len(claimed), recovered, len(undelivered))


def recover_lost_run(job: JobModel, now: datetime) -> int:
    """Count an expired lease as a failed attempt; 1 if this tick recovered it, 0 if someone else did."""
    if job.run_id is None or not protocol.finish(job.id, job.run_id, protocol.Outcome(False, LEASE_EXPIRED), now):
        return 0
    run = history_entry(job, job.run_id, from_millis(job.last_run_at or to_millis(now)))
    run.status = "timed_out"
    run.completed_at = to_millis(now)
    run.duration = to_millis(now) - int(run.started_at)
    run.error = LEASE_EXPIRED
    store.record_run(run)
    logger.warning("lost run recovered", extra={"jobId": job.id, "runId": job.run_id})
    return 1
