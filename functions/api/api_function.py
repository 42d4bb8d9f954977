"""API Lambda: API Gateway proxy events -> the routes of serverless_jobs.http.app."""

from __future__ import annotations

import gc

gc.disable()  # for Lambda's init phase: serverless_jobs.init_phase says why; at_init() turns it back on

from aws_lambda_powertools.logging import correlation_paths

from serverless_jobs.adapters.aws_errors import is_transient
from serverless_jobs.adapters.client_tuning import API_CLIENTS
from serverless_jobs.http.app import answering, make_app
from serverless_jobs.http.idempotency import CreateOnce
from serverless_jobs.http.page_tokens import PageTokens
from serverless_jobs.lambda_entry import LambdaHandler, at_init, instrumented
from serverless_jobs.ports import Clock, Dispatcher, NotificationHandOff, Waker
from serverless_jobs.settings import Settings
from serverless_jobs.wiring import AwsClients, job_service, page_token_key, runner_switch


def build(
    settings: Settings,
    clients: AwsClients,
    clock: Clock,
    *,
    dispatcher: Dispatcher | None = None,
    waker: Waker | None = None,
    notifications: NotificationHandOff | None = None,
) -> LambdaHandler:
    """The API's handler: dispatches immediate work (and a refused run's notification), and wakes the tick,
    through Lambda unless given another dispatcher, hand-off and waker (the local stack's)."""
    service, tick_waker = job_service(
        settings, clients, clock, dispatcher=dispatcher, waker=waker, notifications=notifications
    )

    def switched(running: bool) -> None:
        """A runner started wakes the tick for what fell due meanwhile."""
        if running:
            tick_waker.wake(clock.now())

    runner = runner_switch(settings, clients, on_switch=switched)
    once = CreateOnce(settings.idempotency_table, lambda: clients.dynamodb)
    tokens = PageTokens(page_token_key(settings, clients))
    app = make_app(service, runner, tokens, once, clock, is_transient)
    return instrumented(answering(app, is_transient), correlation_id_path=correlation_paths.API_GATEWAY_REST)


lambda_handler = at_init(lambda settings, clock: build(settings, AwsClients(API_CLIENTS), clock))
