"""Flow control as plain rules (DESIGN §9 "Flow control"): stable jitter, maxRuns completing a job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.flow import check_flow, jitter_offset_ms, start_at
from serverless_jobs.domain.job import Job, JobStatus
from serverless_jobs.domain.outcome import Outcome, next_state
from serverless_jobs.domain.timefmt import to_millis

CREATED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def job(schedule: str | None = "1m", *, jitter: int = 0, max_runs: int | None = None, runs: int = 0) -> Job:
    return Job(
        id="j",
        name="n",
        handler="echo",
        schedule=schedule,
        status=JobStatus.RUNNING,
        attempt=1,
        attempts=1,
        max_attempts=1,
        retry_backoff_seconds=10,
        timeout_seconds=60,
        created_at=to_millis(CREATED),
        updated_at=to_millis(CREATED),
        jitter_seconds=jitter,
        max_runs=max_runs,
        successful_runs=runs,
    )


@given(st.text(min_size=1, max_size=40), st.integers(0, 10**13), st.integers(1, 86400))
def test_a_jitter_offset_is_within_the_window_and_the_same_every_time(job_id: str, at: int, jitter: int) -> None:
    offset = jitter_offset_ms(job_id, at, jitter)
    assert 0 <= offset < jitter * 1000
    assert jitter_offset_ms(job_id, at, jitter) == offset


def test_no_jitter_starts_on_the_occurrence() -> None:
    assert start_at(job(jitter=0), CREATED) == CREATED


def test_jitter_differs_between_occurrences_and_jobs() -> None:
    offsets = {jitter_offset_ms(f"job-{n}", to_millis(CREATED), 60) for n in range(100)}
    offsets |= {jitter_offset_ms("job-0", to_millis(CREATED) + 60_000 * n, 60) for n in range(100)}
    assert len(offsets) > 150  # not one offset for all: a herd spreads


def test_the_next_occurrence_is_due_at_its_jittered_start_and_remembered_nominal() -> None:
    state = next_state(job(jitter=30), Outcome(True), CREATED + timedelta(seconds=5))
    nominal = CREATED + timedelta(minutes=1)
    assert state.next_occurrence_at == nominal
    assert state.next_run_at == start_at(job(jitter=30), nominal)
    assert nominal <= state.next_run_at < nominal + timedelta(seconds=30)


def test_max_runs_completes_the_job_on_its_last_successful_run() -> None:
    before_last = next_state(job(max_runs=3, runs=1), Outcome(True), CREATED)
    last = next_state(job(max_runs=3, runs=2), Outcome(True), CREATED)

    assert (before_last.status, before_last.successful_runs) == (JobStatus.PENDING, 2)
    assert (last.status, last.successful_runs, last.next_run_at) == (JobStatus.COMPLETED, 3, None)


def test_a_failed_run_does_not_count_towards_max_runs() -> None:
    state = next_state(job(max_runs=3, runs=2), Outcome(False, "E: x"), CREATED)
    assert (state.status, state.successful_runs) == (JobStatus.PENDING, 2)


def test_jitter_on_a_job_without_a_recurring_schedule_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"^jitterSeconds: "):
        check_flow(job(None, jitter=5))
    check_flow(job("1m", jitter=5))
    check_flow(job(None, jitter=0))
