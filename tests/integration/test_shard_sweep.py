"""Lowering DueShards on a stack update strands no job: the tick moves jobs off shards it no longer queries,
once an hour (the invocation fired for the hour's first minute; START is 09:00).

The tick is built with a shard count other than the one the jobs were stored with, as after an update.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from devtools.dynamo import dynamodb_calls
from devtools.stack import START, Stack
from serverless_jobs.domain.lifecycle import MAX_DUE_SHARDS, set_due, shard_for
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.usecases import tick
from serverless_jobs.usecases.tick import move_to_live_shard, sweep_stranded_shards

A_MINUTE_AND_MORE = 65_000


def store_on_shards(stack: Stack, job_id: str, shards: int) -> str:
    """Put a job where a deployment with `shards` shards would have stored it; returns its shard."""
    job = stack.jobs.get(job_id)
    assert job is not None
    stored = replace(job)
    set_due(stored, job.next_run_at, shards)
    assert stack.jobs.update(job, stored)
    assert stored.due_shard is not None
    return stored.due_shard


def shard_of(stack: Stack, job_id: str) -> str | None:
    job = stack.jobs.get(job_id)
    assert job is not None
    return job.due_shard


def tick_minute(stack: Stack, shards: int) -> dict[str, Any]:
    """A whole minute of the tick as deployed with `shards` shards, fired for the clock's minute, without the
    SQS timer: it sleeps towards what falls due in its minute, so its report shows every run the sweep made
    reachable."""
    tick = stack.build_tick(due_shards=shards, timer_queue="")
    return stack.tick(remaining_millis=A_MINUTE_AND_MORE, handler=tick)


def test_jobs_stored_with_8_shards_still_run_after_the_count_drops_to_2(stack: Stack) -> None:
    stack.deliver_at_once()
    due_at = iso_z(stack.clock.now() + timedelta(seconds=20))
    jobs = [stack.create(runAt=due_at)["id"] for _ in range(24)]
    stranded = [job_id for job_id in jobs if int(store_on_shards(stack, job_id, shards=8)) >= 2]
    assert stranded  # jobs on shards 2..7, which a 2-shard tick never queries

    report = tick_minute(stack, shards=2)

    assert report["moved"] == len(stranded)
    assert report["dispatched"] == len(jobs)
    for job_id in jobs:
        [run] = stack.history(job_id)
        assert run["status"] == "completed"


def test_a_job_the_sweep_moves_runs_when_due_though_the_look_ahead_had_not_seen_it(stack: Stack) -> None:
    """The pass before the sweep looked ahead without the moved job: on a shard it saw empty, or behind a
    later job. The tick looks again and runs the job at its time, not at the later job's, nor never."""
    stack.deliver_at_once()
    later = stack.create(runAt=iso_z(START + timedelta(seconds=40)))["id"]
    stranded = stack.create(runAt=iso_z(START + timedelta(seconds=20)))["id"]
    for job_id, shard in ((later, "0"), (stranded, "7")):
        job = stack.jobs.get(job_id)
        assert job is not None
        assert stack.jobs.update(job, replace(job, due_shard=shard))

    report = tick_minute(stack, shards=2)

    assert (report["moved"], report["dispatched"]) == (1, 2)
    [run] = stack.history(stranded)
    assert datetime.fromisoformat(run["startedAt"]) == START + timedelta(seconds=20)


def test_a_backlog_moves_a_bounded_number_at_a_time_soonest_first(stack: Stack) -> None:
    jobs = [
        stack.create(runAt=iso_z(stack.clock.now() + timedelta(minutes=minutes)))["id"] for minutes in range(5, 0, -1)
    ]
    for job_id in jobs:
        job = stack.jobs.get(job_id)
        assert job is not None
        on_63 = replace(job, due_shard="63")
        assert stack.jobs.update(job, on_63)
    soonest_first = list(reversed(jobs))
    two_shards = stack.deps(due_shards=2)

    assert sweep_stranded_shards(two_shards, limit=3) == 3
    moved = [job_id for job_id in soonest_first if shard_of(stack, job_id) != "63"]
    assert moved == soonest_first[:3]
    assert sweep_stranded_shards(two_shards, limit=3) == 2
    assert sweep_stranded_shards(two_shards, limit=3) == 0
    assert {shard_of(stack, job_id) for job_id in jobs} <= {"0", "1"}


def test_a_job_changed_after_the_sweep_read_it_is_not_moved(stack: Stack) -> None:
    job_id = stack.create(schedule="1h")["id"]
    store_on_shards(stack, job_id, shards=64)
    [seen] = [job for job in stack.jobs.soonest(shard_for(job_id, 64), 10) if job.id == job_id]
    assert stack.api.post(f"/jobs/{job_id}/pause").status == 200

    assert not move_to_live_shard(stack.deps(due_shards=1), seen)

    paused = stack.jobs.get(job_id)
    assert paused is not None
    assert (paused.status, paused.due_shard) == ("paused", None)  # the sweep never revives a paused job


def test_the_sweep_costs_one_query_per_unused_shard_per_hour_and_never_scans(stack: Stack) -> None:
    # a pass queries each live shard twice (what is due, and the look-ahead's one item), and the owed
    # notifications once; the hour's first minute's invocation adds one Query per unused shard
    unused = MAX_DUE_SHARDS - stack.settings.due_shards
    for minute, sweeps in ((0, 1), (1, 0), (30, 0), (59, 0), (60, 1)):
        stack.clock.set(START + timedelta(minutes=minute))
        with dynamodb_calls() as calls:
            report = stack.tick(remaining_millis=A_MINUTE_AND_MORE)

        assert calls["Query"] == report["passes"] * (2 * stack.settings.due_shards + 1) + sweeps * unused, minute
        assert calls["Scan"] == 0


def test_a_stranded_job_waits_for_the_hours_sweep_and_then_runs(stack: Stack) -> None:
    stack.deliver_at_once()
    stack.clock.set(START + timedelta(minutes=1))
    job_id = stack.create(schedule="1m")["id"]
    job = stack.jobs.get(job_id)
    assert job is not None
    assert stack.jobs.update(job, replace(job, due_shard="7"))  # stored by a deployment with 8 shards

    for minute in range(1, 60):
        stack.clock.set(START + timedelta(minutes=minute))
        assert tick_minute(stack, shards=2)["moved"] == 0
    assert stack.history(job_id) == []

    stack.clock.set(START + timedelta(hours=1))
    report = tick_minute(stack, shards=2)

    assert (report["moved"], report["dispatched"]) == (1, 1)  # moved to a live shard, and run from there
    # its run's finish armed the next occurrence on a shard of the executor's own count (the template's)
    assert shard_of(stack, job_id) != "7"
    assert [run["status"] for run in stack.history(job_id)] == ["completed"]


def test_a_late_redelivery_of_the_sweep_minutes_event_does_not_sweep(stack: Stack) -> None:
    job_id = stack.create(schedule="1h")["id"]
    store_on_shards(stack, job_id, shards=64)
    late = stack.tick(remaining_millis=A_MINUTE_AND_MORE, fired_at=START - timedelta(hours=1))  # a redelivery

    assert late["moved"] == 0


def test_a_backlog_larger_than_a_sweep_moves_within_the_hours_invocation(stack: Stack, monkeypatch: Any) -> None:
    monkeypatch.setattr(tick, "SWEEP_LIMIT", 3)
    stack.deliver_at_once()
    jobs = [stack.create(runAt=iso_z(START + timedelta(minutes=30)))["id"] for _ in range(8)]
    for job_id in jobs:
        job = stack.jobs.get(job_id)
        assert job is not None
        assert stack.jobs.update(job, replace(job, due_shard="63"))

    report = tick_minute(stack, shards=2)

    assert report["moved"] == len(jobs)
    assert {shard_of(stack, job_id) for job_id in jobs} <= {"0", "1"}
