"""A herd: many jobs due at one instant are claimed and dispatched with their AWS calls overlapped (decision "A tick
pass overlaps its AWS calls").

Each test holds some calls back until others have happened: a pass that made its calls one after another
would meet the hold with nobody to release it, and fail its step (or wait in vain) instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from devtools.aws_calls import running_function
from devtools.dynamo import dynamodb_clients
from devtools.latency import NetworkLatency
from devtools.stack import Stack
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.usecases.tick import CALLS_IN_FLIGHT

HOLD_SECONDS = 10  # how long a held call waits for the others before the test counts it as failed


def herd(stack: Stack, size: int) -> set[str]:
    """`size` jobs due at one instant, the clock moved past it."""
    due_at = iso_z(stack.clock.now() + timedelta(seconds=30))
    jobs = {stack.create(runAt=due_at)["id"] for _ in range(size)}
    stack.clock.advance(31)
    return jobs


@contextmanager
def on_the_ticks_claims(hook: Callable[[], object]) -> Iterator[None]:
    """Call `hook` at the start of every conditional write the tick makes, outside moto's lock."""

    def call(**_: Any) -> None:
        if running_function.get() == "TickFunction":
            hook()

    clients = dynamodb_clients()
    for client in clients:
        client.meta.events.register("before-call.dynamodb.UpdateItem", call)
    try:
        yield
    finally:
        for client in clients:
            client.meta.events.unregister("before-call.dynamodb.UpdateItem", call)


def test_a_pass_makes_its_claims_at_once_in_the_ticks_name(stack: Stack) -> None:
    jobs = herd(stack, 8)
    # Each claim waits until all eight are under way; only claims attributed to the tick count (its context
    # reaches the pass's threads, or the deployed role would never be checked against their calls).
    everyone = threading.Barrier(len(jobs), timeout=HOLD_SECONDS)

    with on_the_ticks_claims(everyone.wait):
        report = stack.tick()

    assert (report["dispatched"], report["faults"]) == (8, 0)
    assert {payload["jobId"] for payload in stack.invocations.payloads} == jobs


def test_a_won_claim_is_dispatched_while_other_claims_are_under_way(stack: Stack) -> None:
    jobs = herd(stack, 8)
    invoked = threading.Event()
    first = threading.Lock()
    waited_in_vain: list[bool] = []
    stack.invocations.on_invoke = lambda _: invoked.set()

    def first_claim_waits_for_an_invoke() -> None:
        if first.acquire(blocking=False):
            waited_in_vain.append(not invoked.wait(HOLD_SECONDS))

    with on_the_ticks_claims(first_claim_waits_for_an_invoke):
        report = stack.tick()

    assert waited_in_vain == [False]
    assert (report["dispatched"], report["faults"]) == (8, 0)
    assert {payload["jobId"] for payload in stack.invocations.payloads} == jobs


def test_a_herd_larger_than_the_bound_keeps_at_most_the_bound_of_calls_in_flight(stack: Stack) -> None:
    jobs = herd(stack, CALLS_IN_FLIGHT + 8)
    network = NetworkLatency(0.005)  # a round trip, so that an unbounded pass would have every call in flight
    network.attach([*dynamodb_clients(), stack.clients.lambda_invoke, stack.clients.events])
    try:
        report = stack.tick()
    finally:
        network.detach()

    assert report["dispatched"] == len(jobs)
    assert 1 < network.most_in_flight <= CALLS_IN_FLIGHT
