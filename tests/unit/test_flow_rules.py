"""Flow control as plain rules (decisions "Jitter", "maxRuns"): stable jitter, maxRuns completing a job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.jobs import CREATED, running_job
from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.flow import check_flow, jitter_offset_ms, missed, start_at
from serverless_jobs.domain.job import Job, JobStatus
from serverless_jobs.domain.outcome import Outcome, missed_state, next_state
from serverless_jobs.domain.timefmt import to_millis


def job(
    schedule: str | None = "1m",
    *,
    jitter: int = 0,
    max_runs: int | None = None,
    runs: int = 0,
    window: int | None = None,
) -> Job:
    return running_job(
        schedule,
        jitter_seconds=jitter,
        max_runs=max_runs,
        successful_runs=runs,
        catchup_window_seconds=window,
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


@given(st.integers(1, 3600), st.integers(0, 7200))
def test_an_occurrence_is_missed_exactly_when_found_past_the_window(window: int, late_ms: int) -> None:
    found = CREATED + timedelta(milliseconds=late_ms)
    assert missed(job(window=window), CREATED, found) == (late_ms > window * 1000)
    assert not missed(job(window=None), CREATED, found)


def test_after_a_skip_the_job_waits_for_its_first_occurrence_still_inside_the_window() -> None:
    found = CREATED + timedelta(minutes=10, seconds=10)
    inside = missed_state(job(window=30), found)  # 09:10 is 10 s late: inside, due now
    outside = missed_state(job(window=5), found)  # 09:10 is missed too: 09:11

    assert (inside.status, inside.next_run_at) == (JobStatus.PENDING, CREATED + timedelta(minutes=10))
    assert outside.next_run_at == CREATED + timedelta(minutes=11)
    assert inside.attempts == outside.attempts == 0


def test_catchup_window_on_a_one_time_job_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"^catchupWindowSeconds: "):
        check_flow(job(None, window=60))
