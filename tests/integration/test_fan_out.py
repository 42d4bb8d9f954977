"""A herd beyond one invocation's reach: the tick hands its shards to parallel dispatch invocations (decision "The tick
fans out by shard").

The stack runs each hand-off's dispatch function at once, in the tick's thread that invoked it, as Lambda
would run it in parallel; the executor's events are kept, so each test sees every run dispatched.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from devtools.aws_calls import running_function
from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_clients
from devtools.faults import FaultInjector
from devtools.functions import build_function
from devtools.stack import EVENTS, START, Stack
from local_stack.workers import ThreadShardDispatcher
from serverless_jobs.domain.lifecycle import shard_for
from serverless_jobs.domain.timefmt import iso_z, to_millis
from serverless_jobs.usecases.fan_out import HOLD_SECONDS

THRESHOLD = 5
HOLD_TIMEOUT = 10  # seconds a held claim waits for the other function's before the test fails


@pytest.fixture
def herd_stack(aws: list[str]) -> Iterator[Stack]:
    wired = Stack(ManualClock(START), fan_out_threshold=THRESHOLD)
    yield wired
    wired.close()


def herd(stack: Stack, size: int, **fields: Any) -> list[str]:
    """`size` jobs due at one instant, the clock moved past it."""
    due_at = iso_z(stack.clock.now() + timedelta(seconds=30))
    jobs = [stack.create(runAt=due_at, **fields)["id"] for _ in range(size)]
    stack.clock.advance(31)
    return jobs


def dispatched(stack: Stack) -> Counter[str]:
    """How many times each job's run was dispatched to the executor."""
    return Counter(payload["jobId"] for payload in stack.invocations.payloads)


def busy_shards(stack: Stack, jobs: list[str]) -> set[str]:
    return {shard_for(job, stack.settings.due_shards) for job in jobs}


def test_a_pass_beyond_the_threshold_hands_each_busy_shard_to_a_dispatch_invocation(herd_stack: Stack) -> None:
    jobs = herd(herd_stack, 3 * THRESHOLD)

    report = herd_stack.tick()

    shards = busy_shards(herd_stack, jobs)
    assert (report["handed"], report["dispatched"], report["faults"]) == (len(shards), 0, 0)
    handed = herd_stack.invocations.routed
    assert {call["FunctionName"] for call in handed} == {"DispatchFunction"}
    assert {call["InvocationType"] for call in handed} == {"Event"}
    assert sorted(call["Payload"]["shard"] for call in handed) == sorted(shards)
    assert {call["Payload"]["dueBy"] for call in handed} == {to_millis(herd_stack.clock.now())}
    assert dispatched(herd_stack) == Counter(jobs)  # each exactly once, by the dispatch invocations
    results = herd_stack.deliver()
    assert {result["outcome"] for result in results} == {"completed"}


def test_at_or_below_the_threshold_the_tick_settles_the_pass_itself(herd_stack: Stack) -> None:
    jobs = herd(herd_stack, THRESHOLD)

    report = herd_stack.tick()

    assert (report["handed"], report["dispatched"]) == (0, THRESHOLD)
    assert herd_stack.invocations.routed == []
    assert dispatched(herd_stack) == Counter(jobs)


def test_a_shard_handed_out_is_not_handed_again_while_its_dispatch_invocation_holds_it(herd_stack: Stack) -> None:
    jobs = herd(herd_stack, 3 * THRESHOLD)
    herd_stack.invocations.routes["DispatchFunction"] = lambda _: None  # slow dispatch invocations: not run yet

    first = herd_stack.tick()
    herd_stack.clock.advance(1)
    second = herd_stack.tick()
    herd_stack.clock.advance(HOLD_SECONDS)
    after_the_hold = herd_stack.tick()

    shards = len(busy_shards(herd_stack, jobs))
    assert (first["handed"], second["handed"], after_the_hold["handed"]) == (shards, 0, shards)
    assert (second["dispatched"], second["examined"]) == (0, 0)


def test_a_tick_pass_and_a_dispatch_invocation_racing_over_one_shard_dispatch_each_run_once(
    aws: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lambda never runs two invocations in one process; Powertools' shared metric buffer is not for threads.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    stack = Stack(ManualClock(START), due_shards=1)
    try:
        jobs = herd(stack, 20)
        # No claim is made until both functions have come to their claims: both have read the whole shard.
        reached = {"TickFunction": threading.Event(), "DispatchFunction": threading.Event()}
        waited_in_vain: list[str] = []

        def hold_claims(**_: Any) -> None:
            function = running_function.get()
            if function in reached:
                reached[function].set()
                [other] = [name for name in reached if name != function]
                if not reached[other].wait(HOLD_TIMEOUT):
                    waited_in_vain.append(function)

        clients = dynamodb_clients()
        for client in clients:
            client.meta.events.register("before-call.dynamodb.UpdateItem", hold_claims)
        reports: list[dict[str, Any]] = []
        itself = stack.build_tick(fan_out_threshold=1000)
        event = {"shard": "0", "dueBy": to_millis(stack.clock.now())}
        racers = [
            threading.Thread(target=lambda: reports.append(stack.tick(handler=itself))),
            threading.Thread(target=lambda: reports.append(stack.dispatch(event))),
        ]
        try:
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join()
        finally:
            for client in clients:
                client.meta.events.unregister("before-call.dynamodb.UpdateItem", hold_claims)

        assert waited_in_vain == []
        assert [report["examined"] for report in reports] == [20, 20]  # both saw every job due
        assert sum(report["dispatched"] for report in reports) == 20
        assert dispatched(stack) == Counter(jobs)
    finally:
        stack.close()


def test_a_refused_hand_off_loses_nothing_the_next_pass_hands_the_shard_again(herd_stack: Stack) -> None:
    jobs = herd(herd_stack, 3 * THRESHOLD)
    herd_stack.invocations.refusing = "TooManyRequestsException"

    refused = herd_stack.tick()
    herd_stack.invocations.refusing = None
    herd_stack.clock.advance(1)
    next_pass = herd_stack.tick()

    shards = len(busy_shards(herd_stack, jobs))
    assert (refused["handed"], refused["faults"]) == (0, shards)
    assert next_pass["handed"] == shards
    assert dispatched(herd_stack) == Counter(jobs)


def test_a_dispatch_invocation_that_fails_loses_nothing_a_later_pass_finds_the_jobs_still_due(
    herd_stack: Stack,
) -> None:
    jobs = herd(herd_stack, 3 * THRESHOLD)
    before = {job: herd_stack.job(job) for job in jobs}
    failing = FaultInjector(random.Random(0), rate=2.0, functions=frozenset({"DispatchFunction"}))  # every call
    failing.attach(dynamodb_clients())
    failing.active = True
    try:
        failed = herd_stack.tick()
    finally:
        failing.detach()

    assert failed["handed"] == len(busy_shards(herd_stack, jobs))
    assert dispatched(herd_stack) == Counter()
    assert {job: herd_stack.job(job) for job in jobs} == before  # still pending, still due
    herd_stack.clock.advance(HOLD_SECONDS)
    herd_stack.tick()
    assert dispatched(herd_stack) == Counter(jobs)


def test_a_dispatch_invocation_recovers_the_lost_runs_of_its_shard(herd_stack: Stack) -> None:
    jobs = herd(herd_stack, THRESHOLD + 3, timeoutSeconds=1, maxAttempts=2, retryBackoffSeconds=0)
    assert herd_stack.tick()["handed"] > 0  # dispatched; the executor events are never delivered
    herd_stack.clock.advance(1 + herd_stack.settings.lease_margin_seconds + 1)

    assert herd_stack.tick()["handed"] > 0

    for job in jobs:
        assert [run["status"] for run in herd_stack.history(job)] == ["timed_out"]
        assert (herd_stack.job(job)["status"], herd_stack.job(job)["attempts"]) == ("pending", 1)


def test_the_local_stacks_tick_runs_each_hand_off_on_a_thread_of_its_own(
    herd_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make dev`: the same tick and dispatch functions, the hand-offs on threads instead of Lambda."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # as in the local stack: one buffer, many threads
    jobs = herd(herd_stack, 3 * THRESHOLD)
    threads = ThreadShardDispatcher(herd_stack.dispatch_handler)
    tick = build_function("TickFunction", herd_stack.settings, herd_stack.clients, herd_stack.clock, shards=threads)

    report = herd_stack.tick(handler=tick)

    assert report["handed"] == len(busy_shards(herd_stack, jobs))
    assert herd_stack.invocations.routed == []  # no Invoke: the threads run the dispatch function themselves
    deadline = time.monotonic() + HOLD_TIMEOUT
    while sum(dispatched(herd_stack).values()) < len(jobs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dispatched(herd_stack) == Counter(jobs)


def test_the_sample_event_is_one_the_dispatch_function_takes(herd_stack: Stack) -> None:
    job = herd(herd_stack, 1)[0]
    event = json.loads((EVENTS / "dispatch" / "shard.json").read_text())
    event.update(shard=shard_for(job, herd_stack.settings.due_shards), dueBy=to_millis(herd_stack.clock.now()))

    assert herd_stack.dispatch(event)["dispatched"] == 1


@pytest.mark.parametrize(
    "event",
    [{}, {"shard": 2, "dueBy": 0}, {"shard": "64", "dueBy": 0}, {"shard": "0", "dueBy": "soon"}, {"shard": "0"}],
)
def test_an_event_that_is_not_a_hand_off_is_answered_with_an_error_and_changes_nothing(
    herd_stack: Stack, snapshot: Any, event: dict[str, Any]
) -> None:
    herd(herd_stack, 2)
    before = snapshot()

    assert "error" in herd_stack.dispatch(event)
    assert snapshot() == before
