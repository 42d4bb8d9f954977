"""A job, its runs and the dispatch event, as the rules see them: plain data, no storage, no HTTP.

Instants are epoch milliseconds, the unit the `due` index sorts by; `next_run_at` means "the next time the
tick must look at this job" (DESIGN §3): an occurrence, a retry or a running job's lease expiry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from serverless_jobs.domain.notify import Notify
from serverless_jobs.domain.rate import RateLimit
from serverless_jobs.domain.schedules.expressions import parse_schedule, parse_zone
from serverless_jobs.domain.schedules.timing import Timing
from serverless_jobs.domain.targets import Target
from serverless_jobs.domain.timefmt import from_millis, from_millis_or_none


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PAUSED = "paused"


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})

Trigger = Literal["schedule", "manual", "retry"]

# What becomes of the occurrences that fall due while a run runs (domain/flow.py): one run after it, or none.
Overlap = Literal["buffer", "skip"]


@dataclass
class Job:
    id: str
    name: str
    handler: str | None  # a registered handler's name, or None for a job with a `target`
    status: JobStatus
    max_attempts: int
    retry_backoff_seconds: int
    timeout_seconds: int
    created_at: int
    updated_at: int
    data: dict[str, Any] = field(default_factory=dict)
    # Grouping only (`GET /jobs?label=`, bulk operations); the label index holds a membership per pair.
    labels: dict[str, str] = field(default_factory=dict)
    schedule: str | None = None
    timezone: str = "UTC"
    run_at: int | None = None
    end_at: int | None = None
    attempts: int = 0
    last_run_at: int | None = None
    next_run_at: int | None = None
    # The schedule's next occurrence, while `next_run_at` holds a running job's lease expiry.
    next_occurrence_at: int | None = None
    last_error: str | None = None
    # Set only while the tick must look at the job: the sparse `due` index's partition.
    due_shard: str | None = None
    # The current run, while running: its id, attempt, occurrence and trigger.
    run_id: str | None = None
    attempt: int | None = None
    scheduled_at: int | None = None
    trigger: Trigger | None = None
    # Set once by the executor that starts the claimed run: a duplicate delivery finds it set and stops.
    run_started_at: int | None = None
    # When the current run's lease ends (epoch ms), set by its claim (decision 0058): the lease's own home, so
    # that a later release may leave `next_run_at` at the occurrence. Absent (an older release's claim, or
    # its whole-item write): the lease is `next_run_at`, as it always was.
    lease_until: int | None = None
    # Where a run goes instead of a handler (exactly one of `handler` and `target` is set).
    target: Target | None = None
    # Who hears how its runs end (domain.notify); None when nobody does.
    notify: Notify | None = None
    # Flow control (domain/flow.py): each occurrence starts at a stable offset in [0, jitter_seconds); the
    # job completes after max_runs successful runs, counted in successful_runs; an occurrence found more
    # than catchup_window_seconds after its start is skipped.
    jitter_seconds: int = 0
    max_runs: int | None = None
    successful_runs: int = 0
    catchup_window_seconds: int | None = None
    # Occurrences due while a run runs: run once after it (buffer), or recorded skipped (skip).
    overlap: Overlap = "buffer"
    # Flow control: at most `concurrency_limit` jobs sharing `concurrency_key` hold a run at once (decision "Concurrency
    # keys").
    concurrency_key: str | None = None
    concurrency_limit: int | None = None
    # Flow control: at most `rate_limit.limit` starts of the jobs sharing its key in any period (domain/rate.py).
    rate_limit: RateLimit | None = None
    # The user's own name for the job, unique in the stack (domain/keys.py): how a file or a template finds it.
    key: str | None = None
    # The stored version this copy was read at; every write is conditioned on it. None before the first.
    version: int | None = None

    @property
    def runs_as(self) -> str:
        """What runs the job, for logs and the per-handler metric series: the handler, or `target:<type>`."""
        return self.target.label if self.target is not None else str(self.handler)

    def timing(self) -> Timing:
        """The job's schedule, zone and window as the schedule rules take them."""
        return Timing(
            schedule=None if self.schedule is None else parse_schedule(self.schedule, stored=True),
            zone=parse_zone(self.timezone),
            run_at=from_millis_or_none(self.run_at),
            end_at=from_millis_or_none(self.end_at),
            created_at=from_millis(self.created_at),
        )


@dataclass(frozen=True)
class Upcoming:
    """A job of the `due` index as the tick's look-ahead reads it (three attributes, not the whole item): when
    it falls due, when it was last written (epoch ms), and whether it is pending (not a run's lease)."""

    next_run_at: int
    updated_at: int
    pending: bool

    @classmethod
    def of(cls, job: Job) -> Upcoming:
        return cls(job.next_run_at or 0, job.updated_at, job.status == JobStatus.PENDING)


# `skipped`: an occurrence not run at all (flow control), recorded so that its absence is explained.
RunStatus = Literal["running", "completed", "failed", "timed_out", "skipped"]


@dataclass
class Run:
    """One run of a job, as its history entry records it."""

    job_id: str
    id: str
    status: RunStatus
    attempt: int
    trigger: Trigger
    # When the run was claimed: known to the executor and the tick alike, so both address one entry.
    claimed_at: int
    started_at: int
    expires_at: int  # epoch seconds: when the history table's TTL removes the entry
    scheduled_at: int | None = None
    completed_at: int | None = None
    duration: int | None = None
    result: Any = None
    result_truncated: bool = False
    error: str | None = None
    # False when the run failed in a way another attempt cannot mend (outcome.Outcome.retryable).
    retryable: bool = True
    # A notification the job's `notify` target could not be sent: {"delivered": false, "target", "error"}.
    notification: dict[str, Any] | None = None
    # While the run's notification is owed (decided as the run closes, written with the close, cleared once
    # it is sent or given up): when the tick hands it to the executor again (decision "Notifications").
    notify_at: int | None = None


@dataclass(frozen=True)
class RunRequest:
    """A claimed run handed to the executor, ids only: the executor reads the job itself, so no stale data
    runs (its event: adapters/lambda_events.py)."""

    jobId: str
    runId: str
    attempt: int
    scheduledAt: str | None
    trigger: Trigger

    def log_keys(self) -> dict[str, Any]:
        """The keys every log line about this run carries, so one Logs Insights filter finds them all."""
        return run_log_keys(self.jobId, self.runId, self.attempt, self.trigger)


def run_log_keys(job_id: str, run_id: str, attempt: int, trigger: str) -> dict[str, Any]:
    return {"jobId": job_id, "runId": run_id, "attempt": attempt, "trigger": trigger}
