"""Jobs-resource Lambda: CloudFormation's `Custom::ServerlessJob` requests, each answered at its ResponseURL.

CloudFormation invokes it asynchronously and waits for the answer at the presigned ResponseURL, not for
the function's return: whatever happens (a refused field, AWS failing, a bug), a response is sent, or the
stack would wait an hour for the timeout. What it does is http/custom_resource.py's.
"""

from __future__ import annotations

import gc

gc.disable()  # for Lambda's init phase: serverless_jobs.init_phase says why; at_init() turns it back on

import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from serverless_jobs.adapters.client_tuning import API_CLIENTS
from serverless_jobs.http.custom_resource import answer, failure
from serverless_jobs.lambda_entry import LambdaHandler, at_init, instrumented, logger
from serverless_jobs.ports import Clock, Dispatcher, NotificationHandOff, Waker
from serverless_jobs.settings import Settings
from serverless_jobs.wiring import AwsClients, job_service

Send = Callable[[str, dict[str, Any]], None]
# Time kept back to send the response: a delete stops its history clean-up this long before the timeout.
ANSWER_MARGIN_MILLIS = 5_000
SEND_ATTEMPTS = 3


def put_response(url: str, body: dict[str, Any], sleep: Callable[[float], None] = time.sleep) -> None:
    """PUT `body` to the presigned URL, as CloudFormation's own cfn-response does (no Content-Type: the
    URL was signed without one), retried: the answer is the whole point of the invocation."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="PUT", headers={"Content-Type": ""})
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                reply.read()
                return
        except OSError:
            if attempt == SEND_ATTEMPTS:
                raise
            sleep(attempt)


def build(
    settings: Settings,
    clients: AwsClients,
    clock: Clock,
    *,
    dispatcher: Dispatcher | None = None,
    waker: Waker | None = None,
    notifications: NotificationHandOff | None = None,
    send: Send = put_response,
) -> LambdaHandler:
    """The handler: a JobService as the API's (a job due now starts at once, the tick is woken), and `send`
    for the response (a PUT to the ResponseURL)."""
    service, _ = job_service(settings, clients, clock, dispatcher=dispatcher, waker=waker, notifications=notifications)

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        def has_time() -> bool:
            return context.get_remaining_time_in_millis() > ANSWER_MARGIN_MILLIS

        keys = {name: event.get(name) for name in ("RequestType", "LogicalResourceId", "RequestId")}
        try:
            response = answer(service, event, has_time)
        except Exception as error:  # AWS failing, or a bug: CloudFormation still hears, and the log has it
            logger.exception("custom resource request failed", extra=keys)
            response = failure(
                event, f"{type(error).__name__}; the function log has it under request id {context.aws_request_id}"
            )
        logger.info(
            "custom resource answered", extra={**keys, "status": response["Status"], "reason": response.get("Reason")}
        )
        url = event.get("ResponseURL")
        if isinstance(url, str) and url:
            send(url, response)  # failing after its retries, it raises: Lambda retries the invocation
        return response

    return instrumented(handle, traced=False)


lambda_handler = at_init(lambda settings, clock: build(settings, AwsClients(API_CLIENTS), clock))
