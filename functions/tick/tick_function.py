"""Tick Lambda: fired by the EventBridge rule every minute; finds due jobs, claims and dispatches them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from serverless_jobs.clock import SystemClock
from serverless_jobs.config import settings
from serverless_jobs.dispatch import LambdaDispatcher
from serverless_jobs.tick import run_tick

logger = Logger()
tracer = Tracer()
lambda_client = boto3.client("lambda")
clock = SystemClock()
dispatcher = LambdaDispatcher(lambda_client, settings.executor_function)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = asdict(run_tick(clock, dispatcher))
    logger.info("tick", extra=report)
    return report
