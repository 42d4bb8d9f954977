"""Where a finished run leaves its job (DESIGN §3 step 3), and the backoff, as plain rules."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from harness.jitter import HighestJitter
from harness.jobs import CREATED, running_job
from serverless_jobs.domain.job import Job, JobStatus
from serverless_jobs.domain.outcome import MAX_BACKOFF_SECONDS, Outcome, backoff_seconds, next_state

NOW = datetime(2026, 11, 28, 9, 0, 30, tzinfo=UTC)


def job(schedule: str | None, attempt: int, max_attempts: int = 3) -> Job:
    return running_job(schedule, attempt, max_attempts)


def test_backoff_ceiling_doubles_and_is_capped() -> None:
    ceilings = [backoff_seconds(attempt, 10, HighestJitter()) for attempt in (1, 2, 3, 4)]
    assert ceilings == [10, 20, 40, 80]
    assert backoff_seconds(30, 10, HighestJitter()) == MAX_BACKOFF_SECONDS


@pytest.mark.parametrize("seed", range(20))
def test_backoff_is_jittered_within_its_ceiling(seed: int) -> None:
    assert 0 <= backoff_seconds(3, 10, random.Random(seed)) <= 40


def test_one_time_success_completes() -> None:
    state = next_state(job(None, 1), Outcome(True), NOW)
    assert (state.status, state.next_run_at, state.attempts) == (JobStatus.COMPLETED, None, 1)


def test_recurring_success_waits_for_the_next_occurrence_after_now() -> None:
    state = next_state(job("1m", 1), Outcome(True), NOW)
    assert (state.status, state.next_run_at, state.attempts) == (JobStatus.PENDING, CREATED + timedelta(minutes=1), 0)


def test_failure_with_attempts_left_retries_after_backoff() -> None:
    state = next_state(job(None, 2), Outcome(False, "E: x"), NOW, HighestJitter())
    assert (state.status, state.next_run_at, state.attempts, state.last_error) == (
        JobStatus.PENDING,
        NOW + timedelta(seconds=20),
        2,
        "E: x",
    )


def test_last_failure_of_a_one_time_job_fails_it() -> None:
    state = next_state(job(None, 3), Outcome(False, "E: x"), NOW)
    assert (state.status, state.next_run_at, state.attempts) == (JobStatus.FAILED, None, 3)


def test_last_failure_of_a_recurring_job_resets_attempts_for_the_next_occurrence() -> None:
    state = next_state(job("1m", 3), Outcome(False, "E: x"), NOW)
    assert (state.status, state.next_run_at, state.attempts) == (JobStatus.PENDING, CREATED + timedelta(minutes=1), 0)
    assert state.last_error == "E: x"


def test_a_failure_not_to_retry_ends_the_run_as_if_it_were_the_last_attempt() -> None:
    """A webhook's 404 on the first of three attempts: the one-time job fails, the recurring one moves on."""
    refused = Outcome(False, "HTTP 404 Not Found", retryable=False)

    one_time = next_state(job(None, 1), refused, NOW)
    recurring = next_state(job("1m", 1), refused, NOW)

    assert (one_time.status, one_time.next_run_at, one_time.attempts) == (JobStatus.FAILED, None, 1)
    assert (recurring.status, recurring.next_run_at, recurring.attempts) == (
        JobStatus.PENDING,
        CREATED + timedelta(minutes=1),
        0,
    )
