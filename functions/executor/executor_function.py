"""Executor Lambda: one async-invoked dispatch event (ids only) -> run the job's handler and record it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from serverless_jobs import store
from serverless_jobs.clock import SystemClock
from serverless_jobs.dispatch import RunRequest
from serverless_jobs.executor import execute
from serverless_jobs.metrics import metrics

logger = Logger()
tracer = Tracer()
store.connect()
clock = SystemClock()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = RunRequest.from_payload(event)
    execution = execute(request, clock, lambda: context.get_remaining_time_in_millis() / 1000)
    return {"jobId": request.jobId, "runId": request.runId, "outcome": execution.outcome, "error": execution.error}
