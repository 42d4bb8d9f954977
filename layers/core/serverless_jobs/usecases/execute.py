"""The executor's work for one dispatched run: start it once, run the handler in time, record, move on.

Every step is conditioned on the job still holding the run's id: a run detached by pause, cancel or a
lease expiry, or a duplicate delivery, changes nothing.
"""

from __future__ import annotations

import contextvars
import json
import reprlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from serverless_jobs.domain import jsonvalue, lifecycle
from serverless_jobs.domain.job import Job, JobStatus, Run, RunRequest, RunStatus
from serverless_jobs.domain.notify import mark_owed
from serverless_jobs.domain.outcome import Outcome, error_log_fields, next_state
from serverless_jobs.domain.timefmt import from_millis_or_none, to_millis
from serverless_jobs.metrics import Metric, count, milliseconds, per_handler
from serverless_jobs.ports import TargetSender
from serverless_jobs.registry import RunContext, registered
from serverless_jobs.usecases.conflicts import ConcurrentChange, retry_on_conflict
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.notify import notify
from serverless_jobs.usecases.skipped import overlap_entry
from serverless_jobs.usecases.wake import wake_for_freed_slot, wake_if_due_soon

logger = Logger(child=True)

RESULT_LIMIT_BYTES = 64 * 1024
# A run's error is stored twice (the job's lastError, the run's error) next to up to 256 KB of data, in an
# item DynamoDB caps at 400 KB: a handler raising with its whole input as the message must still fit.
ERROR_LIMIT_CHARS = 4096
# Time kept back from the Lambda's remaining time to record the outcome after a handler times out.
FINISH_RESERVE_SECONDS = 5.0


@dataclass(frozen=True)
class Execution:
    """What became of one dispatched run, for the function's log line: its outcome and, if it failed, why."""

    outcome: str  # completed, failed, or skipped (a stale or duplicate delivery)
    error: str | None = None


def execute(
    deps: Deps, request: RunRequest, remaining_seconds: Callable[[], float], targets: TargetSender
) -> Execution:
    """Run one dispatched run, unless it is stale or a duplicate delivery (then it is skipped): the job's
    handler, or for a job with a target, a delivery to it through `targets`."""
    job = begin(deps, request.jobId, request.runId, deps.clock.now())
    if job is None:
        logger.info("run skipped: a stale or duplicate delivery", extra=request.log_keys())
        return Execution("skipped")
    started = deps.clock.now()
    run = history_entry(job, request.runId, started, deps.settings.history_retention_days)
    if not deps.history.record(run):
        logger.info("run skipped: the tick closed it as lost meanwhile", extra=request.log_keys())
        return Execution("skipped")
    count_start(job, run)
    budget = min(float(job.timeout_seconds), remaining_seconds() - FINISH_RESERVE_SECONDS)
    outcome, result = perform(job, request, run, budget, remaining_seconds, targets)
    finished = deps.clock.now()
    close_entry(run, "completed" if outcome.succeeded else "failed", finished, bounded_error(outcome.error))
    run.retryable = outcome.retryable
    run.result, run.result_truncated = bounded_result(result)
    mark_owed(job, run, to_millis(finished))
    if not settle(deps, run, finished, job):
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


def begin(deps: Deps, job_id: str, run_id: str, now: datetime) -> Job | None:
    """Mark the claimed run started, once: the job to run, or None for a stale or duplicate event.

    One conditional write that answers with the job, no read before it. Only a `running` job's run
    starts: a paused or cancelled job holding the run its pause detached (for its lease) never starts it,
    so a run detached before it started never writes an entry at all.
    """
    return deps.jobs.start(job_id, run_id, to_millis(now))


def settle(deps: Deps, run: Run, now: datetime, job: Job | None = None) -> bool:
    """Close `run`'s history entry as it stands, then move its job on as the stored entry says.

    The entry is closed once: by the executor, or by the tick for a run it takes for lost, whichever
    comes first, and the job's finish never precedes the entry's close. So a run never counts twice, and a
    job never moves on past an entry still `running` (a finish that fails is applied again by the tick,
    from the entry, when the lease expires). True when `run` is how the run ended; False when another
    closed it first.

    `job`, the job as the caller last wrote it (the executor's start mark), lets the close and the finish
    go in one transaction, with no read. If the job changed since (an API edit, a pause) or the entry was
    closed already, that writes nothing, and the entry is closed on its own and followed as above.
    """
    if job is not None:
        after, skipped = moved_on(deps, job, outcome_of(run), now)
        if deps.jobs.finish_run(job, after, run, *skipped):
            wake_if_due_soon(deps, after)
            wake_for_freed_slot(deps, job)
            return True
    if deps.history.record(run):
        stored: Run | None = run
    else:  # closed already: by the tick, or by this very write (botocore retried it after a lost answer)
        stored = deps.history.get(run.job_id, run.claimed_at, run.id)
    if stored is None or stored.status == "running":
        return False  # the job and its history were deleted meanwhile
    follow_entry(deps, stored, now)
    return (stored.status, stored.completed_at, stored.error) == (run.status, run.completed_at, run.error)


def follow_entry(deps: Deps, entry: Run, now: datetime) -> bool:
    """Move the job on as its closed history entry says; False if the job no longer holds that run."""
    return finish(deps, entry.job_id, entry.id, outcome_of(entry), now)


def outcome_of(entry: Run) -> Outcome:
    """How a closed run ended, as its job's finish reads it."""
    return Outcome(entry.status == "completed", entry.error, entry.retryable)


def moved_on(deps: Deps, job: Job, outcome: Outcome, now: datetime) -> tuple[Job, tuple[Run, ...]]:
    """`job` after its current run ended with `outcome`, and the entry to write with it: with `overlap:
    skip`, the one `skipped` entry of the occurrences that fell due during the run (none otherwise)."""
    state = next_state(job, outcome, now, deps.rng)
    after = lifecycle.finished(job, state, now, deps.settings.due_shards)
    return after, () if state.skipped is None else (overlap_entry(job, state.skipped, now, deps.settings),)


def finish(deps: Deps, job_id: str, run_id: str, outcome: Outcome, now: datetime) -> bool:
    """Move the job on if it still holds `run_id`; False when the run was detached or superseded.

    A conflict is an API update that landed meanwhile: it is kept, and the outcome applied on top.
    """

    def move_on() -> bool:
        job = deps.jobs.get(job_id)
        if job is None or job.run_id != run_id or job.status != JobStatus.RUNNING:
            return False
        after, skipped = moved_on(deps, job, outcome, now)
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
        return retry_on_conflict(move_on)
    except ConcurrentChange:
        return False


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


def close_entry(run: Run, status: RunStatus, finished: datetime, error: str | None) -> None:
    """Complete a history entry: how the run ended, when, and how long it took."""
    run.status = status
    run.completed_at = to_millis(finished)
    run.duration = run.completed_at - run.started_at
    run.error = error


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


def error_text(error: Exception) -> str:
    """`Type: message`, at most ERROR_LIMIT_CHARS and valid text, whatever the exception's `__str__` does."""
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:  # an exception whose __str__ raises still fails its run, with its type
        text = f"{type(error).__name__}: (its message could not be read)"
    return str(bounded_error(text))


def bounded_error(text: str | None) -> str | None:
    """A run's error as stored: at most ERROR_LIMIT_CHARS, valid text."""
    if text is not None and len(text) > ERROR_LIMIT_CHARS:
        text = text[: ERROR_LIMIT_CHARS - 40] + f"... ({len(text)} characters in all)"
    return None if text is None else text.encode(errors="replace").decode()


def bounded_result(result: Any) -> tuple[Any, bool]:
    """The result as stored, and whether it was cut: the value itself when it is JSON that reads back as
    given (`jsonvalue`: depth, numbers, text) of at most 64 KB as stored; otherwise its text, cut so that
    it stores in 64 KB, and flagged truncated. Never raises: whatever a handler returns, its run is recorded.
    """
    if jsonvalue.problem(result, "result") is None:
        stored = jsonvalue.compact(result)
        if len(stored.encode()) <= RESULT_LIMIT_BYTES:
            return json.loads(stored), False  # as it reads back (a tuple is a list)
        return _cut(stored), True
    return _cut(_as_text(result)), True


def _short_repr() -> reprlib.Repr:
    """repr that stops at 32 levels and long parts, so it never recurses out of the stack."""
    short = reprlib.Repr()
    short.maxlevel = jsonvalue.MAX_DEPTH
    short.maxstring = short.maxother = short.maxlist = short.maxdict = short.maxtuple = short.maxset = 1024
    return short


_SHORT = _short_repr()


def _as_text(result: Any) -> str:
    """What the handler returned, as readable as it can be made: JSON with NaN left as written, else repr."""
    try:
        return json.dumps(result, default=repr)
    except (ValueError, TypeError, RecursionError):  # a circular, non-text-keyed or very deep value
        try:
            return _SHORT.repr(result)
        except Exception:
            return f"(a {type(result).__name__} that cannot be shown as text)"


def _cut(text: str) -> str:
    """The longest start of `text` that, valid UTF-8 and escaped as a JSON string, fits the result limit.

    Found by bisection over its length in characters: an escape costs 2 to 6 bytes, so cutting by the excess
    in bytes would cut a text of quotes or control characters to nothing."""
    text = text.encode(errors="replace").decode()

    def fits(length: int) -> bool:
        return len(jsonvalue.compact(text[:length]).encode()) <= RESULT_LIMIT_BYTES

    if fits(len(text)):
        return text
    low, high = 0, min(len(text), RESULT_LIMIT_BYTES)  # every character stores in a byte or more
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return text[:low]
