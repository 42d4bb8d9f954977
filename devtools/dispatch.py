"""Captures the functions' Lambda `Invoke` calls and the timer's `SendMessageBatch` at botocore's edge, so the
real dispatcher, waker and timer code runs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from serverless_jobs.adapters.lambda_events import woken_for
from serverless_jobs.ports import Clock


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


@dataclass(frozen=True)
class SentAlarm:
    """One timer message as sent: its body, and when it shows (the sender's clock then, plus its delay)."""

    message_id: str
    body: str
    shows_at: datetime


class TimerRecorder:
    """Answers `SendMessageBatch` to the timer queue as SQS does and keeps each message with the instant it
    shows (its `DelaySeconds` counted on `clock`, the manual one), for the harness to deliver as the event
    source mapping would (devtools.stack.Stack.fire_timers). Other queues' calls go on to moto."""

    def __init__(self, clock: Clock, queue_url: str) -> None:
        self.clock = clock
        self.queue_url = queue_url
        self.sent: list[SentAlarm] = []
        self.refusing: str | None = None  # an error code SQS answers every send with, while set

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.sqs.SendMessageBatch", self._answer)

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-call.sqs.SendMessageBatch", self._answer)

    def _answer(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        request = json.loads(params["body"])
        if request.get("QueueUrl") != self.queue_url:
            return None
        if self.refusing is not None:
            error = {"Error": {"Code": self.refusing, "Message": "refused by the test"}, "ResponseMetadata": {}}
            return AWSResponse(params["url"], 400, HTTPHeaders(), None), error
        successful = []
        for entry in request["Entries"]:
            message_id = str(uuid.uuid4())
            delay = timedelta(seconds=int(entry.get("DelaySeconds", 0)))
            self.sent.append(SentAlarm(message_id, entry["MessageBody"], self.clock.now() + delay))
            successful.append({"Id": entry["Id"], "MessageId": message_id, "MD5OfMessageBody": ""})
        answer = {"Successful": successful, "Failed": [], "ResponseMetadata": {}}
        return AWSResponse(params["url"], 200, HTTPHeaders(), None), answer
