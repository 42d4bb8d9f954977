"""Tick Lambda: fired by the EventBridge rule every minute; claims due jobs and dispatches them all minute."""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from serverless_jobs import store
from serverless_jobs.clock import SystemClock
from serverless_jobs.config import settings
from serverless_jobs.dispatch import LambdaDispatcher
from serverless_jobs.metrics import metrics
from serverless_jobs.runner import RunnerSwitch
from serverless_jobs.tick import run_window

logger = Logger()
tracer = Tracer()
store.connect()
lambda_client = boto3.client("lambda")
events_client = boto3.client("events")
clock = SystemClock()
sleep = time.sleep
dispatcher = LambdaDispatcher(lambda_client, settings.executor_function)
runner = RunnerSwitch(events_client, settings.runner_rule)


def fired_at(event: dict[str, Any]) -> datetime | None:
    """The minute EventBridge fired this tick for; None for a hand-made event without a readable `time`."""
    try:
        moment = datetime.fromisoformat(event["time"])
    except (KeyError, TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run_window(
        clock,
        dispatcher,
        shards=settings.due_shards,
        remaining_seconds=context.get_remaining_time_in_millis() / 1000,
        poll_seconds=settings.tick_poll_seconds,
        is_running=runner.is_running,
        sleep=sleep,
        fired_at=fired_at(event),
    )
    logger.info("tick", extra=asdict(report))
    return asdict(report)
