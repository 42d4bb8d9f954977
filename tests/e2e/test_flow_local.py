"""Flow control on `make dev`, over real HTTP and in real time: a concurrency key's limit and its order, a
rate limit's starts, maxRuns, jitter and the catch-up window, each as a user sees it in the jobs and their
history. Times are checked against the rules of docs/flow-control.md, never against a tight wall-clock bound."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from devtools.local_http import LocalStack
from serverless_jobs.domain.timefmt import iso_z


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def claimed_at(local: LocalStack, job_ids: list[str], seconds: float) -> list[datetime]:
    """When each job was started (claimed: its `lastRunAt`), once every one of them has completed."""
    ended = [
        local.wait_for(f"/jobs/{job_id}", lambda body: body["status"] == "completed", seconds) for job_id in job_ids
    ]
    assert [job["status"] for job in ended] == ["completed"] * len(job_ids), ended
    return [at(job["lastRunAt"]) for job in ended]


def test_a_job_created_without_run_at_is_started_by_the_api_itself(local: LocalStack) -> None:
    created = [local.create() for _ in range(10)]

    # the answer shows the run the API claimed and dispatched, not a job left pending for the tick
    assert [job["status"] in ("running", "completed") for job in created] == [True] * 10, created


@pytest.mark.parametrize(("count", "limit", "period"), [(3, 1, 5), (5, 2, 10)])
def test_rate_limited_jobs_start_as_the_oldest_start_leaves_the_window_not_at_the_next_minute(
    local: LocalStack, count: int, limit: int, period: int
) -> None:
    key = f"partner-{uuid.uuid4().hex[:8]}"
    rate = {"key": key, "limit": limit, "periodSeconds": period}
    job_ids = [local.create(rateLimit=rate)["id"] for _ in range(count)]

    starts = claimed_at(local, job_ids, period * count + 5)

    assert starts == sorted(starts)  # in creation (due) order
    for earlier, later in zip(starts, starts[limit:], strict=False):
        allowed = earlier + timedelta(seconds=period)  # the start `limit` before it leaves the window
        assert later >= allowed, (earlier, later)
        # on time: not left to a minute's tick (up to 60 s late), nor even to the next place's freeing
        assert later - allowed < timedelta(seconds=period), (allowed, later)


@pytest.mark.parametrize(("count", "limit"), [(4, 1), (6, 2)])
def test_jobs_waiting_for_a_slot_start_in_creation_order(local: LocalStack, count: int, limit: int) -> None:
    key = f"tenant-{uuid.uuid4().hex[:8]}"
    created = [
        local.create(handler="sleep", data={"seconds": 0.3}, concurrencyKey=key, concurrencyLimit=limit)
        for _ in range(count)
    ]

    starts = claimed_at(local, [job["id"] for job in created], 20)

    assert starts == sorted(starts), starts  # soonest due (created) first
    assert [job["status"] for job in created[:limit]] == ["running"] * limit  # a free slot: started at once


def test_a_key_with_limit_1_runs_its_three_due_jobs_one_at_a_time_and_all_finish(local: LocalStack) -> None:
    key = f"tenant-{uuid.uuid4().hex[:8]}"
    jobs = [
        local.create(handler="sleep", data={"seconds": 0.5}, concurrencyKey=key, concurrencyLimit=1) for _ in range(3)
    ]

    ended = [local.wait_for(f"/jobs/{job['id']}", lambda body: body["status"] == "completed", 15) for job in jobs]

    assert [job["status"] for job in ended] == ["completed"] * 3
    runs = sorted((run for job in jobs for run in local.history(job["id"])), key=lambda run: run["startedAt"])
    assert [run["status"] for run in runs] == ["completed"] * 3
    for earlier, later in itertools.pairwise(runs):
        assert at(earlier["completedAt"]) <= at(later["startedAt"]), (earlier, later)


def test_max_runs_2_on_a_1s_interval_completes_after_2_successful_runs(local: LocalStack) -> None:
    job = local.create(schedule="1s", maxRuns=2)

    ended = local.wait_for(f"/jobs/{job['id']}", lambda body: body["status"] == "completed", 10)

    assert (ended["status"], ended["successfulRuns"], ended["nextRunAt"]) == ("completed", 2, None)
    assert [run["status"] for run in local.history(job["id"])] == ["completed", "completed"]


def test_a_jittered_herd_spreads_over_its_window(local: LocalStack) -> None:
    nominal = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    herd = [local.create(schedule="1h", runAt=iso_z(nominal), jitterSeconds=600) for _ in range(20)]

    offsets = [(at(job["nextRunAt"]) - nominal).total_seconds() for job in herd]

    assert all(0 <= offset < 600 for offset in offsets), offsets
    assert min(offsets) < 300 <= max(offsets), offsets  # both halves of the window (all in one: p = 2e-6)
    assert len(set(offsets)) == len(offsets)
    for job in herd:  # stable: the same start however often it is read
        assert local.call("GET", f"/jobs/{job['id']}")[1]["nextRunAt"] == job["nextRunAt"]
        local.call("DELETE", f"/jobs/{job['id']}")


def test_a_jittered_run_starts_at_its_jittered_start_and_history_keeps_the_nominal_time(local: LocalStack) -> None:
    nominal = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)  # 1..2 s ahead
    job = local.create(schedule="1h", runAt=iso_z(nominal), jitterSeconds=2)
    start = at(job["nextRunAt"])

    runs = local.wait_for(
        f"/jobs/{job['id']}/history", lambda body: [run["status"] for run in body["history"]] == ["completed"], 8
    )["history"]
    local.call("DELETE", f"/jobs/{job['id']}")

    assert 0 <= (start - nominal).total_seconds() < 2
    [run] = runs
    assert (run["status"], at(run["scheduledAt"])) == ("completed", nominal)
    assert at(run["startedAt"]) >= start


def test_a_stopped_runner_past_the_catchup_window_records_one_skipped_run_then_runs_on(local: LocalStack) -> None:
    assert local.call("POST", "/jobs/runner/stop") == (200, {"running": False})
    try:
        job = local.create(schedule="2s", catchupWindowSeconds=2)
        time.sleep(5)  # occurrences at +2 s and +4 s pass unrun; +2 s is then 3 s late, past the window
    finally:
        assert local.call("POST", "/jobs/runner/start") == (200, {"running": True})

    runs = local.wait_for(
        f"/jobs/{job['id']}/history", lambda body: any(run["status"] == "completed" for run in body["history"]), 6
    )["history"]
    local.call("POST", f"/jobs/{job['id']}/cancel")

    skipped = [run for run in runs if run["status"] == "skipped"]
    assert len(skipped) == 1, runs
    assert at(skipped[0]["scheduledAt"]) == at(job["nextRunAt"])  # the first missed occurrence
    assert "past catchupWindowSeconds (2)" in skipped[0]["error"]
    assert runs[-1] == skipped[0]  # oldest: skipped first, then the run inside the window
    assert runs[-2]["status"] == "completed"
