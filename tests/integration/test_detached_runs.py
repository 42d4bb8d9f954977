"""Runs that pause or cancel detached from their job: recorded, never left `running`, never moving the job.

A job paused or cancelled while its run is out holds that run until its lease expires (decision "A detached run is held
until its lease ends"): the tick
then closes the run's history entry as `timed_out` if the executor never closed it, and lets the job go,
which stays paused or cancelled. Resume within the lease takes the run back rather than starting another.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from devtools.dynamo import dynamodb_clients
from devtools.faults import FaultInjector
from devtools.stack import Stack
from serverless_jobs.registry import RunContext, registered_for_now

TIMEOUT = 30


class Detacher:
    """A handler that pauses or cancels its own job mid-run (`data["action"]`), and can then let its executor
    die: with `data["dies"]`, every AWS call the executor makes after the handler returns fails, as if the
    function had ended there (its history entry stays `running`)."""

    name = "test-detach-self"

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.answers: list[dict[str, Any]] = []
        self.dying = FaultInjector(random.Random(0), rate=2.0)  # every call fails while active

    def __call__(self, data: dict[str, Any], ctx: RunContext) -> Any:
        for action in data["actions"]:
            reply = self.stack.api.post(f"/jobs/{ctx.job_id}/{action}")
            assert reply.status == 200, reply.body
            self.answers.append(reply.body)
        self.dying.active = bool(data.get("dies"))
        return "ran"


@pytest.fixture
def detacher(stack: Stack) -> Iterator[Detacher]:
    handler = Detacher(stack)
    handler.dying.attach(dynamodb_clients())
    try:
        with registered_for_now(Detacher.name, handler):
            yield handler
    finally:
        handler.dying.detach()


def run_detached(stack: Stack, detacher: Detacher, *actions: str, dies: bool = False, **fields: Any) -> dict[str, Any]:
    """Create a job that does `actions` to itself while it runs, run it once now (one-time jobs start at
    once, others are triggered); its executor's result."""
    fields = {"timeoutSeconds": TIMEOUT, "maxAttempts": 3, **fields}
    job = stack.create(handler=Detacher.name, data={"actions": list(actions), "dies": dies}, **fields)
    if "schedule" in fields:
        assert stack.api.post(f"/jobs/{job['id']}/trigger").status == 202
    [result] = stack.deliver()
    detacher.dying.active = False
    assert result["jobId"] == job["id"]
    return result


def lease_end(stack: Stack) -> timedelta:
    return timedelta(seconds=TIMEOUT + stack.settings.lease_margin_seconds)


def on_due_index(stack: Stack, job_id: str) -> bool:
    stored = stack.jobs.get(job_id)
    assert stored is not None
    return stored.due_shard is not None or stored.next_run_at is not None


@pytest.mark.parametrize(("action", "status"), [("pause", "paused"), ("cancel", "cancelled")])
def test_a_detached_run_whose_executor_dies_is_closed_timed_out_after_its_lease(
    stack: Stack, detacher: Detacher, action: str, status: str
) -> None:
    job_id = run_detached(stack, detacher, action, dies=True)["jobId"]
    [answer] = detacher.answers
    assert (answer["status"], answer["nextRunAt"]) == (status, None)  # the answer is as it always was
    [open_run] = stack.history(job_id)
    assert open_run["status"] == "running"
    before = stack.job(job_id)

    stack.clock.advance(lease_end(stack).total_seconds() - 1)
    assert stack.tick()["recovered"] == 0
    assert stack.history(job_id)[0]["status"] == "running"  # still within its lease: it may yet report

    stack.clock.advance(2)
    assert stack.tick()["recovered"] == 1

    [closed] = stack.history(job_id)
    assert (closed["id"], closed["status"]) == (open_run["id"], "timed_out")
    assert closed["error"].startswith("LeaseExpired")
    assert stack.job(job_id) == before  # still paused or cancelled, attempts and lastError untouched
    assert not on_due_index(stack, job_id)
    stack.clock.advance(3600)
    assert stack.tick()["examined"] == 0
    assert len(stack.invocations.calls) == 1  # nothing was run again


def test_a_detached_run_whose_executor_finishes_is_recorded_and_left_alone(stack: Stack, detacher: Detacher) -> None:
    result = run_detached(stack, detacher, "pause")
    job_id = result["jobId"]

    assert result["outcome"] == "completed"
    [run] = stack.history(job_id)
    assert (run["status"], run["result"]) == ("completed", "ran")
    paused = stack.job(job_id)
    assert (paused["status"], paused["attempts"], paused["lastError"]) == ("paused", 1, None)

    stack.clock.advance(lease_end(stack).total_seconds() + 1)
    assert stack.tick()["recovered"] == 0  # the tick lets the job go of the run, and leaves its entry be

    assert stack.history(job_id) == [run]
    assert stack.job(job_id) == paused
    assert not on_due_index(stack, job_id)


def test_a_redelivered_event_for_a_detached_run_does_nothing(stack: Stack, detacher: Detacher) -> None:
    job_id = run_detached(stack, detacher, "cancel")["jobId"]
    history, job = stack.history(job_id), stack.job(job_id)
    [payload] = stack.invocations.payloads

    assert stack.execute(payload)["outcome"] == "skipped"
    stack.clock.advance(lease_end(stack).total_seconds() + 1)
    stack.tick()
    assert stack.execute(payload)["outcome"] == "skipped"

    assert (stack.history(job_id), stack.job(job_id)) == (history, job)


@pytest.mark.parametrize("action", ["pause", "cancel"])
def test_a_run_detached_before_it_started_never_runs_and_leaves_no_entry(stack: Stack, action: str) -> None:
    job = stack.create(schedule="1h", timeoutSeconds=TIMEOUT)
    assert stack.api.post(f"/jobs/{job['id']}/trigger").status == 202
    assert stack.api.post(f"/jobs/{job['id']}/{action}").status == 200

    assert [result["outcome"] for result in stack.deliver()] == ["skipped"]

    assert stack.history(job["id"]) == []
    assert not on_due_index(stack, job["id"])  # nothing is held: the job left the index at once


def test_resume_while_the_detached_run_is_out_takes_it_back(stack: Stack, detacher: Detacher) -> None:
    result = run_detached(stack, detacher, "pause", "resume", schedule="1h")

    paused, resumed = detacher.answers
    assert (paused["status"], resumed["status"]) == ("paused", "running")  # one run at a time
    assert resumed["nextRunAt"] == "2026-11-28T10:00:00.000Z"  # the next occurrence, from now
    assert result["outcome"] == "completed"
    after = stack.job(result["jobId"])
    assert (after["status"], after["nextRunAt"]) == ("pending", "2026-11-28T10:00:00.000Z")  # the run moved it
    assert [run["status"] for run in stack.history(result["jobId"])] == ["completed"]
    assert len(stack.invocations.calls) == 1


@pytest.mark.parametrize(
    ("fields", "moved_to", "attempts"),
    [({}, "completed", 1), ({"schedule": "1h"}, "pending", 0)],
    ids=["one-time", "recurring"],
)
def test_resume_after_the_detached_run_ended_follows_its_outcome_at_once(
    stack: Stack, detacher: Detacher, fields: dict[str, Any], moved_to: str, attempts: int
) -> None:
    job_id = run_detached(stack, detacher, "pause", **fields)["jobId"]
    stack.clock.advance(5)

    resumed = stack.api.post(f"/jobs/{job_id}/resume")

    assert (resumed.status, resumed.body["status"], resumed.body["attempts"]) == (200, moved_to, attempts)
    assert [run["status"] for run in stack.history(job_id)] == ["completed"]  # the run it took back, not another
    assert len(stack.invocations.calls) == 1


def test_resume_after_the_lease_schedules_from_now(stack: Stack, detacher: Detacher) -> None:
    job_id = run_detached(stack, detacher, "pause", dies=True, schedule="1h")["jobId"]
    stack.clock.advance(lease_end(stack).total_seconds() + 1)
    stack.tick()

    resumed = stack.api.post(f"/jobs/{job_id}/resume").body

    assert (resumed["status"], resumed["attempts"], resumed["nextRunAt"]) == ("pending", 0, "2026-11-28T10:00:00.000Z")
    assert [run["status"] for run in stack.history(job_id)] == ["timed_out"]


def test_a_run_taken_back_at_its_own_occurrence_does_not_run_that_occurrence_again(
    stack: Stack, detacher: Detacher
) -> None:
    """Paused and resumed within the instant its occurrence fell due, the run is still that occurrence's:
    the job's next occurrence is the one after it, so the finish neither buffers nor repeats it."""
    job = stack.create(handler=Detacher.name, data={"actions": ["pause", "resume"]}, schedule="1h", timeoutSeconds=30)
    stack.clock.advance(3600)  # the first occurrence, 10:00, is due now
    stack.tick()
    [result] = stack.deliver()

    resumed = detacher.answers[1]
    assert (resumed["status"], resumed["nextRunAt"]) == ("running", "2026-11-28T11:00:00.000Z")
    assert result["outcome"] == "completed"
    after = stack.job(job["id"])
    assert (after["status"], after["nextRunAt"]) == ("pending", "2026-11-28T11:00:00.000Z")
    stack.tick()
    assert [(run["status"], run["scheduledAt"]) for run in stack.history(job["id"])] == [
        ("completed", "2026-11-28T10:00:00.000Z")
    ]
