"""Flow control at the Lambda boundary (decisions "Jitter", "maxRuns"): jitter spreads a herd, maxRuns
completes a job, and fields that mean nothing for a job are 400s naming them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from devtools.api import ApiClient
from devtools.stack import Stack, lateness
from serverless_jobs.domain.timefmt import iso_z

A_MINUTE_AND_MORE = 65_000


def test_a_herd_with_jitter_spreads_over_the_window_each_run_at_its_stable_start(stack: Stack) -> None:
    stack.deliver_at_once()
    jobs = [stack.create(schedule="1m", jitterSeconds=30) for _ in range(50)]
    occurrence = stack.clock.now() + timedelta(minutes=1)
    promised = {job["id"]: datetime.fromisoformat(job["nextRunAt"]) for job in jobs}
    stack.clock.set(occurrence)

    # alarms on the timer for the spread herd, a chain a shard, shown while the tick sleeps towards the jobs
    # due within a second of its passes; up to the jitter's window's end, not the next occurrence
    stack.tick_beside_timers(until=occurrence + timedelta(seconds=30), remaining_millis=A_MINUTE_AND_MORE)

    assert max(stack.sleeps) <= 1.0  # no invocation waits longer for a start
    offsets = []
    for job in jobs:
        [run] = stack.history(job["id"])
        assert run["scheduledAt"] == iso_z(occurrence)  # history keeps the nominal occurrence
        assert datetime.fromisoformat(run["startedAt"]) == promised[job["id"]]  # started when nextRunAt said
        offsets.append(lateness(run).total_seconds())
    assert all(0 <= offset < 30 for offset in offsets)
    # spread, not bunched: every third of the window holds some of the herd (ids are random: a uniform
    # herd of 50 leaves a third empty once in 10^8 runs)
    assert {int(offset // 10) for offset in offsets} == {0, 1, 2}
    assert max(offsets) - min(offsets) > 20


def test_the_next_occurrence_of_a_jittered_job_shows_its_jittered_start(stack: Stack) -> None:
    job = stack.create(schedule="1m", jitterSeconds=30)
    stack.clock.set(datetime.fromisoformat(job["nextRunAt"]))
    assert stack.tick()["dispatched"] == 1

    running = stack.job(job["id"])
    following = datetime.fromisoformat(running["nextRunAt"])
    assert stack.clock.now() + timedelta(seconds=30) <= following < stack.clock.now() + timedelta(seconds=90)
    stack.deliver()
    assert stack.job(job["id"])["nextRunAt"] == running["nextRunAt"]  # the same start, computed again


@pytest.mark.parametrize("micros", [0, 400, 500, 999])
def test_a_job_created_without_run_at_is_started_by_the_api_whatever_the_clocks_microseconds(
    stack: Stack, micros: int
) -> None:
    # A stored time is never after the moment it stands for (cut, not rounded up): the create compares the
    # job's nextRunAt with its own clock, and a half-millisecond rounded up made the job look not yet due.
    stack.clock.advance(micros / 1_000_000)
    job = stack.create()

    assert job["status"] == "running"  # claimed and dispatched by the API itself
    assert len(stack.invocations.payloads) == 1
    assert stack.invocations.wakes == []  # not left to a woken tick a pass later


@pytest.mark.parametrize("micros", [0, 400, 999])
def test_a_rate_without_run_at_starts_at_creation_whatever_the_clocks_microseconds(stack: Stack, micros: int) -> None:
    # as the preview shows and EventBridge Scheduler does: the occurrence at creation is the first, even when
    # the clock is a fraction of a millisecond past the creation instant stored
    stack.clock.advance(micros / 1_000_000)
    preview = stack.api.post("/schedules/preview", {"schedule": "rate(5 minutes)", "count": 1}).body
    job = stack.create(schedule="rate(5 minutes)")

    assert job["status"] == "running"  # the first occurrence, claimed and dispatched by the API itself
    assert len(stack.invocations.payloads) == 1
    assert preview["occurrences"] == [job["createdAt"]]


def test_max_runs_completes_the_job_after_that_many_successful_runs(stack: Stack) -> None:
    job = stack.create(schedule="1m", maxRuns=2)

    for _ in range(2):
        stack.clock.set(datetime.fromisoformat(stack.job(job["id"])["nextRunAt"]))
        assert stack.tick()["dispatched"] == 1
        stack.deliver()

    done = stack.job(job["id"])
    assert (done["status"], done["successfulRuns"], done["nextRunAt"]) == ("completed", 2, None)
    stack.clock.advance(600)
    assert stack.tick()["dispatched"] == 0
    assert [run["status"] for run in stack.history(job["id"])] == ["completed", "completed"]


def test_failed_runs_do_not_count_towards_max_runs(stack: Stack) -> None:
    job = stack.create(schedule="1m", maxRuns=1, handler="fail", maxAttempts=1, data={"message": "boom"})
    stack.clock.advance(60)
    stack.tick()
    stack.deliver()

    after = stack.job(job["id"])
    assert (after["status"], after["successfulRuns"]) == ("pending", 0)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"jitterSeconds": 5}, "jitterSeconds"),  # a one-time job has no herd of occurrences to spread
        ({"schedule": "1m", "jitterSeconds": -1}, "jitterSeconds"),
        ({"schedule": "1m", "jitterSeconds": 86401}, "jitterSeconds"),
        ({"schedule": "1m", "maxRuns": 0}, "maxRuns"),
        ({"schedule": "1m", "maxRuns": "3"}, "maxRuns"),
        ({"catchupWindowSeconds": 60}, "catchupWindowSeconds"),  # a one-time job has no occurrence to miss
        ({"schedule": "1m", "catchupWindowSeconds": 0}, "catchupWindowSeconds"),
    ],
)
def test_invalid_flow_control_is_a_400_naming_the_field(api: ApiClient, fields: dict[str, object], field: str) -> None:
    reply = api.post("/jobs", {"name": "job", "handler": "echo", **fields})

    assert reply.status == 400, reply.body
    assert reply.body["message"].startswith(f"{field}"), reply.body
    assert api.get("/jobs").body["jobs"] == []


def test_dropping_the_schedule_of_a_jittered_job_is_a_400_naming_jitter(api: ApiClient) -> None:
    job = api.post("/jobs", {"name": "job", "handler": "echo", "schedule": "1m", "jitterSeconds": 5}).body

    reply = api.put(f"/jobs/{job['id']}", {"schedule": None})

    assert reply.status == 400
    assert reply.body["message"].startswith("jitterSeconds: ")
    assert api.get(f"/jobs/{job['id']}").body == job


def test_max_runs_can_be_changed_and_cleared(api: ApiClient) -> None:
    job = api.post("/jobs", {"name": "job", "handler": "echo", "schedule": "1m", "maxRuns": 5}).body

    assert api.put(f"/jobs/{job['id']}", {"maxRuns": 7}).body["maxRuns"] == 7
    assert api.put(f"/jobs/{job['id']}", {"maxRuns": None}).body["maxRuns"] is None


def test_a_stopped_runner_past_the_catchup_window_skips_the_missed_occurrences_and_records_it(stack: Stack) -> None:
    job = stack.create(schedule="1m", catchupWindowSeconds=30)
    assert stack.api.post("/jobs/runner/stop").body == {"running": False}
    stack.clock.advance(600 - 20)  # nine occurrences missed while stopped; 09:10 is not due yet
    assert stack.tick()["dispatched"] == 0
    assert stack.api.post("/jobs/runner/start").body == {"running": True}

    assert stack.tick()["dispatched"] == 0  # found nine minutes late: not run

    [skipped] = stack.history(job["id"])
    assert (skipped["status"], skipped["scheduledAt"], skipped["trigger"]) == (
        "skipped", "2026-11-28T09:01:00.000Z", "schedule",
    )  # fmt: skip
    assert "catchupWindowSeconds" in skipped["error"]
    moved = stack.job(job["id"])
    assert (moved["status"], moved["nextRunAt"], moved["attempts"]) == ("pending", "2026-11-28T09:10:00.000Z", 0)
    assert moved["lastRunAt"] is None  # nothing ran

    stack.clock.advance(20)
    assert stack.tick()["dispatched"] == 1  # the next occurrence runs on time
    stack.deliver()
    assert [run["status"] for run in stack.history(job["id"])] == ["completed", "skipped"]


def test_skipping_runs_the_occurrence_still_inside_the_window_at_once(stack: Stack) -> None:
    job = stack.create(schedule="1m", catchupWindowSeconds=30)
    stack.clock.advance(600 + 10)  # 09:01 .. 09:09 missed; 09:10 is 10 s late, inside the window

    assert stack.tick()["dispatched"] == 1
    stack.deliver()

    runs = stack.history(job["id"])
    assert [(run["status"], run["scheduledAt"]) for run in runs] == [
        ("completed", "2026-11-28T09:10:00.000Z"),
        ("skipped", "2026-11-28T09:01:00.000Z"),
    ]
    assert stack.job(job["id"])["nextRunAt"] == "2026-11-28T09:11:00.000Z"


def test_an_occurrence_found_within_the_catchup_window_runs(stack: Stack) -> None:
    job = stack.create(schedule="1m", catchupWindowSeconds=30)
    stack.clock.advance(60 + 29)

    assert stack.tick()["dispatched"] == 1
    stack.deliver()
    [run] = stack.history(job["id"])
    assert (run["status"], run["scheduledAt"]) == ("completed", "2026-11-28T09:01:00.000Z")


def test_without_a_catchup_window_a_missed_occurrence_still_runs_once(stack: Stack) -> None:
    job = stack.create(schedule="1m")
    stack.clock.advance(600)

    assert stack.tick()["dispatched"] == 1
    stack.deliver()
    assert [run["status"] for run in stack.history(job["id"])] == ["completed"]
