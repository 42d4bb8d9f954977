"""The API under a failing AWS: 503 with Retry-After, nothing half-done; the unforeseen a 500 naming the request."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from devtools.api import ApiClient
from devtools.dynamo import dynamodb_clients
from devtools.faults import FaultInjector
from devtools.functions import build_function
from devtools.stack import Stack
from serverless_jobs.settings import Settings
from serverless_jobs.wiring import AwsClients


@pytest.fixture
def failing_aws(stack: Stack) -> Iterator[FaultInjector]:
    """Every call the functions make fails, before or after AWS applied it (throttling, 5xx, timeouts)."""
    injector = FaultInjector(random.Random(12), rate=2.0)
    injector.attach([*dynamodb_clients(), stack.clients.lambda_invoke, stack.clients.events])
    yield injector
    injector.detach()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/jobs", None),
        ("post", "/jobs", {"name": "n", "handler": "echo", "schedule": "1h"}),
        ("get", "/jobs/{id}", None),
        ("put", "/jobs/{id}", {"name": "renamed"}),
        ("post", "/jobs/{id}/trigger", None),
        ("post", "/jobs/{id}/pause", None),
        ("delete", "/jobs/{id}", None),
        ("get", "/jobs/{id}/history", None),
        ("post", "/jobs/runner/stop", None),
    ],
)
def test_a_throttled_or_failing_aws_is_a_503_with_retry_after(
    stack: Stack, failing_aws: FaultInjector, snapshot: Any, method: str, path: str, body: Any
) -> None:
    job = stack.create(schedule="1h")
    before = snapshot()
    failing_aws.active = True
    for _ in range(5):  # several draws of the fault: before and after applying
        args = (path.format(id=job["id"]), body) if body is not None else (path.format(id=job["id"]),)
        reply = getattr(stack.api, method)(*args)
        if method == "post" and path == "/jobs" and reply.status == 201:
            continue  # the insert was applied and its answer lost: the stored job is the answer, whole
        assert reply.status == 503, reply.body
        assert reply.headers["retry-after"] == "1"
        assert "retry" in reply.body["message"]
    if sum(count for kind, count in failing_aws.injected.items() if kind.startswith("before")) == 5:
        assert snapshot() == before  # every call failed before AWS applied it: nothing changed


def test_a_create_that_met_a_failing_aws_after_storing_the_job_answers_201(stack: Stack) -> None:
    """The job is stored whole and due; only its immediate start failed, which the tick does instead."""
    injector = FaultInjector(random.Random(0), rate=0.0)
    injector.attach([stack.clients.lambda_invoke])
    injector.rate, injector.active = 2.0, True
    try:
        reply = stack.api.post("/jobs", {"name": "now", "handler": "echo"})
    finally:
        injector.detach()
    assert reply.status == 201, reply.body
    stack.clock.advance(120)
    stack.tick()
    stack.deliver()
    assert stack.job(reply.body["id"])["status"] == "completed"


class BrokenClock:
    def now(self) -> datetime:
        raise RuntimeError("the clock is broken")


def test_an_unexpected_error_is_a_500_naming_the_request_id(aws: list[str]) -> None:
    api = ApiClient(build_function("ApiFunction", Settings.from_environment(), AwsClients(), BrokenClock()))
    reply = api.post("/jobs", {"name": "n", "handler": "echo"})
    assert reply.status == 500
    assert "request id c6af9ac6-7b61-11e6-9a41-93e8deadbeef" in reply.body["message"]
    assert "Traceback" not in str(reply.body)


def test_a_create_whose_answer_was_lost_converges_when_retried_with_its_idempotency_key(stack: Stack) -> None:
    """The job was stored but the answer lost (a 503); the retry answers that job, and no second one exists."""
    lost: list[str] = []
    sent: list[dict[str, Any]] = []

    def note_the_request(model: Any, params: dict[str, Any], **_: Any) -> None:
        sent.append(json.loads(params["body"]))

    def lose_the_answer(model: Any, **_: Any) -> None:
        request = sent[-1]
        if request["TableName"] == stack.settings.jobs_table and not lost:
            lost.append(request["Item"]["id"]["S"])  # applied: the job is stored; only the answer is lost
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    clients = dynamodb_clients()
    for client in clients:
        client.meta.events.register("before-call.dynamodb.PutItem", note_the_request)
        client.meta.events.register("after-call.dynamodb.PutItem", lose_the_answer)
    body = {"name": "once", "handler": "echo", "schedule": "1h"}
    key = {"Idempotency-Key": "a3c1f0e2-retry"}
    try:
        first = stack.api.request("POST", "/jobs", body, headers=key)
        retried = stack.api.request("POST", "/jobs", body, headers=key)
    finally:
        for client in clients:
            client.meta.events.unregister("before-call.dynamodb.PutItem", note_the_request)
            client.meta.events.unregister("after-call.dynamodb.PutItem", lose_the_answer)

    assert (first.status, retried.status) == (503, 201)
    assert retried.body["id"] == lost[0]
    assert [job["id"] for job in stack.api.get("/jobs").body["jobs"]] == lost
