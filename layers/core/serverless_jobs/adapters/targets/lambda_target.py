"""A `lambda` target: the function invoked synchronously with the job's data; its return value is the result."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from serverless_jobs.adapters.lambda_events import run_event
from serverless_jobs.adapters.targets.failures import Delivered, aws_failure, text_or_json
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.jsonvalue import compact
from serverless_jobs.domain.outcome import Outcome
from serverless_jobs.domain.targets import Target

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


class LambdaTarget:
    """`Invoke` (RequestResponse) with `{"data": <the job's data>, "context": <the run's ids>}`.

    A function error (the function raised, or Lambda ended it) fails the run and is retried like a
    handler's; the client never retries the call itself (`TARGET_INVOKE_CLIENTS`), which would run the
    function twice.
    """

    def __init__(self, client: Callable[[], LambdaClient]) -> None:
        self._client = client

    def send(self, target: Target, data: dict[str, Any], run: RunRequest, timeout_seconds: float) -> Delivered:
        payload = compact({"data": data, "context": run_event(run)}).encode()
        try:
            reply = self._client().invoke(FunctionName=target.arn, InvocationType="RequestResponse", Payload=payload)
            returned = text_or_json(reply["Payload"].read())
        except Exception as error:
            return aws_failure(error)
        if "FunctionError" in reply:
            return Outcome(False, f"FunctionError ({reply['FunctionError']}): {json.dumps(returned)}"), None
        return Outcome(True), returned
