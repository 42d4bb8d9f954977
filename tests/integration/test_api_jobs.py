"""Every jobs route's success and error codes, through the API function and moto."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.api import ApiClient
from devtools.clock import ManualClock
from devtools.dispatch import InvokeRecorder
from devtools.stack import Stack
from devtools.template import function_spec
from serverless_jobs.adapters.dynamodb.job_store import DynamoJobStore

JOB_FIELDS = {
    "id", "name", "handler", "target", "notify", "data", "labels", "schedule", "timezone", "runAt", "endAt", "status",
    "attempts",
    "maxAttempts", "retryBackoffSeconds", "timeoutSeconds", "jitterSeconds", "maxRuns", "successfulRuns",
    "catchupWindowSeconds", "overlap", "concurrencyKey", "concurrencyLimit", "rateLimit", "key",
    "lastRunAt", "nextRunAt", "lastError", "createdAt", "updatedAt",
}  # fmt: skip


def create(api: ApiClient, **fields: Any) -> dict[str, Any]:
    reply = api.post("/jobs", {"name": "job", "handler": "echo", **fields})
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


def test_create_returns_the_whole_job_with_defaults(api: ApiClient) -> None:
    job = create(api, name="report", schedule="5m", data={"to": "ops"})

    assert set(job) == JOB_FIELDS
    assert job["status"] == "pending"
    assert job["data"] == {"to": "ops"}
    assert (job["timezone"], job["maxAttempts"], job["retryBackoffSeconds"], job["timeoutSeconds"]) == (
        "UTC", 3, 10, 300,
    )  # fmt: skip
    assert (job["jitterSeconds"], job["maxRuns"], job["successfulRuns"]) == (0, None, 0)
    assert job["createdAt"] == "2026-11-28T09:00:00.000Z"
    assert job["nextRunAt"] == "2026-11-28T09:05:00.000Z"  # creation + one interval


@pytest.mark.parametrize(
    ("fields", "next_run_at"),
    [
        ({"schedule": "30s"}, "2026-11-28T09:00:30.000Z"),
        ({"schedule": "1d"}, "2026-11-29T09:00:00.000Z"),
        ({"schedule": "5m", "runAt": "2026-11-28T10:00:00Z"}, "2026-11-28T10:00:00.000Z"),
        # runAt in the past: anchored at runAt, first occurrence not before now.
        ({"schedule": "1h", "runAt": "2026-11-28T06:30:00+00:00"}, "2026-11-28T09:30:00.000Z"),
        ({"schedule": "0 12 * * *"}, "2026-11-28T12:00:00.000Z"),
        ({"schedule": "0 12 * * *", "timezone": "Europe/Berlin"}, "2026-11-28T11:00:00.000Z"),
        ({"schedule": "0 8 * * *", "timezone": "America/New_York"}, "2026-11-28T13:00:00.000Z"),
        ({"schedule": "@daily", "timezone": "Asia/Kolkata"}, "2026-11-28T18:30:00.000Z"),
        ({"schedule": "0 9 * * MON-FRI"}, "2026-11-30T09:00:00.000Z"),  # 2026-11-28 is a Saturday
        ({"runAt": "2026-12-01T10:00:00+01:00"}, "2026-12-01T09:00:00.000Z"),
    ],
)
def test_create_computes_next_run(api: ApiClient, fields: dict[str, Any], next_run_at: str) -> None:
    assert create(api, **fields)["nextRunAt"] == next_run_at


def test_job_keeps_its_schedule_exactly_as_given(api: ApiClient) -> None:
    assert create(api, schedule="0  9 * * mon-fri")["schedule"] == "0  9 * * mon-fri"


def test_one_time_job_without_run_at_is_claimed_and_dispatched_at_once(
    api: ApiClient, invocations: InvokeRecorder
) -> None:
    job = create(api, data={"n": 1})

    assert job["status"] == "running"
    assert job["attempts"] == 1
    assert job["lastRunAt"] == "2026-11-28T09:00:00.000Z"
    [call] = invocations.calls
    assert call["InvocationType"] == "Event"
    assert call["FunctionName"] == function_spec("ApiFunction").environment["EXECUTOR_FUNCTION"]
    assert set(call["Payload"]) == {"jobId", "runId", "attempt", "scheduledAt", "trigger"}
    assert call["Payload"]["jobId"] == job["id"]
    assert (call["Payload"]["attempt"], call["Payload"]["trigger"]) == (1, "schedule")


def test_scheduled_job_is_not_dispatched_by_create(api: ApiClient, invocations: InvokeRecorder) -> None:
    create(api, schedule="5m")
    create(api, runAt="2026-11-28T09:30:00Z")
    assert invocations.calls == []


def test_get_reads_the_job_and_404s_unknown_ids(api: ApiClient) -> None:
    job = create(api, schedule="5m")

    assert api.get(f"/jobs/{job['id']}").body == job
    missing = api.get("/jobs/does-not-exist")
    assert missing.status == 404
    assert "does-not-exist" in missing.body["message"]
    assert api.get("/jobs/" + "x" * 3000).status == 404  # longer than any DynamoDB key: still a 404


def test_update_changes_only_the_fields_sent(api: ApiClient, clock: ManualClock) -> None:
    job = create(api, name="before", schedule="5m", data={"a": 1})
    clock.advance(60)

    reply = api.put(f"/jobs/{job['id']}", {"name": "after", "maxAttempts": 7})

    assert reply.status == 200
    assert reply.body["name"] == "after"
    assert reply.body["maxAttempts"] == 7
    assert reply.body["data"] == {"a": 1}
    assert reply.body["nextRunAt"] == job["nextRunAt"]
    assert reply.body["updatedAt"] == "2026-11-28T09:01:00.000Z"
    assert api.get(f"/jobs/{job['id']}").body == reply.body


def test_update_of_the_schedule_recomputes_next_run(api: ApiClient, clock: ManualClock) -> None:
    job = create(api, schedule="5m")
    clock.advance(120)

    reply = api.put(f"/jobs/{job['id']}", {"schedule": "0 18 * * *", "timezone": "Europe/London"})

    assert reply.body["schedule"] == "0 18 * * *"
    assert reply.body["nextRunAt"] == "2026-11-28T18:00:00.000Z"


def test_update_can_clear_the_schedule_window(api: ApiClient) -> None:
    job = create(api, schedule="1h", endAt="2026-12-31T00:00:00Z")

    reply = api.put(f"/jobs/{job['id']}", {"endAt": None})

    assert reply.status == 200
    assert reply.body["endAt"] is None


def test_update_404s_unknown_ids(api: ApiClient) -> None:
    assert api.put("/jobs/nope", {"name": "x"}).status == 404


def test_delete_removes_the_job_and_its_history(api: ApiClient, snapshot: Any) -> None:
    before = snapshot()
    job = create(api)  # one-time: dispatched at once

    deleted = api.delete(f"/jobs/{job['id']}")
    assert (deleted.status, deleted.raw, deleted.headers.get("content-type")) == (204, "", None)
    assert api.get(f"/jobs/{job['id']}").status == 404
    assert api.delete(f"/jobs/{job['id']}").status == 404
    assert snapshot() == before


def test_delete_removes_the_history_of_a_job_that_ran(stack: Stack, snapshot: Any) -> None:
    before = snapshot()
    job = stack.create()
    stack.deliver()
    assert len(stack.history(job["id"])) == 1

    assert stack.api.delete(f"/jobs/{job['id']}").status == 204
    assert snapshot() == before


def test_trigger_runs_now_and_leaves_the_schedule(api: ApiClient, invocations: InvokeRecorder) -> None:
    job = create(api, schedule="1h")

    reply = api.post(f"/jobs/{job['id']}/trigger")

    assert reply.status == 202
    [payload] = invocations.payloads
    assert payload["runId"] == reply.body["runId"]
    assert (payload["jobId"], payload["trigger"], payload["attempt"]) == (job["id"], "manual", 1)
    running = api.get(f"/jobs/{job['id']}").body
    assert running["status"] == "running"
    assert running["nextRunAt"] == job["nextRunAt"]  # the schedule's next occurrence, not the lease


def test_trigger_while_running_is_409_and_dispatches_nothing(api: ApiClient, invocations: InvokeRecorder) -> None:
    job = create(api, schedule="1h")
    api.post(f"/jobs/{job['id']}/trigger")

    reply = api.post(f"/jobs/{job['id']}/trigger")

    assert reply.status == 409
    assert "running" in reply.body["message"]
    assert len(invocations.calls) == 1


def test_trigger_404s_unknown_ids(api: ApiClient) -> None:
    assert api.post("/jobs/nope/trigger").status == 404


@pytest.mark.parametrize("ended", ["pause", "cancel"])
def test_trigger_of_a_paused_or_cancelled_job_is_409(api: ApiClient, ended: str) -> None:
    job = create(api, schedule="1h")
    api.post(f"/jobs/{job['id']}/{ended}")
    assert api.post(f"/jobs/{job['id']}/trigger").status == 409


def test_pause_and_resume_from_now(api: ApiClient, clock: ManualClock) -> None:
    job = create(api, schedule="10m")

    paused = api.post(f"/jobs/{job['id']}/pause")
    assert paused.status == 200
    assert (paused.body["status"], paused.body["nextRunAt"]) == ("paused", None)
    assert api.post(f"/jobs/{job['id']}/pause").body["status"] == "paused"  # repeating is harmless

    clock.advance(25 * 60)
    resumed = api.post(f"/jobs/{job['id']}/resume")
    assert resumed.status == 200
    assert resumed.body["status"] == "pending"
    # Anchored occurrences (09:10, 09:20, 09:30 ...): the next one from 09:25, missed runs skipped.
    assert resumed.body["nextRunAt"] == "2026-11-28T09:30:00.000Z"


def test_paused_job_leaves_the_due_index(api: ApiClient, job_store: DynamoJobStore) -> None:
    job = create(api, schedule="10m")
    api.post(f"/jobs/{job['id']}/pause")

    stored = job_store.get(job["id"])
    assert stored is not None
    assert stored.due_shard is None


def test_cancel_ends_the_job_for_good(api: ApiClient) -> None:
    job = create(api, schedule="10m")

    cancelled = api.post(f"/jobs/{job['id']}/cancel")

    assert (cancelled.status, cancelled.body["status"], cancelled.body["nextRunAt"]) == (
        200,
        "cancelled",
        None,
    )
    assert api.post(f"/jobs/{job['id']}/resume").status == 409
    assert api.post(f"/jobs/{job['id']}/pause").status == 409
    assert api.post(f"/jobs/{job['id']}/cancel").status == 200


@pytest.mark.parametrize("action", ["pause", "resume", "cancel"])
def test_transitions_404_unknown_ids(api: ApiClient, action: str) -> None:
    assert api.post(f"/jobs/nope/{action}").status == 404


def test_history_of_a_new_job_is_empty_and_404s_unknown_ids(api: ApiClient) -> None:
    job = create(api, schedule="5m")

    assert api.get(f"/jobs/{job['id']}/history").body == {"history": [], "nextToken": None}
    assert api.get("/jobs/nope/history").status == 404


def test_unknown_route_is_404_with_a_message(api: ApiClient) -> None:
    reply = api.get("/nothing-here")
    assert reply.status == 404
    assert "/nothing-here" in reply.body["message"]


@pytest.mark.parametrize(
    ("setup", "method", "suffix", "status"),
    [
        ("trigger", "POST", "/trigger", 409),
        ("cancel", "POST", "/trigger", 409),
        ("cancel", "POST", "/resume", 409),
        ("cancel", "POST", "/pause", 409),
        ("pause", "POST", "/trigger", 409),
        (None, "GET", "/../nope", 404),
    ],
)
def test_refused_requests_change_nothing(
    api: ApiClient, snapshot: Any, invocations: InvokeRecorder, setup: str | None, method: str, suffix: str, status: int
) -> None:
    job = create(api, schedule="1h")
    if setup:
        api.post(f"/jobs/{job['id']}/{setup}")
    before, dispatched = snapshot(), len(invocations.calls)

    reply = api.request(method, f"/jobs/{job['id']}{suffix}")

    assert reply.status == status
    assert snapshot() == before
    assert len(invocations.calls) == dispatched


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/jobs/nope"), ("DELETE", "/jobs/nope"), ("POST", "/jobs/nope/trigger"), ("POST", "/jobs/nope/cancel")],
)
def test_unknown_jobs_are_404_and_change_nothing(api: ApiClient, snapshot: Any, method: str, path: str) -> None:
    create(api, schedule="1h")
    before = snapshot()

    reply = api.request(method, path, {"name": "x"} if method == "PUT" else None)

    assert (reply.status, snapshot()) == (404, before)
