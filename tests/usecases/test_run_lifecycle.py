"""Claim, run, close, retry and transitions through the use cases, on the memory stores."""

from __future__ import annotations

from datetime import timedelta

import pytest

from harness.memory_app import App
from serverless_jobs.domain.errors import Conflict, NotFound
from serverless_jobs.domain.job import JobStatus
from serverless_jobs.domain.rate import RateLimit
from serverless_jobs.domain.timefmt import to_millis
from serverless_jobs.usecases.jobs import JobSpec


def runs_of(app: App, job_id: str) -> list[str]:
    return [run.status for run in app.history.page(job_id, 50, None).items]


def test_a_one_time_job_is_dispatched_at_once_runs_once_and_completes(app: App) -> None:
    job = app.create(data={"greeting": "hello"})
    assert app.deliver() == ["completed"]
    done = app.job(job.id)
    assert (done.status, done.attempts, done.next_run_at, done.run_id) == (JobStatus.COMPLETED, 1, None, None)
    [run] = app.history.page(job.id, 10, None).items
    assert (run.status, run.result, run.trigger) == ("completed", {"greeting": "hello"}, "schedule")
    assert app.deliver() == []
    assert app.tick().dispatched == 0


def test_a_duplicate_delivery_is_skipped_and_runs_nothing_twice(app: App) -> None:
    job = app.create()
    [request] = app.queue.runs
    app.queue.runs.append(request)
    assert app.deliver() == ["completed", "skipped"]
    assert runs_of(app, job.id) == ["completed"]


def test_a_failing_job_is_retried_after_its_backoff_and_fails_after_its_last_attempt(app: App) -> None:
    job = app.create(handler="fail", max_attempts=2, retry_backoff_seconds=30)
    assert app.deliver() == ["failed"]
    retrying = app.job(job.id)
    assert (retrying.status, retrying.attempts) == (JobStatus.PENDING, 1)
    now = to_millis(app.clock.now())
    assert retrying.next_run_at is not None
    assert now < retrying.next_run_at <= now + 30_000  # the backoff, jittered
    assert app.tick().dispatched == 0  # not yet due
    app.clock.advance(30)
    assert app.tick().dispatched == 1
    assert app.deliver() == ["failed"]
    failed = app.job(job.id)
    assert (failed.status, failed.attempts, failed.next_run_at) == (JobStatus.FAILED, 2, None)
    assert runs_of(app, job.id) == ["failed", "failed"]


def test_an_interval_job_runs_on_its_grid_through_the_tick(app: App) -> None:
    job = app.create(schedule="5m")
    created = app.clock.now()
    for k in range(1, 4):
        app.clock.set(created + timedelta(minutes=5 * k, seconds=2))
        assert app.tick().dispatched == 1
        assert app.deliver() == ["completed"]
        assert app.job(job.id).next_run_at == to_millis(created + timedelta(minutes=5 * (k + 1)))
    assert runs_of(app, job.id) == ["completed"] * 3


def test_a_paused_job_is_not_run_until_resumed_and_a_cancelled_one_never(app: App) -> None:
    paused = app.create(schedule="1m")
    cancelled = app.create(schedule="1m")
    assert app.service.pause(paused.id).status == JobStatus.PAUSED
    assert app.service.cancel(cancelled.id).status == JobStatus.CANCELLED
    app.clock.advance(60)
    assert app.tick().dispatched == 0
    assert not app.service.pausing(paused.id).changed  # a repeat changes nothing
    # its occurrence came due while it was paused: resumed, it starts at once
    assert app.service.resume(paused.id).status == JobStatus.RUNNING
    assert app.deliver() == ["completed"]
    assert runs_of(app, paused.id) == ["completed"]
    assert runs_of(app, cancelled.id) == []


def test_a_manual_trigger_runs_now_and_leaves_the_schedule_as_it_was(app: App) -> None:
    job = app.create(schedule="1h")
    run_id = app.service.trigger(job.id)
    [request] = app.queue.runs
    assert (request.runId, request.trigger) == (run_id, "manual")
    assert app.deliver() == ["completed"]
    assert app.job(job.id).next_run_at == job.next_run_at


def test_a_run_the_tick_closed_as_lost_is_skipped_when_its_late_delivery_comes(app: App) -> None:
    job = app.create(schedule="1h", timeout_seconds=30, max_attempts=1)
    app.service.trigger(job.id)
    [late] = app.queue.runs
    app.queue.runs.clear()
    app.clock.advance(30 + app.tick_deps.settings.lease_margin_seconds + 1)
    assert app.tick().recovered == 1
    assert runs_of(app, job.id) == ["timed_out"]
    app.queue.runs.append(late)
    assert app.deliver() == ["skipped"]  # closed once: the tick decided how it ended
    assert runs_of(app, job.id) == ["timed_out"]
    assert app.job(job.id).run_id is None


def test_changing_the_schedule_re_times_a_pending_job(app: App) -> None:
    job = app.create(schedule="1h")
    assert job.next_run_at == to_millis(app.clock.now() + timedelta(hours=1))
    retimed = app.service.update(job.id, {"schedule": "5m"})
    assert retimed.next_run_at == to_millis(app.clock.now() + timedelta(minutes=5))
    assert app.job(job.id) == retimed


def test_a_create_repeated_with_its_id_returns_the_stored_job_instead_of_a_second(app: App) -> None:
    first = app.service.create(JobSpec("job", "echo", 3, 1, 60, schedule="1h"), job_id="request-1")
    again = app.service.create(JobSpec("job", "echo", 3, 1, 60, schedule="1h"), job_id="request-1")
    assert again == first
    assert [job.id for job in app.jobs.page(JobStatus.PENDING, 10, None).items] == ["request-1"]


def test_a_deleted_job_takes_its_runs_and_frees_its_key(app: App) -> None:
    job = app.create(key="report")
    assert app.deliver() == ["completed"]
    app.service.delete(job.id, lambda: True)
    with pytest.raises(NotFound):
        app.job(job.id)
    assert runs_of(app, job.id) == []
    assert app.create(key="report").key == "report"


def test_triggering_a_job_whose_rate_key_has_no_start_left_is_a_conflict_that_changes_nothing(app: App) -> None:
    rate = RateLimit("api", limit=1, period_seconds=60)
    app.create(rate_limit=rate)
    waiting = app.create(rate_limit=rate, schedule="1h")
    with pytest.raises(Conflict):
        app.service.trigger(waiting.id)
    assert app.job(waiting.id) == waiting
    assert len(app.queue.runs) == 1  # only the first job's run


def test_a_run_paused_before_it_began_is_let_go_by_its_executor_and_leaves_no_entry(app: App) -> None:
    job = app.create(schedule="1h")
    app.clock.advance(3600)
    assert app.tick().dispatched == 1
    assert app.service.pause(job.id).status == JobStatus.PAUSED  # the claimed run is held: it may have begun
    assert app.job(job.id).run_id is not None

    assert app.deliver() == ["skipped"]  # it had not: its executor lets go of it

    paused = app.job(job.id)
    assert (paused.status, paused.run_id, paused.next_run_at) == (JobStatus.PAUSED, None, None)
    assert runs_of(app, job.id) == []
    app.clock.advance(3600)
    assert app.tick().dispatched == 0


def test_a_run_resumed_before_its_executor_came_begins_after_all(app: App) -> None:
    job = app.create(schedule="1h")
    app.clock.advance(3600)
    assert app.tick().dispatched == 1
    app.service.pause(job.id)
    assert app.service.resume(job.id).status == JobStatus.RUNNING  # it takes its held run back

    assert app.deliver() == ["completed"]
    assert runs_of(app, job.id) == ["completed"]
    assert app.job(job.id).status == JobStatus.PENDING


def test_a_run_within_its_lease_is_not_read_out_by_the_tick_and_a_lost_one_is_recovered(app: App) -> None:
    job = app.create(schedule="1h", timeout_seconds=60)
    app.clock.advance(3600)
    assert app.tick().dispatched == 1
    app.queue.runs.clear()  # its executor never comes
    assert app.tick().examined == 0  # within its lease, its due key at the occurrence: left out of the query
    app.clock.advance(60 + app.tick_deps.settings.lease_margin_seconds + 1)
    assert app.tick().recovered == 1
    assert runs_of(app, job.id) == ["timed_out"]
