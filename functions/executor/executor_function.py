"""Executor Lambda: one async-invoked dispatch event (ids only) -> run the job's handler and record it."""

from __future__ import annotations

import gc

gc.disable()  # for Lambda's init phase: serverless_jobs.init_phase says why; at_init() turns it back on

import random
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from serverless_jobs.adapters.client_tuning import EXECUTOR_CLIENTS, TARGET_INVOKE_CLIENTS
from serverless_jobs.adapters.lambda_events import closed_run_of, run_of
from serverless_jobs.adapters.targets.router import AwsTargets
from serverless_jobs.lambda_entry import LambdaHandler, at_init, instrumented, logger
from serverless_jobs.ports import Clock, TargetSender, Waker
from serverless_jobs.settings import Settings
from serverless_jobs.usecases.execute import execute
from serverless_jobs.usecases.notify import notify_closed_run
from serverless_jobs.wiring import AwsClients, deps_on_dynamodb, lambda_invokes


def build(
    settings: Settings,
    clock: Clock,
    *,
    rng: random.Random | None = None,
    clients: AwsClients | None = None,
    targets: TargetSender | None = None,
    waker: Waker | None = None,
) -> LambdaHandler:
    """The executor's handler over the settings' tables. It calls DynamoDB, the AWS service of a job's
    target (each client made by the first run that needs it; `targets` replaces the AWS targets), and
    the timer queue (or Lambda, to wake the tick) for a retry or next occurrence due before the next
    minute's tick (unless given another waker: the local stack's)."""
    clients = clients or executor_clients()
    invokes = lambda_invokes(settings, clients, waker=waker)
    deps = deps_on_dynamodb(settings, clock, rng, clients.tuning, clients.session, invokes.waker, timer=invokes.timer)
    targets = targets or AwsTargets(clients, settings, clock)

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            remaining = lambda: context.get_remaining_time_in_millis() / 1000  # noqa: E731
            closed = closed_run_of(event)
            if closed is not None:  # a run the tick closed, its notification handed here (usecases/notify)
                sent = notify_closed_run(deps, closed.job_id, closed.claimed_at, closed.run_id, targets, remaining)
                return {"jobId": closed.job_id, "runId": closed.run_id, "outcome": "notified" if sent else "skipped"}
            request = run_of(event)
            execution = execute(deps, request, remaining, targets)
        except Exception as error:
            # Nothing is half-done: the run's lease covers it, and the tick settles it from its history entry.
            logger.exception("run interrupted; the tick recovers it when its lease expires", extra={"event": event})
            return {
                "jobId": event.get("jobId"),
                "runId": event.get("runId"),
                "outcome": "interrupted",
                "error": repr(error),
            }
        return {"jobId": request.jobId, "runId": request.runId, "outcome": execution.outcome, "error": execution.error}

    return instrumented(handle)


def executor_clients() -> AwsClients:
    """The executor's clients: its own tuning (the tick's wakes too: `lambda_async`), and a lambda target's
    Invoke waiting as long as the function runs."""
    return AwsClients(EXECUTOR_CLIENTS, invoke_tuning=TARGET_INVOKE_CLIENTS)


lambda_handler = at_init(build)
