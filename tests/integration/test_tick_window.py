"""Precision, the runner switch, races and scale: the tick through its minute, setting an alarm on the SQS
timer for each job due later than a second and sleeping only towards one due sooner, ending when nothing
is due before the next minute's tick (DESIGN §3, decisions "The tick sleeps until due; writes wake it"
and 0075)."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_calls
from devtools.moto_backend import serialise_moto_calls
from devtools.stack import START, Stack, lateness
from serverless_jobs.adapters.dynamodb.models import JobItem, bound
from serverless_jobs.domain.lifecycle import shard_for
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.usecases.chain import LOOK_AHEAD_JOBS

A_MINUTE_AND_MORE = 65_000


def test_a_30s_interval_runs_twice_in_one_tick_each_on_time(stack: Stack) -> None:
    stack.deliver_at_once()
    stack.clock.advance(-10)  # created at 08:59:50: occurrences at 09:00:20 and 09:00:50
    job = stack.create(schedule="30s")
    stack.clock.advance(10)

    report = stack.tick(remaining_millis=A_MINUTE_AND_MORE)
    stack.fire_timers()

    # one pass at 09:00:00, which sets an alarm for 09:00:20 instead of sleeping (decision 0075); the run's
    # finish sets the one for 09:00:50; no invocation sleeps
    assert (report["passes"], report["slept"], report["dispatched"]) == (1, 0.0, 0)
    assert stack.sleeps == []
    runs = stack.history(job["id"])
    assert [run["scheduledAt"] for run in runs] == ["2026-11-28T09:00:50.000Z", "2026-11-28T09:00:20.000Z"]
    for run in runs:
        assert lateness(run) == timedelta(0)


def test_a_job_due_mid_minute_starts_at_its_millisecond(stack: Stack) -> None:
    stack.deliver_at_once()
    job = stack.create(runAt="2026-11-28T09:00:07.250Z")

    stack.tick(remaining_millis=A_MINUTE_AND_MORE)
    stack.fire_timers()

    [run] = stack.history(job["id"])
    assert run["scheduledAt"] == "2026-11-28T09:00:07.250Z"
    assert lateness(run) == timedelta(0)
    assert stack.sleeps == [0.25]  # the alarm shows at 09:00:07; only the quarter second is waited


def test_the_tick_never_outlives_its_minute(stack: Stack) -> None:
    stack.create(runAt="2026-11-28T09:01:00.000Z")  # the next minute's tick's

    report = stack.tick(remaining_millis=900_000)

    assert (report["passes"], report["slept"], report["dispatched"]) == (1, 0.0, 0)
    assert stack.clock.now() < datetime.fromisoformat("2026-11-28T09:01:00+00:00")


def test_with_little_time_left_the_tick_makes_exactly_one_pass(stack: Stack) -> None:
    stack.create(runAt="2026-11-28T09:00:01.000Z")

    report = stack.tick(remaining_millis=3_500)

    assert (report["passes"], report["dispatched"]) == (1, 0)


def test_a_tick_redelivered_minutes_late_makes_one_pass(stack: Stack) -> None:
    stack.clock.advance(180)  # Lambda retries a failed tick's event; its minute is long gone

    report = stack.tick(remaining_millis=A_MINUTE_AND_MORE, fired_at=datetime.fromisoformat("2026-11-28T09:00:00Z"))

    assert report["passes"] == 1


def test_stopping_the_runner_stops_a_running_tick_within_a_pass(aws: list[str]) -> None:
    stack = Stack(ManualClock(START), timer_queue="")  # no timer: the tick sleeps towards its jobs
    early = stack.create(runAt="2026-11-28T09:00:05.000Z")
    late = stack.create(runAt="2026-11-28T09:00:30.000Z")

    def sleep_then_stop_at_20s(seconds: float) -> None:
        stack.clock.advance(seconds)
        if stack.clock.now() >= datetime.fromisoformat("2026-11-28T09:00:20+00:00"):
            stack.api.post("/jobs/runner/stop")

    report = stack.tick(remaining_millis=A_MINUTE_AND_MORE, handler=stack.build_tick(sleep_then_stop_at_20s))

    assert report["dispatched"] == 1
    assert report["passes"] == 2  # at 09:00:00 and 09:00:05; the runner was stopped by the next
    assert [payload["jobId"] for payload in stack.invocations.payloads] == [early["id"]]
    assert stack.job(late["id"])["status"] == "pending"
    stack.close()


def test_stopping_the_runner_stops_the_alarms_passes(stack: Stack) -> None:
    early = stack.create(runAt="2026-11-28T09:00:05.000Z")
    late = stack.create(runAt="2026-11-28T09:00:30.000Z")
    stack.fire_timers(until=datetime.fromisoformat("2026-11-28T09:00:20+00:00"))
    stack.api.post("/jobs/runner/stop")

    stack.fire_timers()

    assert [payload["jobId"] for payload in stack.invocations.payloads] == [early["id"]]
    assert stack.job(late["id"])["status"] == "pending"


def test_runner_stopped_ten_minutes_runs_each_job_once_on_start_not_a_burst(stack: Stack) -> None:
    jobs = [stack.create(schedule="1m") for _ in range(3)]
    stack.api.post("/jobs/runner/stop")
    stack.clock.advance(10 * 60)
    assert stack.tick()["passes"] == 0  # a tick that fires anyway does nothing while stopped

    stack.api.post("/jobs/runner/start")
    assert stack.tick()["dispatched"] == 3
    stack.deliver()
    stack.clock.advance(1)

    assert stack.tick()["dispatched"] == 0
    for job in jobs:
        assert len(stack.history(job["id"])) == 1
        assert stack.job(job["id"])["nextRunAt"] == "2026-11-28T09:11:00.000Z"


def test_two_ticks_racing_over_500_due_jobs_dispatch_each_exactly_once(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    serialise_moto_calls()
    # Lambda never runs two invocations in one process; Powertools' shared metric buffer is not for threads.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    due_at = iso_z(stack.clock.now() + timedelta(seconds=30))
    jobs = {stack.create(runAt=due_at)["id"] for _ in range(500)}
    stack.clock.advance(31)
    start = threading.Barrier(2)
    reports: list[dict[str, Any]] = []
    settles_herds_itself = stack.build_tick(fan_out_threshold=1000)  # no hand-off to dispatch invocations

    def tick() -> None:
        start.wait()
        reports.append(stack.tick(handler=settles_herds_itself))

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    dispatched = [payload["jobId"] for payload in stack.invocations.payloads]
    assert sorted(dispatched) == sorted(jobs)
    assert sum(report["dispatched"] for report in reports) == 500


def test_a_job_updated_while_running_keeps_the_update(stack: Stack) -> None:
    job = stack.create(schedule="1h")
    stack.api.post(f"/jobs/{job['id']}/trigger")

    updated = stack.api.put(f"/jobs/{job['id']}", {"name": "renamed", "schedule": "2h", "data": {"v": 2}})
    assert updated.body["status"] == "running"
    stack.deliver()

    after = stack.job(job["id"])
    assert (after["status"], after["name"], after["data"], after["schedule"]) == ("pending", "renamed", {"v": 2}, "2h")
    assert after["nextRunAt"] == "2026-11-28T11:00:00.000Z"


def test_a_deleted_job_never_runs(stack: Stack) -> None:
    job = stack.create()  # dispatched at once
    assert stack.api.delete(f"/jobs/{job['id']}").status == 204

    assert [result["outcome"] for result in stack.deliver()] == ["skipped"]
    assert stack.api.get(f"/jobs/{job['id']}/history").status == 404


def test_with_10000_jobs_and_50_due_a_tick_reads_about_50_items(stack: Stack) -> None:
    due_at = iso_z(stack.clock.now() + timedelta(seconds=30))
    for _ in range(50):
        stack.create(runAt=due_at)
    jobs = bound(JobItem, stack.settings.jobs_table)
    idle = jobs.get(stack.create(schedule="1d")["id"])
    with jobs.batch_write() as batch:
        for _ in range(9_949):
            clone = jobs(**{**idle.attribute_values, "id": uuid.uuid4().hex})
            clone.due_shard = shard_for(clone.id, stack.settings.due_shards)
            batch.save(clone)
    stack.clock.advance(31)

    with dynamodb_calls() as calls:
        report = stack.tick()

    assert report["dispatched"] == 50
    # the 50 due, and the look-ahead's few items a shard (the soonest of the 9,950 idle ones: one 4 KB read)
    assert calls["ScannedCount"] == 50 + LOOK_AHEAD_JOBS * stack.settings.due_shards
    assert calls["Scan"] == 0


class LambdaTimer:
    """A Lambda context whose remaining time runs down as the tick sleeps, while the job clock stands still."""

    def __init__(self, remaining_millis: int) -> None:
        self.remaining_millis = remaining_millis
        self.aws_request_id = "frozen-clock"
        self.function_name = "TickFunction"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:TickFunction"

    def sleep(self, seconds: float) -> None:
        self.remaining_millis -= int(seconds * 1000)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@pytest.mark.parametrize("step_seconds", [0.0, -30.0])
def test_a_frozen_or_stepped_back_clock_never_keeps_the_tick_past_its_lambda_time(
    aws: list[str], step_seconds: float
) -> None:
    stack = Stack(ManualClock(START), timer_queue="")  # no timer: the tick sleeps towards its jobs
    stack.create(runAt=iso_z(stack.clock.now() + timedelta(seconds=5)))  # the tick sleeps towards it
    timer = LambdaTimer(remaining_millis=10_000)

    def sleep(seconds: float) -> None:
        timer.sleep(seconds)
        stack.clock.advance(step_seconds)  # the wall clock stands still, or steps back, while time passes

    event = {"time": stack.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
    report = stack.build_tick(sleep)(event, timer)

    # 10 s of Lambda time, 3 s kept back: it sleeps 5 s towards the job, then the 2 s left, and ends in time.
    assert (report["passes"], report["slept"]) == (3, 7.0)
    assert timer.remaining_millis >= 3_000
