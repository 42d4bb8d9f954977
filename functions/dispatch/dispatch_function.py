"""Dispatch Lambda: invoked by the tick for one shard of a herd, or by the timer queue's event source
mapping for a batch of alarms; serves the due jobs of its shards as a tick pass does.

A herd's event is `{"shard": "3", "dueBy": <epoch ms>}`: the shard of the `due` index and the handing
pass's instant (usecases.fan_out). The mapping's is an SQS batch of timer messages (adapters.lambda_events,
decision 0075), each passed over at its instant (usecases.timer_pass). Claims are conditional writes, so
this invocation, another one for the same shard and the tick's own passes never dispatch a run twice; an
invocation that fails loses nothing, since its jobs stay due for the next pass.
"""

from __future__ import annotations

import gc

gc.disable()  # for Lambda's init phase: serverless_jobs.init_phase says why; at_init() turns it back on

import random
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from serverless_jobs.adapters.client_tuning import DISPATCH_CLIENTS, TICK_CLIENTS
from serverless_jobs.adapters.lambda_events import alarm_of, shard_of, sqs_records
from serverless_jobs.lambda_entry import LambdaHandler, at_init, instrumented, logger
from serverless_jobs.ports import Clock, Dispatcher, NotificationHandOff
from serverless_jobs.settings import Settings
from serverless_jobs.usecases.tick import run_shard
from serverless_jobs.usecases.timer_pass import run_alarms
from serverless_jobs.wiring import AwsClients, deps_on_dynamodb, lambda_invokes, runner_switch


def build(
    settings: Settings,
    clients: AwsClients,
    clock: Clock,
    *,
    dispatcher: Dispatcher | None = None,
    rng: random.Random | None = None,
    notifications: NotificationHandOff | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> LambdaHandler:
    """The dispatch function's handler: dispatches runs (and a refused run's notification) through Lambda
    unless given another dispatcher and hand-off (the local stack's); an alarm's remainder waited in `sleep`."""
    invokes = lambda_invokes(settings, clients, dispatcher=dispatcher, notifications=notifications)
    deps = deps_on_dynamodb(
        settings, clock, rng, clients.tuning, clients.session, notifications=invokes.notifications, timer=invokes.timer
    )
    runner = runner_switch(settings, clients)

    def alarms(records: list[tuple[str, str]], context: LambdaContext) -> dict[str, Any]:
        """A batch of timer messages: every one is taken (a pass that fails leaves its jobs due for the
        minute's tick, later than a retry at the visibility timeout would not be); one that is no timer
        message is reported failed, so it reaches the dead-letter queue after its retries."""
        found = [(message_id, alarm_of(body)) for message_id, body in records]
        malformed = [{"itemIdentifier": message_id} for message_id, alarm in found if alarm is None]
        if malformed:
            logger.error("not a timer message; left to the dead-letter queue", extra={"messages": malformed})
        try:
            report = run_alarms(
                deps,
                invokes.runs,
                [alarm for _, alarm in found if alarm is not None],
                remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000,
                is_running=runner.is_running,
                sleep=sleep,
            )
            logger.info("alarms", extra={"alarms": len(found) - len(malformed), **asdict(report)})
        except Exception:  # run_alarms guards its steps; this is for what nobody foresaw
            logger.exception("alarms failed; their jobs stay due for the minute's tick")
        return {"batchItemFailures": malformed}

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        records = sqs_records(event)
        if records is not None:
            return alarms(records, context)
        work = shard_of(event)
        if work is None:
            logger.error("not a shard to dispatch; ignored", extra={"event": event})
            return {"error": "expected {'shard': '<0-63>', 'dueBy': <epoch ms>} or an SQS batch of alarms"}
        try:
            report = run_shard(deps, invokes.runs, *work)
        except Exception:  # run_shard guards its steps; this is for what nobody foresaw
            logger.exception("dispatch failed; the jobs stay due for the next pass", extra={"shard": work[0]})
            return {"error": "dispatch failed; see the log"}
        logger.info("dispatch", extra={"shard": work[0], **asdict(report)})
        return asdict(report)

    return instrumented(handle)


lambda_handler = at_init(lambda settings, clock: build(settings, AwsClients(TICK_CLIENTS, DISPATCH_CLIENTS), clock))
