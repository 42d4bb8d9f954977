"""The finish on its own (decision 0058, "Write-unit cuts"): the executor closes the run's history entry, then
moves the job on in a write of its own, no transaction. The window between the two writes: an executor that
dies there leaves the entry closed and the job `running`; the tick applies the finish from the entry once the
lease expires, once, with everything the finish carries (the run counted, the slot given back, the `skipped`
entry, the owed notification). An API write landing there is kept, as one landing during the run is.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from devtools.aws_calls import running_function
from devtools.dynamo import dynamodb_clients
from devtools.faults import FaultInjector
from devtools.stack import Stack
from devtools.template import TARGET_ARNS
from serverless_jobs.domain.notify import RESEND_AFTER_MILLIS
from serverless_jobs.registry import RunContext, registered_for_now

TIMEOUT = 30
EXECUTOR = "ExecutorFunction"
DIES = "test-dies-before-its-finish"


@pytest.fixture
def dies_before_finish(stack: Stack) -> Iterator[FaultInjector]:
    """A handler (`data["fail"]`: raising) after which every call its executor makes on the Jobs table fails,
    as if the function ended there: its history entry is closed, its job's finish never lands."""
    dying = FaultInjector(random.Random(0), rate=2.0, functions=frozenset({EXECUTOR}))  # every call fails

    def handler(data: dict[str, Any], ctx: RunContext) -> Any:
        dying.active = True
        if data.get("fail"):
            raise RuntimeError("boom")
        return "ran"

    dying.attach(dynamodb_clients(jobs_table_only=True))
    try:
        with registered_for_now(DIES, handler):
            yield dying
    finally:
        dying.active = False
        dying.detach()


def lease(stack: Stack) -> float:
    return TIMEOUT + stack.settings.lease_margin_seconds


def run_once(stack: Stack, job: dict[str, Any], dying: FaultInjector | None = None) -> dict[str, Any]:
    """Trigger `job` and deliver its run (its executor dying as the handler returns, with `dying`); the
    executor's result."""
    assert stack.api.post(f"/jobs/{job['id']}/trigger").status == 202
    [result] = stack.deliver()
    if dying is not None:
        dying.active = False  # the executor is gone: later invocations are new ones
    return result


def test_an_executor_dying_between_the_close_and_the_finish_is_finished_by_the_tick_once(
    stack: Stack, dies_before_finish: FaultInjector
) -> None:
    job = stack.create(schedule="1h", handler=DIES, timeoutSeconds=TIMEOUT, maxAttempts=2)

    run_once(stack, job, dies_before_finish)

    [closed] = stack.history(job["id"])
    assert closed["status"] == "completed"  # the entry closed first
    assert stack.job(job["id"])["status"] == "running"  # the finish never landed
    stack.clock.advance(lease(stack) - 1)
    assert stack.tick()["recovered"] == 0  # within its lease: nothing moves

    stack.clock.advance(2)
    stack.tick()

    moved = stack.job(job["id"])
    assert (moved["status"], moved["attempts"], moved["successfulRuns"], moved["lastError"]) == ("pending", 0, 1, None)
    assert moved["nextRunAt"] == job["nextRunAt"]  # on to the next occurrence, as the executor would have
    assert [(run["id"], run["status"]) for run in stack.history(job["id"])] == [(closed["id"], "completed")]
    stack.clock.advance(lease(stack))
    stack.tick()
    assert stack.job(job["id"]) == moved  # applied once: a later pass finds nothing to apply again
    assert len(stack.invocations.calls) == 1  # and nothing ran again


@pytest.mark.usefixtures("targets")
def test_a_failed_run_whose_finish_is_lost_is_retried_once_and_its_owed_notification_sent_once(
    stack: Stack, dies_before_finish: FaultInjector
) -> None:
    notify = {"onEveryFailure": True, "onFailure": {"type": "sqs", "arn": TARGET_ARNS["sqs"]}}
    fields = {"handler": DIES, "data": {"fail": True}, "timeoutSeconds": TIMEOUT, "maxAttempts": 3}
    fields["retryBackoffSeconds"] = 3600  # the retry not due yet: only the notification goes out
    job = stack.create(schedule="1h", notify=notify, **fields)

    run_once(stack, job, dies_before_finish)
    [closed] = stack.history(job["id"])
    assert closed["status"] == "failed"
    stack.clock.advance(max(lease(stack), RESEND_AFTER_MILLIS / 1000) + 1)
    report = stack.tick(remaining_millis=10_000)  # time to spare: it hands owed notifications over
    stack.deliver()

    retry = stack.job(job["id"])
    assert (retry["status"], retry["attempts"], retry["lastError"]) == ("pending", 1, "RuntimeError: boom")
    assert report["renotified"] == 1  # the mark written with the close: handed to the executor by the tick
    assert [(message["runId"], message["outcome"]) for message in received()] == [(closed["id"], "failed")]
    [entry] = stack.history(job["id"])
    assert (entry["status"], entry["notification"]) == ("failed", None)  # delivered: owed no longer


def received() -> list[dict[str, Any]]:
    """Every notification the target queue holds, as its body says."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=TARGET_ARNS["sqs"].rsplit(":", 1)[-1])["QueueUrl"]
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [json.loads(message["Body"]) for message in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
        )
    return bodies


def test_a_finish_lost_after_the_close_gives_the_slot_back_once(
    stack: Stack, dies_before_finish: FaultInjector
) -> None:
    fields = {"handler": DIES, "timeoutSeconds": TIMEOUT, "concurrencyKey": "k", "concurrencyLimit": 1}
    job = stack.create(schedule="1h", **fields)

    run_once(stack, job, dies_before_finish)
    assert stack.jobs.slots_held("k") == 1  # held while the job holds its run
    stack.clock.advance(lease(stack) + 1)
    stack.tick()

    assert stack.job(job["id"])["status"] == "pending"
    assert stack.jobs.slots_held("k") == 0
    stack.clock.advance(lease(stack))
    stack.tick()
    assert stack.jobs.slots_held("k") == 0  # not given back twice


class BetweenCloseAndFinish:
    """Runs `action` once, once armed, as the executor's next call on the Jobs table is about to be made:
    after the handler, that is its finish, after the entry's close."""

    def __init__(self, action: Callable[[], object]) -> None:
        self.action = action
        self.armed = False

    def before(self, **_: Any) -> None:
        if self.armed and running_function.get() == EXECUTOR:
            self.armed = False
            self.action()


@contextmanager
def between_close_and_finish(action: Callable[[], object]) -> Iterator[BetweenCloseAndFinish]:
    between = BetweenCloseAndFinish(action)
    clients = dynamodb_clients(jobs_table_only=True)
    for client in clients:
        client.meta.events.register("before-call.dynamodb", between.before)
    try:
        yield between
    finally:
        for client in clients:
            client.meta.events.unregister("before-call.dynamodb", between.before)


@pytest.mark.parametrize("edit", ["rename", "pause"])
def test_an_api_write_landing_between_the_close_and_the_finish_is_kept(stack: Stack, edit: str) -> None:
    job = stack.create(schedule="1h", timeoutSeconds=TIMEOUT, maxAttempts=2)
    path = f"/jobs/{job['id']}"

    def write() -> None:
        reply = stack.api.put(path, {"name": "renamed"}) if edit == "rename" else stack.api.post(f"{path}/pause")
        assert reply.status == 200, reply.body

    with between_close_and_finish(write) as between:

        def arm_then_run(data: dict[str, Any], ctx: RunContext) -> Any:
            between.armed = True
            return "ran"

        with registered_for_now("test-arm", arm_then_run):
            stack.api.put(path, {"handler": "test-arm"})
            assert run_once(stack, job)["outcome"] == "completed"

    [entry] = stack.history(job["id"])
    assert entry["status"] == "completed"
    after = stack.job(job["id"])
    if edit == "rename":  # the edit kept, the outcome applied on top of it
        assert (after["name"], after["status"], after["successfulRuns"]) == ("renamed", "pending", 1)
    else:  # paused: the finish moves no paused job; its lease ends, the tick lets go of the run
        assert (after["status"], after["successfulRuns"]) == ("paused", 0)
        stack.clock.advance(lease(stack) + 1)
        stack.tick()
        released = stack.job(job["id"])
        assert (released["status"], released["successfulRuns"], released["nextRunAt"]) == ("paused", 0, None)
        assert [run["status"] for run in stack.history(job["id"])] == ["completed"]


def test_a_skip_run_whose_finish_is_lost_records_its_skipped_occurrences_once(
    stack: Stack, dies_before_finish: FaultInjector
) -> None:
    job = stack.create(schedule="30s", handler=DIES, timeoutSeconds=TIMEOUT, overlap="skip")
    stack.clock.advance(30)
    assert stack.tick()["dispatched"] == 1
    stack.deliver()
    dies_before_finish.active = False
    assert [run["status"] for run in stack.history(job["id"])] == ["completed"]

    stack.clock.advance(lease(stack) + 1)  # occurrences fell due meanwhile, the job still held by its run
    stack.tick()

    statuses = [run["status"] for run in stack.history(job["id"])]
    assert sorted(status for status in statuses if status != "running") == ["completed", "skipped"]
    assert stack.job(job["id"])["successfulRuns"] == 1


def test_a_tick_finishing_from_the_entry_between_the_close_and_the_finish_counts_the_run_once(stack: Stack) -> None:
    """The executor's finish is late (its lease passed as it closed the entry): the tick finishes the job from
    the closed entry first; the executor's finish then finds the run gone and writes nothing."""
    job = stack.create(schedule="1h", timeoutSeconds=TIMEOUT, maxAttempts=2)
    seen: list[str] = []

    def tick_past_the_lease() -> None:
        seen.extend(run["status"] for run in stack.history(job["id"]))  # closed before any finish is tried
        stack.clock.advance(lease(stack) + 1)
        assert stack.tick()["recovered"] == 0  # not lost: followed as its closed entry says

    with between_close_and_finish(tick_past_the_lease) as between:

        def arm_then_run(data: dict[str, Any], ctx: RunContext) -> Any:
            between.armed = True
            return "ran"

        with registered_for_now("test-arm", arm_then_run):
            stack.api.put(f"/jobs/{job['id']}", {"handler": "test-arm"})
            assert run_once(stack, job)["outcome"] == "completed"

    assert seen == ["completed"]
    moved = stack.job(job["id"])
    assert (moved["status"], moved["attempts"], moved["successfulRuns"]) == ("pending", 0, 1)
    assert [run["status"] for run in stack.history(job["id"])] == ["completed"]
