"""A run's lease in its own attribute, `leaseUntil`: the claim writes it and leaves the `due` key at the
occurrence (decision "The claim is the start"); the tick passes over a job holding a run whose `leaseUntil`
is ahead, whatever its `due` key says. Without `leaseUntil` (a run 0.3.0 claimed, its key moved to the
lease's end) or with an earlier run's (0.3.0 claimed over it), the `due` key is the lease, as it always was.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest

from devtools.stack import Stack
from serverless_jobs.domain import lifecycle
from serverless_jobs.domain.job import Job, JobStatus
from serverless_jobs.domain.timefmt import to_millis
from serverless_jobs.settings import Settings

TIMEOUT = 30


def stored(job_id: str) -> dict[str, Any]:
    """The job's item as DynamoDB holds it, every attribute."""
    table = Settings.from_environment().jobs_table
    item: dict[str, Any] = boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": job_id}})["Item"]
    return item


def rewrite(job_id: str, update: str, values: dict[str, Any] | None = None) -> None:
    """Change the stored job as another release would (`update`: an UpdateExpression)."""
    table = Settings.from_environment().jobs_table
    extra: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
    boto3.client("dynamodb").update_item(TableName=table, Key={"id": {"S": job_id}}, UpdateExpression=update, **extra)


def claimed(stack: Stack) -> dict[str, Any]:
    """A `1h` job claimed by the tick, its run dispatched and never delivered (its executor lost)."""
    job = stack.create(schedule="1h", timeoutSeconds=TIMEOUT, maxAttempts=2)
    stack.clock.advance(3600)
    assert stack.tick()["dispatched"] == 1
    return job


def lease_seconds(stack: Stack) -> int:
    return TIMEOUT + stack.settings.lease_margin_seconds


def test_the_claim_writes_the_lease_leaves_the_due_key_and_the_finish_removes_the_lease(stack: Stack) -> None:
    occurrence = to_millis(stack.clock.now() + timedelta(hours=1))
    job = claimed(stack)

    item = stored(job["id"])
    lease = to_millis(stack.clock.now() + timedelta(seconds=lease_seconds(stack)))
    assert int(item["leaseUntil"]["N"]) == lease
    assert int(item["nextRunAt"]["N"]) == occurrence  # not moved: two index writes a run fewer
    assert int(item["runStartedAt"]["N"]) == to_millis(stack.clock.now())  # 0.4.0's executor starts it no more

    stack.deliver()
    assert stack.job(job["id"])["status"] == "pending"
    assert "leaseUntil" not in stored(job["id"])


def test_a_running_job_due_by_its_key_but_within_its_lease_until_is_passed_over(stack: Stack) -> None:
    job = claimed(stack)

    stack.clock.advance(lease_seconds(stack) - 1)
    report = stack.tick()

    assert (report["examined"], report["recovered"], report["dispatched"]) == (0, 0, 0)  # not even read out
    assert stack.job(job["id"])["status"] == "running"
    assert [run["status"] for run in stack.history(job["id"])] == []  # its run may yet report
    assert [result["outcome"] for result in stack.deliver()] == ["completed"]  # and it does
    assert stack.job(job["id"])["status"] == "pending"


def test_a_running_job_past_its_lease_until_is_recovered_as_lost(stack: Stack) -> None:
    job = claimed(stack)

    stack.clock.advance(lease_seconds(stack) + 1)

    assert stack.tick()["recovered"] == 1
    [lost] = stack.history(job["id"])
    assert lost["status"] == "timed_out"


def test_a_manual_run_of_a_job_due_later_waits_for_its_lease_on_the_index(stack: Stack) -> None:
    job = stack.create(schedule="1d", timeoutSeconds=TIMEOUT, maxAttempts=2)
    assert stack.api.post(f"/jobs/{job['id']}/trigger").status == 202
    lease = to_millis(stack.clock.now() + timedelta(seconds=lease_seconds(stack)))
    assert int(stored(job["id"])["nextRunAt"]["N"]) == lease  # not a day away: a lost run is found by then

    stack.clock.advance(lease_seconds(stack) + 1)  # its executor never came
    assert stack.tick()["recovered"] == 1
    assert stack.job(job["id"])["status"] == "pending"


@pytest.mark.parametrize("left_by_0_3_0", ["dropped", "an earlier run's"])
def test_without_a_lease_until_of_its_own_the_due_key_is_the_lease(stack: Stack, left_by_0_3_0: str) -> None:
    job = claimed(stack)
    lease_end = str(to_millis(stack.clock.now() + timedelta(seconds=lease_seconds(stack))))
    if left_by_0_3_0 == "dropped":  # 0.3.0 claimed it: the key is the lease, no attribute
        rewrite(job["id"], "SET nextRunAt = :at REMOVE leaseUntil", {":at": {"N": lease_end}})
    else:  # 0.3.0 finished a run claimed by 0.4.0, then claimed this one: the attribute is from before the claim
        before_claim = to_millis(stack.clock.now()) - 1
        rewrite(
            job["id"],
            "SET nextRunAt = :at, leaseUntil = :before",
            {":at": {"N": lease_end}, ":before": {"N": str(before_claim)}},
        )

    stack.clock.advance(lease_seconds(stack) - 1)
    assert stack.tick()["recovered"] == 0  # the key's lease still runs
    stack.clock.advance(2)
    assert stack.tick()["recovered"] == 1


def test_a_stale_lease_until_is_not_the_lease() -> None:
    job = Job(
        id="j", name="j", handler="echo", status=JobStatus.RUNNING, max_attempts=1,
        retry_backoff_seconds=1, timeout_seconds=1, created_at=0, updated_at=0,
    )  # fmt: skip
    job.run_id, job.last_run_at, job.lease_until = "r", 1_000, 5_000
    assert lifecycle.lease_ahead(job, 4_999)
    assert not lifecycle.lease_ahead(job, 5_000)
    job.lease_until = 1_000  # not after the claim: an earlier run's
    assert not lifecycle.lease_ahead(job, 0)
    job.lease_until, job.run_id = 5_000, None  # no run held: no lease
    assert not lifecycle.lease_ahead(job, 0)
