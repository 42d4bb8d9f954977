"""Executor Lambda: one async-invoked dispatch event (ids only) -> run the job's handler and record it."""

from __future__ import annotations

import gc

gc.disable()  # for Lambda's init phase: serverless_jobs.init_phase says why; init_done() turns it back on

import random
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from serverless_jobs.adapters.client_tuning import EXECUTOR_CLIENTS, ClientTuning
from serverless_jobs.adapters.lambda_waker import LambdaWaker
from serverless_jobs.adapters.system_clock import SystemClock
from serverless_jobs.adapters.tracing import make_tracer
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.init_phase import init_done
from serverless_jobs.metrics import metrics
from serverless_jobs.ports import Clock, Waker
from serverless_jobs.settings import Settings
from serverless_jobs.usecases.execute import execute
from serverless_jobs.wiring import AwsClients, deps_on_dynamodb

logger = Logger()
tracer = make_tracer()

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def build(
    settings: Settings,
    clock: Clock,
    *,
    rng: random.Random | None = None,
    tuning: ClientTuning = EXECUTOR_CLIENTS,
    clients: AwsClients | None = None,
    waker: Waker | None = None,
) -> LambdaHandler:
    """The executor's handler over the settings' tables. Besides DynamoDB it calls Lambda only to wake the
    tick for a retry or next occurrence due before the next minute's tick (through `clients`, unless given
    another waker: the local stack's)."""
    aws = clients or AwsClients(tuning)
    tick_waker = waker or LambdaWaker(lambda: aws.lambda_, settings.tick_function)
    deps = deps_on_dynamodb(settings, clock, rng, aws.tuning, aws.session, tick_waker)

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            request = RunRequest.from_payload(event)
            execution = execute(deps, request, lambda: context.get_remaining_time_in_millis() / 1000)
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

    return handle


lambda_handler = build(Settings.from_environment(), SystemClock())
init_done()
