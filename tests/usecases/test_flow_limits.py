"""Concurrency slots, rate limits, max runs, overlap and lost runs through the use cases, on the memory stores.

The same behaviours are proven over moto, through the functions, in tests/integration (test_concurrency_slots,
test_rate_limits, test_flow_control, test_overlap); here they run in milliseconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from harness.memory_app import App
from serverless_jobs.domain.job import JobStatus
from serverless_jobs.domain.labels import Label
from serverless_jobs.domain.rate import RateLimit
from serverless_jobs.domain.timefmt import from_millis


def statuses(app: App, job_ids: list[str]) -> list[JobStatus]:
    return [app.job(job_id).status for job_id in job_ids]


def entries(app: App, job_id: str) -> list[tuple[str, datetime | None]]:
    runs = app.history.page(job_id, 50, None).items
    return [(run.status, None if run.scheduled_at is None else from_millis(run.scheduled_at)) for run in runs]


def test_jobs_sharing_a_concurrency_key_run_no_more_than_its_limit_at_once(app: App) -> None:
    job_ids = [app.create(concurrency_key="k", concurrency_limit=2).id for _ in range(3)]
    assert statuses(app, job_ids) == [JobStatus.RUNNING, JobStatus.RUNNING, JobStatus.PENDING]
    assert app.jobs.slots_held("k") == 2
    assert app.tick().dispatched == 0  # no slot free: the third stays due
    assert app.deliver() == ["completed", "completed"]
    assert app.jobs.slots_held("k") == 0
    assert app.tick().dispatched == 1
    assert app.deliver() == ["completed"]
    assert statuses(app, job_ids) == [JobStatus.COMPLETED] * 3
    assert app.jobs.slots_held("k") == 0


def test_a_slot_freed_just_after_a_refused_claim_leaves_the_key_in_creation_order(app: App) -> None:
    job_ids = []
    for _ in range(4):  # one due instant each: jobs due at the same instant go in the order of their ids
        job_ids.append(app.create(concurrency_key="k", concurrency_limit=2).id)
        app.clock.advance(1)
    read_slots = app.jobs.slots_held

    def a_run_ends_first(key: str) -> int:  # the race: a run lets go of its slot once the claim found none
        if app.queue.runs:
            assert app.deliver_one() == "completed"
        return read_slots(key)

    app.jobs.slots_held = a_run_ends_first  # type: ignore[method-assign]
    app.tick()  # the third is refused, as both slots were held when it claimed; the fourth waits behind it
    app.jobs.slots_held = read_slots  # type: ignore[method-assign]

    assert statuses(app, job_ids)[2:] == [JobStatus.PENDING, JobStatus.PENDING]
    assert app.tick().dispatched == 1  # the pass the freed slot wakes claims the third, not the fourth
    assert statuses(app, job_ids)[2:] == [JobStatus.RUNNING, JobStatus.PENDING]


def test_a_rate_limit_starts_two_of_three_then_the_third_once_the_oldest_start_leaves_the_window(app: App) -> None:
    rate = RateLimit("api", limit=2, period_seconds=60)
    job_ids = [app.create(rate_limit=rate).id for _ in range(3)]
    assert statuses(app, job_ids) == [JobStatus.RUNNING, JobStatus.RUNNING, JobStatus.PENDING]
    assert app.deliver() == ["completed", "completed"]
    app.clock.advance(30)
    assert app.tick().dispatched == 0  # finished or not, both starts are in the window
    app.clock.advance(30)
    assert app.tick().dispatched == 1
    assert len(app.jobs.rate_window("api")) == 2


def test_max_runs_completes_the_job_after_that_many_successful_runs(app: App) -> None:
    job = app.create(schedule="1m", max_runs=2)
    for _ in range(2):
        app.clock.set(from_millis(app.job(job.id).next_run_at or 0))
        assert app.tick().dispatched == 1
        assert app.deliver() == ["completed"]
    done = app.job(job.id)
    assert (done.status, done.successful_runs, done.next_run_at) == (JobStatus.COMPLETED, 2, None)
    app.clock.advance(600)
    assert app.tick().dispatched == 0


def lose_the_first_run(app: App, overlap: str) -> str:
    """A `30s` job whose 09:00:30 run never reports back (its lease ends at 09:02:00), and the tick that
    takes it for lost at 09:02:01."""
    job = app.create(schedule="30s", timeout_seconds=30, max_attempts=1, overlap=overlap)
    app.clock.advance(30)
    assert app.tick().dispatched == 1
    app.queue.runs.clear()  # the executor never runs
    app.clock.advance(30 + app.tick_deps.settings.lease_margin_seconds + 1)
    assert app.tick().recovered == 1
    return job.id


def test_a_lost_run_recovered_by_the_tick_buffers_the_occurrences_due_meanwhile(app: App) -> None:
    job_id = lose_the_first_run(app, "buffer")
    start = app.clock.now().replace(minute=0, second=0, microsecond=0)
    assert app.job(job_id).next_run_at is not None
    assert from_millis(app.job(job_id).next_run_at or 0) == start + timedelta(minutes=2)
    assert entries(app, job_id) == [("timed_out", start + timedelta(seconds=30))]


def test_a_lost_run_recovered_by_the_tick_skips_the_occurrences_due_meanwhile(app: App) -> None:
    job_id = lose_the_first_run(app, "skip")
    start = app.clock.now().replace(minute=0, second=0, microsecond=0)
    assert from_millis(app.job(job_id).next_run_at or 0) == start + timedelta(minutes=2, seconds=30)
    assert entries(app, job_id) == [
        ("skipped", start + timedelta(minutes=1)),
        ("timed_out", start + timedelta(seconds=30)),
    ]


def test_a_key_names_one_job_and_a_label_lists_its_jobs_newest_first(app: App) -> None:
    keyed = app.create(key="nightly-report", labels={"team": "data"}, schedule="1h")
    app.clock.advance(1)
    other = app.create(labels={"team": "data"}, schedule="1h")
    assert app.jobs.keyed("nightly-report") == app.job(keyed.id)
    listed = app.jobs.labelled(Label("team", "data"), 10, None).items
    assert [job.id for job in listed] == [other.id, keyed.id]
