"""Dispatch Lambda: invoked by the tick for one shard of a herd; settles that shard's due jobs as a tick pass does.

The event is `{"shard": "3", "dueBy": <epoch ms>}`: the shard of the `due` index and the handing pass's
instant (usecases.fan_out). Claims are conditional writes, so this invocation, another one for the same
shard and the tick's own passes never dispatch a run twice; an invocation that fails loses nothing, since
its jobs stay due for the next pass.
"""

from __future__ import annotations

import gc

gc.disable()  # for Lambda's init phase: serverless_jobs.init_phase says why; at_init() turns it back on

import random
from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from serverless_jobs.adapters.client_tuning import DISPATCH_CLIENTS, TICK_CLIENTS
from serverless_jobs.adapters.lambda_events import shard_of
from serverless_jobs.lambda_entry import LambdaHandler, at_init, instrumented, logger
from serverless_jobs.ports import Clock, Dispatcher, NotificationHandOff
from serverless_jobs.settings import Settings
from serverless_jobs.usecases.tick import run_shard
from serverless_jobs.wiring import AwsClients, deps_on_dynamodb, lambda_invokes


def build(
    settings: Settings,
    clients: AwsClients,
    clock: Clock,
    *,
    dispatcher: Dispatcher | None = None,
    rng: random.Random | None = None,
    notifications: NotificationHandOff | None = None,
) -> LambdaHandler:
    """The dispatch function's handler: dispatches runs (and a refused run's notification) through Lambda
    unless given another dispatcher and hand-off (the local stack's)."""
    invokes = lambda_invokes(settings, clients, dispatcher=dispatcher, notifications=notifications)
    deps = deps_on_dynamodb(settings, clock, rng, clients.tuning, clients.session, notifications=invokes.notifications)

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        work = shard_of(event)
        if work is None:
            logger.error("not a shard to dispatch; ignored", extra={"event": event})
            return {"error": "expected {'shard': '<0-63>', 'dueBy': <epoch ms>}"}
        try:
            report = run_shard(deps, invokes.runs, *work)
        except Exception:  # run_shard guards its steps; this is for what nobody foresaw
            logger.exception("dispatch failed; the jobs stay due for the next pass", extra={"shard": work[0]})
            return {"error": "dispatch failed; see the log"}
        logger.info("dispatch", extra={"shard": work[0], **asdict(report)})
        return asdict(report)

    return instrumented(handle)


lambda_handler = at_init(lambda settings, clock: build(settings, AwsClients(TICK_CLIENTS, DISPATCH_CLIENTS), clock))
