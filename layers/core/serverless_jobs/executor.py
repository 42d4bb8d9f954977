"""The executor's work for one dispatched run: start it once, run the handler in time, record, move on."""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from serverless_jobs import protocol, store
from serverless_jobs.clock import Clock
from serverless_jobs.config import settings
from serverless_jobs.dispatch import RunRequest
from serverless_jobs.metrics import Metric, count, milliseconds, per_handler
from serverless_jobs.models import JobModel, RunModel
from serverless_jobs.registry import RunContext, registered
from serverless_jobs.timefmt import from_millis_or_none, to_millis

logger = Logger(child=True)

RESULT_LIMIT_BYTES = 64 * 1024
# Time kept back from the Lambda's remaining time to record the outcome after a handler times out.
FINISH_RESERVE_SECONDS = 5.0


@dataclass(frozen=True)
class Execution:
    """What became of one dispatched run, for the function's log line: its outcome and, if it failed, why."""

    outcome: str  # completed, failed, or skipped (a stale or duplicate delivery)
    error: str | None = None


def history_entry(job: JobModel, run_id: str, started: datetime) -> RunModel:
    """A run's history item; its key uses the claim time, which both the executor and the tick know."""
    claimed_at = job.last_run_at if job.last_run_at is not None else to_millis(started)
    return RunModel(
        job_id=job.id,
        run_key=RunModel.key_for(claimed_at, run_id),
        id=run_id,
        status="running",
        attempt=int(job.attempt or 1),
        trigger=job.trigger or "schedule",
        scheduled_at=job.scheduled_at,
        started_at=to_millis(started),
        expires_at=int((started + timedelta(days=settings.history_retention_days)).timestamp()),
    )


def close_entry(run: RunModel, status: str, finished: datetime, error: str | None) -> None:
    """Complete a history entry: how the run ended, when, and how long it took."""
    run.status = status
    run.completed_at = to_millis(finished)
    run.duration = run.completed_at - int(run.started_at)
    run.error = error


def execute(request: RunRequest, clock: Clock, remaining_seconds: Callable[[], float]) -> Execution:
    """Run one dispatched run, unless it is stale or a duplicate delivery (then it is skipped)."""
    job = protocol.begin(request.jobId, request.runId, clock.now())
    if job is None:
        logger.info("run skipped: a stale or duplicate delivery", extra=request.log_keys())
        return Execution("skipped")
    started = clock.now()
    run = history_entry(job, request.runId, started)
    store.record_run(run)
    count_start(job, run)
    context = RunContext(
        job_id=job.id,
        run_id=request.runId,
        attempt=int(run.attempt),
        scheduled_at=from_millis_or_none(job.scheduled_at),
        trigger=run.trigger,
        remaining_seconds=remaining_seconds,
    )
    budget = min(float(job.timeout_seconds), remaining_seconds() - FINISH_RESERVE_SECONDS)
    outcome, result = run_handler(job.handler, job.data, context, budget)
    finished = clock.now()
    close_entry(run, "completed" if outcome.succeeded else "failed", finished, outcome.error)
    run.result, run.result_truncated = bounded_result(result)
    protocol.finish(job.id, request.runId, outcome, finished)
    store.record_run(run)
    count(Metric.RUNS_SUCCEEDED if outcome.succeeded else Metric.RUNS_FAILED)
    milliseconds(Metric.RUN_DURATION_MS, int(run.duration or 0))
    log_outcome(request, job, run)
    return Execution(run.status, run.error)


def count_start(job: JobModel, run: RunModel) -> None:
    """A run began: counted in its handler's series too, with how late it started."""
    per_handler(job.handler)
    count(Metric.RUNS_STARTED)
    # A retry's scheduledAt is its occurrence's time: its lateness would be the backoff, not the dispatch.
    if run.trigger != "retry" and run.scheduled_at is not None:
        milliseconds(Metric.DISPATCH_LAG_MS, int(run.started_at) - int(run.scheduled_at))


def log_outcome(request: RunRequest, job: JobModel, run: RunModel) -> None:
    """The run's one log line; the job's data and the result only where the stack allows it (LogJobData)."""
    fields: dict[str, Any] = {
        **request.log_keys(),
        "handler": job.handler,
        "outcome": run.status,
        "error": run.error,
        "duration": run.duration,
    }
    if settings.log_job_data:
        fields.update(data=job.data, result=run.result)
    logger.info("run finished", extra=fields)


def run_handler(
    name: str, data: dict[str, Any], context: RunContext, timeout_seconds: float
) -> tuple[protocol.Outcome, Any]:
    """Call the registered handler in a thread so a run that overstays its timeout can be failed."""
    handler = registered().get(name)
    if handler is None:
        return protocol.Outcome(False, f"LookupError: handler '{name}' is not registered"), None
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            box["result"] = handler(data, context)
        except Exception as error:  # the handler's failure is the run's outcome, not ours
            box["error"] = f"{type(error).__name__}: {error}"

    # In the executor's context (contextvars), as if called directly: what it set holds in the handler too.
    runner = contextvars.copy_context().run
    worker = threading.Thread(target=runner, args=(call,), name=f"run-{context.run_id}", daemon=True)
    worker.start()
    worker.join(max(timeout_seconds, 0.0))
    if worker.is_alive():
        return protocol.Outcome(False, f"TimeoutError: still running after {timeout_seconds:.0f} s"), None
    if "error" in box:
        return protocol.Outcome(False, box["error"]), None
    return protocol.Outcome(True), box.get("result")


def bounded_result(result: Any) -> tuple[Any, int | None]:
    """The result as stored: JSON, or its first 64 KB as text with a truncation flag."""
    text = json.dumps(result, default=str)
    if len(text.encode()) <= RESULT_LIMIT_BYTES:
        return json.loads(text), None
    return text.encode()[:RESULT_LIMIT_BYTES].decode(errors="ignore"), 1
