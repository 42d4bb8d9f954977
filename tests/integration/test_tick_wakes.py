"""Wakes: a write that makes a job due before the next minute's tick wakes a tick pass, which sleeps until
the job's instant and ends when nothing more is due before the next minute (decision "The tick sleeps until due; writes
wake it"). `stack.wake()`
runs the woken invocations as Lambda would, their sleeps moving the manual clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from devtools.clock import ManualClock
from devtools.stack import START, Stack, lateness
from harness.jitter import HighestJitter
from serverless_jobs.adapters.client_tuning import EXECUTOR_CLIENTS, TARGET_INVOKE_CLIENTS
from serverless_jobs.domain.timefmt import iso_z


def due_in(stack: Stack, seconds: float) -> str:
    return iso_z(stack.clock.now() + timedelta(seconds=seconds))


def test_a_job_created_due_in_10_s_is_dispatched_at_its_instant_by_the_woken_tick(stack: Stack) -> None:
    stack.deliver_at_once()
    job = stack.create(runAt=due_in(stack, 10))

    assert [wake["detail"]["dueAt"] for wake in stack.invocations.wakes] == ["2026-11-28T09:00:10.000Z"]
    [report] = stack.wake()

    # one pass when woken, one at the job's instant: no poll in between
    assert (report["passes"], report["slept"], report["dispatched"]) == (2, 10.0, 1)
    [run] = stack.history(job["id"])
    assert lateness(run) == timedelta(0)


def test_each_woken_tick_sleeps_to_its_jobs_instant_and_ends_there(stack: Stack) -> None:
    stack.deliver_at_once()
    for seconds in (10, 30.5, 90):
        stack.create(runAt=due_in(stack, seconds))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        stack.clock.advance(seconds)

    reports = stack.wake(handler=stack.build_tick(sleep))

    assert sleeps == [10.0, 20.5]  # each invocation to its job's instant: 09:00:10, then 09:00:30.5
    assert [report["dispatched"] for report in reports] == [1, 1]
    assert stack.clock.now() == START + timedelta(seconds=30.5)  # not a moment longer
    assert stack.tick()["dispatched"] == 0  # the 09:01:30 job waits for its minute's tick


def test_a_retry_due_before_the_next_minute_wakes_the_tick_from_the_executor(aws: list[str]) -> None:
    stack = Stack(ManualClock(START), rng=HighestJitter())  # backoff at its ceiling: 5 s
    job = stack.create(handler="fail", maxAttempts=2, retryBackoffSeconds=5)  # dispatched by the API
    assert stack.invocations.wakes == []

    stack.deliver()  # attempt 1 fails; the retry is due at 09:00:05

    assert [wake["detail"]["dueAt"] for wake in stack.invocations.wakes] == ["2026-11-28T09:00:05.000Z"]
    stack.deliver_at_once()
    [report] = stack.wake()
    assert report["dispatched"] == 1
    retry, _first = stack.history(job["id"])
    assert (retry["trigger"], retry["startedAt"]) == ("retry", "2026-11-28T09:00:05.000Z")
    stack.close()


def test_a_next_occurrence_within_the_minute_wakes_the_tick_from_the_executor(stack: Stack) -> None:
    stack.clock.advance(-20)
    job = stack.create(schedule="20s")  # first run at 09:00:00, within the minute: that wakes the tick too
    stack.clock.advance(20)
    assert stack.tick()["dispatched"] == 1
    stack.woken = len(stack.invocations.wakes)  # that wake's invocation would find the run claimed

    stack.deliver()  # the run ends; the next occurrence, 09:00:20, is before the next minute's tick

    assert [wake["detail"]["dueAt"] for wake in stack.invocations.wakes[stack.woken :]] == ["2026-11-28T09:00:20.000Z"]
    stack.wake()
    assert stack.job(job["id"])["status"] == "running"
    assert stack.job(job["id"])["lastRunAt"] == "2026-11-28T09:00:20.000Z"


def test_updating_or_resuming_a_job_to_run_within_the_minute_wakes_the_tick(stack: Stack) -> None:
    job = stack.create(schedule="1h")
    assert stack.invocations.wakes == []

    stack.api.put(f"/jobs/{job['id']}", {"runAt": due_in(stack, 15)})
    stack.api.post(f"/jobs/{job['id']}/pause")
    stack.api.post(f"/jobs/{job['id']}/resume")

    dues = [wake["detail"]["dueAt"] for wake in stack.invocations.wakes]
    assert dues == ["2026-11-28T09:00:15.000Z", "2026-11-28T09:00:15.000Z"]


def test_no_wake_when_the_job_falls_due_after_the_next_minute_tick(stack: Stack) -> None:
    stack.create(runAt=due_in(stack, 60))
    job = stack.create(schedule="5m")
    stack.api.put(f"/jobs/{job['id']}", {"schedule": "2m"})
    stack.create()  # due now: the API starts it itself
    stack.deliver()  # a one-time job completes; nothing is due again

    assert stack.invocations.wakes == []
    assert stack.clock.now() == datetime.fromisoformat("2026-11-28T09:00:00+00:00")


def test_the_executor_wakes_the_tick_with_its_own_short_timeouts_not_a_lambda_targets_15_minutes(
    stack: Stack,
) -> None:
    waits: list[float] = []  # the read timeout of the client of each Invoke the executor makes
    for client in (stack.executor_clients.lambda_invoke, stack.executor_clients.lambda_async):
        config: Any = client.meta.config
        timeout = config.read_timeout
        client.meta.events.register(
            "before-parameter-build.lambda.Invoke", lambda timeout=timeout, **_: waits.append(timeout)
        )
    stack.clock.advance(-20)
    stack.create(schedule="20s")
    stack.clock.advance(20)
    stack.tick()

    stack.deliver()  # the next occurrence, before the next minute's tick, wakes the tick

    assert waits == [EXECUTOR_CLIENTS.read_timeout]
    assert EXECUTOR_CLIENTS.read_timeout < TARGET_INVOKE_CLIENTS.read_timeout
