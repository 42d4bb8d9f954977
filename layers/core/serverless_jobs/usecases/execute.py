"""The executor's flow for one dispatched run: start it once, run the handler (or send to the target) in
time, then close the run (usecases.close_run) and notify.

Every step is conditioned on the job still holding the run's id: a run detached by pause, cancel or a
lease expiry, or a duplicate delivery, changes nothing. How a run is closed, shared with the tick and the
API, lives in usecases.close_run; how its result and error are bounded, in domain.results.

Verbs: `execute` is the executor's whole flow; `begin` reads the job the run is for (its history entry
opened, the run has started); `perform` runs it (the handler or the target); `close_run` (was `settle`
here) closes it.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from aws_lambda_powertools import Logger

from serverless_jobs.domain import lifecycle
from serverless_jobs.domain.job import Job, JobStatus, Run, RunRequest
from serverless_jobs.domain.notify import mark_owed
from serverless_jobs.domain.outcome import Outcome, error_log_fields
from serverless_jobs.domain.results import bounded_error, bounded_result, error_text
from serverless_jobs.domain.timefmt import from_millis_or_none, to_millis
from serverless_jobs.metrics import Metric, count, milliseconds, per_handler
from serverless_jobs.ports import TargetSender
from serverless_jobs.registry import RunContext, registered
from serverless_jobs.usecases.close_run import close_run, end_entry, has_begun, history_entry
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.notify import notify
from serverless_jobs.usecases.wake import wake_for_freed_slot

logger = Logger(child=True)

# Time kept back from the Lambda's remaining time to close the run after a handler times out.
CLOSE_RESERVE_SECONDS = 5.0
# Reads of a job whose detached run the executor lets go of: a resume may take the run back meanwhile.
LET_GO_TRIES = 3


@dataclass(frozen=True)
class Execution:
    """What became of one dispatched run, for the function's log line: its outcome and, if it failed, why."""

    outcome: str  # completed, failed, or skipped (a stale or duplicate delivery, a detached run)
    error: str | None = None


def execute(
    deps: Deps, request: RunRequest, remaining_seconds: Callable[[], float], targets: TargetSender
) -> Execution:
    """Run one dispatched run, unless it is stale or a duplicate delivery (then it is skipped): the job's
    handler, or for a job with a target, a delivery to it through `targets`."""
    job = begin(deps, request.jobId, request.runId)
    if job is None:
        logger.info("run skipped: a stale delivery, or its run detached", extra=request.log_keys())
        return Execution("skipped")
    started = deps.clock.now()
    run = history_entry(job, request.runId, started, deps.settings.history_retention_days)
    if not deps.history.open(run):
        logger.info("run skipped: a duplicate delivery, or closed as lost meanwhile", extra=request.log_keys())
        return Execution("skipped")
    count_start(job, run)
    budget = min(float(job.timeout_seconds), remaining_seconds() - CLOSE_RESERVE_SECONDS)
    outcome, result = perform(job, request, run, budget, remaining_seconds, targets)
    ended = deps.clock.now()
    end_entry(run, "completed" if outcome.succeeded else "failed", ended, bounded_error(outcome.error))
    run.retryable = outcome.retryable
    run.result, run.result_truncated = bounded_result(result)
    mark_owed(job, run, to_millis(ended))
    if not close_run(deps, run, ended, job):
        logger.warning("run ended after the tick closed it as lost", extra=request.log_keys())
        return Execution("skipped")
    count(Metric.RUNS_SUCCEEDED if outcome.succeeded else Metric.RUNS_FAILED)
    milliseconds(Metric.RUN_DURATION_MS, run.duration or 0)
    log_outcome(request, job, run, with_data=deps.settings.log_job_data)
    notify(deps, job, run, targets, remaining_seconds)
    return Execution(run.status, run.error)


def perform(
    job: Job,
    request: RunRequest,
    run: Run,
    budget: float,
    remaining_seconds: Callable[[], float],
    targets: TargetSender,
) -> tuple[Outcome, Any]:
    """The run itself, within `budget` seconds: the job's target is sent its data, or its handler called."""
    if job.target is not None:
        target = job.target
        return in_time(lambda: targets.send(target, job.data, request, budget), budget, request.runId)
    context = RunContext(
        job_id=job.id,
        run_id=request.runId,
        attempt=run.attempt,
        scheduled_at=from_millis_or_none(job.scheduled_at),
        trigger=run.trigger,
        remaining_seconds=remaining_seconds,
    )
    return run_handler(str(job.handler), job.data, context, budget)


def count_start(job: Job, run: Run) -> None:
    """A run began: counted in its handler's series too, with how late it started."""
    per_handler(job.runs_as)
    count(Metric.RUNS_STARTED)
    # A retry's scheduledAt is its occurrence's time: its lateness would be the backoff, not the dispatch.
    if run.trigger != "retry" and run.scheduled_at is not None:
        milliseconds(Metric.DISPATCH_LAG_MS, run.started_at - run.scheduled_at)


def log_outcome(request: RunRequest, job: Job, run: Run, *, with_data: bool) -> None:
    """The run's one log line; the job's data, the result and the error's text only where the stack allows
    it (LogJobData), the error's type always."""
    fields: dict[str, Any] = {
        **request.log_keys(),
        "handler": job.runs_as,
        "outcome": run.status,
        **error_log_fields(run.error, with_data=with_data),
        "duration": run.duration,
    }
    if with_data:
        fields.update(data=job.data, result=run.result)
    logger.info("run finished", extra=fields)


def begin(deps: Deps, job_id: str, run_id: str) -> Job | None:
    """The job to run `run_id` with, read once: None for a stale delivery (the job no longer holds the run)
    or a run detached before it began.

    The claim made the run; opening its history entry (`HistoryStore.open`, one executor only) is its
    start, with no write on the job (decision "The claim is the start"). Only a `running` job's run begins.
    A pause or cancel holds any run it detaches until its lease ends; one whose executor comes before
    that and finds the run not begun lets go of it, so the job is free at once, as when the start was a
    write on the job. If a resume takes the run back meanwhile, the run begins after all.
    """
    for _ in range(LET_GO_TRIES):
        job = deps.jobs.get(job_id)
        if job is None or job.run_id != run_id:
            return None
        if job.status == JobStatus.RUNNING:
            return job
        if not lifecycle.holds_detached_run(job) or has_begun(deps, job, run_id):
            return None
        released = replace(job)
        lifecycle.release(released)
        if deps.jobs.update(job, released, expect={"run_id": run_id}):
            wake_for_freed_slot(deps, job)  # a job of its concurrency key may be waiting for the slot
            return None
    return None


def run_handler(name: str, data: dict[str, Any], context: RunContext, timeout_seconds: float) -> tuple[Outcome, Any]:
    """Call the registered handler; its exception is the run's failure, its return value the result."""
    handler = registered().get(name)
    if handler is None:
        return Outcome(False, f"LookupError: handler '{name}' is not registered"), None

    return in_time(lambda: (Outcome(True), handler(data, context)), timeout_seconds, context.run_id)


def in_time(call: Callable[[], tuple[Outcome, Any]], timeout_seconds: float, run_id: str) -> tuple[Outcome, Any]:
    """`call()` in a thread, so a run (a handler, a target that does not answer) that overstays its timeout
    can be failed; an exception it raises is the run's failure (a handler's), not the executor's."""
    box: dict[str, tuple[Outcome, Any]] = {}

    def run() -> None:
        try:
            box["ended"] = call()
        except Exception as error:
            box["ended"] = (Outcome(False, error_text(error)), None)

    # In the executor's context (contextvars), as if called directly: what it set holds in the call too.
    runner = contextvars.copy_context().run
    worker = threading.Thread(target=runner, args=(run,), name=f"run-{run_id}", daemon=True)
    worker.start()
    worker.join(max(timeout_seconds, 0.0))
    if worker.is_alive():
        return Outcome(False, f"TimeoutError: still running after {timeout_seconds:.0f} s"), None
    return box["ended"]
