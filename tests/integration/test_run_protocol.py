"""The tick and executor functions over moto: claim, dispatch, run, record, retry, recover (DESIGN §3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_calls
from devtools.stack import START, Stack
from devtools.template import function_spec
from harness.jitter import HighestJitter
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.registry import RunContext, registered_for_now


def create(stack: Stack, **fields: Any) -> dict[str, Any]:
    return stack.create(**{"retryBackoffSeconds": 1, **fields})  # short backoff: retries come quickly


def test_one_time_job_runs_once_and_completes_with_its_result_in_history(stack: Stack) -> None:
    job = create(stack, data={"greeting": "hello"})

    assert [result["outcome"] for result in stack.deliver()] == ["completed"]

    done = stack.job(job["id"])
    assert (done["status"], done["attempts"], done["nextRunAt"], done["lastError"]) == ("completed", 1, None, None)
    [run] = stack.history(job["id"])
    assert (run["status"], run["attempt"], run["trigger"]) == ("completed", 1, "schedule")
    assert run["result"] == {"greeting": "hello"}
    assert run["duration"] >= 0
    assert run["startedAt"] == run["completedAt"] == "2026-11-28T09:00:00.000Z"


def test_interval_job_runs_on_its_anchored_grid(stack: Stack) -> None:
    job = create(stack, schedule="5m")
    created = stack.clock.now()

    for k in range(1, 6):
        stack.clock.set(created + timedelta(minutes=5 * k, seconds=2))  # the tick comes a little late
        assert stack.tick()["dispatched"] == 1
        stack.clock.advance(20)  # and the run takes a while: neither moves the grid
        stack.deliver()
        assert stack.job(job["id"])["nextRunAt"] == iso_z(created + timedelta(minutes=5 * (k + 1)))

    runs = stack.history(job["id"])
    assert [run["scheduledAt"] for run in runs] == [iso_z(created + timedelta(minutes=5 * k)) for k in (5, 4, 3, 2, 1)]
    assert {run["status"] for run in runs} == {"completed"}


def test_cron_job_runs_at_its_local_times(stack: Stack) -> None:
    job = create(stack, schedule="30 10 * * *", timezone="Asia/Kolkata")  # 05:00 UTC
    assert job["nextRunAt"] == "2026-11-29T05:00:00.000Z"

    for day in (29, 30):
        stack.clock.set(datetime(2026, 11, day, 5, 0, tzinfo=UTC))
        assert stack.tick()["dispatched"] == 1
        stack.deliver()

    assert [run["scheduledAt"] for run in stack.history(job["id"])] == [
        "2026-11-30T05:00:00.000Z",
        "2026-11-29T05:00:00.000Z",
    ]
    assert stack.job(job["id"])["nextRunAt"] == "2026-12-01T05:00:00.000Z"


def test_tick_finds_nothing_before_the_due_time(stack: Stack) -> None:
    create(stack, schedule="5m")
    stack.clock.advance(299)

    assert stack.tick()["dispatched"] == 0


def test_failing_one_time_job_is_retried_with_growing_delays_then_failed(aws: list[str]) -> None:
    stack = Stack(ManualClock(START), rng=HighestJitter())  # each delay at its ceiling: 1 s, then 2 s
    job = create(stack, handler="fail", data={"message": "boom"}, maxAttempts=3)
    stack.deliver()

    delays = []
    for attempt in (1, 2):
        waiting = stack.job(job["id"])
        assert (waiting["status"], waiting["attempts"]) == ("pending", attempt)
        assert waiting["lastError"] == "HandlerFailure: boom"
        delays.append(datetime.fromisoformat(waiting["nextRunAt"]) - stack.clock.now())
        stack.clock.advance(delays[-1].total_seconds() - 0.001)
        assert stack.tick()["dispatched"] == 0  # not a moment before its delay
        stack.clock.advance(0.001)
        assert stack.tick()["dispatched"] == 1
        stack.deliver()
    assert delays == [timedelta(seconds=1), timedelta(seconds=2)]

    failed = stack.job(job["id"])
    assert (failed["status"], failed["attempts"], failed["nextRunAt"]) == ("failed", 3, None)
    runs = stack.history(job["id"])
    assert [(run["attempt"], run["trigger"], run["status"]) for run in runs] == [
        (3, "retry", "failed"),
        (2, "retry", "failed"),
        (1, "schedule", "failed"),
    ]


def test_recurring_job_that_exhausts_its_attempts_waits_for_the_next_occurrence(stack: Stack) -> None:
    job = create(stack, handler="fail", schedule="1h", maxAttempts=1)
    stack.clock.advance(3600)
    stack.tick()
    stack.deliver()

    after = stack.job(job["id"])
    assert (after["status"], after["attempts"]) == ("pending", 0)
    assert after["nextRunAt"] == "2026-11-28T11:00:00.000Z"


def test_flaky_job_succeeds_on_its_second_attempt(stack: Stack) -> None:
    job = create(stack, handler="flaky", data={"succeedOnAttempt": 2})
    stack.deliver()
    stack.clock.advance(2)
    stack.tick()
    stack.deliver()

    done = stack.job(job["id"])
    assert (done["status"], done["attempts"], done["lastError"]) == ("completed", 2, None)
    assert [run["status"] for run in stack.history(job["id"])] == ["completed", "failed"]


def test_the_same_dispatch_event_delivered_twice_runs_once(stack: Stack) -> None:
    job = create(stack)
    [payload] = stack.invocations.payloads

    first, second = stack.execute(payload), stack.execute(payload)

    assert (first["outcome"], second["outcome"]) == ("completed", "skipped")
    assert len(stack.history(job["id"])) == 1


def test_a_duplicate_delivered_while_the_first_still_runs_does_nothing(stack: Stack) -> None:
    duplicate: dict[str, Any] = {}

    def deliver_duplicate_while_running(data: dict[str, Any], ctx: RunContext) -> Any:
        """Plays Lambda delivering the same event again while the first delivery is still running."""
        duplicate.update(stack.execute(payload))
        return "first"

    job = create(stack, schedule="1h")
    with registered_for_now("test-deliver-duplicate", deliver_duplicate_while_running):
        stack.api.post(f"/jobs/{job['id']}/trigger")
        stack.api.put(f"/jobs/{job['id']}", {"handler": "test-deliver-duplicate"})
        [payload] = stack.invocations.payloads

        first = stack.execute(payload)

    assert (first["outcome"], duplicate["outcome"]) == ("completed", "skipped")
    [run] = stack.history(job["id"])
    assert run["result"] == "first"


def test_a_run_that_never_finishes_is_recovered_after_its_lease(stack: Stack) -> None:
    job = create(stack, timeoutSeconds=30, maxAttempts=2)  # dispatched, but the executor never runs
    stack.clock.advance(30 + stack.settings.lease_margin_seconds - 1)
    assert stack.tick()["recovered"] == 0

    stack.clock.advance(2)
    report = stack.tick()

    assert report["recovered"] == 1
    retry = stack.job(job["id"])
    assert (retry["status"], retry["attempts"]) == ("pending", 1)
    assert retry["lastError"].startswith("LeaseExpired")
    [lost] = stack.history(job["id"])
    assert lost["status"] == "timed_out"
    stack.clock.advance(2)
    stack.tick()
    stack.deliver()  # the original event arrives late: stale, skipped; the retry completes
    assert stack.job(job["id"])["status"] == "completed"


def test_a_run_that_outlives_its_lease_counts_once_as_the_tick_closed_it(stack: Stack) -> None:
    """The executor is still running when the tick takes the run for lost: the tick's close stands."""

    def outlive_the_lease(data: dict[str, Any], ctx: RunContext) -> Any:
        stack.clock.advance(30 + stack.settings.lease_margin_seconds + 1)
        assert stack.tick()["recovered"] == 1
        return "too late"

    job = create(stack, schedule="1h", timeoutSeconds=30, maxAttempts=2)
    with registered_for_now("test-outlive-the-lease", outlive_the_lease):
        stack.api.put(f"/jobs/{job['id']}", {"handler": "test-outlive-the-lease"})
        stack.api.post(f"/jobs/{job['id']}/trigger")
        [payload] = stack.invocations.payloads
        stack.execute(payload)

    [run] = stack.history(job["id"])
    assert (run["id"], run["status"], run["result"]) == (payload["runId"], "timed_out", None)
    retry = stack.job(job["id"])
    assert (retry["status"], retry["attempts"]) == ("pending", 1)
    assert retry["lastError"].startswith("LeaseExpired")


def test_a_run_lambda_refuses_to_start_fails_its_attempt_at_once(stack: Stack) -> None:
    job = create(stack, runAt="2026-11-28T09:00:10.000Z", maxAttempts=2)
    stack.invocations.refusing = "ResourceNotFoundException"
    stack.clock.advance(10)

    assert stack.tick()["undelivered"] == 1

    waiting = stack.job(job["id"])
    assert (waiting["status"], waiting["attempts"]) == ("pending", 1)  # not running until its lease expires
    assert waiting["lastError"].startswith("DispatchRefused")
    [refused] = stack.history(job["id"])
    assert (refused["status"], refused["error"]) == ("failed", waiting["lastError"])
    stack.invocations.refusing = None
    stack.clock.advance(2)
    stack.tick()
    stack.deliver()
    assert stack.job(job["id"])["status"] == "completed"


def test_immediate_work_lambda_refuses_is_failed_not_left_running(stack: Stack) -> None:
    stack.invocations.refusing = "TooManyRequestsException"

    job = create(stack, maxAttempts=1)

    assert (job["status"], job["attempts"]) == ("failed", 1)
    assert job["lastError"].startswith("DispatchRefused")


def test_paused_and_cancelled_jobs_never_run(stack: Stack) -> None:
    paused = create(stack, schedule="1m")
    cancelled = create(stack, schedule="1m")
    stack.api.post(f"/jobs/{paused['id']}/pause")
    stack.api.post(f"/jobs/{cancelled['id']}/cancel")
    stack.clock.advance(600)

    assert stack.tick()["dispatched"] == 0
    assert stack.invocations.calls == []


def test_tick_reads_only_due_jobs_and_never_scans(stack: Stack) -> None:
    for _ in range(30):
        create(stack, schedule="1h")
    due = [create(stack, runAt=iso_z(stack.clock.now() + timedelta(minutes=1))) for _ in range(3)]
    stack.clock.advance(60)

    with dynamodb_calls() as calls:
        report = stack.tick()

    assert (report["examined"], report["dispatched"]) == (3, 3)
    assert calls["Scan"] == 0
    # what is due and the look-ahead's one item (a tick with time to spare also asks for owed notifications)
    assert calls["Query"] == 2 * stack.settings.due_shards
    assert {payload["jobId"] for payload in stack.invocations.payloads} == {job["id"] for job in due}


def test_executor_never_scans(stack: Stack) -> None:
    create(stack, handler="flaky", data={"succeedOnAttempt": 2})

    with dynamodb_calls() as calls:
        stack.deliver()
        stack.clock.advance(20)
        stack.tick()
        stack.deliver()

    assert calls["Scan"] == 0
    assert calls["UpdateItem"] > 0  # the hook saw the executor's requests


def test_a_successful_run_costs_the_executor_one_read_and_three_writes(stack: Stack) -> None:
    job = create(stack, schedule="1h")
    stack.api.post(f"/jobs/{job['id']}/trigger")

    with dynamodb_calls() as calls:
        [result] = stack.deliver()

    assert result["outcome"] == "completed"
    # the job read, the running entry opened (the claim was the start: no start mark), the entry's close,
    # the job's finish: each write its own (an entry written as an update, so that a later release's
    # attributes on it survive), no transaction (its items bill double, decision 0058)
    assert +calls == {"GetItem": 1, "UpdateItem": 3}
    done = stack.job(job["id"])
    assert (done["status"], done["attempts"], done["nextRunAt"]) == ("pending", 0, job["nextRunAt"])
    [run] = stack.history(job["id"])
    assert (run["status"], run["trigger"]) == ("completed", "manual")


def test_an_edit_landing_while_the_run_is_out_is_kept_and_the_outcome_applied_on_top(stack: Stack) -> None:
    seen_running: list[dict[str, Any]] = []

    def rename_while_running(data: dict[str, Any], ctx: RunContext) -> Any:
        """Plays a user editing the job through the API while its run is out."""
        seen_running.extend(stack.history(ctx.job_id))
        assert stack.api.put(f"/jobs/{ctx.job_id}", {"name": "renamed"}).status == 200
        raise RuntimeError("after the edit")

    job = create(stack, schedule="1h", maxAttempts=2)
    with registered_for_now("test-rename-while-running", rename_while_running):
        stack.api.put(f"/jobs/{job['id']}", {"handler": "test-rename-while-running"})
        stack.api.post(f"/jobs/{job['id']}/trigger")
        [result] = stack.deliver()

    assert result["outcome"] == "failed"
    assert [run["status"] for run in seen_running] == ["running"]  # visible while it runs
    moved = stack.job(job["id"])
    assert (moved["name"], moved["status"], moved["attempts"]) == ("renamed", "pending", 1)
    assert moved["lastError"] == "RuntimeError: after the edit"
    [run] = stack.history(job["id"])
    assert (run["status"], run["error"]) == ("failed", "RuntimeError: after the edit")


def test_the_tick_runs_jobs_even_where_its_rule_was_never_created(stack: Stack) -> None:
    boto3.client("events").delete_rule(Name=function_spec("TickFunction").environment["RUNNER_RULE"])
    create(stack, schedule="1m")
    stack.clock.advance(60)

    assert stack.tick()["dispatched"] == 1


def test_a_job_due_at_its_create_is_stored_claimed_in_one_write_and_runs_once(stack: Stack) -> None:
    with dynamodb_calls() as calls:
        job = stack.create()  # one-time, no runAt: due at once

    assert job["status"] == "running"
    assert +calls == {"PutItem": 1}  # the insert is the claim: no second write, no read back (decision 0076)
    assert len(stack.invocations.payloads) == 1
    assert stack.tick()["dispatched"] == 0  # claimed: no pass dispatches it again
    [result] = stack.deliver()
    assert result["outcome"] == "completed"
    assert [(run["status"], run["trigger"]) for run in stack.history(job["id"])] == [("completed", "schedule")]
    assert stack.job(job["id"])["status"] == "completed"


def test_a_job_due_at_its_create_with_a_concurrency_key_is_claimed_for_its_slot(stack: Stack) -> None:
    fields = {"concurrencyKey": "k", "concurrencyLimit": 1}
    first, second = stack.create(**fields), stack.create(**fields)

    assert (first["status"], second["status"]) == ("running", "pending")  # stored pending, claimed if a slot is free
    assert len(stack.invocations.payloads) == 1
