"""Captures the functions' Lambda `Invoke` calls at botocore's edge, so the real dispatcher and waker code runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from serverless_jobs.adapters.lambda_events import woken_for


class InvokeRecorder:
    """Answers an async `Invoke` (InvocationType=Event) as Lambda does (202) and keeps what was sent: runs for the
    executor (`payloads`) apart from wake events for the tick (`wakes`)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.on_invoke: Callable[[dict[str, Any]], object] | None = None  # called with each run's payload
        self.refusing: str | None = None  # an error code Lambda answers every Invoke with, while set
        # Functions whose events are not kept but run by a function of the harness at once, in the calling
        # thread (the tick's hand-offs to the dispatch function), by function name; and what they were sent.
        self.routes: dict[str, Callable[[dict[str, Any]], object]] = {}
        self.routed: list[dict[str, Any]] = []

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.lambda.Invoke", self._answer)

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-call.lambda.Invoke", self._answer)

    def _answer(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if params["headers"].get("X-Amz-Invocation-Type") != "Event":
            return None  # a synchronous Invoke (a lambda target's) goes on to moto's Lambda
        if self.refusing is not None:
            error = {"Error": {"Code": self.refusing, "Message": "refused by the test"}, "ResponseMetadata": {}}
            return AWSResponse(params["url"], 400, HTTPHeaders(), None), error
        body = params["body"]
        call = {
            "FunctionName": params["url_path"].split("/functions/")[1].split("/")[0],
            "InvocationType": params["headers"].get("X-Amz-Invocation-Type"),
            "Payload": json.loads(body),
        }
        route = self.routes.get(call["FunctionName"])
        if route is not None:
            self.routed.append(call)
            route(call["Payload"])
            return AWSResponse(params["url"], 202, HTTPHeaders(), None), {"StatusCode": 202, "ResponseMetadata": {}}
        self.calls.append(call)
        if self.on_invoke is not None and woken_for(call["Payload"]) is None:
            self.on_invoke(call["Payload"])
        return AWSResponse(params["url"], 202, HTTPHeaders(), None), {"StatusCode": 202, "ResponseMetadata": {}}

    @property
    def payloads(self) -> list[dict[str, Any]]:
        """The runs dispatched to the executor, in order."""
        return [call["Payload"] for call in self.calls if woken_for(call["Payload"]) is None]

    @property
    def wakes(self) -> list[dict[str, Any]]:
        """The wake events sent to the tick, in order."""
        return [call["Payload"] for call in self.calls if woken_for(call["Payload"]) is not None]
