"""`overlap` as a plain rule (DESIGN §3.5, decision "Overlap"): which occurrences fell due while a run ran,
and where the run's finish leaves the job with `buffer` (they run once, after it) or `skip` (they are passed
over and handed back for one skipped entry)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.jobs import CREATED, running_job
from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.flow import MOST_COUNTED, Overlapped, check_flow, latest_up_to, overlapped
from serverless_jobs.domain.job import Job, JobStatus, Overlap
from serverless_jobs.domain.outcome import Outcome, next_state
from serverless_jobs.domain.timefmt import to_millis

SECONDS = timedelta(seconds=1)


def running(
    overlap: Overlap = "buffer",
    *,
    schedule: str | None = "30s",
    pending: datetime | None = CREATED + 60 * SECONDS,
    attempt: int = 1,
    max_attempts: int = 1,
    max_runs: int | None = None,
    end_at: datetime | None = None,
) -> Job:
    """A job running its 09:00:30 occurrence (a `30s` schedule from 09:00), `pending` its next one."""
    return running_job(
        schedule,
        attempt,
        max_attempts,
        timeout_seconds=300,
        next_occurrence_at=None if pending is None else to_millis(pending),
        end_at=None if end_at is None else to_millis(end_at),
        max_runs=max_runs,
        overlap=overlap,
    )


# The 09:00:30 run takes 95 s: 09:01:00, 09:01:30 and 09:02:00 fall due while it runs.
FINISHED = CREATED + 125 * SECONDS


def test_buffer_runs_the_latest_occurrence_due_during_the_run_once_at_once() -> None:
    state = next_state(running("buffer"), Outcome(True), FINISHED)

    assert (state.status, state.next_occurrence_at) == (JobStatus.PENDING, CREATED + 120 * SECONDS)
    assert state.next_run_at == CREATED + 120 * SECONDS  # due already: the tick claims it at once
    assert state.skipped is None


def test_skip_passes_over_the_occurrences_due_during_the_run_and_hands_them_back() -> None:
    state = next_state(running("skip"), Outcome(True), FINISHED)

    assert (state.status, state.next_run_at) == (JobStatus.PENDING, CREATED + 150 * SECONDS)
    assert state.skipped == Overlapped(CREATED + 60 * SECONDS, CREATED + 120 * SECONDS, 3)


@pytest.mark.parametrize("overlap", ["buffer", "skip"])
def test_a_run_that_ends_before_its_next_occurrence_changes_nothing(overlap: Overlap) -> None:
    state = next_state(running(overlap), Outcome(True), CREATED + 59 * SECONDS)

    assert (state.next_run_at, state.skipped) == (CREATED + 60 * SECONDS, None)


@pytest.mark.parametrize("overlap", ["buffer", "skip"])
def test_an_occurrence_due_the_instant_the_run_ends_fell_due_during_it(overlap: Overlap) -> None:
    state = next_state(running(overlap), Outcome(True), CREATED + 60 * SECONDS)

    expected = CREATED + (60 if overlap == "buffer" else 90) * SECONDS
    assert state.next_run_at == expected


def test_a_retry_keeps_the_buffered_occurrence_for_after_it() -> None:
    state = next_state(running("buffer", max_attempts=3), Outcome(False, "E: x"), FINISHED)

    assert state.status == JobStatus.PENDING
    assert state.next_run_at is not None
    assert FINISHED <= state.next_run_at <= FINISHED + 10 * SECONDS  # the retry, after its backoff
    assert state.next_occurrence_at == CREATED + 120 * SECONDS  # then the buffered occurrence


def test_the_retry_ending_later_still_runs_one_occurrence_the_latest() -> None:
    retry = running("buffer", attempt=2, max_attempts=2, pending=CREATED + 120 * SECONDS)
    state = next_state(retry, Outcome(False, "E: x"), CREATED + 300 * SECONDS)

    assert (state.next_run_at, state.attempts) == (CREATED + 300 * SECONDS, 0)


def test_skip_on_a_failure_with_attempts_left_records_what_fell_due_during_this_attempt() -> None:
    state = next_state(running("skip", max_attempts=3), Outcome(False, "E: x"), FINISHED)

    assert state.next_occurrence_at == CREATED + 150 * SECONDS
    assert state.skipped == Overlapped(CREATED + 60 * SECONDS, CREATED + 120 * SECONDS, 3)


def test_max_runs_reached_completes_the_job_without_the_buffered_run() -> None:
    state = next_state(running("buffer", max_runs=1), Outcome(True), FINISHED)

    assert (state.status, state.next_run_at) == (JobStatus.COMPLETED, None)


def test_the_buffered_occurrence_is_one_inside_end_at() -> None:
    job = running("buffer", end_at=CREATED + 100 * SECONDS)  # 09:01:00 and 09:01:30 are its last two

    buffered = next_state(job, Outcome(True), FINISHED)
    assert (buffered.status, buffered.next_run_at) == (JobStatus.PENDING, CREATED + 90 * SECONDS)
    job.next_occurrence_at = None  # the buffered run itself: nothing left after it
    assert next_state(job, Outcome(True), FINISHED + SECONDS).status == JobStatus.COMPLETED


def test_a_run_without_a_pending_occurrence_has_none_fall_due() -> None:
    """A manual run of a completed job, or a one-time job's run: nothing was waiting for it."""
    assert overlapped(running(pending=None), running().timing(), FINISHED) is None
    assert overlapped(running(schedule=None), running(schedule=None).timing(), FINISHED) is None


def test_a_run_lost_for_days_counts_its_occurrences_up_to_a_bound_and_finds_the_latest_quickly() -> None:
    job = running("skip", schedule="1s", pending=CREATED + SECONDS)
    days_later = CREATED + timedelta(days=3, milliseconds=500)

    during = overlapped(job, job.timing(), days_later)

    assert during == Overlapped(CREATED + SECONDS, CREATED + timedelta(days=3), MOST_COUNTED)


@given(st.integers(1, 7200), st.integers(0, 100_000), st.integers(0, 500_000))
def test_the_latest_occurrence_is_the_last_one_stepping_forward_finds(every: int, start: int, span: int) -> None:
    job = running(schedule=f"{every}s")
    timing = job.timing()
    first = timing.next_at_or_after(CREATED + timedelta(seconds=start))
    assert first is not None
    now = first + timedelta(seconds=span)

    found = latest_up_to(timing, first, now)

    following = timing.next_at_or_after(found + timedelta(milliseconds=1))
    assert first <= found <= now
    assert following is not None
    assert following > now


def test_the_latest_occurrence_of_a_cron_schedule_with_gaps() -> None:
    job = running(schedule="*/5 9-10 * * MON-FRI")  # none at night, none at the weekend
    timing = job.timing()
    friday = datetime(2026, 12, 4, 10, 55, tzinfo=UTC)
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)

    assert latest_up_to(timing, datetime(2026, 12, 4, 9, 0, tzinfo=UTC), monday) == friday


def test_overlap_skip_on_a_job_without_a_recurring_schedule_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"^overlap: "):
        check_flow(running("skip", schedule=None))
    check_flow(running("buffer", schedule=None))  # the default, for every job
    check_flow(running("skip"))
