"""The JobStore contract (serverless_jobs.ports), the same assertions on the DynamoDB and in-memory adapters."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from serverless_jobs.domain.errors import KeyInUse
from serverless_jobs.domain.job import Job, JobStatus, Run, Upcoming
from serverless_jobs.domain.labels import Label
from serverless_jobs.domain.rate import Take
from serverless_jobs.ports import HistoryStore, JobStore

Stores = tuple[JobStore, HistoryStore]  # the `stores` fixture (conftest.py): one of each adapter

MINUTE = 60_000


def new_job(job_id: str, created_at: int = 1_000, **fields: Any) -> Job:
    return Job(
        id=job_id,
        name=f"job {job_id}",
        handler="echo",
        status=JobStatus.PENDING,
        max_attempts=3,
        retry_backoff_seconds=60,
        timeout_seconds=300,
        created_at=created_at,
        updated_at=created_at,
        **fields,
    )


def stored(jobs: JobStore, job: Job) -> Job:
    assert jobs.insert(job)
    found = jobs.get(job.id)
    assert found is not None
    return found


def claimed(job: Job, run_id: str = "r1") -> Job:
    """`job` as a claim leaves it: running `run_id`."""
    return replace(job, status=JobStatus.RUNNING, run_id=run_id, attempt=1, trigger="manual")


def open_entry(job: Job, run_id: str = "r1", status: str = "running") -> Run:
    return Run(job.id, run_id, status, 1, "manual", claimed_at=5_000, started_at=5_000, expires_at=9_999_999)  # type: ignore[arg-type]


def test_a_job_is_stored_once_and_read_back_as_written_on_a_version(stores: Stores) -> None:
    jobs, _ = stores
    job = new_job("a", data={"n": 1}, labels={"team": "x"}, schedule="*/5 * * * *", next_run_at=60_000)
    assert jobs.insert(job)
    assert job.version is not None
    assert jobs.get("a") == job
    assert not jobs.insert(new_job("a"))
    assert jobs.get("a") == job
    assert jobs.get("missing") is None


def test_an_update_lands_only_on_the_version_read(stores: Stores) -> None:
    jobs, _ = stores
    before = stored(jobs, new_job("a"))
    after = replace(before, name="renamed", data={"n": 2})
    assert jobs.update(before, after)
    assert after.version != before.version
    assert jobs.get("a") == after
    stale = replace(before, name="lost")
    assert not jobs.update(before, stale)  # `before` was read before the first update
    assert jobs.get("a") == after


def test_an_update_expecting_fields_lands_only_while_they_hold(stores: Stores) -> None:
    jobs, _ = stores
    before = stored(jobs, new_job("a"))
    assert not jobs.update(before, replace(before, name="b"), expect={"status": "running"})
    assert not jobs.update(before, replace(before, name="b"), expect={"run_id": "r9"})
    assert jobs.update(before, replace(before, name="b"), expect={"status": "pending", "run_id": None})
    renamed = jobs.get("a")
    assert renamed is not None
    assert renamed.name == "b"


def test_a_delete_lands_only_on_the_version_read(stores: Stores) -> None:
    jobs, _ = stores
    before = stored(jobs, new_job("a"))
    after = replace(before, name="b")
    assert jobs.update(before, after)
    assert not jobs.delete(before)
    assert jobs.delete(after)
    assert jobs.get("a") is None
    assert not jobs.delete(after)


def test_the_due_query_leaves_out_runs_within_their_lease_however_old_their_key(stores: Stores) -> None:
    jobs, _ = stores
    leased = stored(jobs, new_job("a", next_run_at=MINUTE, due_shard="0"))
    assert jobs.update(leased, replace(claimed(leased), lease_until=5 * MINUTE))
    stored(jobs, new_job("b", next_run_at=2 * MINUTE, due_shard="0"))
    assert [job.id for job in jobs.due("0", 3 * MINUTE)] == ["b"]  # a's run is within its lease
    assert [job.id for job in jobs.due("0", 5 * MINUTE)] == ["a", "b"]  # its lease is over: lost, to recover
    assert [job.id for job in jobs.due("0", 3 * MINUTE, limit=1)] == ["b"]  # the limit counts what is answered


def test_a_claim_takes_a_slot_under_the_limit_and_its_end_gives_it_back(stores: Stores) -> None:
    jobs, _ = stores
    first = stored(jobs, new_job("a", concurrency_key="k", concurrency_limit=1))
    second = stored(jobs, new_job("b", concurrency_key="k", concurrency_limit=1))
    running = claimed(first)
    assert jobs.update(first, running)
    assert jobs.slots_held("k") == 1
    assert not jobs.update(second, claimed(second, "r2"))  # the key's one slot is held
    assert jobs.get("b") == second
    ended = replace(running, status=JobStatus.PENDING, run_id=None)
    assert jobs.update(running, ended)
    assert jobs.slots_held("k") == 0
    assert jobs.update(second, claimed(second, "r2"))
    assert jobs.slots_held("k") == 1
    assert jobs.slots_held("other") == 0


def test_deleting_a_job_that_holds_a_slot_gives_it_back(stores: Stores) -> None:
    jobs, _ = stores
    before = stored(jobs, new_job("a", concurrency_key="k", concurrency_limit=2))
    running = claimed(before)
    assert jobs.update(before, running)
    assert jobs.slots_held("k") == 1
    assert jobs.delete(running)
    assert jobs.slots_held("k") == 0


def test_a_claim_after_waiters_waits_while_the_key_is_marked_and_the_mark_clears_only_if_older(
    stores: Stores,
) -> None:
    jobs, _ = stores
    before = stored(jobs, new_job("a", concurrency_key="k", concurrency_limit=2))
    jobs.mark_waiting("k", 10_000)
    assert not jobs.update(before, claimed(before), after_waiters=True)
    jobs.clear_waiting("k", 10_000)  # the mark was made at `seen`, not before: it stays
    assert not jobs.update(before, claimed(before), after_waiters=True)
    assert jobs.update(before, claimed(before))  # a claim that does not defer to waiters (the tick's)
    second = stored(jobs, new_job("b", concurrency_key="k", concurrency_limit=2))
    jobs.clear_waiting("k", 10_001)
    assert jobs.update(second, claimed(second, "r2"), after_waiters=True)
    assert jobs.slots_held("k") == 2


def test_a_rate_limited_start_takes_a_free_place_of_the_window(stores: Stores) -> None:
    jobs, _ = stores
    assert jobs.rate_window("r") == {}
    first = stored(jobs, new_job("a"))
    second = stored(jobs, new_job("b"))
    assert jobs.update(first, claimed(first), take=Take("r", 0, 100_000, MINUTE))
    assert jobs.rate_window("r") == {0: 100_000}
    assert not jobs.update(second, claimed(second), take=Take("r", 0, 100_000 + MINUTE - 1, MINUTE))
    assert jobs.get("b") == second  # refused whole: the job is not claimed either
    assert jobs.update(second, claimed(second), take=Take("r", 1, 120_000, MINUTE))
    assert jobs.rate_window("r") == {0: 100_000, 1: 120_000}
    third = stored(jobs, new_job("c"))
    assert jobs.update(third, claimed(third), take=Take("r", 0, 100_000 + MINUTE, MINUTE))  # a period later
    assert jobs.rate_window("r") == {0: 100_000 + MINUTE, 1: 120_000}


def test_labelled_jobs_are_listed_newest_first_in_pages_that_resume(stores: Stores) -> None:
    jobs, _ = stores
    for number in range(5):
        stored(jobs, new_job(f"j{number}", created_at=1_000 + number, labels={"team": "x"}))
    stored(jobs, new_job("other", created_at=2_000, labels={"team": "y"}))
    label = Label("team", "x")
    first = jobs.labelled(label, 2, None)
    assert [job.id for job in first.items] == ["j4", "j3"]
    assert first.last_key == jobs.after(label, first.items[-1])
    second = jobs.labelled(label, 2, first.last_key)
    rest = jobs.labelled(label, 5, second.last_key)
    assert [job.id for job in second.items + rest.items] == ["j2", "j1", "j0"]
    assert rest.last_key is None


def test_a_label_taken_off_or_a_job_deleted_leaves_the_group(stores: Stores) -> None:
    jobs, _ = stores
    one = stored(jobs, new_job("a", labels={"team": "x", "env": "prod"}))
    two = stored(jobs, new_job("b", created_at=2_000, labels={"team": "x"}))
    assert jobs.update(one, replace(one, labels={"env": "prod"}))
    assert jobs.delete(two)
    assert jobs.labelled(Label("team", "x"), 10, None).items == []
    assert [job.id for job in jobs.labelled(Label("env", "prod"), 10, None).items] == ["a"]


def test_jobs_are_listed_by_status_newest_first_in_pages_that_resume(stores: Stores) -> None:
    jobs, _ = stores
    for number in range(5):
        stored(jobs, new_job(f"j{number}", created_at=1_000 + number))
    done = stored(jobs, new_job("done", created_at=3_000))
    assert jobs.update(done, replace(done, status=JobStatus.COMPLETED))
    first = jobs.page(JobStatus.PENDING, 3, None)
    assert [job.id for job in first.items] == ["j4", "j3", "j2"]
    assert first.last_key == jobs.after(None, first.items[-1])
    rest = jobs.page(JobStatus.PENDING, 3, first.last_key)
    assert ([job.id for job in rest.items], rest.last_key) == (["j1", "j0"], None)
    assert [job.id for job in jobs.page(JobStatus.COMPLETED, 3, None).items] == ["done"]
    # a listing resumes right after any job it showed, by `after`
    assert [job.id for job in jobs.page(JobStatus.PENDING, 1, jobs.after(None, first.items[0])).items] == ["j3"]


def test_a_key_is_held_by_one_job_at_a_time(stores: Stores) -> None:
    jobs, _ = stores
    holder = stored(jobs, new_job("a", key="nightly"))
    assert jobs.keyed("nightly") == holder
    assert jobs.keyed("other") is None
    with pytest.raises(KeyInUse) as refused:
        jobs.insert(new_job("b", key="nightly"))
    assert refused.value.holder == "a"
    assert jobs.get("b") is None
    other = stored(jobs, new_job("b"))
    with pytest.raises(KeyInUse):
        jobs.update(other, replace(other, key="nightly"))
    assert jobs.get("b") == other
    assert jobs.update(holder, replace(holder, key="weekly"))  # moves the key: "nightly" is free again
    assert jobs.keyed("nightly") is None
    assert jobs.update(other, replace(other, key="nightly"))
    moved = jobs.keyed("nightly")
    assert moved is not None
    assert moved.id == "b"
    assert jobs.delete(moved)
    assert jobs.keyed("nightly") is None
    assert jobs.insert(new_job("c", key="nightly"))


def test_the_due_index_answers_by_shard_soonest_first(stores: Stores) -> None:
    jobs, _ = stores
    stored(jobs, new_job("late", due_shard="0", next_run_at=9_000))
    stored(jobs, new_job("soon", due_shard="0", next_run_at=3_000))
    stored(jobs, new_job("now", due_shard="0", next_run_at=5_000))
    stored(jobs, new_job("elsewhere", due_shard="1", next_run_at=1_000))
    stored(jobs, new_job("unscheduled", due_shard="0"))  # no next_run_at: not in the sparse index
    assert [job.id for job in jobs.due("0", 5_000)] == ["soon", "now"]
    assert [job.id for job in jobs.due("0", 5_000, limit=1)] == ["soon"]
    assert [job.id for job in jobs.soonest("0", 5)] == ["soon", "now", "late"]
    assert [job.id for job in jobs.due("1", 5_000)] == ["elsewhere"]
    assert jobs.due("2", 5_000) == []
    assert [job.next_run_at for job in jobs.due_after("0", 3_000, limit=5)] == [5_000, 9_000]
    assert jobs.due_after("0", 3_000, limit=1) == [Upcoming(5_000, 1_000, pending=True)]
    assert jobs.due_after("0", 9_000, limit=5) == []
    busy = new_job("busy", due_shard="0", next_run_at=7_000)
    stored(jobs, replace(busy, status=JobStatus.RUNNING, updated_at=2_000))
    assert jobs.due_after("0", 5_000, limit=1) == [Upcoming(7_000, 2_000, pending=False)]  # a run's lease


def test_a_finish_writes_the_job_and_its_closed_entries_all_or_none(stores: Stores) -> None:
    jobs, history = stores
    before = stored(jobs, new_job("a", concurrency_key="k", concurrency_limit=1))
    running = claimed(before)
    assert jobs.update(before, running)
    entry = open_entry(running)
    assert history.record(entry)
    closed = replace(entry, status="completed", completed_at=6_000, result={"ok": True})
    finished = replace(running, status=JobStatus.COMPLETED, run_id=None, successful_runs=1)
    assert not jobs.finish_run(before, finished, closed)  # on a stale version: nothing written
    assert history.get("a", 5_000, "r1") == entry
    assert jobs.finish_run(running, finished, closed)
    assert (jobs.get("a"), history.get("a", 5_000, "r1")) == (finished, closed)
    assert jobs.slots_held("k") == 0
    again = replace(finished, status=JobStatus.PENDING)
    refused = replace(closed, status="failed", completed_at=7_000)
    assert not jobs.finish_run(finished, again, refused)  # the entry is closed already: nothing written
    assert (jobs.get("a"), history.get("a", 5_000, "r1")) == (finished, closed)
