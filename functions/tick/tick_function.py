"""Tick Lambda: fired by the EventBridge rule every minute, or woken by a write (a wake event); claims due
jobs and dispatches them, setting alarms on the SQS timer for what falls due later in its minute."""

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
from serverless_jobs.adapters.lambda_events import fired_at, woken_for
from serverless_jobs.lambda_entry import LambdaHandler, at_init, instrumented, logger
from serverless_jobs.ports import Clock, Dispatcher, NotificationHandOff, ShardDispatcher
from serverless_jobs.settings import Settings
from serverless_jobs.usecases.fan_out import FanOut
from serverless_jobs.usecases.tick import run_window
from serverless_jobs.wiring import AwsClients, deps_on_dynamodb, lambda_invokes, runner_switch


def build(
    settings: Settings,
    clients: AwsClients,
    clock: Clock,
    *,
    dispatcher: Dispatcher | None = None,
    shards: ShardDispatcher | None = None,
    sleep: Callable[[float], object] = time.sleep,
    rng: random.Random | None = None,
    notifications: NotificationHandOff | None = None,
) -> LambdaHandler:
    """The tick's handler: dispatches runs, hands owed notifications to the executor and the shards of a
    herd out, through Lambda unless given another dispatcher, hand-off and shard dispatcher (the local
    stack's); without a dispatch function it never fans out."""
    invokes = lambda_invokes(settings, clients, dispatcher=dispatcher, notifications=notifications, shards=shards)
    deps = deps_on_dynamodb(
        settings, clock, rng, clients.tuning, clients.session, notifications=invokes.notifications, timer=invokes.timer
    )
    fan_out = None if invokes.shards is None else FanOut(invokes.shards, settings.fan_out_threshold)
    runner = runner_switch(settings, clients)

    def is_running() -> bool:
        """The switch, read before each pass; found stopped, the rule that fired this tick is disabled again."""
        running = runner.is_running()
        if not running:
            try:
                runner.hold_stopped()
            except Exception:  # the switch is still off: this tick dispatches nothing, and the next one retries
                logger.exception("the runner is stopped, but its rule could not be disabled again")
        return running

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            report = run_window(
                deps,
                invokes.runs,
                remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000,
                is_running=is_running,
                sleep=sleep,
                fired_at=fired_at(event),
                woken_for=woken_for(event),
                fan_out=fan_out,
            )
        except Exception:  # run_window guards its steps; this is for what nobody foresaw
            logger.exception("tick failed; the next tick tries again")
            return {"error": "tick failed; see the log"}
        logger.info("tick", extra=asdict(report))
        return asdict(report)

    return instrumented(handle)


lambda_handler = at_init(lambda settings, clock: build(settings, AwsClients(TICK_CLIENTS, DISPATCH_CLIENTS), clock))
