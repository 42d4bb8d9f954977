"""Lowering DueShards on a stack update strands no job: the tick moves jobs off shards it no longer queries.

The shard count reaches the tick as a parameter (its handler passes the setting), so these tests run the
tick's window with a count other than the one the jobs were stored with, as after an update.
"""

from __future__ import annotations

from datetime import timedelta

from harness.dynamo import dynamodb_calls
from harness.stack import Stack
from serverless_jobs import store
from serverless_jobs.config import settings
from serverless_jobs.models import JobModel
from serverless_jobs.tick import TickReport, run_window, sweep_stranded_shards
from serverless_jobs.timefmt import iso_z

A_MINUTE_AND_MORE = 65_000


def store_on_shards(stack: Stack, job_id: str, shards: int) -> str:
    """Put a job where a deployment with `shards` shards would have stored it; returns its shard."""
    job = stack.api_module.service.get(job_id)
    shard = store.shard_for(job_id, shards)
    assert store.update_job(job, [JobModel.due_shard.set(shard)])
    return shard


def tick_minute(stack: Stack, shards: int) -> TickReport:
    """A whole minute of the tick as deployed with `shards` shards."""
    return run_window(
        stack.clock,
        stack.tick_module.dispatcher,
        shards=shards,
        remaining_seconds=A_MINUTE_AND_MORE / 1000,
        poll_seconds=1,
        is_running=lambda: True,
        sleep=stack.tick_module.sleep,
    )


def test_jobs_stored_with_8_shards_still_run_after_the_count_drops_to_2(stack: Stack) -> None:
    stack.deliver_at_once()
    due_at = iso_z(stack.clock.now() + timedelta(seconds=20))
    jobs = [stack.create(runAt=due_at)["id"] for _ in range(24)]
    stranded = [job_id for job_id in jobs if int(store_on_shards(stack, job_id, shards=8)) >= 2]
    assert stranded  # jobs on shards 2..7, which a 2-shard tick never queries

    report = tick_minute(stack, shards=2)

    assert report.moved == len(stranded)
    assert report.dispatched == len(jobs)
    for job_id in jobs:
        [run] = stack.history(job_id)
        assert run["status"] == "completed"


def test_a_backlog_moves_a_bounded_number_at_a_time_soonest_first(stack: Stack) -> None:
    jobs = [
        stack.create(runAt=iso_z(stack.clock.now() + timedelta(minutes=minutes)))["id"] for minutes in range(5, 0, -1)
    ]
    for job_id in jobs:
        job = stack.api_module.service.get(job_id)
        assert store.update_job(job, [JobModel.due_shard.set("63")])
    soonest_first = list(reversed(jobs))

    assert sweep_stranded_shards(shards=2, limit=3) == 3
    moved = [job_id for job_id in soonest_first if stack.api_module.service.get(job_id).due_shard != "63"]
    assert moved == soonest_first[:3]
    assert sweep_stranded_shards(shards=2, limit=3) == 2
    assert sweep_stranded_shards(shards=2, limit=3) == 0
    assert {stack.api_module.service.get(job_id).due_shard for job_id in jobs} <= {"0", "1"}


def test_a_job_changed_after_the_sweep_read_it_is_not_moved(stack: Stack) -> None:
    job_id = stack.create(schedule="1h")["id"]
    store_on_shards(stack, job_id, shards=64)
    [seen] = [job for job in store.shard_head(store.shard_for(job_id, 64), 10) if job.id == job_id]
    assert stack.api.post(f"/jobs/{job_id}/pause").status == 200

    assert not store.move_to_shard(seen, "0")

    paused = stack.api_module.service.get(job_id)
    assert (paused.status, paused.due_shard) == ("paused", None)  # the sweep never revives a paused job


def test_the_sweep_costs_one_query_per_unused_shard_per_minute_and_never_scans(stack: Stack) -> None:
    with dynamodb_calls() as calls:
        report = stack.tick(remaining_millis=A_MINUTE_AND_MORE)

    unused = store.MAX_DUE_SHARDS - settings.due_shards
    assert calls["Query"] == report["passes"] * settings.due_shards + unused
    assert calls["Scan"] == 0
