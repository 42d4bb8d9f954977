"""The API under a failing AWS: 503 with Retry-After, nothing half-done; the unforeseen a 500 naming the request."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

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
    injector.attach([*dynamodb_clients(), stack.clients.lambda_, stack.clients.events])
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
        assert reply.status == 503, reply.body
        assert reply.headers["retry-after"] == "1"
        assert "retry" in reply.body["message"]
    if sum(count for kind, count in failing_aws.injected.items() if kind.startswith("before")) == 5:
        assert snapshot() == before  # every call failed before AWS applied it: nothing changed


def test_a_create_that_met_a_failing_aws_after_storing_the_job_answers_201(stack: Stack) -> None:
    """The job is stored whole and due; only its immediate start failed, which the tick does instead."""
    injector = FaultInjector(random.Random(0), rate=0.0)
    injector.attach([stack.clients.lambda_])
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
