"""`overlap` at the Lambda boundary (DESIGN §3.5, decision "Overlap"): occurrences that fall due while a run
runs are run once after it (`buffer`, the default) or recorded as one skipped entry (`skip`), whether the
executor finishes the run or the tick recovers it as lost; the field is a 400 where it means nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devtools.api import ApiClient
from devtools.stack import Stack
from serverless_jobs.registry import RunContext, registered_for_now

LONG_RUN = "test-first-run-takes-95-s"


@pytest.fixture
def long_first_run(stack: Stack) -> Iterator[str]:
    """A handler whose first run takes 95 s of the stack's clock, and every later run no time."""
    runs: list[str] = []

    def first_run_is_long(data: dict[str, Any], ctx: RunContext) -> Any:
        runs.append(ctx.run_id)
        if len(runs) == 1:
            stack.clock.advance(95)
        return len(runs)

    with registered_for_now(LONG_RUN, first_run_is_long):
        yield LONG_RUN


def run_the_first_occurrence(stack: Stack, **fields: Any) -> dict[str, Any]:
    """A `30s` job (09:00:30, 09:01:00, ...) whose 09:00:30 run takes until 09:02:05: 09:01:00, 09:01:30 and
    09:02:00 fall due while it runs."""
    job = stack.create(schedule="30s", handler=LONG_RUN, **fields)
    stack.clock.advance(30)
    assert stack.tick()["dispatched"] == 1
    assert [result["outcome"] for result in stack.deliver()] == ["completed"]
    assert stack.clock.now().isoformat() == "2026-11-28T09:02:05+00:00"
    return job


def entries(stack: Stack, job_id: str) -> list[tuple[str, str]]:
    return [(run["status"], run["scheduledAt"]) for run in stack.history(job_id)]


def test_buffer_is_the_default_and_runs_the_occurrences_due_during_a_run_once_after_it(
    stack: Stack, long_first_run: str
) -> None:
    job = run_the_first_occurrence(stack)
    assert job["overlap"] == "buffer"

    buffered = stack.job(job["id"])
    assert (buffered["status"], buffered["nextRunAt"]) == ("pending", "2026-11-28T09:02:00.000Z")
    assert stack.invocations.wakes  # the finish wakes the tick for it: no wait for the next minute
    assert stack.tick()["dispatched"] == 1
    stack.deliver()

    assert entries(stack, job["id"]) == [
        ("completed", "2026-11-28T09:02:00.000Z"),  # one run for the three, as the latest of them
        ("completed", "2026-11-28T09:00:30.000Z"),
    ]
    [buffered_run, _] = stack.history(job["id"])
    assert buffered_run["startedAt"] == "2026-11-28T09:02:05.000Z"
    after = stack.job(job["id"])
    assert (after["nextRunAt"], after["successfulRuns"]) == ("2026-11-28T09:02:30.000Z", 2)  # the grid goes on


def test_skip_records_the_occurrences_due_during_a_run_as_one_skipped_entry(stack: Stack, long_first_run: str) -> None:
    job = run_the_first_occurrence(stack, overlap="skip")

    moved = stack.job(job["id"])
    assert (moved["status"], moved["nextRunAt"], moved["overlap"]) == ("pending", "2026-11-28T09:02:30.000Z", "skip")
    assert stack.tick()["dispatched"] == 0
    runs = stack.history(job["id"])
    assert [(run["status"], run["scheduledAt"]) for run in runs] == [
        ("skipped", "2026-11-28T09:01:00.000Z"),
        ("completed", "2026-11-28T09:00:30.000Z"),
    ]
    skipped = runs[0]
    assert (skipped["attempt"], skipped["trigger"], skipped["completedAt"]) == (
        0,
        "schedule",
        "2026-11-28T09:02:05.000Z",
    )
    assert skipped["error"].startswith(
        "Overlap: 3 occurrence(s) (2026-11-28T09:01:00.000Z to 2026-11-28T09:02:00.000Z)"
    )
    assert runs[1]["id"] in skipped["error"]  # the run they fell due during

    stack.clock.advance(25)
    assert stack.tick()["dispatched"] == 1  # 09:02:30 runs on time
    stack.deliver()
    assert entries(stack, job["id"])[0] == ("completed", "2026-11-28T09:02:30.000Z")


def test_the_catchup_window_still_applies_to_the_buffered_occurrence(stack: Stack, long_first_run: str) -> None:
    job = run_the_first_occurrence(stack, catchupWindowSeconds=1)  # 09:02:00 is found 5 s after its start

    assert stack.tick()["dispatched"] == 0

    assert entries(stack, job["id"]) == [
        ("skipped", "2026-11-28T09:02:00.000Z"),
        ("completed", "2026-11-28T09:00:30.000Z"),
    ]
    assert "catchupWindowSeconds" in stack.history(job["id"])[0]["error"]
    assert stack.job(job["id"])["nextRunAt"] == "2026-11-28T09:02:30.000Z"


def lose_the_first_run(stack: Stack, overlap: str) -> dict[str, Any]:
    """A `30s` job whose 09:00:30 run never reports back (timeout 30 s: its lease ends at 09:02:00), and
    the tick that takes it for lost at 09:02:01."""
    job = stack.create(schedule="30s", timeoutSeconds=30, maxAttempts=1, overlap=overlap)
    stack.clock.advance(30)
    assert stack.tick()["dispatched"] == 1  # dispatched, but the executor never runs
    stack.clock.advance(30 + stack.settings.lease_margin_seconds + 1)
    assert stack.tick()["recovered"] == 1
    return job


def test_a_lost_run_recovered_by_the_tick_buffers_the_occurrences_due_meanwhile(stack: Stack) -> None:
    job = lose_the_first_run(stack, "buffer")

    assert stack.job(job["id"])["nextRunAt"] == "2026-11-28T09:02:00.000Z"
    stack.tick()
    assert [result["outcome"] for result in stack.deliver()] == ["skipped", "completed"]  # the lost run's stale event
    assert entries(stack, job["id"]) == [
        ("completed", "2026-11-28T09:02:00.000Z"),
        ("timed_out", "2026-11-28T09:00:30.000Z"),
    ]


def test_a_lost_run_recovered_by_the_tick_skips_the_occurrences_due_meanwhile(stack: Stack) -> None:
    job = lose_the_first_run(stack, "skip")

    assert stack.job(job["id"])["nextRunAt"] == "2026-11-28T09:02:30.000Z"
    runs = stack.history(job["id"])
    assert [(run["status"], run["scheduledAt"]) for run in runs] == [
        ("skipped", "2026-11-28T09:01:00.000Z"),
        ("timed_out", "2026-11-28T09:00:30.000Z"),
    ]
    assert runs[0]["error"].startswith("Overlap: 3 occurrence(s)")


def test_overlap_can_be_changed_and_takes_effect_at_the_next_finish(stack: Stack, long_first_run: str) -> None:
    job = stack.create(schedule="30s", handler=LONG_RUN)
    stack.clock.advance(30)
    stack.tick()
    assert stack.api.put(f"/jobs/{job['id']}", {"overlap": "skip"}).body["overlap"] == "skip"  # while running
    stack.deliver()

    assert [status for status, _ in entries(stack, job["id"])] == ["skipped", "completed"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"overlap": "skip"}, "overlap: applies to recurring jobs only"),  # a one-time job has nothing to overlap
        ({"schedule": "at(2027-01-01T00:00:00)", "overlap": "skip"}, "overlap: applies to recurring jobs only"),
        ({"schedule": "1m", "overlap": "queue"}, "overlap"),
        ({"schedule": "1m", "overlap": None}, "overlap"),
    ],
)
def test_invalid_overlap_is_a_400_naming_it(api: ApiClient, fields: dict[str, Any], message: str) -> None:
    reply = api.post("/jobs", {"name": "job", "handler": "echo", **fields})

    assert reply.status == 400, reply.body
    assert reply.body["message"].startswith(message), reply.body
    assert api.get("/jobs").body["jobs"] == []


def test_a_one_time_job_may_say_buffer_the_default(api: ApiClient) -> None:
    reply = api.post("/jobs", {"name": "job", "handler": "echo", "runAt": "2027-01-01T00:00:00Z", "overlap": "buffer"})

    assert (reply.status, reply.body["overlap"]) == (201, "buffer")


@pytest.mark.parametrize(
    ("change", "message"),
    [({"schedule": None}, "overlap: applies to recurring jobs only"), ({"overlap": None}, "overlap: may not be null")],
)
def test_an_update_leaving_skip_without_meaning_is_a_400_naming_overlap(
    api: ApiClient, change: dict[str, Any], message: str
) -> None:
    job = api.post("/jobs", {"name": "job", "handler": "echo", "schedule": "1m", "overlap": "skip"}).body

    reply = api.put(f"/jobs/{job['id']}", change)

    assert reply.status == 400
    assert reply.body["message"].startswith(message), reply.body
    assert api.get(f"/jobs/{job['id']}").body == job
